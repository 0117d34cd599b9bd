"""Building block filters: what is kept, what is dropped and why, and looking blocks up."""

from __future__ import annotations

import hashlib
import json
import struct
from pathlib import Path

import numpy as np
import pytest

from triage import keys
from triage.blocks.build import FilterBuilder, known_good_keys
from triage.blocks.digest import block_confirms, block_digests, block_keys
from triage.blocks.filter import BlockFilter
from triage.blocks.library import load_filters
from triage.blocks.policy import BLOCK_SIZE
from triage.blocks.probative import Dropped, classify
from triage.blocks.store import BLOCKS_DIR, write_filter
from triage.hashdb.manifest import BundleError


def noise(seed: int, blocks: int) -> bytes:
    return np.random.default_rng(seed).integers(0, 256, blocks * BLOCK_SIZE,
                                                dtype=np.uint8).tobytes()


def build(tmp_path: Path, files: dict[str, bytes], signer: keys.SigningKey | None = None,
          **options: object) -> tuple[FilterBuilder, BlockFilter]:
    builder = FilterBuilder(**options)  # type: ignore[arg-type]
    for name, data in files.items():
        builder.add_pieces(iter([data]), name, "A")
    compiled = builder.compile()
    path = write_filter(tmp_path / BLOCKS_DIR / "set", name="set", version="1", source="test",
                        compiled=compiled, references=builder.references,
                        categories=builder.categories, stats=builder.stats, signer=signer)
    return builder, BlockFilter.open(path)


def test_non_probative_blocks_are_recognised() -> None:
    ramp = np.arange(1024, dtype="<u4").tobytes()
    sparse = bytearray(BLOCK_SIZE)
    sparse[::97] = b"\x07" * len(sparse[::97])
    blocks = [bytes(BLOCK_SIZE), b"ab" * 2048, ramp, bytes(sparse), noise(1, 1),
              b"The quick brown fox jumps over the lazy dog, then naps. " * 73 + b"x" * 8]
    arr = np.frombuffer(b"".join(b[:BLOCK_SIZE] for b in blocks), dtype=np.uint8)
    assert classify(arr.reshape(-1, BLOCK_SIZE)) == [
        Dropped.CONSTANT, Dropped.CONSTANT, Dropped.RAMP, Dropped.LOW_ENTROPY, None, None]


def test_digests_match_an_independent_computation() -> None:
    # Pinned: a changed key function must come with a new KEY_NAME (old filters stop matching).
    data = bytes(range(256)) * 16 + noise(5, 3)
    constants = b"".join(hashlib.sha256(f"triage block key {i}".encode()).digest()
                         for i in range(128))
    expected_keys, expected_confirms = [], []
    for start in range(0, len(data), BLOCK_SIZE):
        block = data[start:start + BLOCK_SIZE]
        total = sum(struct.unpack_from("<Q", block, 8 * i)[0]
                    * (struct.unpack_from("<Q", constants, 8 * i)[0] | 1) for i in range(512))
        expected_keys.append(total % 2**64)
        expected_confirms.append(struct.unpack("<Q", hashlib.sha256(block).digest()[:8])[0])
    keys_, confirms = block_digests(data + b"partial")
    assert keys_.tolist() == expected_keys
    assert confirms.tolist() == expected_confirms
    assert f"{expected_keys[0]:016x}" == "6a6402f4dd528170"
    assert block_confirms(data, np.array([2])).tolist() == [expected_confirms[2]]


