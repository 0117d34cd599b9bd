"""A block filter on disk: its files, its signed manifest, writing it all or nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np

from triage import keys
from triage.blocks.build import BuildStats, Compiled
from triage.blocks.digest import KEY_NAME
from triage.blocks.policy import (
    BLOCK_SIZE,
    FILTER_BITS_PER_BLOCK,
    MAX_FILTER_BITS,
    MIN_FILTER_BITS,
    RED_MIN_BLOCKS,
)
from triage.files import sha256_file
from triage.hashdb import manifest as mf
from triage.hashdb import signing
from triage.hashdb.build import atomic_directory, check_name
from triage.model import utc_text

FORMAT = "triage-blockfilter/1"
PROBES = 2  # bits per key in the filter, recorded in the manifest
# Filters live beside the bundles, in this folder of the hash-set folder (hashsets/blocks/NAME).
BLOCKS_DIR = "blocks"
# One file per array; the manifest pins each by size and SHA-256 (dtype, what it holds).
ARRAYS: dict[str, str] = {
    "keys": "<u8",  # each kept block's 64-bit key (triage/blocks/digest.py), sorted
    "confirms": "<u8",  # first 8 bytes of its SHA-256, same order: a hit stands on 128 bits
    "refs": "<u4",  # reference file of each block
    "blocks": "<u4",  # block number inside that file
    "ref_kept": "<u4",  # distinctive blocks kept per reference file
    "ref_sizes": "<u8",  # size of each reference file
    "ref_categories": "<u2",  # 1-based category index per reference, 0 for none
    "bits": "u1",  # the in-memory filter: two bits set per key (see `slots`)
}


def filter_bits(count: int) -> int:
    """Bits of the in-memory filter for `count` blocks: a power of two (see policy)."""
    wanted = max(MIN_FILTER_BITS, count * FILTER_BITS_PER_BLOCK)
    return min(MAX_FILTER_BITS, 1 << (wanted - 1).bit_length())


def slots(keys: np.ndarray, bits: int) -> tuple[np.ndarray, np.ndarray]:
    """The two filter bits of each key: its top and its bottom log2(bits) bits (a Bloom filter
    with two probes: ~0.1% of unknown blocks pass at 1,000,000 references, not ~2%)."""
    width = bits.bit_length() - 1
    return keys >> np.uint64(64 - width), keys & np.uint64(bits - 1)


def make_bits(keys_sorted: np.ndarray, bits: int) -> np.ndarray:
    """The filter: both bits of every key set."""
    out = np.zeros(bits // 8, dtype=np.uint8)
    for probe in slots(keys_sorted, bits):
        # ufunc.at with repeated bytes ORs them all in (and is ~7x faster than np.unique here).
        np.bitwise_or.at(out, (probe >> np.uint64(3)).astype(np.intp),
                         np.left_shift(1, (probe & np.uint64(7)).astype(np.uint8)).astype(np.uint8))
    return out


def _write(path: Path, array: np.ndarray) -> None:
    with path.open("wb") as handle:
        handle.write(np.ascontiguousarray(array).tobytes())


def write_filter(target: Path, *, name: str, version: str, source: str, compiled: Compiled,
                 references: list[str], categories: list[str], stats: BuildStats,
                 signer: keys.SigningKey | None = None, replace: bool = False,
                 now: dt.datetime | None = None) -> Path:
    """Write a filter folder at `target`, all or nothing, signed when a key is given."""
    check_name(name)
    bits = filter_bits(len(compiled.keys))
    arrays = {"keys": compiled.keys, "confirms": compiled.confirms, "refs": compiled.refs,
              "blocks": compiled.blocks, "ref_kept": compiled.ref_kept,
              "ref_sizes": compiled.ref_sizes, "ref_categories": compiled.ref_categories,
              "bits": make_bits(compiled.keys, bits)}
    with atomic_directory(target, replace=replace) as work:
        for key, array in arrays.items():
            _write(work / key, array.astype(ARRAYS[key]))
        encoded = [ref.replace("\n", " ").encode("utf-8") for ref in references]
        offsets = np.zeros(len(encoded) + 1, dtype="<u8")
        np.cumsum([len(item) for item in encoded], out=offsets[1:])
        (work / mf.REFS_TEXT).write_bytes(b"".join(encoded))
        _write(work / mf.REFS_OFFSETS, offsets)
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "name": name,
            "version": version,
            "kind": "notable",
            "source": source,
            "created": utc_text(now),
            "block_size": BLOCK_SIZE,
            "key": KEY_NAME,
            "red_min_blocks": RED_MIN_BLOCKS,
            "filter_bits": bits,
            "filter_probes": PROBES,
            "counts": {"blocks": int(len(compiled.keys)), "references": len(references)},
            "categories": categories,
            "stats": stats.to_dict(),
            "files": {path.name: {"size": path.stat().st_size, "sha256": sha256_file(path)}
                      for path in sorted(work.iterdir())},
        }
        raw = mf.encode(manifest)
        (work / mf.MANIFEST).write_bytes(raw)
        if signer is not None:
            signing.sign(work, raw, signer)
    return target
