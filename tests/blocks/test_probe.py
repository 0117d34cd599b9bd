"""The C lookups (triage/blocks/_probe.c) answer exactly as the numpy code on the same filters:
planted hits, random misses, empty inputs, the arrays' first and last words, buckets and rows,
chunks shorter and longer than the prefetch distance, threads; and never write the filter."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from tests.blocks.test_filter_format import compiled_from, write
from triage.blocks import filter as filter_module
from triage.blocks import layout
from triage.blocks.build import Compiled
from triage.blocks.filter import BlockFilter

SEED = 2323
MAX = 2**64 - 1
built = pytest.mark.skipif(filter_module._probe is None,
                           reason="triage.blocks._probe is not built "
                                  "(python setup.py build_ext --inplace)")


def edge_filter(tmp_path: Path) -> tuple[BlockFilter, Compiled]:
    """Random keys plus keys on every edge: the first and last Bloom word, the first, a middle
    and the last bucket's first and last possible key (so the table's first and last rows)."""
    rng = np.random.default_rng(SEED)
    randoms = np.unique(rng.integers(0, 2**64, 30_000, dtype=np.uint64))
    edges_wanted = 12
    kbits = layout.bucket_bits(len(randoms) + edges_wanted)
    shift = 64 - kbits
    edges = []
    for bucket in (0, 1 << (kbits - 1), (1 << kbits) - 1):
        low, high = bucket << shift, ((bucket + 1) << shift) - 1
        edges += [low, low + 1, high - 1, high]
    edge_keys = np.array(edges, dtype=np.uint64)
    assert len(edge_keys) == edges_wanted and edge_keys[0] == 0 and edge_keys[-1] == MAX
    keys = np.unique(np.concatenate([randoms, edge_keys]))
    assert layout.bucket_bits(len(keys)) == kbits
    compiled = compiled_from(keys, rng.integers(0, 2**64, len(keys), dtype=np.uint64))
    return write(tmp_path, compiled), compiled


def queries_for(compiled: Compiled) -> np.ndarray:
    """Every stored key; keys one bit off (lowest: same bucket and tail, so found by key; top:
    another word and bucket); neighbours of the edges; empty buckets; random misses."""
    rng = np.random.default_rng(SEED + 1)
    stored = compiled.keys
    planted = np.concatenate([stored, stored ^ np.uint64(1), stored ^ np.uint64(1 << 63),
                              stored ^ np.uint64(1 << 31),
                              np.array([0, 1, 2, MAX, MAX - 1, MAX - 2, 1 << 63, (1 << 63) - 1],
                                       dtype=np.uint64)])
    queries = np.concatenate([planted, rng.integers(0, 2**64, 100_000, dtype=np.uint64)])
    rng.shuffle(queries)
    return queries


def answers(blocks: BlockFilter, queries: np.ndarray, confirms: np.ndarray,
            use_probe: bool, monkeypatch: pytest.MonkeyPatch) -> list[np.ndarray]:
    monkeypatch.setattr(filter_module, "USE_PROBE", use_probe)
    cand = blocks.candidates(queries)
    owners, rows = blocks.table_rows(queries.take(cand))
    index, found = blocks.find_keys(queries)
    return [cand, owners, rows, index, found, blocks.find(queries, confirms)]


def assert_same(first: list[np.ndarray], second: list[np.ndarray]) -> None:
    assert len(first) == len(second)
    for number, (a, b) in enumerate(zip(first, second, strict=True)):
        assert a.dtype == b.dtype, (number, a.dtype, b.dtype)
        assert np.array_equal(a, b), number


@built
def test_c_and_numpy_answer_the_same_on_planted_hits_and_random_misses(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocks, compiled = edge_filter(tmp_path)
    queries = queries_for(compiled)
    truth = dict(zip(compiled.keys.tolist(), compiled.confirms.tolist(), strict=True))
    confirms = np.array([truth.get(k, 0) for k in queries.tolist()], dtype=np.uint64)
    by_c = answers(blocks, queries, confirms, True, monkeypatch)
    by_numpy = answers(blocks, queries, confirms, False, monkeypatch)
    assert_same(by_c, by_numpy)
    # And they are right: every stored key found at its row, including the edge rows.
    rows = by_c[-1]
    present = np.isin(queries, compiled.keys)
    assert np.array_equal(compiled.keys[rows[present]], queries[present])
    assert (rows[~present] == -1).all()
    assert {0, len(compiled.keys) - 1} <= set(rows.tolist())
    # Keys one lowest bit off share their stored key's bucket and tail: candidates by key.
    assert len(by_c[3]) > present.sum()


@built
@pytest.mark.parametrize("size", [0, 1, 2, 63, 64, 65, 127, 128, 129, 1023, 1024, 1025])
def test_chunks_around_the_prefetch_distance_answer_the_same(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: int) -> None:
    blocks, compiled = edge_filter(tmp_path)
    queries = queries_for(compiled)
    for start in (0, len(queries) - size):  # the first and the last keys of the queries
        part = queries[start:start + size]
        confirms = np.zeros(len(part), dtype=np.uint64)
        assert_same(answers(blocks, part, confirms, True, monkeypatch),
                    answers(blocks, part, confirms, False, monkeypatch))
    # A chunk of stored keys only: every one is a candidate and found.
    stored = compiled.keys[:size] if size else compiled.keys[:0]
    monkeypatch.setattr(filter_module, "USE_PROBE", True)
    assert np.array_equal(blocks.candidates(stored), np.arange(size))
    assert np.array_equal(blocks.find(stored, compiled.confirms[:size]), np.arange(size))


@pytest.mark.parametrize("use_probe", [True, False])
def test_empty_inputs_and_an_empty_filter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          use_probe: bool) -> None:
    if use_probe and filter_module._probe is None:
        pytest.skip("triage.blocks._probe is not built")
    monkeypatch.setattr(filter_module, "USE_PROBE", use_probe)
    nothing = np.zeros(0, dtype=np.uint64)
    empty = write(tmp_path / "empty", compiled_from(nothing, nothing, references=1))
    blocks, compiled = edge_filter(tmp_path / "edges")
    for filt in (empty, blocks):
        assert filt.candidates(nothing).tolist() == []
        assert [a.tolist() for a in filt.table_rows(nothing)] == [[], []]
        assert [a.tolist() for a in filt.find_keys(nothing)] == [[], []]
        assert filt.find(nothing, nothing).tolist() == []
    everything = np.array([0, 1, MAX, *compiled.keys[:50].tolist()], dtype=np.uint64)
    assert empty.candidates(everything).tolist() == []
    assert [a.tolist() for a in empty.table_rows(everything)] == [[], []]  # no rows at all
    assert (empty.find(everything, everything) == -1).all()


@built
def test_strided_keys_and_threads_answer_the_same(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    blocks, compiled = edge_filter(tmp_path)
    queries = queries_for(compiled)
    monkeypatch.setattr(filter_module, "USE_PROBE", False)
    expected = blocks.candidates(np.ascontiguousarray(queries[::3]))
    chunks = [queries[s:s + 1024] for s in range(0, len(queries), 1024)]
    expected_chunks = [blocks.find_keys(c) for c in chunks]
    monkeypatch.setattr(filter_module, "USE_PROBE", True)
    assert np.array_equal(blocks.candidates(queries[::3]), expected)  # a view, not contiguous
    strided = np.ascontiguousarray(queries[::3])
    unaligned = np.frombuffer(b"\0" + strided.tobytes(), dtype=np.uint64, offset=1)
    assert not unaligned.flags.aligned  # a view at an odd address: copied, same answers
    assert np.array_equal(blocks.candidates(unaligned), expected)
    for got, want in zip(blocks.table_rows(unaligned), blocks.table_rows(strided), strict=True):
        assert np.array_equal(got, want)
    # Lookups release the GIL: several threads on one filter, each chunk its own answer.
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(blocks.find_keys, chunks))
    for (index, rows), (want_index, want_rows) in zip(got, expected_chunks, strict=True):
        assert np.array_equal(index, want_index) and np.array_equal(rows, want_rows)


@pytest.mark.parametrize("use_probe", [True, False])
def test_the_mapped_filter_is_read_only_and_never_written(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, use_probe: bool) -> None:
    if use_probe and filter_module._probe is None:
        pytest.skip("triage.blocks._probe is not built")
    monkeypatch.setattr(filter_module, "USE_PROBE", use_probe)
    blocks, compiled = edge_filter(tmp_path)
    before = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in blocks.path.iterdir()}
    for name in ("_words", "_starts", "_tails", "confirms"):
        array = getattr(blocks, name)
        assert not array.flags.writeable, name
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 1
    queries = queries_for(compiled)
    blocks.find(queries, queries)
    assert blocks.check_files() == []
    assert {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in blocks.path.iterdir()} == before


@pytest.mark.parametrize("use_probe", [True, False])
def test_a_damaged_key_table_is_refused_not_read_out_of_bounds(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, use_probe: bool) -> None:
    if use_probe and filter_module._probe is None:
        pytest.skip("triage.blocks._probe is not built")
    blocks, compiled = edge_filter(tmp_path)
    starts = np.fromfile(blocks.path / "starts", dtype="<u4")
    starts[1] = len(compiled.keys) + 5  # bucket 0 ends past the last row (sizes unchanged)
    starts.tofile(blocks.path / "starts")
    damaged = BlockFilter.open(blocks.path)  # only check_files would notice the hash
    monkeypatch.setattr(filter_module, "USE_PROBE", use_probe)
    with pytest.raises(IndexError):
        damaged.table_rows(np.array([0], dtype=np.uint64))


@built
def test_the_extension_refuses_arrays_it_cannot_read_safely() -> None:
    probe = filter_module._probe
    assert probe is not None
    keys = np.arange(10, dtype=np.uint64)
    masks = layout.masks()
    with pytest.raises(TypeError, match="8-byte items"):
        probe.candidates(np.zeros(8, dtype=np.uint32), masks, keys)
    with pytest.raises(ValueError, match="power of two"):
        probe.candidates(np.zeros(12, dtype=np.uint64), masks, keys)
    with pytest.raises(ValueError, match="power of two"):
        probe.candidates(np.zeros(1, dtype=np.uint64), masks, keys)  # one word: 0 top bits
    starts = np.zeros(5, dtype=np.uint32)
    tails = np.zeros(0, dtype=np.uint32)
    with pytest.raises(ValueError, match="2\\*\\*k \\+ 1"):
        probe.table_rows(np.zeros(4, dtype=np.uint32), tails, keys, 32)
    with pytest.raises(TypeError, match="4-byte items"):
        probe.table_rows(starts.astype(np.uint64), tails, keys, 32)
    with pytest.raises(TypeError):
        probe.candidates(masks, masks)
    odd = np.frombuffer(b"\0" + keys.tobytes(), dtype=np.uint64, offset=1)
    with pytest.raises(ValueError, match="not aligned"):
        probe.candidates(np.zeros(8, dtype=np.uint64), masks, odd)
    assert probe.table_rows(starts, tails, keys, 32) == (bytearray(), bytearray())


def test_without_the_extension_numpy_answers() -> None:
    # As on a machine without a C compiler: the import fails, lookups still work.
    code = ("import sys; sys.modules['triage.blocks._probe'] = None\n"
            "import numpy as np\n"
            "from triage.blocks import filter as f\n"
            "assert f._probe is None and f.USE_PROBE is False\n")
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr
