"""One exit-code rule for scans (README table): 0 GREEN, 3 only when nothing could be examined
and nothing was found (no RED, no finding on a file), 10 for any other RED or AMBER."""

from __future__ import annotations

import os

from triage.errors import ExitCode
from triage.pipeline import ScanOptions, run_scan
from triage.ruleset import PACKAGED_RULES


def _bitlocker_volume(path):  # noqa: ANN001, ANN202
    """A bare BitLocker-looking volume: its signature, then random (encrypted-looking) bytes."""
    head = b"\xeb\x58\x90-FVE-FS-" + os.urandom(512 - 11)
    path.write_bytes(head + os.urandom(2 * 1024 * 1024))
    return path


def test_a_locked_volume_alone_is_a_coverage_gap_not_a_finding(tmp_path):
    """Issue 22 item 5: system encryption is a coverage fact. The packaged encrypted-volume rule
    lists the volume (info) and the gap keeps the verdict AMBER; nothing could be examined and
    nothing was found, so the exit code is EVIDENCE, as for any source nothing could be read of
    (issue 15 item 8 exited 3 *despite* a RED finding; there is no RED finding any more)."""
    image = _bitlocker_volume(tmp_path / "locked.img")
    result = run_scan([str(image)], tmp_path / "out", ScanOptions(rules=PACKAGED_RULES))
    report = result.report
    assert [v["status"] for v in report["coverage"]["volumes"]] == ["not_examined"]
    assert [(f["rule"], f["severity"]) for f in report["findings"]] == [
        ("encrypted-volume", "info")]
    assert report["verdict"]["level"] == "amber"
    assert not any("rule" in reason for reason in report["verdict"]["reasons"])
    assert result.exit_code is ExitCode.EVIDENCE


def test_nothing_examined_and_nothing_found_is_evidence(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("not a disk\n" * 1000)
    result = run_scan([str(text)], tmp_path / "out", ScanOptions(rules=PACKAGED_RULES))
    # Only the rule that restates the unexamined volume: not a find.
    assert all(f["kind"] == "rule" and "path" not in f for f in result.report["findings"])
    assert result.exit_code is ExitCode.EVIDENCE


def test_amber_with_something_examined_is_findings(tmp_path):
    folder = tmp_path / "clean"
    folder.mkdir()
    (folder / "a.txt").write_text("hello")
    amber = run_scan([str(folder)], tmp_path / "amber", ScanOptions())  # no hash sets
    assert (amber.report["verdict"]["level"], amber.exit_code) == ("amber", ExitCode.FINDINGS)


COURT_ORDER_RULE = """\
id: court-order-no-encryption
title: An encrypted volume although the order forbids encryption
description: The order forbids encrypted storage; a locked volume breaches it.
severity: high
condition: no-encryption
author: triage tests
version: 1
references:
  - https://example.invalid/court-order (the order's own conditions)
match:
  volume:
    status: not_examined
    reason: 'crypt|bitlocker|luks|filevault'
"""


def test_a_red_result_exits_10_even_when_nothing_could_be_examined(tmp_path):
    """Issue 15 item 8: a scan whose only result was a RED (a locked volume breaching an
    order) exited 3, 'evidence unreadable'. RED always exits 10."""
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "order.yml").write_text(COURT_ORDER_RULE)
    image = _bitlocker_volume(tmp_path / "locked.img")
    result = run_scan([str(image)], tmp_path / "out", ScanOptions(rules=rules))
    report = result.report
    assert [v["status"] for v in report["coverage"]["volumes"]] == ["not_examined"]
    assert [f["rule"] for f in report["findings"]] == ["court-order-no-encryption"]
    assert report["verdict"]["level"] == "red"
    assert result.exit_code is ExitCode.FINDINGS
