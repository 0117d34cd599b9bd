"""RED / AMBER / GREEN from a scan's findings and typed gaps, with reasons in plain English."""

from __future__ import annotations

from collections import Counter
from typing import Any

from triage.ledger.records import Gap, GapKind
from triage.ledger.result import ScanResult
from triage.model import Finding, Severity, Verdict
from triage.ruleset.vocabulary import AMBER_ASK, RULE_VERDICTS

# Known files (exact matches) of these severities make the verdict RED. Perceptual matches are
# leads and never make it RED by themselves (they cannot outrank an exact match).
RED_SEVERITIES = frozenset({Severity.HIGH, Severity.CRITICAL})
# Exact and perceptual findings below this severity are listed but leave the verdict GREEN.
# Rule findings follow the rule language's own table, RULE_VERDICTS (rules/README.md).
AMBER_MIN = Severity.LOW


def level_of(finding: Finding, untrusted_sets: frozenset[str] = frozenset()) -> Verdict | None:
    """The verdict this finding alone asks for; None when it is only listed.

    Rule findings follow RULE_VERDICTS. A known file is RED when a set that holds it at a RED
    severity is trusted: a set nobody vouches for (`untrusted_sets`) gives a lead (AMBER), and
    never downgrades another set's match. Perceptual matches are leads (AMBER).
    """
    if finding.kind == "rule":
        return RULE_VERDICTS[finding.severity]
    if finding.severity.rank < AMBER_MIN.rank:
        return None
    if finding.kind == "exact" and finding.severity in RED_SEVERITIES and any(
            Severity(m["severity"]) in RED_SEVERITIES and m["hashset"] not in untrusted_sets
            for m in finding.matched_sets()):
        return Verdict.RED
    if (finding.kind == "block" and finding.severity in RED_SEVERITIES
            and finding.hashset not in untrusted_sets):
        return Verdict.RED  # a known file's blocks: RED only from a trusted filter
    return Verdict.AMBER


def is_red(finding: Finding, untrusted_sets: frozenset[str] = frozenset()) -> bool:
    """Whether this finding alone makes the verdict RED (see `decide`)."""
    return level_of(finding, untrusted_sets) is Verdict.RED


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
    levels = [(f, level_of(f, untrusted)) for f in result.findings]
    red = [f for f, level in levels if level is Verdict.RED]
    amber = [f for f, level in levels if level is Verdict.AMBER]
    if red:
        # Counted in files: an exact finding is one file, however many sets hold it, and the
        # quick pass's finding for the same file (its blocks) is that file again.
        known = {f.where for f in red if f.kind in ("exact", "block")}
        kinds = Counter({"known file": len(known)} if known else {})
        kinds.update("rule finding of use" for f in red if f.kind not in ("exact", "block"))
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
        reasons.append(_need_a_look(amber))
        rules = [f for f in amber if f.kind == "rule"]
        if rules:
            reasons.append(f"Rule findings on {_places(rules)} show something an order commonly "
                           f"forbids: {AMBER_ASK}.")
    coverage_gaps = [*result.context.comparison_gaps, *gap_reasons(result)]
    reasons.extend(coverage_gaps)
    reasons.extend(_trust_sentence(p) for p in trust_problems)
    if red:
        level = Verdict.RED
    elif amber or coverage_gaps or trust_problems:
        level = Verdict.AMBER
    else:
        level = Verdict.GREEN
        reasons.append("Nothing found, and everything reachable was examined.")
    return {"level": level.value, "reasons": reasons}


def _trust_sentence(problem: str) -> str:
    """A hash-set trust problem ("hash set 'x' is not signed") as a sentence on what it means."""
    text = problem.strip().rstrip(".")
    return (f"{text[:1].upper()}{text[1:]}: a match against it is a lead to confirm, "
            "not a known file.")


def _need_a_look(findings: list[Finding]) -> str:
    """Counted in files (and volumes or folders, for findings about those), not findings."""
    places = _places(findings)
    return f"{places} {'needs' if places.startswith('1 ') and ' and ' not in places else 'need'}" \
        " a look."


def _places(findings: list[Finding]) -> str:
    """'2 files', '1 file and 1 volume or folder': the distinct places these findings are on."""
    files = len({f.where for f in findings if f.record is not None})
    others = len({f.where for f in findings if f.record is None})
    parts = ([_plural(files, "file", "files")] if files else []) + (
        [_plural(others, "volume or folder", "volumes or folders")] if others else [])
    return " and ".join(parts)


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _bytes(gaps: list[Gap]) -> str:
    known = sum(g.size for g in gaps if g.size is not None)
    return f" ({known:,} bytes)" if known else ""


