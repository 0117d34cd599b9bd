"""A block filter on disk: its files, its signed manifest, writing it all or nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np

from triage import keys
from triage.blocks import layout
from triage.blocks.build import BuildStats, Compiled, FilterBuilder, SpilledBuild, walk_files
from triage.blocks.digest import KEY_NAME
from triage.blocks.policy import BLOCK_SIZE, MAX_BLOCKS_PER_FILE, RED_MIN_BLOCKS
from triage.files import sha256_file
from triage.hashdb import manifest as mf
from triage.hashdb import signing
from triage.hashdb.build import atomic_directory, check_name
from triage.model import utc_text

# Filters live beside the bundles, in this folder of the hash-set folder (hashsets/blocks/NAME).
BLOCKS_DIR = "blocks"
# One file per array; the manifest pins each by size and SHA-256 (dtype, what it holds).
# Format 2 (triage/blocks/layout.py); format 1's full keys and bit filter are gone.
ARRAYS: dict[str, str] = {
    "words": "<u8",  # the Bloom filter: one 64-bit word probed per lookup
    "starts": "<u4",  # first row of each bucket of the key table (2**k + 1)
    "tails": "<u4",  # each kept block's key bits below the bucket's, rows sorted by key
    "confirms": "<u8",  # first 8 bytes of its SHA-256, same order: a hit stands on both
    "refs": "<u4",  # reference file of each block
    "blocks": "<u4",  # block number inside that file
    "ref_kept": "<u4",  # distinctive blocks kept per reference file
    "ref_sizes": "<u8",  # size of each reference file
    "ref_categories": "<u2",  # 1-based category index per reference, 0 for none
}


def _write(path: Path, array: np.ndarray) -> None:
    with path.open("wb") as handle:
        np.ascontiguousarray(array).tofile(handle)  # no second copy of a large array in memory


def _write_names(path: Path, references: list[str]) -> np.ndarray:
    """The reference names, one after another (streamed: a million names are ~70 MB as Python
    objects already); returns each one's start offset and the end."""
    offsets = np.zeros(len(references) + 1, dtype="<u8")
    position = 0
    with path.open("wb") as handle:
        for number, reference in enumerate(references, start=1):
            position += handle.write(reference.replace("\n", " ").encode("utf-8"))
            offsets[number] = position
    return offsets


def write_filter(target: Path, *, name: str, version: str, source: str,
                 compiled: Compiled | SpilledBuild,
                 references: list[str], categories: list[str], stats: BuildStats,
                 signer: keys.SigningKey | None = None, replace: bool = False,
                 now: dt.datetime | None = None) -> Path:
    """Write a filter folder at `target`, all or nothing, signed when a key is given."""
    check_name(name)
    # Sized by the rows before shared blocks go (an upper bound: the build is streamed).
    bound = compiled.count_bound
    wbits, kbits = layout.word_bits(bound), layout.bucket_bits(bound)
    words = np.zeros(1 << wbits, dtype="<u8")
    counts = np.zeros(1 << kbits, dtype=np.uint32)  # 32 MiB at 64 M blocks (int64: 64)
    with atomic_directory(target, replace=replace) as work:
        row_files = {column: (work / column).open("wb")
                     for column in ("tails", "confirms", "refs", "blocks")}
        try:
            for keys_, confirms, refs, blocks in compiled.parts():  # in key order
                layout.bloom_add(words, keys_)
                layout.bucket_count_add(counts, keys_)
                for column, array in (("tails", layout.tails(keys_, kbits)),
                                      ("confirms", confirms), ("refs", refs),
                                      ("blocks", blocks)):
                    np.ascontiguousarray(array, dtype=ARRAYS[column]).tofile(row_files[column])
        finally:
            for handle in row_files.values():
                handle.close()
        count = int(counts.sum())
        candidate_rate = layout.false_candidate_rate(words)
        for column, array in (("words", words), ("starts", layout.bucket_starts(counts)),
                              ("ref_kept", compiled.ref_kept),
                              ("ref_sizes", compiled.ref_sizes),
                              ("ref_categories", compiled.ref_categories)):
            _write(work / column, array.astype(ARRAYS[column], copy=False))
        del words
        _write(work / mf.REFS_OFFSETS, _write_names(work / mf.REFS_TEXT, references))
        manifest: dict[str, Any] = {
            "format": layout.FORMAT,
            "name": name,
            "version": version,
            "kind": "notable",
            "source": source,
            "created": utc_text(now),
            "block_size": BLOCK_SIZE,
            "key": KEY_NAME,
            "red_min_blocks": RED_MIN_BLOCKS,
            "filter_words_log2": wbits,
            "filter_probes": layout.PROBES,
            "filter_masks": layout.MASKS_NAME,
            "bucket_bits": kbits,
            "bucket_rows_max": int(counts.max()),
            "tail_bits": layout.TAIL_BITS,
            # Per unknown block: passes the filter / matches a row / is confirmed (layout.py).
            "false_hits": layout.stated_false_hits(candidate_rate, count, kbits),
            "counts": {"blocks": count, "references": len(references)},
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


def write_folder_filter(folder: Path, target: Path, *, name: str, version: str,
                        category: str | None, signer: keys.SigningKey | None = None,
                        replace: bool = False, known_good: np.ndarray | None = None,
                        max_per_file: int = MAX_BLOCKS_PER_FILE) -> tuple[Path, BuildStats]:
    """The block filter of every file under `folder`, written at `target`; with its tally."""
    builder = FilterBuilder(max_per_file=max_per_file, known_good=known_good)
    for path, reference in walk_files(folder):
        builder.add_file(path, reference, category)
    written = write_filter(target, name=name, version=version, source=f"files in {folder.name}",
                           compiled=builder.compile(), references=builder.references,
                           categories=builder.categories, stats=builder.stats, signer=signer,
                           replace=replace)
    return written, builder.stats
