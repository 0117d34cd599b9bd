"""The `keywords` artefact condition: one finding per keyword list and source file, naming the
matched lines of the list (never its terms), with `file:line:col` errors like every condition."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from triage.ruleset import RuleContext, load_rules
from triage.ruleset.loader import check_rules

RULE = """\
id: test-keywords
title: A search matched a list
description: A test rule.
severity: medium
condition: no-indecent-images
author: tests
version: 1
references: [here]
match:
  artefact: {kind: [browser-search, browser-visit], keywords: LISTS}
tests:
  match:
    - {kind: browser-search, terms: "a b", keyword_hits: [{list: lab-a, line: 3}]}
  no_match:
    - {kind: browser-search, terms: "a b"}
"""


def _load(tmp_path: Path, lists: str = "true"):  # noqa: ANN202
    folder = tmp_path / "rules"
    folder.mkdir(exist_ok=True)
    (folder / "r.yml").write_text(RULE.replace("LISTS", lists), encoding="utf-8")
    return folder


def _record(kind: str, source: str, hits: list[tuple[str, int]], when: float = 0.0) -> dict:
    record = {"kind": kind, "time": 1_790_000_000.0 + when, "source": source, "profile": None,
              "fields": {"terms": "words the person typed"}}
    if hits:
        record["keyword_hits"] = [{"list": name, "version": "2", "line": line, "field": "terms"}
                                  for name, line in hits]
    return record


def test_one_finding_per_list_and_source_naming_the_lines(tmp_path: Path) -> None:
    rules = load_rules(_load(tmp_path))
    records = [
        _record("browser-search", "disk · /History", [("lab-a", 7), ("lab-b", 2)]),
        _record("browser-visit", "disk · /History", [("lab-a", 3)], when=60),
        _record("browser-search", "disk · /History", []),
        _record("browser-search", "disk · /places.sqlite", [("lab-a", 7)]),
        _record("program-run", "disk · /NTUSER.DAT", [("lab-a", 9)]),  # kind not in the rule
    ]
    found = rules.match_artefacts(records, RuleContext())
    assert [(f.detail["address"], f.detail["keyword_list"], f.detail["keyword_lines"],
             f.detail["count"]) for f in found] == [
        ("disk · /History", "lab-a", [3, 7], 2), ("disk · /History", "lab-b", [2], 1),
        ("disk · /places.sqlite", "lab-a", [7], 1)]
    assert found[0].title == "A search matched a list: keyword list 'lab-a' lines 3, 7 (2 records)"
    assert found[0].detail["keyword_list_version"] == "2"
    assert found[1].title.endswith("keyword list 'lab-b' line 2 (1 record)")


def test_list_names_narrow_the_condition(tmp_path: Path) -> None:
    rules = load_rules(_load(tmp_path, '["LAB-B*"]'))
    records = [_record("browser-search", "d · /H", [("lab-a", 1), ("lab-b", 4)])]
    (finding,) = rules.match_artefacts(records, RuleContext())
    assert finding.detail["keyword_list"] == "lab-b" and finding.detail["keyword_lines"] == [4]


def test_other_rules_over_the_same_records_are_not_split_per_list(tmp_path: Path) -> None:
    folder = _load(tmp_path)
    (folder / "s.yml").write_text(RULE.replace("test-keywords", "plain-search").replace(
        ", keywords: LISTS", "").replace("keyword_hits: [{list: lab-a, line: 3}]", "").replace(
        '    - {kind: browser-search, terms: "a b"}\n', '    - {kind: program-run}\n'),
        encoding="utf-8")
    rules = load_rules(folder)
    records = [_record("browser-search", "d · /H", [("lab-a", 1), ("lab-b", 4)])]
    by_rule = {}
    for finding in rules.match_artefacts(records, RuleContext(now=dt.datetime.now(dt.UTC))):
        by_rule.setdefault(finding.rule, []).append(finding)
    assert len(by_rule["test-keywords"]) == 2 and len(by_rule["plain-search"]) == 1
    assert "keyword_list" not in by_rule["plain-search"][0].detail


def test_a_bad_keywords_value_is_reported_with_its_place(tmp_path: Path) -> None:
    problems = [str(p) for p in check_rules(_load(tmp_path, "[]"))]
    assert any("r.yml:10:" in p and "keywords" in p for p in problems), problems
    bad_example = RULE.replace("keyword_hits: [{list: lab-a, line: 3}]", "keyword_hits: lab-a")
    folder = tmp_path / "other"
    folder.mkdir()
    (folder / "r.yml").write_text(bad_example.replace("LISTS", "true"), encoding="utf-8")
    problems = [str(p) for p in check_rules(folder)]
    assert any("r.yml:13:58:" in p and "keyword_hits must be a list" in p
               for p in problems), problems
