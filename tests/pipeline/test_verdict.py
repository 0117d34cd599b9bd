"""The verdict rules: what makes RED, AMBER and GREEN, and the reasons given."""

from __future__ import annotations

from triage.model import Address, FileRecord, Finding, Severity
from triage.report.verdict import decide


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
