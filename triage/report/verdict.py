"""RED / AMBER / GREEN from findings and coverage, with reasons in plain English."""

from __future__ import annotations

from collections import Counter
from typing import Any

from triage.model import Finding, Severity, Verdict

# Findings of these severities from exact matches or rules make the verdict RED. Perceptual
# matches are leads and never make it RED by themselves (they cannot outrank an exact match).
RED_SEVERITIES = frozenset({Severity.HIGH, Severity.CRITICAL})
# Findings below this severity are listed but do not move the verdict off GREEN.
AMBER_MIN = Severity.LOW


def decide(findings: list[Finding], coverage: dict[str, Any], trust_problems: list[str],
           warnings_total: int) -> dict[str, Any]:
    """The verdict and every reason for it, most serious first."""
    reasons: list[str] = []
    level = Verdict.GREEN
    red = [f for f in findings if f.kind != "perceptual" and f.severity in RED_SEVERITIES]
    red_ids = {id(f) for f in red}
    amber = [f for f in findings if f.severity.rank >= AMBER_MIN.rank and id(f) not in red_ids]
    if red:
        kinds = Counter("known file" if f.kind == "exact" else "serious rule finding" for f in red)
        reasons.append("Found " + ", ".join(f"{n} {k}{'s' if n > 1 else ''}"
                                            for k, n in sorted(kinds.items())) + ".")
        level = Verdict.RED
    if amber:
        reasons.append(f"{len(amber)} other finding{'s' if len(amber) > 1 else ''} need a look.")
    gaps = _gaps(coverage, warnings_total)
    reasons.extend(gaps)
    if trust_problems:
        reasons.extend(trust_problems)
        if level is Verdict.RED:
            # A hit against a set nobody vouches for cannot be more than a lead.
            level = Verdict.AMBER
            reasons.insert(0, "Hash set not trusted: the known-file result needs confirming.")
    if level is Verdict.GREEN and (amber or gaps or trust_problems):
        level = Verdict.AMBER
    if level is Verdict.GREEN:
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
    if coverage["read_errors"]:
        gaps.append(f"{coverage['read_errors']} file{'s' if coverage['read_errors'] > 1 else ''}"
                    " could not be read completely.")
    if coverage["time_budget"]["reached"]:
        gaps.append("The time budget ran out before the scan was complete.")
    elif warnings_total and not volumes and not coverage["read_errors"]:
        gaps.append(f"{warnings_total} problem{'s' if warnings_total > 1 else ''} recorded "
                    "while walking the evidence; see the warnings.")
    return gaps
