"""RED / AMBER / GREEN from a scan's findings and typed gaps, with reasons in plain English."""

from __future__ import annotations

from collections import Counter
from typing import Any

from triage.ledger.records import Gap, GapKind
from triage.ledger.result import ScanResult
from triage.model import Finding, Severity, Verdict

# Findings of these severities from exact matches or rules make the verdict RED. Perceptual
# matches are leads and never make it RED by themselves (they cannot outrank an exact match).
RED_SEVERITIES = frozenset({Severity.HIGH, Severity.CRITICAL})
# Findings below this severity are listed but do not move the verdict off GREEN.
AMBER_MIN = Severity.LOW


def is_red(finding: Finding, untrusted_sets: frozenset[str] = frozenset()) -> bool:
    """Whether this finding alone makes the verdict RED (see `decide`).

    A known file is RED when a set that holds it at a RED severity is trusted: a set nobody
    vouches for (`untrusted_sets`) gives a lead, and never downgrades another set's match.
    """
    if finding.kind == "perceptual" or finding.severity not in RED_SEVERITIES:
        return False
    if finding.kind == "exact":
        return any(Severity(m["severity"]) in RED_SEVERITIES
                   and m["hashset"] not in untrusted_sets for m in finding.matched_sets())
    return True


def _untrusted_names(findings: list[Finding], untrusted_sets: frozenset[str]) -> list[str]:
    """The untrusted sets that alone held these known files at a RED severity."""
    return sorted({m["hashset"] for f in findings if f.kind == "exact"
                   for m in f.matched_sets() if m["hashset"] in untrusted_sets
                   and Severity(m["severity"]) in RED_SEVERITIES})


def decide(result: ScanResult) -> dict[str, Any]:
    """The verdict and every reason for it, most serious first.

    Trust problems are hash sets nobody vouches for (unsigned, expired, altered): a known-file
    hit against them is a lead, so it makes the verdict AMBER, not RED. Comparison gaps (no
    hash sets) and every gap whose kind caps the verdict rule out GREEN.
    """
    trust_problems = list(result.context.trust_problems)
    untrusted = result.context.untrusted_sets
    reasons: list[str] = []
    red = [f for f in result.findings if is_red(f, untrusted)]
    red_ids = {id(f) for f in red}
    amber = [f for f in result.findings
             if f.severity.rank >= AMBER_MIN.rank and id(f) not in red_ids]
    if red:
        # Counted in files: an exact finding is one file, however many sets hold it.
        kinds = Counter("known file" if f.kind == "exact" else "serious rule finding" for f in red)
        reasons.append("Found " + ", ".join(f"{n} {k}{'s' if n > 1 else ''}"
                                            for k, n in sorted(kinds.items())) + ".")
    if amber:
        names = _untrusted_names(amber, untrusted)
        if names:
            sets = ", ".join(f"'{n}'" for n in names)
            reasons.append(f"Known files were matched only against hash set"
                           f"{'s' if len(names) > 1 else ''} {sets}, which "
                           f"{'are' if len(names) > 1 else 'is'} not trusted; the matches "
                           "need confirming.")
        reasons.append(f"{len(amber)} finding{'s' if len(amber) > 1 else ''} need a look.")
    coverage_gaps = [*result.context.comparison_gaps, *gap_reasons(result)]
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


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _bytes(gaps: list[Gap]) -> str:
    known = sum(g.size for g in gaps if g.size is not None)
    return f" ({known:,} bytes)" if known else ""


def gap_reasons(result: ScanResult) -> list[str]:
    """One sentence per kind of gap that caps the verdict (none when coverage is complete).

    Whole volumes not examined, and walks that stopped early, are told from the per-volume
    coverage; every other capping gap by its kind. A capping gap always yields a sentence.
    """
    out: list[str] = []
    volumes = [v for v in result.volumes if not v.examined]
    partial = {v.address for v in result.volumes if not v.walk_complete}
    whole = {v.address for v in volumes}
    stopped = result.stopped_early
    by_kind: dict[GapKind, list[Gap]] = {}
    for gap in result.capping_gaps:
        if gap.address in whole or (gap.address in partial and gap.kind in (
                GapKind.LIMIT, GapKind.NOT_REACHED)):
            continue  # told with its volume below
        by_kind.setdefault(gap.kind, []).append(gap)
    if volumes:
        reasons = sorted({v.reason or "unknown" for v in volumes})
        out.append(f"{_plural(len(volumes), 'partition', 'partitions')} could not be "
                   f"examined ({'; '.join(reasons)}).")
    if GapKind.SOURCE in by_kind:
        n = len(by_kind.pop(GapKind.SOURCE))
        out.append(f"{_plural(n, 'evidence source', 'evidence sources')} could not be opened.")
    if GapKind.INTERNAL in by_kind:
        errors = _plural(len(by_kind.pop(GapKind.INTERNAL)), "internal error", "internal errors")
        out.append(f"Part of the scan was stopped by {errors}; see the warnings.")
    if GapKind.TRUNCATED in by_kind:
        gaps = by_kind.pop(GapKind.TRUNCATED)
        known = sum(g.size for g in gaps if g.size is not None)
        out.append(f"{_plural(len(gaps), 'partition runs', 'partitions run')} past the end of "
                   f"the image ({known:,} bytes not examined); the image may be truncated.")
    unreadable = by_kind.pop(GapKind.UNREADABLE, [])
    if unreadable:
        out.append(f"{_plural(len(unreadable), 'file, folder or area', 'files, folders or areas')}"
                   f" could not be read{_bytes(unreadable)}; see what was not examined.")
    archives = by_kind.pop(GapKind.ARCHIVE, [])
    if archives:
        s = "s" if len(archives) > 1 else ""
        out.append(f"{len(archives)} archive{s} or member{s} could not be looked into "
                   "(encrypted, damaged, unsupported or past a safety limit).")
    if result.writable_devices:
        n = len(result.writable_devices)
        out.append(f"{n} evidence device{'s were' if n > 1 else ' was'} not write-protected "
                   "during the scan.")
    if result.read_errors and not unreadable:  # reports of earlier scans: a count only
        out.append(f"{_plural(result.read_errors, 'file', 'files')} could not be read "
                   "completely.")
    if partial:
        out.append(f"{len(partial)} partition{'s were' if len(partial) > 1 else ' was'} "
                   "only partly listed; see what was not examined.")
    if result.budget_reached:
        by_kind.pop(GapKind.NOT_REACHED, None)
        out.append("The time budget ran out before the scan was complete"
                   + (f"; {stopped['files_not_reached']:,} files were not read."
                      if stopped else "."))
    elif stopped:
        by_kind.pop(GapKind.NOT_REACHED, None)
        out.append(f"The scan {stopped['reason']}; {stopped['files_not_reached']:,} files "
                   "were not read.")
    elif (result.problems_total and not volumes and not archives and not result.read_errors
          and not unreadable and not by_kind):
        out.append(f"{_plural(result.problems_total, 'problem', 'problems')} recorded while "
                   "walking the evidence; see the warnings.")
    for kind, gaps in by_kind.items():  # any other kind: never silently GREEN
        out.append(f"{_plural(len(gaps), 'area', 'areas')} not examined "
                   f"({_KIND_WORDS.get(kind, kind.value)}){_bytes(gaps)}; see what was not "
                   "examined.")
    return out


_KIND_WORDS = {
    GapKind.ENCRYPTED: "encrypted",
    GapKind.UNSUPPORTED: "format not supported",
    GapKind.NOT_REACHED: "not reached",
    GapKind.LIMIT: "past a safety limit",
}
