"""The scan ledger: typed gaps and problems, one way in, derived serialisation, frozen result."""

from __future__ import annotations

import dataclasses
import json

import pytest

from triage.ledger import (
    MAX_PROBLEMS_LISTED,
    STOPPED_ON_RED,
    Gap,
    GapKind,
    Ledger,
    Problem,
    ProgressSink,
    ScanContext,
    VolumeCoverage,
)
from triage.model import Address, FileRecord, Finding, PartitionRef, Severity


def _record(path: str = "/a.jpg", sha256: str | None = "ab" * 32) -> FileRecord:
    return FileRecord(Address("disk.img", PartitionRef(1, 1048576, "ntfs"), path, 42),
                      path.rsplit("/", 1)[-1], 10, deleted=True, sha256=sha256,
                      bytes_hashed=10, facts={"hashset_hits": [{"set": "s"}]})


def _finding(severity: Severity = Severity.HIGH) -> Finding:
    return Finding("exact", severity, _record(), "Known file", hashset="s", detail={"x": 1})


def _result(ledger: Ledger):
    return ledger.result(ScanContext(case="C1"), started_utc="2026-01-01T00:00:00Z",
                         finished_utc="2026-01-01T00:00:01Z", duration_s=1.0, host="h",
                         tool_version="0", listing_name="files.jsonl.gz")


def test_only_an_exclusion_and_unpartitioned_space_leave_the_verdict_uncapped() -> None:
    assert [k for k in GapKind if not k.caps_verdict] == [GapKind.UNPARTITIONED,
                                                          GapKind.EXCLUDED]
    assert Gap(GapKind.ENCRYPTED, "d", "locked").caps_verdict


def test_gaps_are_typed_and_report_their_source_kind_and_bytes() -> None:
    ledger = Ledger()
    gap = ledger.gap("truncated", "disk.img · p2@1048576", "the image ends 10 bytes early",
                     size=10, offset=2048)
    assert gap.kind is GapKind.TRUNCATED and ledger.gaps == [gap]
    assert gap.to_report() == {
        "source": "disk.img", "what": "image end", "kind": "truncated", "offset": 2048,
        "size": 10, "reason": "the image ends 10 bytes early",
        "address": "disk.img · p2@1048576"}
    assert "address" not in ledger.gap(GapKind.SOURCE, "gone.img", "missing").to_report()


def test_a_problem_with_a_gap_records_both_and_read_problems_count_as_read_errors() -> None:
    ledger = Ledger()
    ledger.problem("a.zip · x", "containers", "member is encrypted", gap=GapKind.ARCHIVE,
                   reason="encrypted")
    ledger.problem("b.jpg", "read", "I/O error")
    assert ledger.problems_total == 2 and ledger.read_errors == 1
    assert ledger.gaps == [Gap(GapKind.ARCHIVE, "a.zip · x", "encrypted: member is encrypted")]
    assert ledger.problems[0].to_report() == {"address": "a.zip · x", "stage": "containers",
                                              "message": "member is encrypted",
                                              "gap": "archive"}
    assert ledger.problems[1].to_report() == {"address": "b.jpg", "stage": "read",
                                              "message": "I/O error"}


def test_problems_are_all_counted_but_only_the_first_are_listed() -> None:
    ledger = Ledger()
    for n in range(MAX_PROBLEMS_LISTED + 5):
        ledger.problem(f"f{n}", "walk", "bad")
    assert ledger.problems_total == MAX_PROBLEMS_LISTED + 5
    assert len(ledger.problems) == MAX_PROBLEMS_LISTED


def test_progress_sees_every_problem_finding_and_reached_file() -> None:
    seen: list[str] = []

    class Sink(ProgressSink):
        def warning(self, warning: Problem) -> None:
            seen.append("problem")

        def finding(self, finding: Finding) -> None:
            seen.append("finding")

        def file_done(self, record: FileRecord) -> None:
            seen.append("file")

    ledger = Ledger(progress=Sink())
    ledger.problem("x", "walk", "bad")
    ledger.finding(_finding())
    ledger.file_done(_record())
    ledger.file_done(_record(), reached=False)  # listed only: counted, not shown as read
    assert seen == ["problem", "finding", "file"]
    assert (ledger.files_seen, ledger.files_deleted, ledger.files_hashed) == (2, 2, 2)


