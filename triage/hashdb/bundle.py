"""Opening a compiled bundle (memory-mapped, no parsing) and batch lookups in it."""

from __future__ import annotations

import datetime as dt
import hashlib
import mmap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from triage.hashdb import manifest as mf
from triage.hashdb import signing
from triage.hashdb.algorithms import WIDTHS
from triage.hashdb.collect import SortedDigests
from triage.hashdb.columns import CATEGORY, COLUMNS, REFERENCE
from triage.hashdb.lookup import FENCE_STRIDE, find_one, find_rows
from triage.hashdb.manifest import BundleError
from triage.hashdb.policy import severity_for
from triage.hashdb.setinfo import SetKind
from triage.model import Severity


@dataclass(frozen=True)
class Entry:
    """What a bundle knows about one digest besides the digest itself."""

    category: str | None
    reference: str | None
    extra: dict[str, int]


def _map(path: Path, dtype: str, shape: tuple[int, ...]) -> np.ndarray:
    """A read-only memory map of a whole file as an array of `shape`, checked for size."""
    expected = int(np.prod(shape)) * np.dtype(dtype).itemsize
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise BundleError(f"{path} is missing ({exc.strerror}); rebuild the bundle.") from exc
    if size != expected:
        raise BundleError(
            f"{path} holds {size} bytes where the manifest implies {expected}; rebuild the bundle."
        )
    if expected == 0:
        return np.zeros(shape, dtype=dtype)
    with path.open("rb") as handle:
        mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    # Lookups jump around: without this the kernel reads ahead ~128 KB around every page
    # touched, and a long scan's resident memory fills with pages nobody asked for.
    mapped.madvise(mmap.MADV_RANDOM)
    return np.frombuffer(mapped, dtype=dtype).reshape(shape)


