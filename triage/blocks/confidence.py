"""What a sampled quick pass can promise: the chance it finds a known file of a given size."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from triage.blocks.filter import BlockFilter
from triage.blocks.policy import BLOCK_SIZE, RED_MIN_BLOCKS, SAMPLE_UNIT

# Sizes the report states the confidence for, besides the set's smallest findable file.
STATED_SIZES = (100_000, 1_000_000, 10_000_000)


def sampled_units(total_units: int, fraction: float, seed: int) -> np.ndarray:
    """Indexes of the sample units read: each independently with probability `fraction`."""
    rng = np.random.default_rng(seed)
    return np.flatnonzero(rng.random(total_units) < fraction)


def units_holding(size: int, unit: int = SAMPLE_UNIT) -> int:
    """Fewest sample units a contiguous file of `size` bytes can lie in (at least one)."""
    return max(1, math.ceil(size / unit))


def detection(fraction: float, units: int) -> float:
    """Chance that at least one of `units` units is sampled: 1 - (1 - p)^units."""
    return 1.0 - (1.0 - fraction) ** units


def statement(filters: list[BlockFilter], fraction: float, unit: int = SAMPLE_UNIT
              ) -> dict[str, Any]:
    """The stated confidence of a pass sampling `fraction` of the disk in units of `unit`.

    A file is found (at least an AMBER lead) when any unit holding one of its distinctive
    blocks is read; with independent units that is 1 - (1 - p)^u for u units. A contiguous file
    of S bytes lies in at least ceil(S / unit) units, so this is a lower bound; a fragmented
    file lies in more. Reaching RED also needs RED_MIN_BLOCKS of its blocks in the units read.
    """
    smallest = None
    for blocks in filters:
        findable = np.flatnonzero(np.asarray(blocks.ref_kept) > 0)
        if len(findable):
            sizes = np.asarray(blocks.ref_sizes)[findable]
            size = int(sizes.min())
            smallest = size if smallest is None else min(smallest, size)
    rows = []
    for size in ([smallest] if smallest else []) + list(STATED_SIZES):
        units = units_holding(size, unit)
        rows.append({"size": size, "units": units, "detection": detection(fraction, units),
                     "smallest_in_set": size == smallest})
    rows.sort(key=lambda r: (r["size"], not r["smallest_in_set"]))
    sentences = [f"a known file of {r['size']:,} bytes or more would be found with probability "
                 f">= {100 * r['detection']:.1f}%" for r in rows]
    return {
        "fraction": fraction, "unit": unit, "block_size": BLOCK_SIZE,
        "red_min_blocks": RED_MIN_BLOCKS, "by_size": rows,
        "text": (f"Sampling {100 * fraction:g}% of the disk in {unit // 1024:,} KiB units: "
                 + "; ".join(sentences) + " (contiguous files; 1 - (1-p)^u for the u units "
                 "holding the file; a lead, RED needs " f"{RED_MIN_BLOCKS} of its blocks)."),
    }
