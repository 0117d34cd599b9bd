"""`same_device`: conditions met by different records of one device (a program installed per
the SOFTWARE hive and run per a user's NTUSER.DAT), checked with `file:line:col` errors."""

from __future__ import annotations

from pathlib import Path

from triage.ruleset import RuleContext, load_rules
from triage.ruleset.loader import check_rules
from triage.ruleset.ruleset import device_of

RULE = """\
id: test-installed-and-run
title: Eraser installed and run
description: A test rule.
severity: high
evidence: used
condition: no-deletion-tools
author: tests
version: 1
references: [here]
match:
  same_device:
    - artefact: {kind: program-installed, name: "eraser*"}
    - artefact: {kind: program-run, name: eraser.exe}
tests:
  match:
    - records: [{kind: program-installed, name: Eraser 6.2}, {kind: program-run, name: Eraser.exe}]
  no_match:
    - {kind: program-run, name: Eraser.exe}
"""
PC = "/cases/pc.E01"
STICK = "/cases/stick.dd"


def _folder(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "rules"
    folder.mkdir(exist_ok=True)
    (folder / "r.yml").write_text(text, encoding="utf-8")
    return folder


def _record(kind: str, name: str, source: str, when: float) -> dict:
    return {"kind": kind, "time": when, "source": source, "profile": None,
            "fields": {"name": name}}


def test_installed_and_run_on_one_device_is_one_finding_with_both_parts(tmp_path: Path) -> None:
    rules = load_rules(_folder(tmp_path, RULE))
    records = [
        _record("program-installed", "Eraser 6.2", f"{PC} · p2@1048576 ntfs · "
                "/Windows/System32/config/SOFTWARE", 1_790_000_000.0),
        _record("program-run", "Eraser.exe", f"{PC} · p2@1048576 ntfs · "
                "/Users/alex/NTUSER.DAT", 1_790_100_000.0),
        _record("program-run", "ERASER.EXE", f"{PC} · p2@1048576 ntfs · "
                "/Windows/Prefetch/ERASER.EXE-1A2B3C4D.pf", 1_790_200_000.0),
        _record("program-run", "Eraser.exe", f"{STICK} · p1@512 fat32 · /NTUSER.DAT", 1.0),
    ]
    (finding,) = rules.match_artefacts(records, RuleContext())
    assert finding.rule == "test-installed-and-run" and finding.detail["address"] == PC
    assert finding.title == "Eraser installed and run (1 and 2 records)"
    installed, ran = finding.detail["parts"]
    assert installed["count"] == 1 and installed["sources"][0].endswith("/SOFTWARE")
    assert ran["count"] == 2 and ran["last"] == "2026-09-23T21:46:40Z"
    assert finding.detail["evidence"] == "used"


def test_one_part_alone_or_parts_on_different_devices_are_not_enough(tmp_path: Path) -> None:
    rules = load_rules(_folder(tmp_path, RULE))
    installed = _record("program-installed", "Eraser 6.2", f"{PC} · /SOFTWARE", 0.0)
    ran_elsewhere = _record("program-run", "Eraser.exe", f"{STICK} · /NTUSER.DAT", 0.0)
    assert rules.match_artefacts([installed], RuleContext()) == []
    assert rules.match_artefacts([installed, ran_elsewhere], RuleContext()) == []
    assert device_of(f"{PC} · p2@1048576 ntfs · /x") == PC


def _problems(tmp_path: Path, match: str) -> list[str]:
    text = RULE.replace(RULE[RULE.index("match:\n  same"):RULE.index("tests:")], match)
    return [str(p) for p in check_rules(_folder(tmp_path, text))]


def test_same_device_is_the_whole_match_of_artefact_conditions(tmp_path: Path) -> None:
    nested = _problems(tmp_path, "match:\n  any:\n    - same_device: [{artefact: {kind: "
                       "program-run}}, {artefact: {kind: program-installed}}]\n")
    assert any(":12:7: same_device must be the whole of a rule's match:" in p for p in nested)
    beside = _problems(tmp_path, "match:\n  artefact: {kind: program-run}\n  same_device: "
                       "[{artefact: {kind: program-run}}, {artefact: {kind: usb-device}}]\n")
    assert any(":12:3: same_device must be the whole" in p for p in beside)
    alone = _problems(tmp_path, "match:\n  same_device: [{artefact: {kind: program-run}}]\n")
    assert any(":11:16: same_device needs two or more artefact conditions" in p for p in alone)
    files = _problems(tmp_path, "match:\n  same_device: [{artefact: {kind: program-run}}, "
                      "{path: '**/eraser.exe'}]\n")
    assert any("same_device needs two or more artefact conditions" in p for p in files)