class Bundle:
    """A compiled hash set on disk; opening it maps its arrays and reads only the manifest."""

    def __init__(self, path: Path, manifest: dict[str, Any], raw: bytes) -> None:
        self.path = path
        self.manifest = manifest
        self.raw_manifest = raw
        self.digest = hashlib.sha256(raw).hexdigest()
        self.name = str(manifest["name"])
        self.version = str(manifest["version"])
        try:
            self.kind = SetKind(manifest["kind"])
            self.default_severity = Severity(manifest.get("default_severity", "high"))
            expires = manifest.get("expires")
            self.expires = dt.date.fromisoformat(expires) if expires else None
        except (ValueError, TypeError) as exc:
            raise BundleError(f"{path / mf.MANIFEST} has an invalid field ({exc}).") from exc
        self.categories: list[str] = [str(c) for c in manifest.get("categories") or []]
        self.severities: dict[str, str] = dict(manifest.get("severities") or {})
        self.counts: dict[str, int] = {}
        self._keys: dict[str, np.ndarray] = {}
        self._fences: dict[str, np.ndarray | None] = {}
        self._tails: dict[str, np.ndarray] = {}
        self._columns: dict[str, dict[str, np.ndarray]] = {}
        listed = manifest["files"]
        for algorithm, count in manifest["counts"].items():
            if algorithm not in WIDTHS or not isinstance(count, int) or count < 0:
                raise BundleError(f"{path / mf.MANIFEST} has an invalid count for {algorithm!r}.")
            names = [f"{algorithm}.{mf.KEY_SUFFIX}", f"{algorithm}.{mf.TAIL_SUFFIX}"]
            columns = (manifest.get("columns") or {}).get(algorithm) or {}
            names += [f"{algorithm}.{column}" for column in columns]
            unlisted = [name for name in names if name not in listed]
            if unlisted:
                raise BundleError(f"{path} has files its manifest does not cover: {unlisted}.")
            self.counts[algorithm] = count
            self._keys[algorithm] = _map(path / names[0], "<u8", (count,))
            self._fences[algorithm] = self._fence(algorithm, count)
            self._tails[algorithm] = _map(path / names[1], "u1", (count, WIDTHS[algorithm] - 8))
            self._columns[algorithm] = {}
            for column, dtype in columns.items():
                if column not in COLUMNS or np.dtype(dtype) != np.dtype(COLUMNS[column].dtype):
                    raise BundleError(f"{path} has an unknown column {algorithm}.{column}.")
                self._columns[algorithm][column] = _map(
                    path / f"{algorithm}.{column}", dtype, (count,)
                )
        self._algorithms = frozenset(alg for alg, count in self.counts.items() if count)
        self._ref_offsets: np.ndarray | None = None
        if mf.REFS_OFFSETS in listed:
            if mf.REFS_TEXT not in listed or not (path / mf.REFS_TEXT).is_file():
                raise BundleError(f"{path} lacks its reference table {mf.REFS_TEXT}.")
            size = (path / mf.REFS_OFFSETS).stat().st_size // 8
            self._ref_offsets = _map(path / mf.REFS_OFFSETS, "<u8", (size,))

    def _fence(self, algorithm: str, count: int) -> np.ndarray | None:
        """The in-memory fence keys, when the bundle has them at this tool's stride."""
        name = f"{algorithm}.{mf.FENCE_SUFFIX}"
        if name not in self.manifest["files"] or self.manifest.get("fence_stride") != FENCE_STRIDE:
            return None
        length = -(-count // FENCE_STRIDE)
        return np.array(_map(self.path / name, "<u8", (length,)))

    @classmethod
    def open(cls, path: Path) -> Bundle:
        """Map a bundle folder; raises BundleError (one sentence) when it cannot be used."""
        if not path.is_dir():
            raise BundleError(f"{path} is not a hash-set bundle folder; check the path.")
        manifest, raw = mf.read(path)
        try:
            return cls(path, manifest, raw)
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise BundleError(
                f"{path / mf.MANIFEST} is malformed ({exc!r}); rebuild the bundle."
            ) from exc

    @property
    def algorithms(self) -> frozenset[str]:
        return self._algorithms

    @property
    def needed_algorithms(self) -> frozenset[str]:
        """The digests a scanned file needs for every entry to be found: without those the
        manifest says its SHA-256 entries cover (sets made from the files themselves)."""
        covers = self.manifest.get("sha256_covers")
        if "sha256" not in self._algorithms or not isinstance(covers, list):
            return self._algorithms
        return self._algorithms - {c for c in covers if isinstance(c, str)}

    def __len__(self) -> int:
        return sum(self.counts.values())

    # -- integrity -------------------------------------------------------------------------

    def check_files(self) -> list[str]:
        """Problems found by re-hashing every file against the manifest (empty when intact)."""
        return mf.altered_files(self.path, self.manifest["files"], f"hash set {self.name!r}")

    def check_signature(
        self, trusted: dict[str, Ed25519PublicKey] | None
    ) -> signing.SignatureCheck:
        return signing.check(self.path, self.raw_manifest, trusted, self.name)

    def expired(self, now: dt.datetime) -> bool:
        return self.expires is not None and now.date() > self.expires

    # -- lookup ----------------------------------------------------------------------------

    def find(self, algorithm: str, digests: np.ndarray) -> np.ndarray:
        """Row index of each digest of an (n, width) uint8 array in this bundle, -1 if absent."""
        keys = self._keys.get(algorithm)
        if keys is None:
            return np.full(len(digests), -1, dtype=np.int64)
        return find_rows(keys, self._tails[algorithm], digests, self._fences.get(algorithm))

    def find_one(self, algorithm: str, digest: bytes) -> int:
        """Row of one digest in this bundle, -1 if absent."""
        keys = self._keys.get(algorithm)
        if keys is None:
            return -1
        return find_one(keys, self._tails[algorithm], digest, self._fences.get(algorithm))

    def entry(self, algorithm: str, row: int) -> Entry:
        """Category, reference and extra columns of one row."""
        columns = self._columns.get(algorithm, {})
        category = None
        if CATEGORY.name in columns:
            index = int(columns[CATEGORY.name][row])
            if 0 < index <= len(self.categories):
                category = self.categories[index - 1]
        reference = None
        if REFERENCE.name in columns and self._ref_offsets is not None:
            index = int(columns[REFERENCE.name][row])
            if index + 1 < len(self._ref_offsets):
                start, stop = int(self._ref_offsets[index]), int(self._ref_offsets[index + 1])
                with (self.path / mf.REFS_TEXT).open("rb") as handle:
                    handle.seek(start)
                    reference = handle.read(stop - start).decode("utf-8", errors="replace")
        extra = {
            name: int(values[row])
            for name, values in columns.items()
            if name not in (CATEGORY.name, REFERENCE.name)
        }
        return Entry(category, reference, extra)

    def severity(self, category: str | None) -> Severity:
        return severity_for(category, self.severities, self.default_severity)

    def sorted_digests(self, algorithm: str) -> SortedDigests:
        """One algorithm's arrays (mapped, not copied) for diffs and merges."""
        return SortedDigests(
            self._keys[algorithm], self._tails[algorithm], dict(self._columns[algorithm])
        )

    def references(self) -> list[str]:
        """The whole reference table (for rebuilding; not needed for lookups)."""
        if self._ref_offsets is None:
            return []
        text = (self.path / mf.REFS_TEXT).read_bytes()
        offsets = self._ref_offsets.tolist()
        return [
            text[a:b].decode("utf-8", errors="replace")
            for a, b in zip(offsets, offsets[1:], strict=False)
        ]
