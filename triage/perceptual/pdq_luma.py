"""PDQ from a luma array in numpy: Meta's filter, DCT, median bits and quality, with no copies.

Meta's C++ PDQ (which the `pdqhash` wheel wraps) blurs the whole luma plane with two passes of
Jarosz box filters, keeps 64x64 samples, takes 16x16 DCT terms and sets the bits above their
median. Every step before the median is linear, so the blur and the sampling fold into two small
sparse matrices (64 x rows, 64 x cols) built once per picture size, and the 64x64 samples
are `left @ luma @ right.T`. That reads each pixel once, where the wrapper converts RGB to float64,
filters four full planes, and runs 3-5x slower on power-of-two widths (cache aliasing: 20 ms at
1024x768 against 4 ms at 1000x750). Bits agree with `pdqhash` on the same luma up to float
rounding at the median (tests/perceptual/test_pdq_luma.py pins how far).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import scipy.sparse

_OUT = 64  # PDQ samples the blurred picture on a 64x64 grid
_TERMS = 16  # and keeps 16x16 DCT terms, skipping the constant one
_PASSES = 2  # PDQ_NUM_JAROSZ_XY_PASSES in pdqhashing.cpp
_MIN_SIDE = 5  # MIN_HASHABLE_DIM: smaller pictures hash to all zeros with quality 0


def _window(old: int) -> int:
    """computeJaroszFilterWindowSize(old, 64) in downscaling.cpp."""
    return (old + 2 * _OUT - 1) // (2 * _OUT)


def _bounds(n: int) -> tuple[np.ndarray, np.ndarray]:
    """box1DFloat's window [lo, hi) around each of n positions (clipped at both ends)."""
    full = _window(n)
    half = (full + 2) // 2
    k = np.arange(n)
    return np.maximum(0, k - (full - half)), np.minimum(n, k + half)


@lru_cache(maxsize=512)
def _sampler(n: int) -> scipy.sparse.csr_matrix:
    """(64, n) float32: the two Jarosz passes along one axis of length n, then decimateFloat.

    Sparse (each sample reads about 4 windows of pixels), which also keeps the product off
    OpenBLAS: its threads made hashing 3-4x slower with two workers on a busy machine.

    Sample rows of B @ B are rows of (B.T @ B.T @ one-hot), computed as the transposed box
    filter does it (add at each window's start, subtract at its end, running sum), in the same
    float64 operations in the same order, but only over each sample's own band of columns
    instead of whole (n, 64) planes: the first pass of a one-hot is exactly 1/width on one
    window, and everything before a band is exactly zero. 12x faster with the same bits
    (test_pdq_luma.py compares it with the whole-plane form for every n it checks), which
    matters because every new picture size (and every trimmed or sub-region box) needs one.
    """
    lo, hi = _bounds(n)
    width = hi - lo
    picked = ((np.arange(_OUT) + 0.5) * n / _OUT).astype(np.int64)  # decimateFloat's rows
    first = 1.0 / width[picked]  # pass 1: the box over one window
    offsets = np.arange(int(width[picked].max()))
    valid = offsets[None, :] < width[picked][:, None]
    k = np.where(valid, lo[picked][:, None] + offsets[None, :], 0)  # pass 2's inputs
    spread = first[:, None] / width[k]
    start = lo[lo[picked]]  # where each sample's band begins
    span = int((hi[hi[picked] - 1] - start).max()) + 2
    steps = np.zeros((_OUT, span + 1))
    row = np.broadcast_to(np.arange(_OUT)[:, None], k.shape)[valid]
    # np.add.at keeps box1DFloat's order where several windows start at 0 (clipped).
    np.add.at(steps, (row, (lo[k] - start[:, None])[valid]), spread[valid])
    np.add.at(steps, (row, (hi[k] - start[:, None])[valid]), -spread[valid])
    values = np.cumsum(steps, axis=1)[:, :span]
    columns = start[:, None] + np.arange(span)[None, :]
    # The running sums leave ~1e-17 where a window ended; a real weight is >= 1 / window**2.
    keep = (np.abs(values) >= 1e-9) & (columns < n)
    indptr = np.concatenate(([0], np.cumsum(keep.sum(axis=1))))
    return scipy.sparse.csr_matrix(
        (values[keep].astype(np.float32), columns[keep], indptr), shape=(_OUT, n)
    )


