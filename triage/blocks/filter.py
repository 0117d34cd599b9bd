"""Opening a block filter (memory-mapped, nothing parsed but the manifest) and looking up blocks
(the structures: triage/blocks/layout.py)."""

from __future__ import annotations

import json
import mmap
import sys
from pathlib import Path
from typing import Any

import numpy as np
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from triage.blocks import layout
from triage.blocks.digest import KEY_NAME
from triage.blocks.store import ARRAYS
from triage.hashdb import manifest as mf
from triage.hashdb import signing
from triage.hashdb.manifest import BundleError

try:
    from triage.blocks import _probe  # the C lookups (setup.py); optional
except ImportError:  # not built here (no C compiler at install): numpy gives the same answers
    _probe = None  # type: ignore[assignment]

# Bloom filters larger than this are read into private huge pages at the first lookup: a
# lookup's one random word then costs no TLB miss (4 KiB pages of a 128 MiB mapping missed on
# nearly every lookup: measured 3x slower in one batch, 1.2x per 4 MiB chunk). Regular files
# cannot be mapped with huge pages here, so this costs each process its own copy.
HUGE_PAGES_MIN = 8 << 20
_EMPTY_INDEX = np.zeros(0, dtype=np.intp)
_LAYOUT = (KEY_NAME, layout.MASKS_NAME, layout.TAIL_BITS)
_EMPTY_ROWS = np.zeros(0, dtype=np.int64)
# Whether lookups use the C extension (tests set it False to check the numpy path on the same
# filters). It reads the little-endian files as native integers, so not on big-endian machines.
USE_PROBE = _probe is not None and sys.byteorder == "little"


def _refuse_format(path: Path, manifest: object) -> None:
    """One sentence naming the fix when the manifest is not this version's format."""
    fix = "rebuild it with `triage hashset add-files` (or `add-images`)"
    found = manifest.get("format") if isinstance(manifest, dict) else None
    if not isinstance(manifest, dict) or not isinstance(found, str) \
            or not found.startswith("triage-blockfilter/"):
        raise BundleError(f"{path} is not a block filter of format {layout.FORMAT}; {fix}.")
    if found != layout.FORMAT:
        raise BundleError(f"{path} is a block filter of format {found}, which this version does "
                          f"not read (it reads {layout.FORMAT}); {fix}.")
    layout_used = (manifest.get("key"), manifest.get("filter_masks"),
                   manifest.get("tail_bits"))
    if layout_used != _LAYOUT:
        raise BundleError(f"{path} was built with another key or layout {layout_used} than "
                          f"this version's {_LAYOUT}; {fix}.")


def _map(path: Path, dtype: str, count: int, *, random: bool) -> np.ndarray:
    expected = count * np.dtype(dtype).itemsize
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise BundleError(f"{path} is missing ({exc.strerror}); rebuild the block filter.") from exc
    if size != expected:
        raise BundleError(f"{path} holds {size} bytes where the manifest implies {expected}; "
                          "rebuild the block filter.")
    if expected == 0:
        return np.zeros(0, dtype=dtype)
    with path.open("rb") as handle:
        mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    if random:
        mapped.madvise(mmap.MADV_RANDOM)  # lookups jump about: no read-ahead around each
    return np.frombuffer(mapped, dtype=dtype)


