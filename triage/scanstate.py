"""One scan's counters, findings and warnings, and the progress events it sends out."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from triage.model import FileRecord, Finding, ScanWarning
from triage.report.verdict import is_red
from triage.report.writer import MAX_WARNINGS_LISTED

BUDGET_REACHED = "time budget reached"
STOPPED_ON_RED = "stopped at the first RED finding (--stop-on-first-red)"


class ProgressSink:
    """Receives progress events; the console shows them, the library default ignores them."""

    def source_started(self, name: str, size: int | None) -> None: ...
    def volume_started(self, source: str, volume: dict[str, Any]) -> None: ...
    def planning(self, files: int) -> None: ...
    def planned(self, files: int, size: int) -> None: ...
    def class_started(self, name: str) -> None: ...
    def file_done(self, record: FileRecord) -> None: ...
    def finding(self, finding: Finding) -> None: ...
    def warning(self, warning: ScanWarning) -> None: ...


@dataclass
class ScanState:
    """Counters and collected results of one scan (the scan's own thread owns them).

    The checkpointed part is saved by triage/plan/journal.py (state_to_json); a field added
    here that a resumed scan needs must be added there too.
    """

    progress: ProgressSink = field(default_factory=ProgressSink)
    started: float = field(default_factory=time.monotonic)
    started_wall: float = field(default_factory=time.time)
    deadline: float | None = None
    budget_reached: bool = False
    stopped: str | None = None  # why reading ended before the plan did
    stop_on_red: bool = False
    trust_problems: list[str] = field(default_factory=list)
    # Plan coverage: {(volume, class): [files, bytes]} planned and reached.
    planned: dict[tuple[int, int], list[int]] = field(default_factory=dict)
    reached: dict[tuple[int, int], list[int]] = field(default_factory=dict)
    in_flight: dict[int, tuple[int, int, int]] = field(default_factory=dict)
    next_entry: int = 0  # plan entries handed to the workers (in reading order)
    done_entries: int = 0  # plan entries finished and listed (always a prefix of the order)
    elapsed_before: float = 0.0  # seconds spent before a resume
    last_checkpoint: float = 0.0
    resumed: list[dict[str, Any]] = field(default_factory=list)
    finished: bool = False  # every planned file is read or listed as not reached
    priority: list[dict[str, Any]] = field(default_factory=list)  # coverage by class
    stopped_early: dict[str, Any] | None = None
    files_seen: int = 0
    files_deleted: int = 0
    files_hashed: int = 0
    bytes_hashed: int = 0
    read_errors: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    other_entries: Counter[str] = field(default_factory=Counter)
    findings: list[Finding] = field(default_factory=list)
    warnings: list[ScanWarning] = field(default_factory=list)  # the first MAX_WARNINGS_LISTED
    warnings_total: int = 0
    writable_devices: list[str] = field(default_factory=list)
    volumes: list[dict[str, Any]] = field(default_factory=list)
    not_examined: list[dict[str, Any]] = field(default_factory=list)
    evidence: list[dict[str, Any]] = field(default_factory=list)
    first_hit: float | None = None
    first_hit_address: str | None = None
    thumbnails: dict[str, bytes] | None = None  # finding address -> PNG, when asked for
    quick_pass: dict[str, Any] | None = None  # coverage.quick_pass (plan/quickpass.py)

    def elapsed(self) -> float:
        """Seconds of scanning so far, the interrupted run's included."""
        return time.monotonic() - self.started + self.elapsed_before

    def warn(self, address: str, stage: str, message: str) -> None:
        warning = ScanWarning(address, stage, message)
        self.warnings_total += 1
        if len(self.warnings) < MAX_WARNINGS_LISTED:
            self.warnings.append(warning)  # the report lists this many; all are counted
        self.progress.warning(warning)

    def internal_error(self, where: str, exc: Exception) -> None:
        """A bug stopped part of the scan: it is reported, and the rest goes on."""
        self.warn(where, "internal",
                  f"stopped by an internal error ({type(exc).__name__}: {exc}); please report it")
        self.not_examined.append({"source": where, "what": "source", "offset": 0, "size": None,
                                  "reason": "internal error part-way; see warnings"})

    def record_finding(self, finding: Finding) -> None:
        if self.first_hit is None:
            self.first_hit = self.elapsed()
            self.first_hit_address = finding.where
        self.findings.append(finding)
        self.progress.finding(finding)
        if self.stop_on_red and not self.stopped and is_red(finding, self.trust_problems):
            self.stopped = STOPPED_ON_RED

    def out_of_time(self) -> bool:
        """Whether the time budget has run out (and if so, mark the scan as stopped by it)."""
        if self.deadline is not None and not self.budget_reached and (
                time.monotonic() > self.deadline):
            self.budget_reached = True
            self.stopped = self.stopped or BUDGET_REACHED
        return self.budget_reached
