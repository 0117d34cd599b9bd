"""Which blocks of a known file can identify it: non-probative blocks are dropped at the lab."""

from __future__ import annotations

from enum import StrEnum

import numpy as np

from triage.blocks.policy import BLOCK_SIZE, ENTROPY_MIN_BITS, PERIODS, RAMP_FRACTION


class Dropped(StrEnum):
    """Why a block of a reference file is not in the filter (counted in the statistics)."""

    CONSTANT = "constant or repeating pattern"
    RAMP = "ramp of counting integers"
    LOW_ENTROPY = "low entropy"
    SHARED = "shared by several reference files"
    REPEATED = "repeated inside its own file"
    KNOWN_GOOD = "found in the known-good corpus"
    CAPPED = "over the per-file limit"


def _entropy_bits(blocks: np.ndarray) -> np.ndarray:
    """Shannon entropy in bits per byte of each row of an (n, 4096) uint8 array."""
    n = len(blocks)
    flat = (np.arange(n, dtype=np.int64)[:, None] * 256 + blocks).ravel()
    counts = np.bincount(flat, minlength=n * 256).reshape(n, 256).astype(np.float64)
    p = counts / BLOCK_SIZE
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * np.log2(p), 0.0)
    return -terms.sum(axis=1)


def classify(blocks: np.ndarray) -> list[Dropped | None]:
    """For each row of an (n, 4096) uint8 array: why it is dropped, or None to keep it."""
    n = len(blocks)
    reasons: list[Dropped | None] = [None] * n
    if n == 0:
        return reasons
    periodic = np.zeros(n, dtype=bool)
    for period in PERIODS:
        periodic |= (blocks[:, period:] == blocks[:, :-period]).all(axis=1)
    words = blocks.view("<u4")
    ramp = (np.diff(words.astype(np.int64), axis=1) == 1).mean(axis=1) > RAMP_FRACTION
    low = _entropy_bits(blocks) < ENTROPY_MIN_BITS
    for i in range(n):
        if periodic[i]:
            reasons[i] = Dropped.CONSTANT
        elif ramp[i]:
            reasons[i] = Dropped.RAMP
        elif low[i]:
            reasons[i] = Dropped.LOW_ENTROPY
    return reasons
