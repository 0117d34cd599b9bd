"""The streamed build: rows spilled to key-range partitions and merged one at a time give the
filter a plain in-memory computation gives, with the per-file limit counted in the statistics."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from triage.blocks import spill
from triage.blocks.build import FilterBuilder
from triage.blocks.digest import block_digests
from triage.blocks.filter import BlockFilter
from triage.blocks.policy import BLOCK_SIZE
from triage.blocks.probative import Dropped
from triage.blocks.store import BLOCKS_DIR, write_filter


def test_spilled_build_equals_a_plain_computation(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spill, "FLUSH_ROWS", 7)  # many flushes, every partition file appended
    rng = np.random.default_rng(5)
    pool = rng.integers(0, 256, (400, BLOCK_SIZE), dtype=np.uint8)
    files: dict[str, bytes] = {}
    for i in range(30):
        # Mostly the file's own blocks, some drawn from a pool every file can share, one
        # repeated inside the file; file 0 is over the limit.
        own = rng.integers(0, 256, (90 if i == 0 else rng.integers(1, 12), BLOCK_SIZE),
                           dtype=np.uint8)
        shared = pool[rng.integers(0, len(pool), 3)]
        blocks = np.concatenate([own, shared, own[:1]])
        files[f"f{i:02d}.jpg"] = blocks.tobytes()
    limit = 40
    builder = FilterBuilder(max_per_file=limit, spill_dir=tmp_path)
    for name, data in files.items():
        builder.add_pieces(iter([data[:5 * BLOCK_SIZE], data[5 * BLOCK_SIZE:]]), name, "A")
    path = write_filter(tmp_path / BLOCKS_DIR / "s", name="s", version="1", source="t",
                        compiled=builder.compile(), references=builder.references,
                        categories=builder.categories, stats=builder.stats)
    blocks = BlockFilter.open(path)

    # The same rules by hand: per file its first copies, capped evenly; then keys held by
    # two files go.
    chosen: dict[int, tuple[int, int, int]] = {}  # key -> (ref, block number, confirm)
    owners: dict[int, set[int]] = {}
    capped = 0
    for ref, data in enumerate(files.values()):
        keys, confirms = block_digests(data)
        firsts = [n for n, k in enumerate(keys.tolist()) if k not in keys[:n].tolist()]
        if len(firsts) > limit:
            capped += len(firsts) - limit
            firsts = [firsts[int(round(x))] for x in np.linspace(0, len(firsts) - 1, limit)]
        for n in firsts:
            owners.setdefault(int(keys[n]), set()).add(ref)
            chosen.setdefault(int(keys[n]), (ref, n, int(confirms[n])))
    expected = sorted(v for k, v in chosen.items() if len(owners[k]) == 1)
    got = sorted(zip(blocks.refs.tolist(), blocks.blocks.tolist(), blocks.confirms.tolist(),
                     strict=True))
    assert got == expected
    assert blocks.ref_kept.tolist() == [sum(1 for e in expected if e[0] == r)
                                        for r in range(len(files))]
    stats = blocks.manifest["stats"]
    assert stats["kept"] == len(expected) and stats["capped_files"] == 1
    assert stats["dropped"][str(Dropped.CAPPED)] == capped >= 90 - limit
    assert list(tmp_path.glob("triage-blocks-*")) == []  # the spill is removed
    for name, data in files.items():
        keys, confirms = block_digests(data)
        rows = blocks.find(keys, confirms)
        ref = builder.references.index(name)
        # (the file's repeated block finds its first copy's row too)
        assert set(blocks.blocks[rows[rows >= 0]].tolist()) == {
            e[1] for e in expected if e[0] == ref}
