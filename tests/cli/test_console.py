"""The officer's screen, rendered to a string console: progress with ETA, hits, verdict."""

from __future__ import annotations

import time

from rich.console import Console

from triage.console import LiveProgress, render_summary
from triage.model import Address, FileRecord, Finding, PartitionRef, Severity


def _console() -> Console:
    return Console(record=True, width=120, force_terminal=False, color_system=None)


def test_progress_lists_then_reads_with_share_and_eta():
    progress = LiveProgress(_console(), time_budget_min=20)
    progress.volume_started("disk.img", {"index": 1, "fs": "ntfs"})
    progress.planning(256)
    progress.planning(512)
    progress.volume_started("disk.img", {"index": 2, "fs": "ext4"})
    progress.planning(256)
    listing = progress._render().renderables[0].plain
    assert "Listing disk.img p2 ext4  768 files found" in listing
    progress.planned(768, 4_000_000)
    progress.class_started("pictures in chosen folders")
    progress.reading_started_at = time.monotonic() - 10  # ten seconds into reading
    record = FileRecord(Address("disk.img", PartitionRef(1, 0, "ntfs"), "/a"), "a", 1_000_000)
    record.bytes_hashed = 1_000_000
    progress.file_done(record)
    text = progress._render().renderables[0].plain
    assert "Reading pictures in chosen folders  1 of 768 files, 1.0 MB of 4.0 MB (25%), ETA 0:30" \
        in text
    assert "time left" in text


def test_plain_console_prints_each_hit_and_the_summary():
    console = _console()
    progress = LiveProgress(console)
    record = FileRecord(Address("disk.img", PartitionRef(2, 1048576, "fat16"), "/x.jpg", 7),
                        "x.jpg", 10, deleted=True)
    progress.finding(Finding("exact", Severity.HIGH, record, "Known file from hash set 'demo'"))
    report = {
        "verdict": {"level": "red", "reasons": ["Found 1 known file."]},
        "findings": [{"severity": "high", "title": "Known file <b>", "deleted": True,
                      "address": "disk.img · p2@1048576 fat16 · /x.jpg · inode 7"}],
        "coverage": {"not_examined": [{"source": "disk.img", "what": "partition",
                                       "offset": 5, "reason": "bitlocker"}],
                     "files_seen": 3, "files_deleted": 1, "files_hashed": 3,
                     "bytes_hashed": 30},
        "warnings_total": 0,
    }
    render_summary(console, report, "/reports/scan-1")
    out = console.export_text()
    assert "HIT Known file from hash set 'demo' — disk.img · p2@1048576 fat16 · /x.jpg" in out
    assert "RED" in out and "Found 1 known file." in out
    assert "Known file <b>" in out and "(deleted)" in out
    assert "bitlocker" in out and "/reports/scan-1" in out


def test_summary_says_how_many_files_were_not_reached():
    console = _console()
    coverage = {"not_examined": [], "files_seen": 100, "files_deleted": 3, "files_hashed": 40,
                "bytes_hashed": 4000,
                "stopped_early": {"reason": "time budget reached", "files_not_reached": 60,
                                  "bytes_not_reached": 6_000_000}}
    report = {"verdict": {"level": "amber", "reasons": ["The time budget ran out."]},
              "findings": [], "coverage": coverage, "warnings_total": 0}
    render_summary(console, report, "/reports/scan-2")
    out = console.export_text()
    assert "40 files examined (3 deleted)" in out
    assert "Not reached: 60 files (6.0 MB): time budget reached" in out


def test_summary_shows_each_rule_findings_evidence_and_order_wording():
    console = Console(record=True, width=400, force_terminal=False, color_system=None)
    finding = {"kind": "rule", "severity": "medium", "title": "VeraCrypt is installed",
               "address": "disk.img · p2@1048576 ntfs · /Program Files/VeraCrypt/VeraCrypt.exe",
               "detail": {"evidence": "installed",
                          "order_wording": "must not use or install encryption or wiping tools"}}
    report = {"verdict": {"level": "amber", "reasons": ["1 rule finding shows something an order "
                                                        "commonly forbids: check whether the "
                                                        "order names it."]},
              "findings": [finding],
              "coverage": {"not_examined": [], "files_seen": 3, "files_deleted": 0,
                           "files_hashed": 3, "bytes_hashed": 30},
              "warnings_total": 0, "provenance": {}}
    render_summary(console, report, "/reports/scan-3")
    out = " ".join(console.export_text().split())
    assert "Seen: installed (nothing seen shows it ran)." in out
    assert ("Relates to: \u201cmust not use or install encryption or wiping tools\u201d \u2014 "
            "check the order's own wording.") in out


def test_listed_facts_are_not_shouted_as_hits():
    """A browser's history database (info) is listed in the report, never a red HIT line."""
    console = _console()
    progress = LiveProgress(console)
    record = FileRecord(Address("disk.img", PartitionRef(2, 1048576, "ntfs"), "/History"),
                        "History", 10)
    progress.finding(Finding("rule", Severity.INFO, record, "A browser history database"))
    progress.finding(Finding("rule", Severity.MEDIUM, record, "VeraCrypt is installed"))
    out = console.export_text()
    assert "browser history" not in out
    assert "HIT VeraCrypt is installed" in out
    assert len(progress.hits) == 1
