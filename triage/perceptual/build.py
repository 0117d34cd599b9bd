"""Build perceptual reference sets: from a folder of pictures, or from PDQ hash lists."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from triage.errors import InvalidInputError
from triage.perceptual.hasher import PictureHashes, hash_files
from triage.perceptual.pdq import Pdq
from triage.perceptual.phash import PHash
from triage.perceptual.refset import Entries, write_set
from triage.perceptual.thresholds import FEATURELESS_QUALITY

_SPLIT = re.compile(r"[,\t; ]+")


@dataclass(slots=True)
class BuildResult:
    """What a build wrote, and the pictures or lines it had to leave out (with reasons)."""

    manifest: Path
    count: int
    skipped: list[str] = field(default_factory=list)
    unmatchable: list[str] = field(default_factory=list)  # too featureless to ever match


def build_from_folder(
    folder: Path,
    out: Path,
    *,
    name: str,
    version: str,
    category: str,
    workers: int | None = None,
) -> BuildResult:
    """Hash every picture under `folder` into a new set at `out`; reference = relative path."""
    if not folder.is_dir():
        raise InvalidInputError(f"{folder} is not a folder; give the folder of reference pictures")
    paths = sorted(p for p in folder.rglob("*") if p.is_file())
    entries, skipped, unmatchable = Entries(), [], []
    for path, result in hash_files(paths, workers=workers):
        if isinstance(result, str):
            skipped.append(f"{path.relative_to(folder)}: {result}")
            continue
        reference = path.relative_to(folder).as_posix()
        _add_picture(entries, reference, category, result, path)
        if result.pdq_quality < FEATURELESS_QUALITY:
            unmatchable.append(
                f"{reference}: PDQ quality {result.pdq_quality} is under {FEATURELESS_QUALITY}: "
                "featureless (blank, flat or near-black), so it never matches perceptually, "
                "only by its exact digest"
            )
    if not len(entries):
        raise InvalidInputError(f"no picture under {folder} could be hashed; check the folder")
    manifest = write_set(entries, out, name=name, version=version)
    return BuildResult(manifest, len(entries), skipped, unmatchable)


def _add_picture(
    entries: Entries, reference: str, category: str, hashes: PictureHashes, path: Path
) -> None:
    sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    entries.add(
        reference,
        category,
        Pdq.parse(hashes.pdq),
        hashes.pdq_quality,
        PHash.parse(hashes.phash),
        sha256,
        [(kind, bytes.fromhex(code), q) for kind, code, q, _ in hashes.variants[0].regions]
        if hashes.variants
        else [],
    )


def read_pdq_list(path: Path, *, category: str, entries: Entries) -> None:
    """Add the lines of a PDQ list: hex, then optional quality and category, comma/tab/space.

    A line that cannot be read stops the import with its file and line number, because a
    half-imported list would silently miss references.
    """
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        reason = f"{path} could not be read as text ({exc}); check the file"
        raise InvalidInputError(reason) from None
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        columns = _SPLIT.split(text)
        where = f"{path}:{number}"
        if len(columns) > 3:
            raise InvalidInputError(f"{where}: expected hex[,quality][,category]; fix the line")
        try:
            pdq = Pdq.parse(columns[0])
        except ValueError as exc:
            raise InvalidInputError(f"{where}: {exc}") from None
        quality = None
        if len(columns) >= 2 and columns[1]:
            if not columns[1].isdigit() or int(columns[1]) > 100:
                raise InvalidInputError(f"{where}: quality must be 0-100, got {columns[1]!r}")
            quality = int(columns[1])
        row_category = columns[2] if len(columns) == 3 else category
        entries.add(f"{path.name}:{number}", row_category, pdq, quality)


def import_pdq_lists(
    paths: Iterable[Path], out: Path, *, name: str, version: str, category: str
) -> BuildResult:
    """Import PDQ hash lists (the format NCMEC and ThreatExchange share) into a new set."""
    entries = Entries()
    for path in paths:
        read_pdq_list(path, category=category, entries=entries)
    if not len(entries):
        raise InvalidInputError("the PDQ lists hold no hashes; check the files")
    return BuildResult(write_set(entries, out, name=name, version=version), len(entries))
