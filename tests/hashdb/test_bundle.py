"""Compiled bundles: round trips, duplicates, columns, atomic writes, tamper and trust checks."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest

from tests.hashdb.conftest import digests
from triage import keys
from triage.errors import InvalidInputError
from triage.hashdb import build
from triage.hashdb.bundle import Bundle
from triage.hashdb.collect import EntryCollector
from triage.hashdb.columns import COLUMNS, Column
from triage.hashdb.importing import import_files
from triage.hashdb.setinfo import ImportStats, SetInfo
from triage.hashdb.verify import verify
from triage.model import Severity

NOW = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)


def as_array(hexes: list[str]) -> np.ndarray:
    return np.frombuffer(bytes.fromhex("".join(hexes)), dtype=np.uint8).reshape(len(hexes), -1)


def make_list(tmp_path: Path, name: str, hexes: list[str]) -> Path:
    path = tmp_path / name
    path.write_text("".join(f"{h}  f{i}.jpg\n" for i, h in enumerate(hexes)))
    return path


@pytest.mark.parametrize("algorithm", ["md5", "sha1", "sha256"])
def test_round_trip_finds_every_input_and_nothing_else(tmp_path: Path, algorithm: str) -> None:
    members = digests(algorithm, 3000, "in")
    outsiders = digests(algorithm, 3000, "out")
    path = make_list(tmp_path, "set.txt", members)
    target, stats = import_files([path], SetInfo("cases"), tmp_path / "out", now=NOW)
    assert stats.accepted == 3000
    bundle = Bundle.open(target)
    assert bundle.counts == {algorithm: 3000}
    rows = bundle.find(algorithm, as_array(members))
    assert (rows >= 0).all()
    assert len(set(rows.tolist())) == 3000
    assert (bundle.find(algorithm, as_array(outsiders)) == -1).all()
    other = "md5" if algorithm != "md5" else "sha1"
    assert (bundle.find(other, as_array(digests(other, 5))) == -1).all()


def test_shared_prefix_digests_are_told_apart(tmp_path: Path) -> None:
    prefix = "0123456789abcdef"
    members = [prefix + f"{i:016x}" for i in (5, 1, 9)]
    path = make_list(tmp_path, "p.md5", members)
    target, _ = import_files([path], SetInfo("p"), tmp_path / "out")
    bundle = Bundle.open(target)
    assert (bundle.find("md5", as_array(members)) >= 0).all()
    assert (bundle.find("md5", as_array([prefix + f"{i:016x}" for i in (0, 2, 10)])) == -1).all()


def test_single_lookups_through_the_fence(tmp_path: Path) -> None:
    # 3000 digests, a third of them sharing one 8-byte prefix so their run crosses fence blocks.
    shared = [f"00000000deadbeef{i:016x}" for i in range(0, 2000, 2)]
    members = digests("md5", 2000, "fence") + shared
    path = make_list(tmp_path, "f.md5", members)
    target, _ = import_files([path], SetInfo("f"), tmp_path / "out")
    bundle = Bundle.open(target)
    assert bundle.manifest["fence_stride"] == 1024
    for hexdigest in members:
        row = bundle.find("md5", as_array([hexdigest]))[0]
        assert row >= 0, hexdigest
        assert bundle.find_one("md5", bytes.fromhex(hexdigest)) == row  # the scan's path
    absent = [f"00000000deadbeef{i:016x}" for i in (1, 999, 5000)] + ["f" * 32, "0" * 32]
    for hexdigest in absent + digests("md5", 200, "absent"):
        assert bundle.find("md5", as_array([hexdigest]))[0] == -1, hexdigest
        assert bundle.find_one("md5", bytes.fromhex(hexdigest)) == -1, hexdigest
    assert bundle.find_one("sha256", bytes(32)) == -1  # an algorithm the bundle lacks


def test_duplicate_keeps_the_most_severe_category() -> None:
    info = SetInfo("t", severities={"C": "medium"})
    collector = EntryCollector(info)
    digest = bytes.fromhex(digests("md5", 1)[0])
    collector.add("md5", digest, category="C", reference="first")
    collector.add("md5", digest, category="A", reference="second")
    collector.add("md5", digest, category="C", reference="third")
    compiled = collector.compile()["md5"]
    assert len(compiled) == 1
    assert collector.stats.duplicates == 2
    assert collector.categories[int(compiled.columns["category"][0]) - 1] == "A"
    assert collector.references[int(compiled.columns["ref"][0])] == "second"


def test_extra_columns_round_trip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(COLUMNS, "weight", Column("weight", "<u8", 0))
    collector = EntryCollector(SetInfo("x"))
    hexes = digests("sha1", 3)
    for i, h in enumerate(hexes):
        collector.add("sha1", bytes.fromhex(h), reference=f"ref{i}", extra={"weight": 100 + i})
    compiled = collector.compile()
    target = build.write_bundle(
        tmp_path / "x.hashset",
        SetInfo("x"),
        compiled,
        categories=collector.categories,
        references=collector.references,
        stats=collector.stats,
        inputs=[],
    )
    bundle = Bundle.open(target)
    for i, row in enumerate(bundle.find("sha1", as_array(hexes)).tolist()):
        entry = bundle.entry("sha1", row)
        assert (entry.reference, entry.extra) == (f"ref{i}", {"weight": 100 + i})
        assert entry.category is None


def test_manifest_records_identity_counts_and_file_digests(tmp_path: Path) -> None:
    path = make_list(tmp_path, "m.md5", digests("md5", 10))
    info = SetInfo("m", version="7", source="lab export", category="B", expires=dt.date(2027, 1, 1))
    target, _ = import_files([path], info, tmp_path / "out", now=NOW)
    manifest = json.loads((target / "manifest.json").read_text())
    assert manifest["name"] == "m" and manifest["version"] == "7"
    assert manifest["created"] == "2026-06-01T00:00:00Z"
    assert manifest["expires"] == "2027-01-01"
    assert manifest["counts"] == {"md5": 10}
    assert manifest["categories"] == ["B"]
    assert manifest["import"]["inputs"][0]["format"] == "md5sum"
    assert set(manifest["files"]) == {"md5.key", "md5.fence", "md5.tail", "md5.category"}
    bundle = Bundle.open(target)
    assert bundle.entry("md5", 0).category == "B"
    assert bundle.severity("B") is Severity.HIGH
    assert bundle.severity("A") is Severity.CRITICAL


def test_existing_bundle_needs_replace_and_failed_import_leaves_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    path = make_list(tmp_path, "a.md5", digests("md5", 4))
    import_files([path], SetInfo("a"), out)
    with pytest.raises(InvalidInputError, match="already exists"):
        import_files([path], SetInfo("a"), out)
    bad = tmp_path / "bad.md5"
    bad.write_text("nothing here\n")
    with pytest.raises(InvalidInputError):
        import_files([bad], SetInfo("b"), out)
    assert sorted(p.name for p in out.iterdir()) == ["a.hashset"]


def test_exception_while_writing_removes_the_temporary_folder(tmp_path: Path) -> None:
    target = tmp_path / "z.hashset"
    with pytest.raises(RuntimeError), build.atomic_directory(target, replace=False) as work:
        (work / "partial").write_text("x")
        raise RuntimeError("disk full")
    assert list(tmp_path.iterdir()) == []


def test_replace_swaps_in_the_new_bundle(tmp_path: Path) -> None:
    out = tmp_path / "out"
    first, second = digests("md5", 3, "1"), digests("md5", 3, "2")
    import_files([make_list(tmp_path, "1.md5", first)], SetInfo("s"), out)
    target, _ = import_files(
        [make_list(tmp_path, "2.md5", second)], SetInfo("s", version="2"), out, replace=True
    )
    bundle = Bundle.open(target)
    assert bundle.version == "2"
    assert (bundle.find("md5", as_array(second)) >= 0).all()
    assert (bundle.find("md5", as_array(first)) == -1).all()
    assert sorted(p.name for p in out.iterdir()) == ["s.hashset"]


def signed_bundle(tmp_path: Path, key: keys.SigningKey, **info: object) -> Path:
    path = tmp_path / "in.md5"
    path.write_text("".join(f"{h}\n" for h in digests("md5", 5)))
    target, _ = import_files(
        [path], SetInfo("signed", category="A", **info), tmp_path / "out", signer=key, now=NOW
    )
    return target


def test_signed_bundle_verifies_against_trusted_keys(
    tmp_path: Path, lab_key: keys.SigningKey, trusted_dir: Path
) -> None:
    target = signed_bundle(tmp_path, lab_key)
    result = verify(target, trusted_dir, now=NOW)
    assert result.ok and result.trusted and result.signer == lab_key.fingerprint
    stranger = keys.generate(tmp_path / "other", "stranger")
    other_dir = tmp_path / "other-trusted"
    other_dir.mkdir()
    (other_dir / "s.pub").write_bytes(keys.public_pem(stranger.public))
    result = verify(target, other_dir, now=NOW)
    assert result.problems == [
        f"hash set 'signed' is signed by key {lab_key.fingerprint}, which is not trusted"
    ]


def test_flipping_any_byte_of_any_file_fails_verify(
    tmp_path: Path, lab_key: keys.SigningKey, trusted_dir: Path
) -> None:
    target = signed_bundle(tmp_path, lab_key)
    files = sorted(target.iterdir())
    assert {p.name for p in files} >= {"manifest.json", "signature.json", "md5.key", "md5.tail"}
    for path in files:
        original = path.read_bytes()
        for offset in range(len(original)):
            flipped = bytearray(original)
            flipped[offset] ^= 0xFF
            path.write_bytes(bytes(flipped))
            assert not verify(target, trusted_dir, now=NOW).ok, f"{path.name} byte {offset}"
        path.write_bytes(original)
    assert verify(target, trusted_dir, now=NOW).ok


def test_unsigned_expired_and_extra_files_are_reported(tmp_path: Path) -> None:
    path = make_list(tmp_path, "u.md5", digests("md5", 2))
    target, _ = import_files(
        [path], SetInfo("u", expires=dt.date(2026, 5, 31)), tmp_path / "out", now=NOW
    )
    (target / "stray.bin").write_bytes(b"x")
    assert verify(target, now=NOW).problems == [
        "hash set 'u' was altered (file stray.bin is not in its manifest)",
        "hash set 'u' is not signed",
        "hash set 'u' expired on 2026-05-31",
    ]


def edit_manifest(directory: Path, **changes: object) -> None:
    manifest = json.loads((directory / "manifest.json").read_text())
    manifest.update(changes)
    (directory / "manifest.json").write_text(json.dumps(manifest))


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: (d / "manifest.json").write_text("{"), "is not valid JSON"),
        (lambda d: (d / "manifest.json").unlink(), "cannot read"),
        (lambda d: (d / "md5.key").write_bytes(b"123"), "holds 3 bytes"),
        (lambda d: edit_manifest(d, categories=5), "is malformed"),
        (lambda d: edit_manifest(d, columns={"md5": ["category"]}), "does not cover"),
        (lambda d: edit_manifest(d, columns={"md5": 3}), "is malformed"),
        (lambda d: edit_manifest(d, counts={"md5": -1}), "invalid count"),
        (lambda d: edit_manifest(d, files={"../x": {}}), "names an invalid file"),
        (lambda d: edit_manifest(d, format="other/9"), "this tool reads"),
    ],
)
def test_unusable_bundle_gives_one_sentence(tmp_path: Path, mutate, message: str) -> None:
    path = make_list(tmp_path, "c.md5", digests("md5", 2))
    target, _ = import_files([path], SetInfo("c"), tmp_path / "out")
    mutate(target)
    with pytest.raises(InvalidInputError, match=message):
        Bundle.open(target)


def test_zero_entries_written_directly_still_open(tmp_path: Path) -> None:
    target = build.write_bundle(
        tmp_path / "e.hashset",
        SetInfo("e"),
        {},
        categories=[],
        references=[],
        stats=ImportStats(),
        inputs=[],
    )
    bundle = Bundle.open(target)
    assert len(bundle) == 0 and bundle.algorithms == frozenset()


def test_only_digests_that_always_came_with_their_files_sha256_are_covered_by_it() -> None:
    whole = {"md5": b"\1" * 16, "sha1": b"\2" * 20, "sha256": b"\3" * 32}
    collector = EntryCollector(SetInfo("x"))
    collector.add_file(whole, reference="a.jpg")
    assert collector.sha256_covers() == ["md5", "sha1"]
    collector.add("md5", b"\4" * 16, reference="b.jpg")  # an MD5 with no SHA-256 beside it
    assert collector.sha256_covers() == ["sha1"]
    collector.add_file({"sha1": b"\5" * 20}, reference="c.jpg")  # a file without its SHA-256
    assert collector.sha256_covers() == []
    only_md5 = EntryCollector(SetInfo("y"))
    only_md5.add_file({"md5": b"\1" * 16})
    assert only_md5.sha256_covers() == []  # nothing covers what no SHA-256 came with
    compiled = EntryCollector(SetInfo("z"))
    compiled.add_file(whole)
    compiled.compile()
    assert compiled.sha256_covers() == ["md5", "sha1"]  # still known after compiling


def test_a_bundle_without_sha256_entries_needs_every_algorithm_whatever_it_claims(
        tmp_path: Path) -> None:
    collector = EntryCollector(SetInfo("x"))
    collector.add("md5", bytes.fromhex(digests("md5", 1)[0]))
    target = build.write_bundle(
        tmp_path / "x.hashset", SetInfo("x"), collector.compile(), categories=[],
        references=[], stats=ImportStats(), inputs=[], sha256_covers=["md5"])
    bundle = Bundle.open(target)
    assert bundle.manifest["sha256_covers"] == ["md5"]
    assert bundle.needed_algorithms == {"md5"}  # no SHA-256 to find its entries through
