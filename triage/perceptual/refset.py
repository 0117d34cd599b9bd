"""Perceptual reference sets on disk: numpy arrays, indexes and a manifest of their SHA-256s."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from triage.errors import InvalidInputError
from triage.files import sha256_file
from triage.model import utc_text
from triage.perceptual.index import PDQ_LAYOUT, PHASH_LAYOUT, Layout, RadiusIndex
from triage.perceptual.thresholds import FEATURELESS_QUALITY, PDQ_MATCH_DISTANCE

# /2 adds PDQ of each reference's content box and sub-regions (regions.py); /1 sets still load
# and match as before (whole pictures only). The manifest pins every file either way.
FORMAT = "triage-perceptual-set/2"
FORMATS = ("triage-perceptual-set/1", FORMAT)
MANIFEST = "manifest.json"
NO_QUALITY = 255  # pdq_quality.npy value for "the list gave none"; real qualities are 0-100


@dataclass(slots=True)
class Entries:
    """The rows of a set before it is written: one per reference picture or hash-list line."""

    references: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    pdq: list[bytes] = field(default_factory=list)
    pdq_quality: list[int | None] = field(default_factory=list)
    phash: list[bytes | None] = field(default_factory=list)
    sha256: list[str | None] = field(default_factory=list)
    # (entry row, kind, PDQ, quality) of content boxes and sub-regions (pictures only).
    regions: list[tuple[int, int, bytes, int]] = field(default_factory=list)

    def add(
        self,
        reference: str,
        category: str,
        pdq: bytes,
        quality: int | None,
        phash: bytes | None = None,
        sha256: str | None = None,
        regions: list[tuple[int, bytes, int]] = (),
    ) -> None:
        self.regions.extend((len(self.references), kind, code, q) for kind, code, q in regions)
        self.references.append(reference)
        self.categories.append(category)
        self.pdq.append(pdq)
        self.pdq_quality.append(quality)
        self.phash.append(phash)
        self.sha256.append(sha256)

    def __len__(self) -> int:
        return len(self.references)


def write_set(entries: Entries, out: Path, *, name: str, version: str) -> Path:
    """Write a reference set folder (which must not exist yet) and return its manifest path."""
    if out.exists() and any(out.iterdir()):
        raise InvalidInputError(f"{out} already holds files; choose a new folder for the set")
    out.mkdir(parents=True, exist_ok=True)
    categories = sorted(set(entries.categories))
    n = len(entries)
    pdq = np.frombuffer(b"".join(entries.pdq), dtype=np.uint8).reshape(n, 32)
    quality = np.array(
        [NO_QUALITY if q is None else q for q in entries.pdq_quality], dtype=np.uint8
    )
    with_phash = [i for i, h in enumerate(entries.phash) if h is not None]
    phash = np.frombuffer(
        b"".join(entries.phash[i] or b"" for i in with_phash), dtype=np.uint8
    ).reshape(len(with_phash), 8)
    phash_row = np.full(n, -1, dtype=np.int32)
    phash_row[with_phash] = np.arange(len(with_phash), dtype=np.int32)
    arrays = {
        "pdq_quality.npy": quality,
        "category.npy": np.array([categories.index(c) for c in entries.categories], np.uint16),
        "phash_row.npy": phash_row,
        "phash_entry.npy": np.array(with_phash, dtype=np.int32),
    }
    m = len(entries.regions)
    region_codes = np.frombuffer(b"".join(r[2] for r in entries.regions), dtype=np.uint8)
    arrays |= {
        "region_entry.npy": np.array([r[0] for r in entries.regions], dtype=np.int32),
        "region_kind.npy": np.array([r[1] for r in entries.regions], dtype=np.uint8),
        "region_quality.npy": np.array([r[3] for r in entries.regions], dtype=np.uint8),
    }
    for file_name, array in arrays.items():
        np.save(out / file_name, array)
    written = [out / f for f in arrays]
    written += RadiusIndex.build(PDQ_LAYOUT, region_codes.reshape(m, 32)).save(out, "region")
    written += RadiusIndex.build(PDQ_LAYOUT, pdq).save(out, "pdq")
    written += RadiusIndex.build(PHASH_LAYOUT, phash).save(out, "phash")
    (out / "references.json").write_text(json.dumps(entries.references), encoding="utf-8")
    (out / "sha256.json").write_text(json.dumps(entries.sha256), encoding="utf-8")
    written += [out / "references.json", out / "sha256.json"]
    manifest = {
        "format": FORMAT,
        "name": name,
        "version": version,
        "created": utc_text(),
        "count": n,
        "with_phash": len(with_phash),
        "categories": categories,
        "layouts": {
            "pdq": {"widths": list(PDQ_LAYOUT.widths), "radius": PDQ_LAYOUT.radius},
            "phash": {"widths": list(PHASH_LAYOUT.widths), "radius": PHASH_LAYOUT.radius},
        },
        "files": {p.name: sha256_file(p) for p in sorted(written)},
    }
    path = out / MANIFEST
    path.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return path


class SetError(ValueError):
    """A reference set folder that cannot be used; the message names the fix."""


@dataclass(slots=True)
class ReferenceSet:
    """A loaded, verified reference set: its indexes memory-mapped, its rows addressable."""

    path: Path
    manifest: dict
    digest: str  # SHA-256 of manifest.json, which pins every other file by its SHA-256
    pdq: RadiusIndex
    phash: RadiusIndex
    pdq_quality: np.ndarray
    category: np.ndarray
    phash_row: np.ndarray
    phash_entry: np.ndarray
    references: list[str]
    region: RadiusIndex | None = None  # None for /1 sets (whole pictures only)
    region_entry: np.ndarray | None = None
    region_kind: np.ndarray | None = None
    region_quality: np.ndarray | None = None

    @property
    def name(self) -> str:
        return str(self.manifest["name"])

    @property
    def version(self) -> str:
        return str(self.manifest["version"])

    def __len__(self) -> int:
        return len(self.references)

    def quality(self, row: int) -> int | None:
        value = int(self.pdq_quality[row])
        return None if value == NO_QUALITY else value

    def featureless(self) -> int:
        """How many references are too featureless to ever match perceptually."""
        q = self.pdq_quality
        return int(((q < FEATURELESS_QUALITY) & (q != NO_QUALITY)).sum())

    def category_of(self, row: int) -> str:
        return str(self.manifest["categories"][int(self.category[row])])

    def provenance(self) -> dict:
        return {
            "kind": "perceptual",
            "name": self.name,
            "version": self.version,
            "count": len(self),
            "categories": list(self.manifest["categories"]),
            "digest": f"sha256:{self.digest}",
            "path": str(self.path),
        }


def _layout(manifest: dict, key: str, expected: Layout, least: int) -> Layout:
    spec = manifest["layouts"][key]
    layout = Layout(expected.nbits, tuple(spec["widths"]), int(spec["radius"]))
    if layout.radius < least:
        raise SetError(f"its {key} index covers radius {layout.radius}; rebuild the set")
    return layout


_ARRAYS = ("pdq_quality", "category", "phash_row", "phash_entry")
_REGION_ARRAYS = ("region_entry", "region_kind", "region_quality")


def _required_files(pdq: Layout, phash: Layout, regions: bool) -> set[str]:
    names = {f"{key}.npy" for key in _ARRAYS} | {"references.json", "sha256.json"}
    indexes = [("pdq", pdq), ("phash", phash)]
    if regions:
        names |= {f"{key}.npy" for key in _REGION_ARRAYS}
        indexes.append(("region", pdq))
    for prefix, layout in indexes:
        names.add(f"{prefix}_codes.npy")
        for c in range(len(layout.widths)):
            names |= {f"{prefix}_offsets{c}.npy", f"{prefix}_ids{c}.npy"}
    return names


def load_set(path: Path, *, verify: bool = True) -> ReferenceSet:
    """Load a set folder; SetError (one sentence) if it is not a complete, untouched set."""
    try:
        raw = (path / MANIFEST).read_bytes()
        manifest = json.loads(raw)
        if manifest.get("format") not in FORMATS:
            raise SetError(f"{path} is not a {FORMAT} set; rebuild it with this version")
        with_regions = manifest["format"] != FORMATS[0]
        # Sets built before the rule's PDQ 47 (index radius 31) still give R6's matches; the
        # matcher searches them as far as their index reaches.
        pdq_layout = _layout(manifest, "pdq", PDQ_LAYOUT, PDQ_MATCH_DISTANCE)
        phash_layout = _layout(manifest, "phash", PHASH_LAYOUT, PHASH_LAYOUT.radius)
        if verify:
            # Every file read below must be pinned, or a swapped file would go unnoticed.
            unpinned = _required_files(pdq_layout, phash_layout, with_regions) - set(
                manifest["files"]
            )
            if unpinned:
                raise SetError(f"{path}: manifest does not pin {sorted(unpinned)[0]}; rebuild it")
            for file_name, expected in manifest["files"].items():
                if Path(file_name).name != file_name:
                    raise SetError(f"{path}: manifest names a file outside the set")
                if sha256_file(path / file_name) != expected:
                    raise SetError(f"{path}: {file_name} does not match its manifest digest")
        pdq = RadiusIndex.load(pdq_layout, path, "pdq")
        phash = RadiusIndex.load(phash_layout, path, "phash")
        references = json.loads((path / "references.json").read_text(encoding="utf-8"))
        arrays = {key: np.load(path / f"{key}.npy") for key in _ARRAYS}
        extra: dict = {}
        if with_regions:
            extra = {key: np.load(path / f"{key}.npy") for key in _REGION_ARRAYS}
            extra["region"] = RadiusIndex.load(pdq_layout, path, "region")
    except SetError:
        raise
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SetError(f"{path} is not a readable perceptual set ({exc}); rebuild it") from exc
    n = len(pdq)
    if len(references) != n or any(len(a) != n for k, a in arrays.items() if k != "phash_entry"):
        raise SetError(f"{path}: its arrays disagree on the number of entries; rebuild it")
    if n and int(arrays["category"].max()) >= len(manifest["categories"]):
        raise SetError(f"{path}: an entry names a category the manifest lacks; rebuild it")
    if len(arrays["phash_entry"]) != len(phash):
        raise SetError(f"{path}: its pHash rows disagree with its index; rebuild it")
    if extra and not (
        len(extra["region"]) == len(extra["region_entry"]) == len(extra["region_kind"])
        == len(extra["region_quality"])
        and (not len(extra["region_entry"]) or int(extra["region_entry"].max()) < n)
    ):
        raise SetError(f"{path}: its region rows disagree with its entries; rebuild it")
    return ReferenceSet(
        path=path,
        manifest=manifest,
        digest=hashlib.sha256(raw).hexdigest(),
        pdq=pdq,
        phash=phash,
        references=references,
        **arrays,
        **extra,
    )
