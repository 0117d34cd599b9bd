"""Artefact conditions in the rule language: checked like every condition, matched per record,
aggregated per rule and source file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from triage.ruleset import RuleContext, load_rules
from triage.ruleset.loader import check_rules

RULE = """\
id: test-artefact
title: Something ran
description: A test rule.
severity: high
condition: no-deletion-tools
author: tests
version: 1
references: [here]
match:
  artefact: {kind: program-run, name: ["eraser*", "Téléchargeur*"], since: true}
tests:
  match:
    - {kind: program-run, name: ERASER.EXE, time: 2026-11-02, since: 2026-11-01}
  no_match:
    - {kind: program-run, name: eraser.exe, time: 2026-10-02, since: 2026-11-01}
"""


def _rules(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "r.yml").write_text(text, encoding="utf-8")
    return folder


def test_records_match_case_and_accent_insensitively_and_aggregate(tmp_path: Path) -> None:
    rules = load_rules(_rules(tmp_path, RULE))
    when = dt.datetime(2026, 11, 3, tzinfo=dt.UTC).timestamp()
    records = [{"kind": "program-run", "time": when + n, "source": "disk · /NTUSER.DAT",
                "profile": "alex", "fields": {"name": name}}
               for n, name in enumerate(["Eraser.exe", "telechargeur.exe", "explorer.exe"])]
    context = RuleContext(since=dt.datetime(2026, 11, 1, tzinfo=dt.UTC))
    (finding,) = rules.match_artefacts(records, context)
    assert finding.rule == "test-artefact" and finding.detail["count"] == 2
    assert finding.title == "Something ran (2 records)"
    assert finding.detail["address"] == "disk · /NTUSER.DAT"
    assert finding.detail["first"] == "2026-11-03T00:00:00Z"
    late = RuleContext(since=dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    assert rules.match_artefacts(records, late) == []


def test_problems_are_reported_with_their_place(tmp_path: Path) -> None:
    bad = RULE.replace("kind: program-run, name", "kind: program-ran, nom")
    problems = check_rules(_rules(tmp_path, bad))
    text = "\n".join(str(p) for p in problems)
    assert "r.yml:10:" in text
    assert "program-ran" in text or "nom" in text


def test_artefact_and_file_conditions_cannot_mix(tmp_path: Path) -> None:
    mixed = RULE.replace('match:\n  artefact:', 'match:\n  path: "**/x"\n  artefact:')
    problems = check_rules(_rules(tmp_path, mixed))
    assert any("cannot mix file, volume and artefact" in str(p) for p in problems)
