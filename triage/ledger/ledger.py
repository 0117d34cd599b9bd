"""The scan ledger: the one place every layer records findings, problems, gaps and coverage."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from triage.ledger.progress import ProgressSink
from triage.ledger.records import Gap, GapKind, Problem, Resume, VolumeCoverage
from triage.ledger.result import ScanContext, ScanResult
from triage.ledger.serial import from_json, to_json
from triage.model import FileRecord, Finding, utc_text

# report.json lists at most this many problems in full (the count is always exact); a hostile
# disk can produce millions and the report must stay readable.
MAX_PROBLEMS_LISTED = 1000
BUDGET_REACHED = "time budget reached"
STOPPED_ON_RED = "stopped at the first RED finding (--stop-on-first-red)"


def _transient(default: Any = None, factory: Callable[[], Any] | None = None) -> Any:
    """A field that lives only while this process scans (not saved by the journal)."""
    meta = {"transient": True}
    if factory is not None:
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


@dataclass
class Ledger:
    """One per scan. Walk, stages and containers record through its methods and never build
    report dicts; the journal saves its non-transient fields (derived, see ledger.serial), and
    `result()` freezes it for the report.

    The scan's own thread owns it: workers hand their problems and findings back to that
    thread, which records them.
    """

    # --- saved by the journal (a field added here is saved, resumed and reported) ---
    files_seen: int = 0
    files_deleted: int = 0
    files_hashed: int = 0
    bytes_hashed: int = 0
    read_errors: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    other_entries: Counter[str] = field(default_factory=Counter)
    findings: list[Finding] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # the first MAX_PROBLEMS_LISTED
    problems_total: int = 0
    gaps: list[Gap] = field(default_factory=list)
    volumes: list[VolumeCoverage] = field(default_factory=list)
    evidence: list[dict[str, Any]] = field(default_factory=list)
    writable_devices: list[str] = field(default_factory=list)
    first_hit: float | None = None
    first_hit_address: str | None = None
    resumed: list[Resume] = field(default_factory=list)
    budget_reached: bool = False
    stopped: str | None = None  # why reading ended before the plan did
    # Plan coverage: {(volume, class): [files, bytes]} planned and reached.
    planned: dict[tuple[int, int], list[int]] = field(default_factory=dict)
    reached: dict[tuple[int, int], list[int]] = field(default_factory=dict)
    done_entries: int = 0  # plan entries finished and listed (always a prefix of the order)
    finished: bool = False  # every planned file is read or listed as not reached
    priority: list[dict[str, Any]] = field(default_factory=list)  # coverage by class
    stopped_early: dict[str, Any] | None = None
    elapsed_before: float = 0.0  # seconds spent before a resume
    thumbnails: dict[str, bytes] | None = None  # finding address -> PNG, when asked for
    signed: bool = False  # whether the scan began with a signing key (a resume must sign too)
    quick_pass: dict[str, Any] | None = None  # coverage.quick_pass (triage/plan/quickpass.py)
    # --- this process only ---
    progress: ProgressSink = _transient(factory=ProgressSink)
    started: float = _transient(factory=time.monotonic)
    started_wall: float = _transient(factory=time.time)
    deadline: float | None = _transient()
    stop_on_red: bool = _transient(False)
    is_red: Callable[[Finding], bool] = _transient(lambda finding: False)
    in_flight: dict[int, tuple[int, int, int]] = _transient(factory=dict)
    halt: threading.Event = _transient(factory=threading.Event)  # set when the scan stops
    next_entry: int = _transient(0)  # plan entries handed to the workers (in reading order)
    last_checkpoint: float = _transient(0.0)

    # --- the ways in ---

    def gap(self, kind: GapKind, address: str, reason: str, *, size: int | None = None,
            offset: int | None = None, what: str = "") -> Gap:
        """Record something that was not examined."""
        gap = Gap(GapKind(kind), address, reason, size, offset, what)
        self.gaps.append(gap)
        return gap

    def problem(self, address: str, stage: str, message: str, *, gap: GapKind | None = None,
                reason: str | None = None, size: int | None = None,
                offset: int | None = None) -> Problem:
        """Record a problem; with `gap`, also the coverage gap it leaves at `address`."""
        return self.add_problem(Problem(address, stage, message, gap, reason, size, offset))

    def add_problem(self, problem: Problem) -> Problem:
        """Record a problem made elsewhere (a worker, a container reader)."""
        self.problems_total += 1
        if len(self.problems) < MAX_PROBLEMS_LISTED:
            self.problems.append(problem)  # the report lists this many; all are counted
        if problem.stage == "read":
            self.read_errors += 1
        if problem.gap is not None:
            self.gap(problem.gap, problem.address, problem.gap_reason, size=problem.size,
                     offset=problem.offset, what="file" if problem.stage == "read" else "")
        self.progress.warning(problem)
        return problem

    def internal_error(self, where: str, exc: Exception) -> None:
        """A bug stopped part of the scan: it is reported, and the rest goes on."""
        self.problem(where, "internal",
                     f"stopped by an internal error ({type(exc).__name__}: {exc}); "
                     "please report it")
        self.gap(GapKind.INTERNAL, where, "internal error part-way; see warnings", offset=0)

    def finding(self, finding: Finding) -> None:
        """Record a finding; the first RED one stops the scan when the officer asked so."""
        if self.first_hit is None:
            self.first_hit = self.elapsed()
            self.first_hit_address = finding.where
        self.findings.append(finding)
        self.progress.finding(finding)
        if self.stop_on_red and not self.stopped and self.is_red(finding):
            self.stopped = STOPPED_ON_RED
            self.halt.set()

    def file_done(self, record: FileRecord, *, reached: bool = True) -> None:
        """Count one listed file (`reached`: read and examined, not merely listed)."""
        self.files_seen += 1
        self.files_deleted += record.deleted
        skipped = record.facts.get("skipped")
        if skipped:
            self.skipped[skipped] += 1
        if record.sha256 is not None:
            self.files_hashed += 1
            self.bytes_hashed += record.bytes_hashed
        if reached:
            self.progress.file_done(record)

    def volume(self, **facts: Any) -> VolumeCoverage:
        """A new per-volume coverage entry (mutable while scanning); not examined -> a gap."""
        volume = VolumeCoverage(**facts)
        self.volumes.append(volume)
        return volume

    def volume_not_examined(self, volume: VolumeCoverage, kind: GapKind, reason: str) -> Gap:
        """Mark a volume as not examined and record the gap it leaves."""
        volume.status, volume.reason, volume.gap = "not_examined", reason, GapKind(kind)
        # An APFS volume shares its container's space with its siblings: not a partition.
        what = "volume" if volume.fs == "apfs" else "partition"
        return self.gap(kind, volume.address, reason, size=volume.size, offset=volume.offset,
                        what=what)

    # --- time and stopping ---

    def elapsed(self) -> float:
        """Seconds of scanning so far, the interrupted run's included."""
        return time.monotonic() - self.started + self.elapsed_before

    def out_of_time(self) -> bool:
        """Whether the time budget has run out (and if so, mark the scan as stopped by it)."""
        if self.deadline is not None and not self.budget_reached and (
                time.monotonic() > self.deadline):
            self.budget_reached = True
            self.stopped = self.stopped or BUDGET_REACHED
        return self.budget_reached

    # --- saving, resuming, freezing ---

    def to_json(self) -> dict[str, Any]:
        """The saved part, as the journal's checkpoint holds it."""
        data = to_json(self)
        data["elapsed_before"] = self.elapsed()
        return data

    def restore(self, data: dict[str, Any]) -> None:
        """Put a checkpoint's values back (the inverse of to_json)."""
        saved = from_json(Ledger, data)
        for f in dataclasses.fields(self):
            if not f.metadata.get("transient") and f.name in data:
                setattr(self, f.name, getattr(saved, f.name))

    def resume(self, checkpoint_utc: str | None, *, signed: bool, host: str | None) -> Resume:
        """Record that this scan goes on after an interruption."""
        resume = Resume(utc_text(), checkpoint_utc, self.done_entries, signed, host)
        self.resumed.append(resume)
        self.progress.resumed(resume)
        return resume

    def result(self, context: ScanContext | None = None, *, started_utc: str = "",
               finished_utc: str = "", duration_s: float = 0.0, host: str = "",
               tool_version: str = "", listing_name: str = "") -> ScanResult:
        """The frozen result the report is built from (the pipeline names the run's context,
        times and outputs; the defaults suit a ledger looked at on its own)."""
        return ScanResult(
            context=context or ScanContext(), started_utc=started_utc, finished_utc=finished_utc,
            duration_s=duration_s, host=host, tool_version=tool_version,
            listing_name=listing_name, findings=tuple(self.findings),
            problems=tuple(self.problems), problems_total=self.problems_total,
            gaps=tuple(self.gaps), volumes=tuple(dataclasses.replace(v) for v in self.volumes),
            evidence=tuple(dict(e) for e in self.evidence),
            writable_devices=tuple(self.writable_devices), files_seen=self.files_seen,
            files_deleted=self.files_deleted, files_hashed=self.files_hashed,
            bytes_hashed=self.bytes_hashed, read_errors=self.read_errors,
            skipped=dict(sorted(self.skipped.items())),
            other_entries=dict(sorted(self.other_entries.items())),
            budget_reached=self.budget_reached, stopped=self.stopped,
            priority=tuple(self.priority), stopped_early=self.stopped_early,
            first_hit=self.first_hit, first_hit_address=self.first_hit_address,
            resumed=tuple(self.resumed), quick_pass=self.quick_pass)
