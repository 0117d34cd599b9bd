"""The verdict rules: what makes RED, AMBER and GREEN, and the reasons given."""

from __future__ import annotations

import pytest

from triage.model import Address, FileRecord, Finding, Severity
from triage.report.verdict import decide, is_red
from triage.ruleset.vocabulary import SEVERITIES


def _coverage(**changes):  # noqa: ANN003, ANN202
    coverage = {"volumes": [{"status": "examined"}], "not_examined": [], "read_errors": 0,
                "time_budget": {"minutes": None, "reached": False}}
    coverage.update(changes)
    return coverage


def _finding(kind: str, severity: Severity) -> Finding:
    record = FileRecord(Address("d.img", None, "/x"), "x", 1)
    return Finding(kind, severity, record, f"{kind} finding")


def _decide(findings, coverage=None, trust=(), gaps=(), warnings=0):  # noqa: ANN001, ANN202
    return decide(findings, coverage or _coverage(), trust_problems=list(trust),
                  gaps=list(gaps), warnings_total=warnings)


def test_nothing_found_and_nothing_missed_is_green():
    assert _decide([]) == {"level": "green", "reasons": [
        "Nothing found, and everything reachable was examined."]}


def test_an_exact_hit_is_red():
    verdict = _decide([_finding("exact", Severity.HIGH)])
    assert verdict == {"level": "red", "reasons": ["Found 1 known file."]}


def test_a_hit_against_an_untrusted_set_is_only_amber():
    verdict = _decide([_finding("exact", Severity.CRITICAL)], trust=["hash set 'x' is not signed"])
    assert verdict["level"] == "amber"
    assert "not trusted" in verdict["reasons"][0]
    assert "hash set 'x' is not signed" in verdict["reasons"]


def test_a_serious_rule_finding_stays_red_even_with_untrusted_sets():
    verdict = _decide([_finding("rule", Severity.HIGH)], trust=["hash set 'x' expired"])
    assert verdict["level"] == "red"


def test_perceptual_matches_are_leads_never_red():
    assert _decide([_finding("perceptual", Severity.CRITICAL)])["level"] == "amber"


def test_info_findings_do_not_move_the_verdict():
    assert _decide([_finding("rule", Severity.INFO)])["level"] == "green"


# The one severity -> verdict mapping for rules (triage/ruleset/vocabulary.py, rules/README.md).
RULE_LEVELS = {Severity.INFO: "green", Severity.LOW: "green", Severity.MEDIUM: "amber",
               Severity.HIGH: "red", Severity.CRITICAL: "red"}


@pytest.mark.parametrize(("severity", "level"), RULE_LEVELS.items())
def test_each_rule_severity_gives_its_documented_verdict(severity, level):
    assert _decide([_finding("rule", severity)])["level"] == level
    # The words the schema and README show say the same thing as the code does.
    assert level.upper() in SEVERITIES[severity.value]


def test_a_fact_and_a_low_finding_leave_green_green():
    """A browser keeping history (info) and one deleted picture (low) are listed, not AMBER."""
    verdict = _decide([_finding("rule", Severity.INFO), _finding("rule", Severity.LOW)])
    assert verdict["level"] == "green"


def test_a_tool_only_present_asks_to_check_the_order():
    verdict = _decide([_finding("rule", Severity.MEDIUM), _finding("rule", Severity.MEDIUM)])
    assert verdict == {"level": "amber", "reasons": [
        "2 rule findings show something an order commonly forbids: check whether the order "
        "names it."]}


def test_evidence_of_use_and_known_material_are_red():
    verdict = _decide([_finding("rule", Severity.HIGH), _finding("exact", Severity.HIGH),
                       _finding("rule", Severity.MEDIUM)])
    assert verdict["level"] == "red"
    assert verdict["reasons"][0] == "Found 1 known file, 1 rule finding of use."
    assert is_red(_finding("rule", Severity.HIGH), [])
    assert not is_red(_finding("rule", Severity.MEDIUM), [])


def test_known_material_of_a_low_category_still_needs_a_look():
    """A hash-set hit never leaves GREEN, whatever severity its category was given."""
    assert _decide([_finding("exact", Severity.LOW)])["level"] == "amber"
    assert _decide([_finding("exact", Severity.MEDIUM)])["level"] == "amber"


def test_every_kind_of_gap_rules_out_green():
    gaps = {
        "volume": _coverage(volumes=[{"status": "not_examined", "reason": "bitlocker"}]),
        "source": _coverage(not_examined=[{"what": "source"}]),
        "archive": _coverage(not_examined=[{"what": "archive"}]),
        "read errors": _coverage(read_errors=2),
        "time budget": _coverage(time_budget={"minutes": 1, "reached": True}),
    }
    for name, coverage in gaps.items():
        assert _decide([], coverage)["level"] == "amber", name
    assert _decide([], warnings=3)["level"] == "amber"
    assert _decide([], gaps=["No hash sets were loaded."])["level"] == "amber"


def test_the_skipped_boot_stick_is_not_a_gap():
    coverage = _coverage(not_examined=[{"what": "triage system"}])
    assert _decide([], coverage)["level"] == "green"
