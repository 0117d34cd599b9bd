"""Writing a compiled bundle: arrays, reference table, manifest, signature; atomically."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from triage import keys
from triage.errors import InvalidInputError
from triage.files import sha256_file
from triage.hashdb import manifest as mf
from triage.hashdb import signing
from triage.hashdb.collect import SortedDigests
from triage.hashdb.columns import COLUMNS
from triage.hashdb.lookup import FENCE_STRIDE, make_fence
from triage.hashdb.setinfo import ImportStats, SetInfo
from triage.model import utc_text

BUNDLE_SUFFIX = ".hashset"


def bundle_path(into: Path, name: str) -> Path:
    """Where `import --into DIR --name NAME` puts its bundle."""
    return into / f"{name}{BUNDLE_SUFFIX}"


def check_name(name: str) -> str:
    """A set name doubles as a folder name, so it must be a plain, visible file name."""
    if not name or name.startswith(".") or any(c in name for c in '/\\:*?"<>|\0'):
        raise InvalidInputError(
            f"hash-set name {name!r} is not usable as a folder name; use letters, digits, '-', '_'."
        )
    return name


@contextmanager
def atomic_directory(target: Path, *, replace: bool) -> Iterator[Path]:
    """Yield a temporary folder beside `target`; it becomes `target` only if the block succeeds."""
    if target.exists() and not replace:
        raise InvalidInputError(f"{target} already exists; choose another name or use --replace.")
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        yield work
        if target.exists():
            # Two renames leave a moment with no bundle but never a half-written one.
            parent = target.parent
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=parent))
            os.replace(target, old / "bundle")
            os.replace(work, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(work, target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise


def _write_array(path: Path, array: np.ndarray) -> None:
    with path.open("wb") as handle:
        handle.write(np.ascontiguousarray(array).tobytes())


def _write_references(work: Path, references: list[str]) -> None:
    # Newlines would break the one-reference-per-slice layout readers rely on for display.
    encoded = [ref.replace("\n", " ").encode("utf-8") for ref in references]
    offsets = np.zeros(len(encoded) + 1, dtype="<u8")
    np.cumsum([len(item) for item in encoded], out=offsets[1:])
    (work / mf.REFS_TEXT).write_bytes(b"".join(encoded))
    _write_array(work / mf.REFS_OFFSETS, offsets)


def write_bundle(
    target: Path,
    info: SetInfo,
    compiled: dict[str, SortedDigests],
    *,
    categories: list[str],
    references: list[str],
    stats: ImportStats,
    inputs: list[dict[str, Any]],
    signer: keys.SigningKey | None = None,
    replace: bool = False,
    now: dt.datetime | None = None,
    previous: dict[str, Any] | None = None,
    sha256_covers: Sequence[str] = (),
) -> Path:
    """Write a bundle folder at `target`, all or nothing, and return its path.

    `sha256_covers` (EntryCollector.sha256_covers) names the algorithms a scan need not
    compute because every entry of theirs is found through its file's SHA-256.
    """
    check_name(info.name)
    with atomic_directory(target, replace=replace) as work:
        columns: dict[str, dict[str, str]] = {}
        for algorithm, entries in compiled.items():
            if not len(entries):
                continue
            _write_array(work / f"{algorithm}.{mf.KEY_SUFFIX}", entries.keys.astype("<u8"))
            _write_array(work / f"{algorithm}.{mf.FENCE_SUFFIX}", make_fence(entries.keys))
            _write_array(work / f"{algorithm}.{mf.TAIL_SUFFIX}", entries.tails)
            columns[algorithm] = {}
            for name, values in entries.columns.items():
                column = COLUMNS[name]
                if bool((values == column.missing).all()):
                    continue  # an all-empty column costs space and says nothing
                _write_array(work / f"{algorithm}.{name}", values.astype(column.dtype))
                columns[algorithm][name] = column.dtype
        if references:
            _write_references(work, references)
        manifest: dict[str, Any] = {
            "format": mf.FORMAT,
            "name": info.name,
            "version": info.version,
            "kind": info.kind.value,
            "source": info.source,
            "created": utc_text(now),
            "expires": info.expires.isoformat() if info.expires else None,
            "default_severity": info.default_severity.value,
            "severities": dict(info.severities),
            "category_map": info.category_map,
            "categories": categories,
            "counts": {alg: len(entries) for alg, entries in compiled.items() if len(entries)},
            "columns": columns,
            "fence_stride": FENCE_STRIDE,
            "import": {
                "accepted": stats.accepted,
                "rejected": stats.rejected,
                "duplicates": stats.duplicates,
                "inputs": inputs,
            },
            "files": {
                path.name: {"size": path.stat().st_size, "sha256": sha256_file(path)}
                for path in sorted(work.iterdir())
            },
        }
        if previous is not None:
            manifest["previous"] = previous
        if sha256_covers:
            manifest["sha256_covers"] = sorted(sha256_covers)
        raw = mf.encode(manifest)
        (work / mf.MANIFEST).write_bytes(raw)
        if signer is not None:
            signing.sign(work, raw, signer)
    return target
