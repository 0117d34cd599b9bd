"""A scan computes only the digests its sets need, and a flagged file still carries all three."""

from __future__ import annotations

import gzip
import hashlib
import json
import zipfile
from pathlib import Path

from click.testing import CliRunner

from triage.hashdb.cli import hashset
from triage.model import Address, FileRecord
from triage.pipeline import ScanOptions, run_scan
from triage.stages.digests import fill_digests, hash_content

KNOWN = b"benign stand-in for a known file " * 4000  # 132,000 bytes: more than one read
OTHER = b"an ordinary letter about the bins\n" * 100


def _sets(tmp_path: Path, *md5_lists: str) -> Path:
    refs = tmp_path / "refs"
    refs.mkdir()
    (refs / "known.bin").write_bytes(KNOWN)
    sets = tmp_path / "sets"
    runner = CliRunner()
    done = runner.invoke(hashset, ["add-files", str(refs), "--name", "lab", "--category", "A",
                                   "--into", str(sets)])
    assert done.exit_code == 0, done.output
    for i, digest in enumerate(md5_lists):
        listed = tmp_path / f"list{i}.md5"
        listed.write_text(f"{digest}  x\n")
        done = runner.invoke(hashset, ["import", str(listed), "--name", f"md5s{i}", "--format",
                                       "md5sum", "--into", str(sets)])
        assert done.exit_code == 0, done.output
    return sets


def _evidence(tmp_path: Path) -> Path:
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    (evidence / "copy.bin").write_bytes(KNOWN)
    (evidence / "letter.txt").write_bytes(OTHER)
    with zipfile.ZipFile(evidence / "parcel.zip", "w") as archive:
        archive.writestr("inside/known.bin", KNOWN)
    return evidence


def _listing(out: Path) -> dict[str, dict]:
    with gzip.open(out / "files.jsonl.gz", "rt", encoding="utf-8") as lines:
        return {record["path"]: record for record in map(json.loads, lines)}


def test_sets_made_from_files_need_sha256_alone_and_findings_still_carry_md5_and_sha1(tmp_path):
    result = run_scan([str(_evidence(tmp_path))], tmp_path / "out",
                      ScanOptions(hashsets=_sets(tmp_path)))
    want = {n: hashlib.new(n, KNOWN).hexdigest() for n in ("md5", "sha1", "sha256")}
    exact = [f for f in result.report["findings"] if f["kind"] == "exact"]
    assert {f["path"] for f in exact} == {"/copy.bin", "/parcel.zip!inside/known.bin"}
    for finding in exact:
        assert {n: finding[n] for n in want} == want  # archive member included
    listed = _listing(tmp_path / "out")
    assert listed["/copy.bin"]["md5"] == want["md5"]
    letter = listed["/letter.txt"]
    assert letter["sha256"] == hashlib.sha256(OTHER).hexdigest()
    assert (letter["md5"], letter["sha1"]) == (None, None)  # no set needed them


def test_an_md5_list_beside_them_brings_md5_back_for_every_file(tmp_path):
    sets = _sets(tmp_path, hashlib.md5(b"something else").hexdigest())  # noqa: S324
    run_scan([str(_evidence(tmp_path))], tmp_path / "out", ScanOptions(hashsets=sets))
    letter = _listing(tmp_path / "out")["/letter.txt"]
    assert letter["md5"] == hashlib.md5(OTHER).hexdigest()  # noqa: S324
    assert letter["sha1"] is None


class _Content:
    def __init__(self, data: bytes, fail: bool = False) -> None:
        self.data, self.size, self.fail = data, len(data), fail

    def read(self, offset: int, length: int) -> bytes:
        if self.fail:
            raise OSError(5, "Input/output error")
        return self.data[offset : offset + length]


def test_fill_digests_adds_only_what_is_missing_and_only_for_a_file_hashed_whole():
    record = FileRecord(Address("d", None, "/k"), "k", len(KNOWN))
    hash_content(record, _Content(KNOWN), ())
    assert record.md5 is None and record.sha256 == hashlib.sha256(KNOWN).hexdigest()
    fill_digests(record, _Content(KNOWN, fail=True))  # unreadable now: left as it was
    assert record.md5 is None
    fill_digests(record, _Content(KNOWN))
    assert (record.md5, record.sha1) == (hashlib.md5(KNOWN).hexdigest(),  # noqa: S324
                                         hashlib.sha1(KNOWN).hexdigest())  # noqa: S324
    partial = FileRecord(Address("d", None, "/p"), "p", len(KNOWN))  # never hashed
    fill_digests(partial, _Content(KNOWN))
    assert partial.md5 is None


def test_fill_digests_does_not_compute_the_sha256_it_already_has(monkeypatch):
    record = FileRecord(Address("d", None, "/k"), "k", len(KNOWN))
    hash_content(record, _Content(KNOWN), ())
    made: list[str] = []
    real = hashlib.new
    monkeypatch.setattr("triage.stages.digests.hashlib.new",
                        lambda name: made.append(name) or real(name))
    fill_digests(record, _Content(KNOWN))
    assert made == ["md5", "sha1"]
    assert record.sha256 == hashlib.sha256(KNOWN).hexdigest()
