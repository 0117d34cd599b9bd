"""The frozen result of a scan: all that report/writer and report/verdict read."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from triage.ledger.records import Gap, Problem, Resume, VolumeCoverage
from triage.model import Finding


@dataclass(frozen=True)
class ScanContext:
    """What the scan was asked to do and compared against (from the options and matchers)."""

    case: str | None = None
    officer: str | None = None
    subject: str | None = None  # a reference to the person the scan concerns, never a name
    command: str = ""
    time_budget_min: float | None = None
    hashsets: tuple[dict[str, Any], ...] = ()  # provenance of every set compared against
    rules: tuple[dict[str, Any], ...] = ()
    # Hash sets nobody vouches for (unsigned, expired, altered): one sentence each, and the
    # names of those sets, whose exact matches are leads rather than RED.
    trust_problems: tuple[str, ...] = ()
    untrusted_sets: frozenset[str] = frozenset()
    # Comparisons that could not be made at all (no hash sets): they rule out GREEN.
    comparison_gaps: tuple[str, ...] = ()
    extra_provenance: dict[str, Any] = field(default_factory=dict)  # e.g. boot facts


@dataclass(frozen=True)
class ScanResult:
    """Everything a finished scan recorded, frozen; the report is built from this alone."""

    context: ScanContext
    started_utc: str
    finished_utc: str
    duration_s: float
    host: str
    tool_version: str
    listing_name: str
    findings: tuple[Finding, ...]
    problems: tuple[Problem, ...]  # the first MAX_PROBLEMS_LISTED
    problems_total: int
    gaps: tuple[Gap, ...]
    volumes: tuple[VolumeCoverage, ...]
    evidence: tuple[dict[str, Any], ...]
    writable_devices: tuple[str, ...]
    files_seen: int
    files_deleted: int
    files_hashed: int
    bytes_hashed: int
    read_errors: int
    skipped: dict[str, int]
    other_entries: dict[str, int]
    budget_reached: bool
    stopped: str | None
    priority: tuple[dict[str, Any], ...]
    stopped_early: dict[str, Any] | None
    first_hit: float | None
    first_hit_address: str | None
    resumed: tuple[Resume, ...]
    quick_pass: dict[str, Any] | None = None  # the block quick pass's own coverage
    # What the artefact extractors gave ({records, by_kind, files}); empty when not read.
    artefacts: dict[str, Any] = field(default_factory=dict)
    artefacts_listing: str | None = None

    @property
    def capping_gaps(self) -> tuple[Gap, ...]:
        return tuple(g for g in self.gaps if g.caps_verdict)

    @property
    def complete(self) -> bool:
        """Everything reachable was examined: no stop, every walk finished, no capping gap."""
        return (self.stopped is None and all(v.walk_complete for v in self.volumes)
                and not self.capping_gaps)
