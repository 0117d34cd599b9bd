"""Block filter format 2: round trip, lookups equal to a plain set, the stated false-candidate
rate, and every way a filter folder can be unusable (each refused with one sentence); the
lookup tests run with the C extension and with numpy (the `lookup_path` fixture)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from triage.blocks import filter as filter_module
from triage.blocks import layout
from triage.blocks.build import BuildStats, Compiled
from triage.blocks.digest import block_digests
from triage.blocks.filter import BlockFilter
from triage.blocks.library import load_filters
from triage.blocks.pending import PendingLookups
from triage.blocks.store import ARRAYS, BLOCKS_DIR, write_filter
from triage.hashdb.manifest import BundleError

RNG_SEED = 23


def compiled_from(keys: np.ndarray, confirms: np.ndarray, references: int = 50) -> Compiled:
    order = np.argsort(keys, kind="stable")
    keys, confirms = keys[order], confirms[order]
    refs = (np.arange(len(keys)) % references).astype("<u4")
    kept = np.bincount(refs, minlength=references).astype("<u4")
    return Compiled(keys.astype("<u8"), confirms.astype("<u8"), refs,
                    np.arange(len(keys), dtype="<u4"), kept,
                    np.full(references, 1 << 20, dtype="<u8"),
                    np.ones(references, dtype="<u2"))


def write(folder: Path, compiled: Compiled) -> BlockFilter:
    references = len(compiled.ref_kept)
    path = write_filter(folder / BLOCKS_DIR / "set", name="set", version="1", source="test",
                        compiled=compiled, references=[f"r{i}.jpg" for i in range(references)],
                        categories=["A"], stats=BuildStats(files=references,
                                                           kept=len(compiled.keys)))
    return BlockFilter.open(path)


def random_filter(tmp_path: Path, count: int = 20_000) -> tuple[BlockFilter, Compiled]:
    rng = np.random.default_rng(RNG_SEED)
    keys = np.unique(rng.integers(0, 2**64, count, dtype=np.uint64))
    compiled = compiled_from(keys, rng.integers(0, 2**64, len(keys), dtype=np.uint64))
    return write(tmp_path, compiled), compiled


def test_round_trip_keeps_every_array_and_states_its_layout(tmp_path: Path) -> None:
    blocks, compiled = random_filter(tmp_path)
    assert len(blocks) == len(compiled.keys) and blocks.reference_count == 50
    for name in ("confirms", "refs", "blocks", "ref_kept", "ref_sizes", "ref_categories"):
        assert np.array_equal(getattr(blocks, name), getattr(compiled, name)), name
    manifest = blocks.manifest
    assert manifest["format"] == layout.FORMAT == "triage-blockfilter/2"
    assert manifest["filter_words_log2"] == layout.word_bits(len(compiled.keys))
    assert manifest["bucket_bits"] == layout.bucket_bits(len(compiled.keys))
    assert set(manifest["files"]) >= set(ARRAYS)
    assert 0 < blocks.false_hits["candidate"] < 0.01
    assert blocks.false_hits["confirmed"] < 1e-25
    assert blocks.reference(7) == "r7.jpg" and blocks.category(7) == "A"
    assert blocks.check_files() == []


def test_lookups_equal_a_python_set_over_random_and_planted_keys(tmp_path: Path,
                                                                 lookup_path: str) -> None:
    blocks, compiled = random_filter(tmp_path)
    rng = np.random.default_rng(RNG_SEED + 1)
    stored = compiled.keys
    # Planted: every stored key, keys one off in the lowest bit (same bucket and tail: found
    # by key, told apart by the confirmation), in the top bit, and the bucket edges' values.
    planted = np.concatenate([stored, stored ^ np.uint64(1), stored ^ np.uint64(1 << 63),
                              np.array([0, 2**64 - 1], dtype=np.uint64), stored[-5:]])
    queries = np.concatenate([planted, rng.integers(0, 2**64, 200_000, dtype=np.uint64)])
    rng.shuffle(queries)
    truth = dict(zip(stored.tolist(), compiled.confirms.tolist(), strict=True))
    row_of = {k: r for r, k in enumerate(stored.tolist())}
    expected_confirms = np.array([truth.get(k, 0) for k in queries.tolist()], dtype=np.uint64)
    rows = blocks.find(queries, expected_confirms)
    wanted = np.array([row_of.get(k, -1) if k in truth else -1 for k in queries.tolist()])
    assert np.array_equal(rows, wanted)
    # Key lookups alone: every stored key found at its row; a key sharing the stored key's
    # top bucket_bits + 32 bits may be a candidate too (the confirmation settles it), no other.
    index, found = blocks.find_keys(queries)
    present = np.isin(queries, stored)
    assert set(np.flatnonzero(present).tolist()) <= set(index.tolist())
    pairs = list(zip(index.tolist(), found.tolist(), strict=True))
    assert len(pairs) == len(set(pairs))  # each (key, row) once, at the table's end too
    assert np.array_equal(stored[found] >> np.uint64(64 - blocks.bucket_bits - 32),
                          queries[index] >> np.uint64(64 - blocks.bucket_bits - 32))
    # In chunks the size the quick pass uses (1,024 keys), the same answer.
    parts = [blocks.find(queries[i:i + 1024], expected_confirms[i:i + 1024])
             for i in range(0, len(queries), 1024)]
    assert np.array_equal(np.concatenate(parts), wanted)


def test_false_candidate_rate_matches_the_stated_one_and_sha256_confirms_none(
        tmp_path: Path, lookup_path: str) -> None:
    blocks, _ = random_filter(tmp_path, 200_000)
    stated = blocks.false_hits["candidate"]
    queries = np.random.default_rng(RNG_SEED + 2).integers(0, 2**64, 2_000_000, dtype=np.uint64)
    measured = len(blocks.candidates(queries)) / len(queries)
    # Both are measured (the lab's over layout.RATE_KEYS fixed keys): their combined sigma.
    sigma = (stated * (1 - stated) * (1 / len(queries) + 1 / layout.RATE_KEYS)) ** 0.5
    assert abs(measured - stated) < 5 * sigma, (measured, stated)
    # Real blocks (random content, as a compressed picture's): keys from the block key
    # function, confirmed on SHA-256: none of these unknown blocks is a hit.
    data = np.random.default_rng(RNG_SEED + 3).integers(0, 256, 4096 * 4096,
                                                        dtype=np.uint8).tobytes()
    keys, confirms = block_digests(data)
    assert (blocks.find(keys, confirms) == -1).all()


def test_large_bloom_words_in_huge_pages_answer_the_same(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         lookup_path: str) -> None:
    blocks, compiled = random_filter(tmp_path)
    queries = np.concatenate([compiled.keys, np.random.default_rng(9).integers(
        0, 2**64, 100_000, dtype=np.uint64)])
    mapped = blocks.candidates(queries)
    monkeypatch.setattr(filter_module, "HUGE_PAGES_MIN", 0)
    again = BlockFilter.open(blocks.path)
    assert np.array_equal(again.candidates(queries), mapped)
    assert again._hot_words is not again._words  # a private copy, read from the file
    assert np.array_equal(again._hot_words, again._words)


def test_empty_filter_finds_nothing(tmp_path: Path, lookup_path: str) -> None:
    empty = np.zeros(0, dtype=np.uint64)
    blocks = write(tmp_path, compiled_from(empty, empty, references=1))
    assert len(blocks) == 0
    queries = np.random.default_rng(1).integers(0, 2**64, 5000, dtype=np.uint64)
    assert (blocks.find(queries, queries) == -1).all()


def test_truncated_and_corrupt_filters_are_refused_with_one_sentence(tmp_path: Path) -> None:
    blocks, _ = random_filter(tmp_path)
    tails = blocks.path / "tails"
    tails.write_bytes(tails.read_bytes()[:-4])
    with pytest.raises(BundleError, match=r"tails holds \d+ bytes where the manifest implies "
                                          r"\d+; rebuild the block filter\.$"):
        BlockFilter.open(blocks.path)
    loaded = load_filters(tmp_path, None)
    assert loaded.filters == [] and "rebuild the block filter" in loaded.load_problems[0]

    blocks, _ = random_filter(tmp_path / "flip")
    words = blocks.path / "words"
    data = bytearray(words.read_bytes())
    data[100] ^= 0x10
    words.write_bytes(bytes(data))
    loaded = load_filters(tmp_path / "flip", None)
    assert loaded.filters == []
    assert loaded.load_problems == [
        "block filter 'set' was altered (file words does not match its manifest)"]

    blocks, _ = random_filter(tmp_path / "sizes")
    manifest = json.loads((blocks.path / "manifest.json").read_text())
    manifest["bucket_bits"] = 0
    (blocks.path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(BundleError, match="invalid filter sizes; rebuild it"):
        BlockFilter.open(blocks.path)
    (blocks.path / "manifest.json").write_text("{ not json")
    with pytest.raises(BundleError, match="cannot be read .*; rebuild the block filter"):
        BlockFilter.open(blocks.path)


def test_a_format_1_filter_is_refused_naming_the_rebuild(tmp_path: Path) -> None:
    # Format 1's folder (session 3): sorted full keys, a two-probe bit array, no buckets.
    folder = tmp_path / BLOCKS_DIR / "old"
    folder.mkdir(parents=True)
    for name in ("keys", "confirms", "refs", "blocks", "bits"):
        (folder / name).write_bytes(b"")
    (folder / "manifest.json").write_text(json.dumps({
        "format": "triage-blockfilter/1", "name": "old", "version": "1",
        "key": "linear64-v1", "filter_bits": 65536, "filter_probes": 2,
        "counts": {"blocks": 0, "references": 0}, "files": {}}))
    message = ("is a block filter of format triage-blockfilter/1, which this version does not "
               "read (it reads triage-blockfilter/2); rebuild it with `triage hashset "
               "add-files` (or `add-images`).")
    with pytest.raises(BundleError) as caught:
        BlockFilter.open(folder)
    assert str(caught.value).endswith(message)
    loaded = load_filters(tmp_path, None)
    assert loaded.filters == [] and loaded.load_problems[0].endswith(message)


@pytest.mark.parametrize("held", [1, 7, 4096])
def test_pending_lookups_find_what_direct_lookups_find(tmp_path: Path, held: int,
                                                       lookup_path: str) -> None:
    # Known blocks planted among unknown ones in three chunks; whenever the held candidates
    # are settled, the confirmed hits are the same as one direct lookup's.
    rng = np.random.default_rng(RNG_SEED + 4)
    known = rng.integers(0, 256, (40, 4096), dtype=np.uint8)
    keys, confirms = block_digests(known.tobytes())
    blocks = write(tmp_path, compiled_from(keys, confirms, references=4))
    lookups = PendingLookups(blocks, held=held)
    expected = []
    for chunk in range(3):
        data = rng.integers(0, 256, (256, 4096), dtype=np.uint8)
        where = rng.choice(256, 10, replace=False)
        data[where] = known[chunk * 10:(chunk + 1) * 10]
        data[where[0]] ^= 1  # same position, one bit off: no hit
        raw = data.tobytes()
        chunk_keys, chunk_confirms = block_digests(raw)
        rows = blocks.find(chunk_keys, chunk_confirms)
        expected += [(chunk * len(raw) + int(i) * 4096, int(rows[i]))
                     for i in np.flatnonzero(rows >= 0)]
        lookups.add(chunk * len(raw), chunk_keys, raw)
    offsets, rows = lookups.take()
    assert sorted(zip(offsets.tolist(), rows.tolist(), strict=True)) == sorted(expected)
    assert len(expected) == 27
    assert lookups.take()[0].tolist() == []
