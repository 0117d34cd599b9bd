"""Radius search over binary hashes by multi-index hashing: exact, fast, memory-mappable.

Pigeonhole: split each hash into m chunks; if two hashes differ in at most r bits, some chunk
differs in at most floor(r / m) bits. So each chunk gets a table (chunk value -> sorted list of
reference rows); a query probes every value within floor(r / m) bits of each of its chunks and
checks the full distance of what it finds. Recall is 1.0 by construction; speed depends on how
evenly real hashes fill the tables, which bench/perceptual/index_bench.py measures.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True, slots=True)
class Layout:
    """How a hash of `nbits` is cut into chunks for a radius; chosen per algorithm by the bench."""

    nbits: int
    widths: tuple[int, ...]  # chunk widths in bits, summing to nbits
    radius: int  # the largest radius the probes cover

    def __post_init__(self) -> None:
        if sum(self.widths) != self.nbits:
            raise ValueError(f"chunk widths {self.widths} do not add up to {self.nbits} bits")
        if max(self.widths) > 24:
            raise ValueError("chunks wider than 24 bits make tables too large for the stick")

    @property
    def probe_bits(self) -> int:
        return self.radius // len(self.widths)


# Chosen by bench/perceptual/index_bench.py (1,000,000 hashes, 2 cores): 16-bit chunks keep
# each table at 65,536 rows (256 KiB); radius 31 needs only 1-bit probes (17 per chunk), and
# the decision rule's 47 (thresholds.PDQ_NEAR_DISTANCE) 2-bit probes (137 per chunk). A search
# at a smaller radius uses only the probes that radius needs.
PDQ_LAYOUT = Layout(nbits=256, widths=(16,) * 16, radius=47)
# pHash at radius 10: four 16-bit chunks with 2-bit probes beat three 21-22-bit chunks with
# 3-bit probes (5,400 table reads per query, and 6x the disk) by 2x in the same bench.
PHASH_LAYOUT = Layout(nbits=64, widths=(16,) * 4, radius=10)
# Up to this many (query, reference) pairs a search compares every pair directly: the chunk
# tables cost ~0.2-0.5 ms a search in numpy calls whatever the set's size, while checking every
# pair costs 14 us for 8 queries against 10 references and 256 us against 4,000 (measured on
# the scan's machine). Small sets (a lab's case set of a few hundred pictures) are the common
# case, and each picture is searched ~4 times per set. Same answer either way (test_index.py).
SCAN_PAIRS = 32_768


def _masks(width: int, max_bits: int) -> np.ndarray:
    """Every XOR mask over `width` bits with at most `max_bits` bits set, fewest bits first."""
    out = [0]
    for k in range(1, max_bits + 1):
        for combo in itertools.combinations(range(width), k):
            out.append(sum(1 << b for b in combo))
    return np.array(out, dtype=np.int64)


def _chunk_keys(codes: np.ndarray, widths: tuple[int, ...]) -> np.ndarray:
    """(n, m) integer chunk values of (n, nbytes) uint8 hashes, most significant bit first."""
    unpacked = np.unpackbits(codes, axis=1).astype(np.int64)
    keys = np.empty((codes.shape[0], len(widths)), dtype=np.int64)
    start = 0
    for c, width in enumerate(widths):
        weights = 1 << np.arange(width - 1, -1, -1, dtype=np.int64)
        keys[:, c] = unpacked[:, start : start + width] @ weights
        start += width
    return keys


def _distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise Hamming distances of two (n, words) uint64 arrays."""
    # np.take and column-wise sums: several times faster than fancy indexing and .sum(axis=1).
    diff = np.bitwise_count(a ^ b)
    dist = diff[:, 0].astype(np.int16)
    for col in range(1, diff.shape[1]):
        dist += diff[:, col]
    return dist


def _words(codes: np.ndarray) -> np.ndarray:
    """View (n, nbytes) uint8 hashes as (n, nbytes/8) uint64 words for XOR + popcount."""
    return np.ascontiguousarray(codes).view(np.uint64)


