"""The officer's screen, rendered to a string console: progress with ETA, hits, verdict."""

from __future__ import annotations

import time

import pytest
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


def test_files_found_inside_archives_are_counted_apart_from_the_plans():
    """The plan counted the files the walk listed; an archive's members come on top, so the
    line never reads "9 of 7 files, 778 B of 463 B" (seen on an APFS volume's fseventsd)."""
    progress = LiveProgress(_console())
    progress.planned(2, 300)
    archive = FileRecord(Address("disk.img", PartitionRef(1, 0, "apfs"), "/log.gz"), "log.gz",
                         200)
    archive.bytes_hashed = 200
    member = FileRecord(Address("disk.img", PartitionRef(1, 0, "apfs"), "/log.gz",
                                member="log.out"), "log.out", 900)
    member.bytes_hashed = 900
    progress.file_done(archive)
    progress.file_done(member)
    text = progress._render().renderables[0].plain
    assert "1 of 2 files (+1 inside archives), 200 B of 300 B (67%)" in text


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
    assert "HIT Known file from hash set 'demo' — disk.img, partition 2 (FAT16): /x.jpg " \
           "(deleted)" in out
    assert "RED" in out and "Found 1 known file." in out
    assert "Known file <b>" in out and "(deleted)" in out
    assert "bitlocker" in out and "/reports/scan-1" in out


def test_a_disk_announced_by_the_quick_pass_is_one_disk_with_one_number():
    """The quick pass announces each disk before its hits; the file scan's walk announces it
    again: one 'Evidence 1' line, and its hits say 'Disk 1' like the file scan's."""
    console = _console()
    progress = LiveProgress(console)
    progress.source_started("laptop.img", 10**9)  # the quick pass
    record = FileRecord(Address("laptop.img", PartitionRef(1, 1048576, "ntfs"), "/a.jpg"),
                        "a.jpg", 10)
    progress.finding(Finding("block", Severity.CRITICAL, record, "Known file from block filter"))
    progress.source_started("laptop.img", 10**9)  # the file scan's walk
    out = console.export_text()
    assert out.count("Evidence 1: laptop.img") == 1 and "Evidence 2" not in out
    assert "Known file from block filter — Disk 1, partition 1 (NTFS): /a.jpg" in out


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
    # The table folds long text inside its column: read the column's text back in one piece.
    out = console.export_text()
    lines = [line.split("\u2502") for line in out.splitlines()]
    what = "".join(cells[2].strip() for cells in lines if len(cells) > 3)
    assert "Seen:installed(nothingseenshowsitran).[1]" in "".join(what.split())
    # The order wording once, under the table, by its number.
    assert ("[1] Relates to: \u201cmust not use or install encryption or wiping tools\u201d "
            "\u2014 check the order's own wording.") in out


def test_the_same_order_wording_is_printed_once_for_many_findings():
    """Every deleted picture relates to the same condition: one footnote, not one paragraph
    repeated in every row of an 80-column table."""
    console = Console(record=True, width=80, force_terminal=False, color_system=None)
    offence = ("no order term needed: making or keeping indecent images of children is an "
               "offence (Protection of Children Act 1978 s.1)")
    findings = [{"kind": "rule", "severity": "low", "title": "A deleted image",
                 "condition": "no-indecent-images", "path": f"/p{n}.jpg",
                 "address": f"disk.img · p1@1048576 fat32 · /p{n}.jpg",
                 "detail": {"order_wording": offence}} for n in range(3)]
    findings.append({"kind": "rule", "severity": "medium", "title": "VeraCrypt is installed",
                     "address": "disk.img · p1@1048576 fat32 · /VeraCrypt.exe",
                     "detail": {"evidence": "installed",
                                "order_wording": "must not use or install encryption tools"}})
    report = {"verdict": {"level": "amber", "reasons": ["4 rule findings."]},
              "findings": findings,
              "coverage": {"not_examined": [], "files_seen": 4, "files_deleted": 3,
                           "files_hashed": 4, "bytes_hashed": 40},
              "warnings_total": 0, "provenance": {}}
    render_summary(console, report, "/reports/scan-4")
    out = console.export_text()
    assert out.count("No order term needed") == 1 and out.count("[1]") == 4
    assert out.count("must not use or install encryption tools") == 1 and "[2]" in out


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


PATH = "/Users/alex/Pictures/2023/Holiday Málaga/IMG_4711.jpg"


def _hit(path: str = PATH) -> Finding:
    record = FileRecord(Address("laptop.img", PartitionRef(2, 210 * 2**20, "ntfs"), path, 201),
                        path.rpartition("/")[2], 5000, deleted=True)
    return Finding("exact", Severity.CRITICAL, record,
                   "Known file from hash set 'caid-2026-11', category A")