def test_stop_on_red_stops_at_the_first_red_finding_only() -> None:
    ledger = Ledger(stop_on_red=True, is_red=lambda f: f.severity is Severity.HIGH)
    ledger.finding(_finding(Severity.LOW))
    assert ledger.stopped is None
    ledger.finding(_finding(Severity.HIGH))
    assert ledger.stopped == STOPPED_ON_RED
    assert ledger.first_hit_address == "disk.img · p1@1048576 ntfs · /a.jpg · inode 42"


def test_a_volume_not_examined_is_a_typed_gap_with_its_bytes() -> None:
    ledger = Ledger()
    volume = ledger.volume(source="disk.img", index=2, offset=4096, size=8192,
                           description="Basic data", fs="unknown")
    gap = ledger.volume_not_examined(volume, GapKind.ENCRYPTED, "encrypted (BitLocker)")
    assert volume.to_report() == {
        "source": "disk.img", "index": 2, "offset": 4096, "size": 8192,
        "description": "Basic data", "fs": "unknown", "status": "not_examined",
        "reason": "encrypted (BitLocker)"}
    assert (gap.kind, gap.size, gap.offset, gap.address) == (
        GapKind.ENCRYPTED, 8192, 4096, "disk.img · p2@4096")


def test_volume_coverage_reports_layers_and_encryption_only_when_known() -> None:
    volume = VolumeCoverage("d", 1, 0, 10, "p", "ntfs", layers=["gpt p1", "bitlocker", "ntfs"],
                            encryption={"kind": "bitlocker", "state": "unlocked"},
                            walk_complete=False, files=3)
    out = volume.to_report()
    assert out["layers"] == ["gpt p1", "bitlocker", "ntfs"]
    assert out["encryption"]["state"] == "unlocked"
    assert out["walk_complete"] is False and out["files"] == 3
    assert "used_bytes" not in out


def test_every_saved_field_survives_a_checkpoint_round_trip() -> None:
    """Serialisation is derived from the dataclass: a field added once is saved and resumed."""
    ledger = Ledger(thumbnails={})
    ledger.finding(_finding())
    ledger.problem("x", "read", "bad", gap=GapKind.UNREADABLE)
    ledger.gap(GapKind.EXCLUDED, "/dev/sdz", "the triage system itself", offset=0)
    volume = ledger.volume(source="d", index=1, offset=0, size=5, description="p", fs="ext4",
                           used_bytes=3, layers=["mbr p1", "ext4"])
    volume.walk_complete = False
    ledger.skipped["sparse"] += 2
    ledger.planned[(0, 3)] = [1, 10]
    ledger.thumbnails["a"] = b"\x89PNG"
    ledger.resume("2026-01-01T00:00:00Z", signed=True, host="stick")
    saved = json.loads(json.dumps(ledger.to_json()))
    again = Ledger()
    again.restore(saved)
    for f in dataclasses.fields(Ledger):
        if f.metadata.get("transient") or f.name in ("volumes", "elapsed_before"):
            continue
        assert getattr(again, f.name) == getattr(ledger, f.name), f.name
    assert [v.to_report() for v in again.volumes] == [v.to_report() for v in ledger.volumes]
    assert again.elapsed_before >= saved["elapsed_before"] > 0
    assert again.to_json()["gaps"] == saved["gaps"]


def test_the_result_is_frozen_and_complete_only_without_capping_gaps() -> None:
    ledger = Ledger()
    ledger.gap(GapKind.EXCLUDED, "/dev/sdz", "the triage system itself")
    result = _result(ledger)
    assert result.complete
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.stopped = "x"  # type: ignore[misc]
    ledger.gap(GapKind.UNREADABLE, "folder · /private", "folder not readable")
    assert not ledger.result().complete  # as the API sheet has it: no arguments needed
    assert result.complete  # an earlier result does not change with the ledger
