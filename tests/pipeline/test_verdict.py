"""The verdict rules: what makes RED, AMBER and GREEN, and the reasons given (from typed gaps)."""

from __future__ import annotations

import pytest

from triage.ledger import GapKind, Ledger, ScanContext
from triage.model import Address, FileRecord, Finding, Severity
from triage.report.verdict import decide, is_red
from triage.ruleset.vocabulary import SEVERITIES


def _finding(kind: str, severity: Severity, hashset: str | None = None,
             matches: list[dict] | None = None, path: str = "/x") -> Finding:
    record = FileRecord(Address("d.img", None, path), "x", 1)
    return Finding(kind, severity, record, f"{kind} finding", hashset=hashset, matches=matches)


def _ledger() -> Ledger:
    ledger = Ledger()
    ledger.volume(source="d.img", index=1, offset=0, size=10, description="p", fs="ntfs")
    return ledger


def _decide(findings=(), ledger=None, trust=(), gaps=(), untrusted=()):  # noqa: ANN001, ANN202
    ledger = ledger or _ledger()
    for finding in findings:
        ledger.finding(finding)
    context = ScanContext(trust_problems=tuple(trust), comparison_gaps=tuple(gaps),
                          untrusted_sets=frozenset(untrusted))
    result = ledger.result(context, started_utc="", finished_utc="", duration_s=0, host="",
                           tool_version="", listing_name="")
    return decide(result)


def test_nothing_found_and_nothing_missed_is_green():
    assert _decide([]) == {"level": "green", "reasons": [
        "Nothing found, and everything reachable was examined."]}


def test_an_exact_hit_is_red():
    verdict = _decide([_finding("exact", Severity.HIGH)])
    assert verdict == {"level": "red", "reasons": ["Found 1 known file."]}


def test_a_hit_against_an_untrusted_set_is_only_amber_and_the_reason_names_the_set():
    verdict = _decide([_finding("exact", Severity.CRITICAL, "x")],
                      trust=["hash set 'x' is not signed"], untrusted={"x"})
    assert verdict["level"] == "amber"
    assert verdict["reasons"][0].startswith(
        "Known files were matched only against hash set 'x', which is not trusted")
    assert ("Hash set 'x' is not signed: a match against it is a lead to confirm, not a known "
            "file.") in verdict["reasons"]


def test_an_untrusted_set_does_not_downgrade_a_trusted_sets_match():
    """Issue 15 item 2: adding an unrelated unsigned list turned RED into AMBER."""
    findings = [_finding("exact", Severity.HIGH, "lab-set", path="/a"),
                _finding("exact", Severity.HIGH, "stray.sha256", path="/b")]
    verdict = _decide(findings, trust=["hash set 'stray.sha256' is not signed"],
                      untrusted={"stray.sha256"})
    assert verdict["level"] == "red"
    assert verdict["reasons"][0] == "Found 1 known file."
    assert any("'stray.sha256', which is not trusted" in r for r in verdict["reasons"])


def test_a_file_in_a_trusted_and_an_untrusted_set_is_red():
    both = [{"hashset": "stray", "severity": "critical"}, {"hashset": "lab", "severity": "high"}]
    verdict = _decide([_finding("exact", Severity.CRITICAL, "stray", both)], untrusted={"stray"})
    assert verdict["level"] == "red" and verdict["reasons"][0] == "Found 1 known file."


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
    verdict = _decide([_finding("rule", Severity.MEDIUM, path="/a"),
                       _finding("rule", Severity.MEDIUM, path="/b")])
    assert verdict == {"level": "amber", "reasons": [
        "2 files need a look.", "Rule findings on 2 files show something an order commonly "
        "forbids: check whether the order names it."]}


def test_evidence_of_use_and_known_material_are_red():
    verdict = _decide([_finding("rule", Severity.HIGH), _finding("exact", Severity.HIGH),
                       _finding("rule", Severity.MEDIUM)])
    assert verdict["level"] == "red"
    assert verdict["reasons"][0] == "Found 1 known file, 1 rule finding of use."
    assert is_red(_finding("rule", Severity.HIGH))
    assert not is_red(_finding("rule", Severity.MEDIUM))


def test_known_material_of_a_low_category_still_needs_a_look():
    """A hash-set hit never leaves GREEN, whatever severity its category was given."""
    assert _decide([_finding("exact", Severity.LOW)])["level"] == "amber"
    assert _decide([_finding("exact", Severity.MEDIUM)])["level"] == "amber"


def _with(record) -> Ledger:  # noqa: ANN001
    ledger = _ledger()
    record(ledger)
    return ledger


def test_every_kind_of_gap_but_an_exclusion_rules_out_green_with_a_reason():
    for kind in GapKind:
        ledger = _with(lambda led, kind=kind: led.gap(kind, "d.img · p9@0", "why", size=5))
        verdict = _decide(ledger=ledger)
        if kind in (GapKind.EXCLUDED, GapKind.UNPARTITIONED):
            assert verdict["level"] == "green", kind
        else:
            assert verdict["level"] == "amber", kind
            assert not any("Nothing found" in r for r in verdict["reasons"]), kind


def test_gaps_and_counters_each_give_their_sentence():
    def volume(led: Ledger) -> None:
        led.volume_not_examined(led.volumes[0], GapKind.ENCRYPTED, "bitlocker")

    cases = {
        "1 partition could not be examined (bitlocker).": volume,
        "1 evidence source could not be opened.":
            lambda led: led.problem("gone.img", "evidence", "missing", gap=GapKind.SOURCE),
        "1 archive or member could not be looked into":
            lambda led: led.problem("a.zip", "containers", "enc", gap=GapKind.ARCHIVE),
        "2 files could not be read completely.":
            lambda led: [led.problem(f"f{n}", "read", "I/O error") for n in range(2)],
        "2 files, folders or areas could not be read (30 bytes)":
            lambda led: [led.problem(f"f{n}", "read", "I/O error", gap=GapKind.UNREADABLE,
                                     size=15) for n in range(2)],
        "The time budget ran out": lambda led: setattr(led, "budget_reached", True),
        "1 partition runs past the end of the image (4,096 bytes not examined)":
            lambda led: led.gap(GapKind.TRUNCATED, "d.img · p1@0", "short", size=4096),
        "1 file, folder or area could not be read":
            lambda led: led.gap(GapKind.UNREADABLE, "d.img · /private", "denied"),
        "3 problems recorded while walking":
            lambda led: [led.problem("x", "walk", "odd") for _ in range(3)],
    }
    for sentence, record in cases.items():
        verdict = _decide(ledger=_with(record))
        assert verdict["level"] == "amber", sentence
        assert any(r.startswith(sentence) for r in verdict["reasons"]), (sentence, verdict)
    assert _decide(gaps=["No hash sets were loaded."])["level"] == "amber"


def test_the_skipped_boot_stick_is_not_a_gap():
    ledger = _with(lambda led: led.gap(GapKind.EXCLUDED, "/dev/sdz", "the triage system"))
    assert _decide(ledger=ledger)["level"] == "green"


def test_counts_say_files_not_findings():
    """Issue 15 item 3: two findings on one file are one file that needs a look."""
    findings = [_finding("rule", Severity.MEDIUM, path="/a"),
                _finding("rule", Severity.LOW, path="/a"),
                _finding("perceptual", Severity.HIGH, path="/b")]
    assert "2 files need a look." in _decide(findings)["reasons"]
    assert "1 file needs a look." in _decide(findings[:2])["reasons"]
