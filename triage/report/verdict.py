"""RED / AMBER / GREEN from findings and coverage, with reasons in plain English."""

from __future__ import annotations

from collections import Counter
from typing import Any

from triage.model import Finding, Severity, Verdict
from triage.ruleset.vocabulary import AMBER_ASK, RULE_VERDICTS

# Known files (exact matches) of these severities make the verdict RED. Perceptual matches are
# leads and never make it RED by themselves (they cannot outrank an exact match).
RED_SEVERITIES = frozenset({Severity.HIGH, Severity.CRITICAL})
# Exact and perceptual findings below this severity are listed but leave the verdict GREEN.
# Rule findings follow the rule language's own table, RULE_VERDICTS (rules/README.md).
AMBER_MIN = Severity.LOW


def level_of(finding: Finding, trust_problems: list[str]) -> Verdict | None:
    """The verdict this finding alone asks for; None when it is only listed."""
    if finding.kind == "rule":
        return RULE_VERDICTS[finding.severity]
    if finding.severity.rank < AMBER_MIN.rank:
        return None
    if finding.kind == "perceptual" or finding.severity not in RED_SEVERITIES:
        return Verdict.AMBER
    return Verdict.AMBER if trust_problems and finding.kind == "exact" else Verdict.RED


def is_red(finding: Finding, trust_problems: list[str]) -> bool:
    """Whether this finding alone makes the verdict RED (see `decide`)."""
    return level_of(finding, trust_problems) is Verdict.RED


def decide(findings: list[Finding], coverage: dict[str, Any], *, trust_problems: list[str],
           gaps: list[str], warnings_total: int) -> dict[str, Any]:
    """The verdict and every reason for it, most serious first.

    `trust_problems` are hash sets nobody vouches for (unsigned, expired, altered): a known-file
    hit against them is a lead, so it makes the verdict AMBER, not RED. `gaps` are comparisons
    that could not be made at all (no hash sets); like unexamined partitions they rule out GREEN.
    """
    reasons: list[str] = []
    levels = [(f, level_of(f, trust_problems)) for f in findings]
    red = [f for f, level in levels if level is Verdict.RED]
    amber = [f for f, level in levels if level is Verdict.AMBER]
    if red:
        kinds = Counter("known file" if f.kind == "exact" else "rule finding of use" for f in red)
        reasons.append("Found " + ", ".join(f"{n} {k}{'s' if n > 1 else ''}"
                                            for k, n in sorted(kinds.items())) + ".")
    if amber:
        if trust_problems and any(f.kind == "exact" for f in amber):
            reasons.append("Known files were matched against a hash set that is not trusted; "
                           "the matches need confirming.")
        rules = sum(1 for f in amber if f.kind == "rule")
        others = len(amber) - rules
        if others:
            reasons.append(f"{others} finding{'s' if others > 1 else ''} need a look.")
        if rules:
            reasons.append(f"{rules} rule finding{'s' if rules > 1 else ''} show"
                           f"{'' if rules > 1 else 's'} something an order commonly forbids: "
                           f"{AMBER_ASK}.")
    coverage_gaps = [*gaps, *_gaps(coverage, warnings_total)]
    reasons.extend(coverage_gaps)
    reasons.extend(trust_problems)
    if red:
        level = Verdict.RED
    elif amber or coverage_gaps or trust_problems:
        level = Verdict.AMBER
    else:
        level = Verdict.GREEN
        reasons.append("Nothing found, and everything reachable was examined.")
    return {"level": level.value, "reasons": reasons}


def _gaps(coverage: dict[str, Any], warnings_total: int) -> list[str]:
    gaps = []
    volumes = [v for v in coverage["volumes"] if v["status"] == "not_examined"]
    if volumes:
        reasons = sorted({v.get("reason", "unknown") for v in volumes})
        gaps.append(f"{len(volumes)} partition{'s' if len(volumes) > 1 else ''} could not be "
                    f"examined ({'; '.join(reasons)}).")
    sources = [n for n in coverage["not_examined"] if n["what"] == "source"]
    if sources:
        gaps.append(f"{len(sources)} evidence source{'s' if len(sources) > 1 else ''} could "
                    "not be opened.")
    archives = [n for n in coverage["not_examined"] if n["what"] == "archive"]
    if archives:
        gaps.append(f"{len(archives)} archive{'s' if len(archives) > 1 else ''} or member"
                    f"{'s' if len(archives) > 1 else ''} could not be looked into "
                    "(encrypted, damaged, unsupported or past a safety limit).")
    if coverage.get("writable_devices"):
        gaps.append(f"{len(coverage['writable_devices'])} evidence device"
                    f"{'s were' if len(coverage['writable_devices']) > 1 else ' was'} not "
                    "write-protected during the scan.")
    if coverage["read_errors"]:
        gaps.append(f"{coverage['read_errors']} file{'s' if coverage['read_errors'] > 1 else ''}"
                    " could not be read completely.")
    partial = [n for n in coverage["not_examined"] if n["what"] == "partition remainder"]
    if partial:
        gaps.append(f"{len(partial)} partition{'s were' if len(partial) > 1 else ' was'} "
                    "only partly listed; see what was not examined.")
    stopped = coverage.get("stopped_early")
    if coverage["time_budget"]["reached"]:
        gaps.append("The time budget ran out before the scan was complete"
                    + (f"; {stopped['files_not_reached']:,} files were not read."
                       if stopped else "."))
    elif stopped:
        gaps.append(f"The scan {stopped['reason']}; {stopped['files_not_reached']:,} files "
                    "were not read.")
    elif warnings_total and not volumes and not archives and not coverage["read_errors"]:
        gaps.append(f"{warnings_total} problem{'s' if warnings_total > 1 else ''} recorded "
                    "while walking the evidence; see the warnings.")
    return gaps