def _by_kind(result: ScanResult) -> dict[GapKind, list[Gap]]:
    """The capping gaps by kind, less those told with their volume (a whole volume not
    examined, or the rest of a walk that stopped early)."""
    whole = {v.address for v in result.volumes if not v.examined}
    partial = {v.address for v in result.volumes if not v.walk_complete}
    by_kind: dict[GapKind, list[Gap]] = {}
    for gap in result.capping_gaps:
        if gap.address in whole or (gap.address in partial and gap.kind in (
                GapKind.LIMIT, GapKind.NOT_REACHED)):
            continue
        by_kind.setdefault(gap.kind, []).append(gap)
    return by_kind


def _sources(gaps: list[Gap]) -> str:
    return f"{_plural(len(gaps), 'evidence source', 'evidence sources')} could not be opened."


def _internal(gaps: list[Gap]) -> str:
    errors = _plural(len(gaps), "internal error", "internal errors")
    return f"Part of the scan was stopped by {errors}; see the warnings."


def _truncated(gaps: list[Gap]) -> str:
    known = sum(g.size for g in gaps if g.size is not None)
    return (f"{_plural(len(gaps), 'partition runs', 'partitions run')} past the end of the "
            f"image ({known:,} bytes not examined); the image may be truncated.")


def _unreadable(gaps: list[Gap]) -> str:
    return (f"{_plural(len(gaps), 'file, folder or area', 'files, folders or areas')} could "
            f"not be read{_bytes(gaps)}; see what was not examined.")


def _archives(gaps: list[Gap]) -> str:
    s = "s" if len(gaps) > 1 else ""
    return (f"{len(gaps)} archive{s} or member{s} could not be looked into (encrypted, "
            "damaged, unsupported or past a safety limit).")


# The sentence for each kind of gap, in the order the reasons list them.
_KIND_SENTENCES = {
    GapKind.SOURCE: _sources,
    GapKind.INTERNAL: _internal,
    GapKind.TRUNCATED: _truncated,
    GapKind.UNREADABLE: _unreadable,
    GapKind.ARCHIVE: _archives,
}
# Words for any other capping kind that is not told with its volume or the stop.
_KIND_WORDS = {
    GapKind.ENCRYPTED: "encrypted",
    GapKind.UNSUPPORTED: "format not supported",
    GapKind.NOT_REACHED: "not reached",
    GapKind.LIMIT: "past a safety limit",
}


def _stop_sentence(result: ScanResult, by_kind: dict[GapKind, list[Gap]]) -> str | None:
    """Why reading ended early (budget or stop), else a note on problems left unexplained."""
    stopped = result.stopped_early
    if result.budget_reached or stopped:
        by_kind.pop(GapKind.NOT_REACHED, None)  # the unread files are this sentence
    if result.budget_reached:
        return ("The time budget ran out before the scan was complete"
                + (f"; {stopped['files_not_reached']:,} files were not read." if stopped
                   else "."))
    if stopped:
        return (f"The scan {stopped['reason']}; {stopped['files_not_reached']:,} files were "
                "not read.")
    if result.problems_total and not by_kind and not result.read_errors and all(
            v.examined for v in result.volumes):
        return (f"{_plural(result.problems_total, 'problem', 'problems')} recorded while "
                "walking the evidence; see the warnings.")
    return None


def gap_reasons(result: ScanResult) -> list[str]:
    """One sentence per kind of gap that caps the verdict (none when coverage is complete).

    Whole volumes not examined, and walks that stopped early, are told from the per-volume
    coverage; every other capping gap by its kind. A capping gap always yields a sentence.
    """
    out: list[str] = []
    volumes = [v for v in result.volumes if not v.examined]
    if volumes:
        reasons = sorted({v.reason or "unknown" for v in volumes})
        out.append(f"{_plural(len(volumes), 'partition', 'partitions')} could not be "
                   f"examined ({'; '.join(reasons)}).")
    by_kind = _by_kind(result)
    told = {kind: by_kind.pop(kind) for kind in _KIND_SENTENCES if kind in by_kind}
    out.extend(_KIND_SENTENCES[kind](gaps) for kind, gaps in told.items())
    if result.writable_devices:
        n = len(result.writable_devices)
        out.append(f"{n} evidence device{'s were' if n > 1 else ' was'} not write-protected "
                   "during the scan.")
    if result.read_errors and GapKind.UNREADABLE not in told:  # earlier reports: a count only
        out.append(f"{_plural(result.read_errors, 'file', 'files')} could not be read "
                   "completely.")
    partial = [v for v in result.volumes if not v.walk_complete]
    if partial:
        out.append(f"{len(partial)} partition{'s were' if len(partial) > 1 else ' was'} "
                   "only partly listed; see what was not examined.")
    stop = _stop_sentence(result, by_kind)
    if stop is not None and (result.budget_reached or result.stopped_early or not (
            told.keys() & {GapKind.ARCHIVE, GapKind.UNREADABLE})):
        out.append(stop)
    for kind, gaps in by_kind.items():  # any other kind: never silently GREEN
        out.append(f"{_plural(len(gaps), 'area', 'areas')} not examined "
                   f"({_KIND_WORDS.get(kind, kind.value)}){_bytes(gaps)}; see what was not "
                   "examined.")
    return out