def test_shared_repeated_and_known_good_blocks_are_dropped(tmp_path: Path) -> None:
    a, b, good = noise(1, 6), noise(2, 6), noise(3, 2)
    files = {"a.jpg": a + a[:BLOCK_SIZE], "b.jpg": b[:4 * BLOCK_SIZE] + a[:BLOCK_SIZE] + good}
    builder, blocks = build(tmp_path, files, known_good=known_good_keys([]))
    dropped = builder.stats.dropped
    assert dropped[str(Dropped.SHARED)] == 3  # a's first block: twice in a.jpg, once in b.jpg
    assert builder.stats.kept == 5 + 4 + 2
    builder, blocks = build(tmp_path / "2", files, known_good=np.sort(block_keys(good)))
    assert builder.stats.dropped[str(Dropped.KNOWN_GOOD)] == 2
    assert blocks.ref_kept.tolist() == [5, 4]


def test_cap_keeps_blocks_spread_over_the_file(tmp_path: Path) -> None:
    builder, blocks = build(tmp_path, {"big.jpg": noise(4, 100)}, max_per_file=10)
    assert builder.stats.capped_files == 1
    assert builder.stats.dropped[str(Dropped.CAPPED)] == 90
    assert sorted(blocks.blocks.tolist()) == [0, 11, 22, 33, 44, 55, 66, 77, 88, 99]


def test_lookup_finds_every_kept_block_and_its_owner(tmp_path: Path) -> None:
    files = {f"k{i}.jpg": noise(10 + i, 8) for i in range(5)}
    files["tail.jpg"] = noise(20, 3)[:-100]  # the partial last block is never kept
    _, blocks = build(tmp_path, files)
    for ref, name in enumerate(files):
        k, c = block_digests(files[name])
        rows = blocks.find(k, c)
        assert (rows >= 0).all()
        assert blocks.refs[rows].tolist() == [ref] * len(rows)
        assert blocks.blocks[rows].tolist() == list(range(len(rows)))
        assert blocks.reference(ref) == name
        assert blocks.category(ref) == "A"
    assert blocks.ref_kept.tolist() == [8, 8, 8, 8, 8, 2]
    other_k, other_c = block_digests(noise(99, 4096))
    assert (blocks.find(other_k, other_c) == -1).all()
    # The bit filter lets through only a small share of unknown blocks to the confirm table.
    assert len(blocks.candidates(other_k)) < 0.05 * len(other_k)
    # A key hit with the wrong confirmation is no hit.
    k, c = block_digests(files["k0.jpg"])
    assert (blocks.find(k, c ^ np.uint64(1)) == -1).all()


def test_trust_signed_unsigned_and_altered(tmp_path: Path) -> None:
    key = keys.generate(tmp_path / "keys", "lab")
    trusted = tmp_path / "trusted"
    trusted.mkdir()
    (trusted / "lab.pub").write_bytes((tmp_path / "keys" / "lab.pub").read_bytes())
    build(tmp_path / "signed", {"a.jpg": noise(1, 4)}, signer=key)
    loaded = load_filters(tmp_path / "signed", trusted)
    assert len(loaded.filters) == 1 and loaded.trust_problems == []
    assert loaded.provenance[0]["trusted"] is True
    build(tmp_path / "unsigned", {"a.jpg": noise(1, 4)})
    loaded = load_filters(tmp_path / "unsigned", trusted)
    assert loaded.trust_problems == ["hash set 'set (blocks)' is not signed"]
    keys_file = tmp_path / "signed" / BLOCKS_DIR / "set" / "confirms"
    data = bytearray(keys_file.read_bytes())
    data[0] ^= 1
    keys_file.write_bytes(bytes(data))
    loaded = load_filters(tmp_path / "signed", trusted)
    assert loaded.filters == []
    assert loaded.load_problems == [
        "block filter 'set' was altered (file confirms does not match its manifest)"]


def test_a_filter_of_another_format_is_refused(tmp_path: Path) -> None:
    _, blocks = build(tmp_path, {"a.jpg": noise(1, 4)})
    manifest = json.loads((blocks.path / "manifest.json").read_text())
    manifest["key"] = "sha256-prefix"
    (blocks.path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(BundleError, match="another key or layout.*`triage hashset add-files`"):
        BlockFilter.open(blocks.path)