class BlockFilter:
    """A block filter folder: the Bloom words, the bucketed key table, the SHA-256 confirmations
    and the map back to (reference, block)."""

    def __init__(self, path: Path, manifest: dict[str, Any], raw: bytes) -> None:
        self.path = path
        self.manifest = manifest
        self.raw_manifest = raw
        self.name = str(manifest["name"])
        self.version = str(manifest["version"])
        self.categories = [str(c) for c in manifest.get("categories") or []]
        blocks = int(manifest["counts"]["blocks"])
        references = int(manifest["counts"]["references"])
        self.word_bits = int(manifest["filter_words_log2"])
        self.bucket_bits = int(manifest["bucket_bits"])
        rows_max = int(manifest["bucket_rows_max"])
        if not (1 <= self.word_bits <= 40 and 1 <= self.bucket_bits <= 40) or blocks < 0 \
                or not 0 <= rows_max <= min(blocks, layout.MAX_BUCKET_ROWS):
            raise BundleError(f"{path / mf.MANIFEST} has invalid filter sizes; rebuild it.")
        self.false_hits = {str(k): float(v) for k, v in manifest["false_hits"].items()}
        unlisted = [n for n in (*ARRAYS, mf.REFS_TEXT, mf.REFS_OFFSETS)
                    if n not in manifest["files"]]
        if unlisted:
            raise BundleError(f"{path} has files its manifest does not cover: {unlisted}.")
        counts = {"words": 1 << self.word_bits, "starts": (1 << self.bucket_bits) + 1,
                  "tails": blocks, "confirms": blocks, "refs": blocks, "blocks": blocks,
                  "ref_kept": references, "ref_sizes": references,
                  "ref_categories": references}
        arrays = {name: _map(path / name, dtype, counts[name], random=name != "ref_kept")
                  for name, dtype in ARRAYS.items()}
        self._words, self._starts, self._tails = arrays["words"], arrays["starts"], arrays["tails"]
        self._hot_words: np.ndarray | None = None
        self.confirms = arrays["confirms"]
        self.refs, self.blocks = arrays["refs"], arrays["blocks"]
        self.ref_kept, self.ref_sizes = arrays["ref_kept"], arrays["ref_sizes"]
        self.ref_categories = arrays["ref_categories"]
        self._count = blocks
        self._masks = layout.masks()
        self._mask_low = (1 << layout.MASK_BITS) - 1
        self._word_shift = 64 - self.word_bits
        self._bucket_shift = np.uint64(64 - self.bucket_bits)
        self._tail_left = np.uint64(self.bucket_bits)
        self._tail_right = np.uint64(64 - layout.TAIL_BITS)
        self._ref_offsets = _map(path / mf.REFS_OFFSETS, "<u8", references + 1, random=True)

    @classmethod
    def open(cls, path: Path) -> BlockFilter:
        """Map a filter folder; raises BundleError (one sentence) when it cannot be used."""
        try:
            raw = (path / mf.MANIFEST).read_bytes()
            manifest = json.loads(raw.decode("utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise BundleError(f"{path / mf.MANIFEST} cannot be read ({exc}); rebuild the "
                              "block filter.") from exc
        _refuse_format(path, manifest)
        for name in manifest.get("files") or {}:
            if not isinstance(name, str) or "/" in name or "\\" in name or name.startswith("."):
                raise BundleError(f"{path} names an invalid file {name!r}; rebuild it.")
        try:
            return cls(path, manifest, raw)
        except (KeyError, TypeError, ValueError) as exc:
            raise BundleError(f"{path / mf.MANIFEST} is malformed ({exc!r}); rebuild the "
                              "block filter.") from exc

    def __len__(self) -> int:
        return self._count

    @property
    def reference_count(self) -> int:
        return len(self.ref_kept)

    # -- trust -------------------------------------------------------------------------------

    def check_files(self) -> list[str]:
        """Problems found by re-hashing every file against the manifest (empty when intact)."""
        return mf.altered_files(self.path, self.manifest["files"], f"block filter {self.name!r}")

    def check_signature(self, trusted: dict[str, Ed25519PublicKey] | None
                        ) -> signing.SignatureCheck:
        return signing.check(self.path, self.raw_manifest, trusted, f"{self.name} (blocks)")

    # -- lookup ------------------------------------------------------------------------------

    def candidates(self, keys: np.ndarray) -> np.ndarray:
        """Indexes of the keys that pass the Bloom filter (every known block, and a stated small
        share of the others that the key table then rules out). `keys`: contiguous uint64."""
        hot = self._hot_words if self._hot_words is not None else self._load_words()
        if USE_PROBE:
            # One call a chunk, each key's word prefetched dozens of keys ahead (_probe.c).
            try:
                found = _probe.candidates(hot, self._masks, keys)
            except (BufferError, ValueError):  # a strided or unaligned view: copied (a chunk's
                # keys never are one; any other error is raised again here)
                found = _probe.candidates(hot, self._masks, np.require(keys, None, "CA"))
            return np.frombuffer(found, dtype=np.intp)
        # Per 4 MiB chunk (1,024 keys) numpy's per-call cost dominates, so: as few calls as
        # possible, int64 indexes (a uint64 index array is converted first), the ndarray.take
        # method (np.take's wrapper costs ~10% of the whole test) and ndarray.nonzero
        # (np.flatnonzero costs ~8x more at this size).
        signed = keys.view(np.int64)
        # The signed view's top bits index the words from both ends (numpy's negative indexes):
        # the same word as the unsigned top bits the lab used.
        words = hot.take(signed >> self._word_shift)
        masks = self._masks.take(signed & self._mask_low)
        words &= masks
        return (words == masks).nonzero()[0]

    def _load_words(self) -> np.ndarray:
        """The Bloom words for lookups: large ones read (not through the mapping, so their file
        pages are never counted twice) into anonymous memory advised to use huge pages."""
        if self._words.nbytes < HUGE_PAGES_MIN or not hasattr(mmap, "MADV_HUGEPAGE"):
            self._hot_words = self._words
            return self._hot_words
        region = mmap.mmap(-1, self._words.nbytes, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
        region.madvise(mmap.MADV_HUGEPAGE)
        with (self.path / "words").open("rb") as handle:
            if handle.readinto(region) != self._words.nbytes:  # type: ignore[arg-type]
                raise BundleError(f"{self.path / 'words'} changed while being read; rebuild the "
                                  "block filter.")
        self._hot_words = np.frombuffer(region, dtype="<u8")
        return self._hot_words

    def find_keys(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(indexes into `keys`, rows) of the keys present in the filter (on the key's top
        bucket_bits + 32 bits), before confirmation; an index may repeat in the rare case two
        rows share those bits (the SHA-256 confirmation tells them apart)."""
        keys = np.ascontiguousarray(keys, dtype=np.uint64)
        cand = self.candidates(keys)
        if not len(cand):
            return _EMPTY_INDEX, _EMPTY_ROWS
        which, rows = self.table_rows(keys.take(cand))
        return cand.take(which), rows

    def table_rows(self, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The key table's stage alone, for keys that passed `candidates`: (indexes into
        `wanted`, rows) whose top bucket_bits + 32 bits match."""
        if USE_PROBE:
            owners, rows = _probe.table_rows(self._starts, self._tails,
                                             np.require(wanted, np.uint64, "CA"),
                                             layout.TAIL_BITS)
            return np.frombuffer(owners, dtype=np.intp), np.frombuffer(rows, dtype=np.int64)
        bucket = (wanted >> self._bucket_shift).view(np.int64)
        first = self._starts.take(bucket).astype(np.int64)
        sizes = self._starts.take(bucket + 1) - first
        total = int(sizes.sum())
        if not total:
            return _EMPTY_INDEX, _EMPTY_ROWS
        # Every row of each key's bucket, flattened (~10 a bucket; a fixed window as wide as
        # the fullest bucket did 3x the work): which key, which row.
        owner = np.repeat(np.arange(len(wanted)), sizes)
        rows = np.arange(total, dtype=np.int64) + np.repeat(first - (np.cumsum(sizes) - sizes),
                                                            sizes)
        tail = ((wanted << self._tail_left) >> self._tail_right).astype(np.uint32)
        same = self._tails.take(rows) == tail.take(owner)
        return owner[same], rows[same]

    def find(self, keys: np.ndarray, confirms: np.ndarray) -> np.ndarray:
        """Row of each (key, confirm) pair in the filter, or -1; both uint64 arrays."""
        rows = np.full(len(keys), -1, dtype=np.int64)
        index, found = self.find_keys(keys)
        same = self.confirms[found] == confirms[index]
        rows[index[same]] = found[same]
        return rows

    def reference(self, ref: int) -> str:
        start, stop = int(self._ref_offsets[ref]), int(self._ref_offsets[ref + 1])
        with (self.path / mf.REFS_TEXT).open("rb") as handle:
            handle.seek(start)
            return handle.read(stop - start).decode("utf-8", errors="replace")

    def category(self, ref: int) -> str | None:
        index = int(self.ref_categories[ref])
        return self.categories[index - 1] if 0 < index <= len(self.categories) else None