class RadiusIndex:
    """Hashes (n, nbits/8 uint8) with one chunk table per chunk; search returns exact matches."""

    def __init__(
        self, layout: Layout, codes: np.ndarray, offsets: list[np.ndarray], ids: list[np.ndarray]
    ) -> None:
        self.layout = layout
        self.codes = codes
        self._words = _words(codes)
        self._offsets = offsets
        self._ids = ids
        self._masks = [_masks(w, layout.probe_bits) for w in layout.widths]

    def __len__(self) -> int:
        return int(self.codes.shape[0])

    @classmethod
    def build(cls, layout: Layout, codes: np.ndarray) -> RadiusIndex:
        """Build the chunk tables (the lab does this once; the stick memory-maps the result)."""
        codes = np.ascontiguousarray(codes, dtype=np.uint8)
        if codes.ndim != 2 or codes.shape[1] * 8 != layout.nbits:
            raise ValueError(f"expected an (n, {layout.nbits // 8}) array of hash bytes")
        keys = _chunk_keys(codes, layout.widths)
        offsets, ids = [], []
        for c, width in enumerate(layout.widths):
            order = np.argsort(keys[:, c], kind="stable").astype(np.int32)
            counts = np.bincount(keys[:, c], minlength=1 << width)
            # int32: a set of 2**31 hashes would not fit on the stick anyway; halves the tables.
            offsets.append(np.concatenate(([0], np.cumsum(counts))).astype(np.int32))
            ids.append(order)
        return cls(layout, codes, offsets, ids)

    def save(self, directory: Path, prefix: str) -> list[Path]:
        """Write the index as .npy files named `prefix`*, returning the paths written."""
        written = [directory / f"{prefix}_codes.npy"]
        np.save(written[0], self.codes)
        for c in range(len(self.layout.widths)):
            for kind, array in (("offsets", self._offsets[c]), ("ids", self._ids[c])):
                path = directory / f"{prefix}_{kind}{c}.npy"
                np.save(path, array)
                written.append(path)
        return written

    @classmethod
    def load(cls, layout: Layout, directory: Path, prefix: str) -> RadiusIndex:
        """Memory-map a saved index; ValueError if the files do not fit together."""
        codes = np.load(directory / f"{prefix}_codes.npy", mmap_mode="r")
        offsets, ids = [], []
        for c, width in enumerate(layout.widths):
            off = np.load(directory / f"{prefix}_offsets{c}.npy", mmap_mode="r")
            idx = np.load(directory / f"{prefix}_ids{c}.npy", mmap_mode="r")
            if off.shape != ((1 << width) + 1,) or idx.shape != (codes.shape[0],):
                raise ValueError(f"index table {prefix} chunk {c} does not match its hashes")
            if codes.shape[0] and int(off[-1]) != codes.shape[0]:
                raise ValueError(f"index table {prefix} chunk {c} does not count every hash")
            offsets.append(off)
            ids.append(idx)
        return cls(layout, np.asarray(codes), offsets, ids)

    def search(
        self, queries: np.ndarray, radius: int | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All (query row, reference row, distance) with distance <= radius, sorted by query."""
        radius = self.layout.radius if radius is None else radius
        if radius > self.layout.radius:
            raise ValueError(f"this index answers radius <= {self.layout.radius}, not {radius}")
        queries = np.ascontiguousarray(queries, dtype=np.uint8)
        empty = np.empty(0, dtype=np.int64)
        if len(self) == 0 or queries.shape[0] == 0:
            return empty, empty, empty
        qwords = _words(queries)
        if len(self) * queries.shape[0] <= SCAN_PAIRS:
            return self._scan(qwords, radius)
        keys = _chunk_keys(queries, self.layout.widths)
        found_q, found_r, found_d = [], [], []
        probe_bits = radius // len(self.layout.widths)
        for c, width in enumerate(self.layout.widths):
            used = sum(math.comb(width, k) for k in range(probe_bits + 1))
            probes = keys[:, c, None] ^ self._masks[c][None, :used]
            starts = np.take(self._offsets[c], probes).ravel().astype(np.int64)
            counts = np.take(self._offsets[c], probes + 1).ravel() - starts
            total = int(counts.sum())
            if total == 0:
                continue
            # Expand every [start, start + count) range into positions without a Python loop.
            ends = np.cumsum(counts)
            positions = np.arange(total, dtype=np.int64) - np.repeat(ends - counts - starts, counts)
            refs = np.take(self._ids[c], positions)
            qrows = np.repeat(np.arange(queries.shape[0]).repeat(probes.shape[1]), counts)
            dist = _distances(np.take(self._words, refs, axis=0), np.take(qwords, qrows, axis=0))
            near = dist <= radius
            found_q.append(qrows[near])
            found_r.append(refs[near].astype(np.int64))
            found_d.append(dist[near])
        if not found_q:
            return empty, empty, empty
        q = np.concatenate(found_q)
        r = np.concatenate(found_r)
        d = np.concatenate(found_d)
        # A close pair shows up in several chunks; keep it once.
        _, first = np.unique(q * len(self) + r, return_index=True)
        return q[first], r[first], d[first]

    def _scan(self, qwords: np.ndarray, radius: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """`search` by checking every pair, in the same order (by query, then reference)."""
        count = len(self)
        qrows = np.repeat(np.arange(qwords.shape[0], dtype=np.int64), count)
        refs = np.tile(np.arange(count, dtype=np.int64), qwords.shape[0])
        dist = _distances(np.take(self._words, refs, axis=0), np.take(qwords, qrows, axis=0))
        near = dist <= radius
        return qrows[near], refs[near], dist[near]


def brute_force(codes: np.ndarray, queries: np.ndarray, radius: int) -> list[np.ndarray]:
    """Reference rows within `radius` of each query by checking every hash (tests, baselines)."""
    words = _words(np.ascontiguousarray(codes, dtype=np.uint8))
    qwords = _words(np.ascontiguousarray(queries, dtype=np.uint8))
    out = []
    for q in qwords:
        dist = _distances(words, np.broadcast_to(q, words.shape))
        out.append(np.flatnonzero(dist <= radius))
    return out