@pytest.mark.parametrize("width", [80, 120])
def test_live_hits_keep_paths_readable_in_officer_words(width):
    console = Console(record=True, width=width, force_terminal=False, color_system=None)
    progress = LiveProgress(console)
    progress.source_started("phone-card.img", 2**30)
    progress.source_started("laptop.img", 500 * 10**9)
    progress.finding(_hit())
    progress.finding(_hit("/Users/alex/AppData/Local/Packages/Microsoft.Windows.Photos_8wekyb3d8bbwe"
                          "/LocalState/PhotosAppTile/a.jpg"))
    console.print(progress.hit_table())
    lines = console.export_text().splitlines()
    table = lines[lines.index(next(x for x in lines if "Hits so far: 2" in x)):]
    assert all(len(line) <= width for line in table)
    where = [line.split("│", 1)[1].strip() for line in table if "│" in line]
    assert where[0] == "Disk 2, partition 2 (NTFS)"
    # The path breaks only after a '/', never inside a folder or file name.
    assert "".join(where[1:where.index("Disk 2, partition 2 (NTFS)", 1)]) == f"{PATH} (deleted)"
    assert all(w.endswith("/") for w in where[1:where.index("Disk 2, partition 2 (NTFS)", 1) - 1])
    assert " · " not in "\n".join(table) and "inode" not in "\n".join(table)
    assert any(line.rstrip().endswith("/LocalState/PhotosAppTile/a.jpg (deleted)")
               or line.rstrip().endswith("a.jpg (deleted)") for line in table)


def test_no_eta_until_it_means_something():
    clock = [1000.0]
    progress = LiveProgress(_console(), clock=lambda: clock[0])
    progress.planned(100, 1_000_000_000)
    record = FileRecord(Address("disk.img", PartitionRef(1, 0, "ntfs"), "/a"), "a", 1)

    def read(size: int, seconds: float) -> str:
        record.bytes_hashed = size
        clock[0] += seconds
        progress.file_done(record)
        return progress._render().renderables[0].plain

    assert "ETA" not in read(200_000_000, 2.0)  # 20 % after 2 s: too early to tell
    assert "ETA 0:48" in read(0, 10.0)  # 12 s in, 20 % read: now meaningful
    slow = LiveProgress(_console(), clock=lambda: clock[0])
    slow.planned(100, 10**12)
    record.bytes_hashed = 10**9
    clock[0] += 60
    slow.file_done(record)
    assert "ETA" not in slow._render().renderables[0].plain  # 0.1 % after a minute


def _big_report(level: str = "red") -> dict:
    findings = [{"severity": "high", "title": "Known file", "source": "laptop.img",
                 "partition": {"index": 2, "offset": 1048576, "fs": "ntfs"},
                 "path": f"/Users/alex/Pictures/{n}.jpg", "deleted": n % 2 == 0,
                 "address": f"laptop.img · p2@1048576 ntfs · /Users/alex/Pictures/{n}.jpg"}
                for n in range(70)]
    return {
        "verdict": {"level": level, "reasons": ["Found 70 known files."]},
        "findings": findings,
        "coverage": {"not_examined": [
            {"source": "laptop.img", "what": "partition", "offset": 5, "reason": "bitlocker"},
            {"source": "/dev/sdz", "what": "triage system", "offset": 0, "reason": "the stick"}],
            "files_seen": 3000, "files_deleted": 12, "files_hashed": 2990,
            "bytes_hashed": 5 * 10**9},
        "warnings_total": 4,
        "provenance": {"evidence": [{"source": "laptop.img"}]},
    }


def test_the_last_lines_repeat_verdict_counts_and_folder():
    console = Console(record=True, width=80, force_terminal=False, color_system=None)
    render_summary(console, _big_report(), "/reports/scan-3", signed=False)
    last = console.export_text().rstrip("\n").splitlines()[-3:]
    assert last == [
        " RED  Found 70 known files.",
        "3,000 files examined (12 deleted), 5.0 GB read; 1 part not examined; 4 problems.",
        "Report: /reports/scan-3",
    ]


def test_a_long_not_examined_table_is_cut_with_a_pointer_to_the_report():
    report = _big_report()
    report["coverage"]["not_examined"] = [
        {"source": "laptop.img", "what": "archive", "offset": None, "reason": f"corrupt {n}"}
        for n in range(45)]
    console = Console(record=True, width=80, force_terminal=False, color_system=None)
    render_summary(console, report, "/reports/scan-4")
    out = console.export_text()
    assert "corrupt 19" in out and "corrupt 20" not in out
    assert "… and 25 more in the report" in out and "None" not in out
    assert out.rstrip().endswith("Report: /reports/scan-4")
