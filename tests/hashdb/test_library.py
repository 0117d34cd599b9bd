"""The scan-side library: loading a folder of sets, trust problems, provenance, lookups."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from tests.hashdb.conftest import digests
from triage import keys
from triage.hashdb.importing import import_files
from triage.hashdb.library import HashMatch, HashSetLibrary
from triage.hashdb.setinfo import SetInfo, SetKind
from triage.model import Severity

NOW = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
MD5 = digests("md5", 6, "lib")
SHA1 = digests("sha1", 6, "lib")


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(f"{line}\n" for line in lines))
    return path


@pytest.fixture
def sets_dir(tmp_path: Path, lab_key: keys.SigningKey) -> Path:
    folder = tmp_path / "sets"
    src = tmp_path / "src"
    src.mkdir()
    import_files(
        [write(src / "a.md5", MD5[:3])],
        SetInfo("cat-a", version="3", category="A"),
        folder,
        signer=lab_key,
        now=NOW,
    )
    import_files(
        [write(src / "b.sha1", SHA1[:2])],
        SetInfo("lab-b", category="B", expires=dt.date(2027, 1, 1)),
        folder,
        signer=lab_key,
    )
    import_files(
        [write(src / "good.md5", MD5[3:4])],
        SetInfo("os-files", kind=SetKind.KNOWN_GOOD),
        folder,
        signer=lab_key,
    )
    return folder


def test_missing_or_empty_folder_gives_an_empty_library(tmp_path: Path) -> None:
    for folder in (tmp_path / "absent", tmp_path):
        lib = HashSetLibrary.load(folder)
        assert lib.is_empty and lib.algorithms == frozenset()
        assert lib.lookup(md5=MD5[0]) == [] and lib.trust_problems == []


def test_trusted_sets_match_with_category_and_severity(sets_dir: Path, trusted_dir: Path) -> None:
    lib = HashSetLibrary.load(sets_dir, trusted_dir, now=NOW)
    assert lib.trust_problems == []
    assert lib.algorithms == frozenset({"md5", "sha1"})
    assert lib.lookup(md5=MD5[1].upper()) == [
        HashMatch("cat-a", "3", "A", Severity.CRITICAL, False, None, "md5")
    ]
    assert lib.lookup(md5=MD5[5], sha1=SHA1[0]) == [
        HashMatch("lab-b", "1", "B", Severity.HIGH, False, None, "sha1")
    ]
    assert lib.lookup(md5=MD5[3]) == [
        HashMatch("os-files", "1", None, Severity.INFO, True, None, "md5")
    ]
    assert lib.lookup(md5=MD5[5], sha1=SHA1[5], sha256=None) == []
    assert lib.lookup(md5="not hex at all") == []


def test_provenance_names_every_set(sets_dir: Path, trusted_dir: Path, lab_key) -> None:
    lib = HashSetLibrary.load(sets_dir, trusted_dir, now=NOW)
    records = {r["name"]: r for r in lib.provenance()}
    assert set(records) == {"cat-a", "lab-b", "os-files"}
    cat_a = records["cat-a"]
    assert (cat_a["version"], cat_a["kind"], cat_a["count"]) == ("3", "notable", 3)
    assert cat_a["signer"] == lab_key.fingerprint and cat_a["trusted"] is True
    assert len(cat_a["digest"]) == 64 and cat_a["problems"] == []
    assert records["lab-b"]["expires"] == "2027-01-01"
    assert records["os-files"]["kind"] == "known_good"


def test_without_trusted_keys_every_set_is_untrusted_but_used(sets_dir: Path) -> None:
    lib = HashSetLibrary.load(sets_dir, now=NOW)
    assert len(lib.trust_problems) == 3
    assert all("which is not trusted" in p for p in lib.trust_problems)
    assert lib.lookup(md5=MD5[0])[0].set_name == "cat-a"


def test_expired_set_is_used_but_reported(sets_dir: Path, trusted_dir: Path) -> None:
    lib = HashSetLibrary.load(sets_dir, trusted_dir, now=dt.datetime(2027, 1, 2, tzinfo=dt.UTC))
    assert lib.trust_problems == ["hash set 'lab-b' expired on 2027-01-01"]
    assert lib.lookup(sha1=SHA1[0])[0].set_name == "lab-b"


def test_altered_set_is_left_out_with_a_reason(sets_dir: Path, trusted_dir: Path) -> None:
    tail = sets_dir / "cat-a.hashset" / "md5.tail"
    data = bytearray(tail.read_bytes())
    data[0] ^= 1
    tail.write_bytes(bytes(data))
    lib = HashSetLibrary.load(sets_dir, trusted_dir, now=NOW)
    assert lib.trust_problems == [
        "hash set 'cat-a' was altered (file md5.tail does not match its manifest)"
    ]
    assert lib.lookup(md5=MD5[0]) == []


def test_corrupt_bundle_is_skipped_never_raised(sets_dir: Path, trusted_dir: Path) -> None:
    (sets_dir / "lab-b.hashset" / "manifest.json").write_bytes(b"\x00garbage")
    lib = HashSetLibrary.load(sets_dir, trusted_dir, now=NOW)
    assert len(lib.trust_problems) == 1
    assert lib.trust_problems[0].startswith("hash set in lab-b.hashset could not be used:")
    assert lib.lookup(sha1=SHA1[0]) == []
    assert lib.lookup(md5=MD5[0])[0].set_name == "cat-a"


def test_plain_lists_are_loaded_as_unsigned_notable_sets(tmp_path: Path) -> None:
    write(tmp_path / "extra.md5", ["# lab list", MD5[0], "bogus"])
    write(tmp_path / "notes.txt", ["meeting notes, not hashes"])
    write(tmp_path / "broken.sha1", ["this should have been a SHA-1 list"])
    (tmp_path / "picture.jpg").write_bytes(b"\xff\xd8")
    lib = HashSetLibrary.load(tmp_path)
    assert lib.lookup(md5=MD5[0]) == [
        HashMatch("extra.md5", "unversioned", None, Severity.HIGH, False, None, "md5")
    ]
    assert lib.trust_problems == [
        "hash set 'broken.sha1' is not signed",
        "broken.sha1 is not a hash list and was left out",
        "hash set 'extra.md5' is not signed",
        f"extra.md5: 1 malformed lines were skipped (first: {tmp_path / 'extra.md5'}:3: "
        "not a hex MD5 digest (5 characters))",
    ]
    assert [r["name"] for r in lib.provenance()] == ["broken.sha1", "extra.md5"]


def test_bad_trusted_key_folder_is_a_problem_not_a_crash(sets_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "badkeys"
    bad.mkdir()
    (bad / "x.pub").write_text("not a key")
    lib = HashSetLibrary.load(sets_dir, bad, now=NOW)
    assert lib.trust_problems[0].startswith("trusted keys could not be loaded:")
    assert not lib.is_empty


def test_a_set_present_twice_is_used_once(sets_dir: Path, trusted_dir: Path) -> None:
    shutil.copytree(sets_dir / "cat-a.hashset", sets_dir / "copy-of-cat-a.hashset")
    lib = HashSetLibrary.load(sets_dir, trusted_dir, now=NOW)
    assert lib.trust_problems == [
        "hash set 'cat-a' is present twice (cat-a.hashset and copy-of-cat-a.hashset); "
        "only cat-a.hashset was used"
    ]
    assert len(lib.lookup(md5=MD5[0])) == 1