def _sampler_planes(n: int) -> scipy.sparse.csr_matrix:
    """_sampler the way Meta's filter reads: two transposed box passes over whole (n, 64)
    planes. 12x slower; kept as the definition the tests hold _sampler to."""
    lo, hi = _bounds(n)
    picked = np.zeros((n, _OUT))  # transposed: one column per sample
    picked[((np.arange(_OUT) + 0.5) * n / _OUT).astype(np.int64), np.arange(_OUT)] = 1.0
    for _ in range(_PASSES):  # samples of B @ B @ x are rows of (B.T @ B.T @ picked).T
        spread = picked / (hi - lo)[:, None]
        steps = np.zeros((n + 1, _OUT))
        np.add.at(steps, lo, spread)
        np.add.at(steps, hi, -spread)
        picked = np.cumsum(steps, axis=0)[:n]
    picked[np.abs(picked) < 1e-9] = 0.0
    return scipy.sparse.csr_matrix(picked.T.astype(np.float32))


def _dct_matrix() -> np.ndarray:
    """dct64To16's matrix: DCT-II rows 1..16 of 64 (row 0, the mean, carries no pattern)."""
    i = np.arange(1, _TERMS + 1)[:, None]
    j = np.arange(_OUT)[None, :]
    return (np.sqrt(2.0 / _OUT) * np.cos(np.pi / 2 / _OUT * i * (2 * j + 1))).astype(np.float32)


_DCT = _dct_matrix()
# The first index is DCT term 1, so "odd term" (negated by a mirror) is an even index here.
_NEG = np.where(np.arange(_TERMS) % 2 == 0, -1.0, 1.0).astype(np.float32)
_FLIP_COLS = _NEG[None, :]  # mirror left-right negates odd horizontal terms
_FLIP_ROWS = _NEG[:, None]  # mirror top-bottom negates odd vertical terms


def samples(luma: np.ndarray) -> np.ndarray:
    """The 64x64 float32 grid PDQ hashes, from a 2-D luma array of any numeric type."""
    rows, cols = luma.shape
    band = _sampler(rows) @ luma.astype(np.float32, copy=False)  # (64, cols)
    return np.asarray((_sampler(cols) @ band.T).T, dtype=np.float32)


def quality(grid: np.ndarray) -> int:
    """computePDQImageDomainQualityMetric: summed neighbour differences, 0 (flat) to 100."""
    down = np.trunc((grid[:-1, :] - grid[1:, :]) * 100 / 255)
    across = np.trunc((grid[:, :-1] - grid[:, 1:]) * 100 / 255)
    total = int(np.abs(down).sum() + np.abs(across).sum())
    return min(100, total // 90)


def _bits(terms: np.ndarray) -> bytes:
    """pdqBuffer16x16ToBits packed as pdqhash's vector is: bit k = term k > the lower median,
    with bit 255 first."""
    flat = terms.ravel()
    median = np.partition(flat, _TERMS * _TERMS // 2 - 1)[_TERMS * _TERMS // 2 - 1]
    return np.packbits((flat > median)[::-1]).tobytes()


def dihedral(luma: np.ndarray) -> tuple[list[bytes], int]:
    """The 8 dihedral PDQ hashes (order: dihedral.DIHEDRAL_NAMES) and the quality of a luma array.

    A flip only negates odd DCT terms and a transpose transposes them, so all eight come from
    one 16x16 block, as in pdqDihedralHash256esFromFloatLuma.
    """
    if min(luma.shape) < _MIN_SIDE:
        return [bytes(32)] * 8, 0
    grid = samples(luma)
    terms = _DCT @ grid @ _DCT.T
    variants = (
        terms,
        (terms * _FLIP_COLS).T,  # rotate90 (counter-clockwise) = transpose of a left-right flip
        terms * _FLIP_COLS * _FLIP_ROWS,
        (terms * _FLIP_ROWS).T,
        terms * _FLIP_ROWS,
        terms * _FLIP_COLS,
        terms.T,
        (terms * _FLIP_COLS * _FLIP_ROWS).T,
    )
    return [_bits(v) for v in variants], quality(grid)


def hash_one(luma: np.ndarray) -> tuple[bytes, int]:
    """The PDQ hash (picture as stored, no flips) and quality of a luma array: what sub-regions
    need, at an eighth of the bit work of `dihedral`."""
    if min(luma.shape) < _MIN_SIDE:
        return bytes(32), 0
    grid = samples(luma)
    return _bits(_DCT @ grid @ _DCT.T), quality(grid)
