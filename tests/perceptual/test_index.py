"""The multi-index radius search: exactly the brute-force answer, saved and memory-mapped."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from triage.perceptual.index import PDQ_LAYOUT, PHASH_LAYOUT, Layout, RadiusIndex, brute_force


def _near(rng: np.random.Generator, codes: np.ndarray, flips: int) -> np.ndarray:
    """A copy of each row with `flips` random bits changed."""
    unpacked = np.unpackbits(codes, axis=1)
    for row in unpacked:
        row[rng.choice(row.size, flips, replace=False)] ^= 1
    return np.packbits(unpacked, axis=1)


def _as_sets(q: np.ndarray, r: np.ndarray, nqueries: int) -> list[set[int]]:
    out: list[set[int]] = [set() for _ in range(nqueries)]
    for qi, ri in zip(q.tolist(), r.tolist(), strict=True):
        out[qi].add(ri)
    return out


@pytest.mark.parametrize(
    ("layout", "nbytes", "radius"),
    [(PDQ_LAYOUT, 32, 47), (PDQ_LAYOUT, 32, 31), (PDQ_LAYOUT, 32, 15), (PHASH_LAYOUT, 8, 10)],
)
def test_search_returns_exactly_what_brute_force_finds(
    layout: Layout, nbytes: int, radius: int
) -> None:
    # Radii under the layout's use fewer probes (31: 1-bit, 15: none); recall must stay exact.
    rng = np.random.default_rng(5)
    codes = rng.integers(0, 256, (20_000, nbytes), dtype=np.uint8)
    index = RadiusIndex.build(layout, codes)
    picks = codes[rng.integers(0, len(codes), 60)]
    # Distances straddling the radius, plus unrelated queries.
    queries = np.concatenate(
        [
            _near(rng, picks[:20], radius),
            _near(rng, picks[20:40], radius + 1),
            _near(rng, picks[40:], radius // 2),
            rng.integers(0, 256, (20, nbytes), dtype=np.uint8),
        ]
    )
    q, r, d = index.search(queries, radius)
    expected = [set(rows.tolist()) for rows in brute_force(codes, queries, radius)]
    assert _as_sets(q, r, len(queries)) == expected
    assert all(expected[i] for i in range(20))  # those at the radius are found...
    assert not any(
        expected[i] & {int(np.flatnonzero((codes == picks[i]).all(1))[0])} for i in range(20, 40)
    )  # ...those one bit beyond are not
    pairs = zip(q.tolist(), r.tolist(), strict=True)
    assert d.tolist() == [int(np.unpackbits(codes[ri] ^ queries[qi]).sum()) for qi, ri in pairs]


@pytest.mark.parametrize("size", [1, 7, 300, 5000])
def test_small_sets_checked_pair_by_pair_give_the_tables_answer(
    size: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    import triage.perceptual.index as index_module

    rng = np.random.default_rng(size)
    codes = rng.integers(0, 256, (size, 32), dtype=np.uint8)
    codes[size // 2 :] = _near(rng, codes[: size - size // 2], 20)[: size - size // 2]
    index = RadiusIndex.build(PDQ_LAYOUT, codes)
    queries = np.concatenate([_near(rng, codes[rng.integers(0, size, 6)], 25),
                              rng.integers(0, 256, (2, 32), dtype=np.uint8)])
    for radius in (15, 31, 47):
        monkeypatch.setattr(index_module, "SCAN_PAIRS", 0)  # the chunk tables
        tables = index.search(queries, radius)
        monkeypatch.setattr(index_module, "SCAN_PAIRS", 10**9)  # every pair
        pairs = index.search(queries, radius)
        for got, want in zip(pairs, tables, strict=True):
            assert got.dtype == want.dtype
            assert got.tolist() == want.tolist()
        assert len(pairs[0]) >= (6 if radius >= 25 else 0)  # each near copy is found


def test_smaller_radius_and_duplicates() -> None:
    rng = np.random.default_rng(6)
    base = rng.integers(0, 256, (1, 32), dtype=np.uint8)
    codes = np.concatenate(
        [base, base, _near(rng, base, 10), _near(rng, base, 40), _near(rng, base, 60)]
    )
    index = RadiusIndex.build(PDQ_LAYOUT, codes)
    q, r, d = index.search(base, radius=5)
    assert sorted(r.tolist()) == [0, 1] and d.tolist() == [0, 0]
    q, r, d = index.search(base, radius=31)
    assert sorted(r.tolist()) == [0, 1, 2]
    q, r, d = index.search(base)
    assert sorted(r.tolist()) == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="radius <= 47"):
        index.search(base, radius=48)


def test_save_and_memory_mapped_load_round_trip(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    codes = rng.integers(0, 256, (500, 8), dtype=np.uint8)
    written = RadiusIndex.build(PHASH_LAYOUT, codes).save(tmp_path, "phash")
    assert len(written) == 1 + 2 * len(PHASH_LAYOUT.widths)
    loaded = RadiusIndex.load(PHASH_LAYOUT, tmp_path, "phash")
    q, r, _ = loaded.search(codes[:50])
    assert all(qi in set(r[q == qi].tolist()) for qi in range(50))
    np.save(tmp_path / "phash_ids1.npy", np.zeros(3, dtype=np.int32))
    with pytest.raises(ValueError, match="does not match its hashes"):
        RadiusIndex.load(PHASH_LAYOUT, tmp_path, "phash")


def test_empty_index_and_empty_queries() -> None:
    empty = RadiusIndex.build(PDQ_LAYOUT, np.empty((0, 32), dtype=np.uint8))
    assert len(empty) == 0
    assert all(len(a) == 0 for a in empty.search(np.zeros((3, 32), dtype=np.uint8)))


def test_layout_must_cover_the_hash() -> None:
    with pytest.raises(ValueError, match="do not add up"):
        Layout(nbits=64, widths=(16, 16), radius=10)
