"""Folder sources: regular files only, links never followed, hostile names shown safely."""

from __future__ import annotations

import hashlib
import os

import pytest

from triage.errors import ExitCode, UsageError
from triage.evidence.directory import FileContent
from triage.model import Address, FileRecord
from triage.pipeline import run_scan
from triage.report.listing import read_listing
from triage.stages.digests import ReadError, hash_content
from triage.stages.matching import NO_HASHSETS


def test_folder_scan_lists_files_and_does_not_follow_links(tmp_path):
    evidence = tmp_path / "evidence"
    (evidence / "a" / "b").mkdir(parents=True)
    (evidence / "a" / "b" / "photo.txt").write_bytes(b"x" * 5000)
    (evidence / "empty").write_bytes(b"")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("must not be read")
    os.symlink(outside, evidence / "link-to-outside")
    os.symlink(outside / "secret.txt", evidence / "file-link")
    result = run_scan([str(evidence)], tmp_path / "out")
    listed = {r["path"]: r for r in read_listing(tmp_path / "out" / "files.jsonl.gz")}
    assert set(listed) == {"/a/b/photo.txt", "/empty"}
    assert listed["/a/b/photo.txt"]["sha256"] == hashlib.sha256(b"x" * 5000).hexdigest()
    assert listed["/empty"]["sha256"] == hashlib.sha256(b"").hexdigest()
    assert result.report["coverage"]["other_entries"] == {"symbolic link": 2}
    assert result.exit_code is ExitCode.FINDINGS  # AMBER only because no hash set was given
    assert result.report["verdict"]["reasons"] == [NO_HASHSETS]


def test_hostile_names_survive_into_the_listing(tmp_path):
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    names = [b"bad\xff\xfename.jpg", b"tab\tnew\nline.txt", b"<img src=x onerror=alert(1)>.jpg"]
    for name in names:
        with open(os.path.join(os.fsencode(evidence), name), "wb") as handle:
            handle.write(name)
    run_scan([str(evidence)], tmp_path / "out")
    listed = {r["name"]: r for r in read_listing(tmp_path / "out" / "files.jsonl.gz")}
    assert "bad\\xff\\xfename.jpg" in listed  # invalid UTF-8 stays visible, byte for byte
    assert "tab\tnew\nline.txt" in listed
    assert listed["<img src=x onerror=alert(1)>.jpg"]["sha256"] == hashlib.sha256(
        names[2]).hexdigest()


def test_output_inside_the_evidence_folder_is_refused(tmp_path):
    with pytest.raises(UsageError, match="inside the evidence"):
        run_scan([str(tmp_path)], tmp_path / "out")


def test_a_file_that_shrinks_while_read_is_a_read_error_not_a_crash(tmp_path):
    path = tmp_path / "shrinking.bin"
    path.write_bytes(b"y" * 3_000_000)
    content = FileContent(str(tmp_path), "shrinking.bin", 3_000_000)
    os.truncate(path, 1_500_000)  # the file changed between the walk and the read
    record = FileRecord(Address("t", None, "/shrinking.bin"), "shrinking.bin", 3_000_000)
    with pytest.raises(ReadError, match="ended at byte 1500000 of 3000000"):
        hash_content(record, content, ["md5"])
    content.close()
    assert record.sha256 is None


def test_warnings_are_all_counted_but_listed_only_up_to_the_limit(tmp_path, monkeypatch):
    import triage.ledger.ledger as ledger

    monkeypatch.setattr(ledger, "MAX_PROBLEMS_LISTED", 5)
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    for i in range(12):  # folders that cannot be read: one warning each
        folder = evidence / f"locked{i}"
        folder.mkdir()
        (folder / "x").write_text("x")
    import triage.walk.logical as logical

    real_open = logical.open_subfolder

    def refusing(parent, name):  # noqa: ANN001, ANN202
        if os.fsencode(name).startswith(b"locked"):
            raise PermissionError(13, "Permission denied")
        return real_open(parent, name)

    monkeypatch.setattr(logical, "open_subfolder", refusing)
    result = run_scan([str(evidence)], tmp_path / "out")
    assert result.report["warnings_total"] == 12
    assert len(result.report["warnings"]) == 5


def test_an_internal_error_still_leaves_an_honest_report(tmp_path, monkeypatch):
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    (evidence / "a.txt").write_text("a")

    def broken_walk(*_args, **_kwargs):  # noqa: ANN002, ANN003, ANN202
        raise RuntimeError("a bug in the walker")
        yield  # pragma: no cover - makes this a generator like the real walk

    monkeypatch.setattr("triage.plan.walking.walk_folder", broken_walk)
    result = run_scan([str(evidence)], tmp_path / "out")
    assert (tmp_path / "out" / "report.json").is_file()
    assert result.report["verdict"]["level"] == "amber"
    assert any(w["stage"] == "internal" and "a bug in the walker" in w["message"]
               for w in result.report["warnings"])
    assert result.report["coverage"]["not_examined"][0]["reason"].startswith("internal error")


def test_a_file_gone_between_the_walk_and_its_turn_is_a_read_error(tmp_path):
    """The plan reads files later than it lists them; one removed meanwhile is recorded."""
    from triage.ledger import ProgressSink

    evidence = tmp_path / "evidence"
    evidence.mkdir()
    (evidence / "kept.txt").write_text("kept")
    (evidence / "gone.txt").write_text("gone")

    class RemoveAfterListing(ProgressSink):
        def planned(self, files: int, size: int) -> None:
            (evidence / "gone.txt").unlink()

    report = run_scan([str(evidence)], tmp_path / "out", progress=RemoveAfterListing()).report
    assert report["coverage"]["files_seen"] == 2 and report["coverage"]["read_errors"] == 1
    assert any(w["stage"] == "read" and "gone.txt" in w["address"] for w in report["warnings"])
    assert report["verdict"]["level"] == "amber"
