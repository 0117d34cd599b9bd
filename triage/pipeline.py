"""The scan: sources -> volumes -> file records -> stages -> findings, listing and report."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import shutil
import socket
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from triage import __version__
from triage.containers import ContainerLimits
from triage.errors import ExitCode, OutputError, UsageError
from triage.keys import SigningKey
from triage.model import utc_text
from triage.plan.journal import (
    CHECKPOINT_EVERY_S,
    JOURNAL_DIR,
    REQUEST,
    Journal,
    options_from_json,
    restore_state,
)
from triage.plan.planner import Plan
from triage.plan.reading import checkpoint, read_plan
from triage.plan.walking import plan_all, reattach
from triage.report.listing import ListingWriter
from triage.report.sign import seal_output
from triage.report.writer import build_report, write_report
from triage.scanstate import BUDGET_REACHED, STOPPED_ON_RED, ProgressSink, ScanState
from triage.stages.matching import Matchers, load_matchers

__all__ = ["BUDGET_REACHED", "STOPPED_ON_RED", "ProgressSink", "ScanOptions", "ScanResult",
           "default_out_dir", "resume_scan", "run_scan"]

# Two workers match the two cores of the machines this runs on; hashing and picture decoding
# release the GIL (pictures go to worker processes), so both cores are used.
WORKERS = 2
# Archive members too large for memory are spilled here, inside the output folder, and the
# folder is removed when the scan ends.
SPILL_DIR = ".spill"
# The plan (every walked file, spilled while the walk runs) lives here until the scan ends.
PLAN_DIR = ".plan"


@dataclass
class ScanOptions:
    """What the user asked for; defaults give a full scan with nothing loaded."""

    hashsets: Path | None = None
    trusted_keys: Path | None = None
    rules: Path | None = None
    case: str | None = None
    officer: str | None = None
    time_budget_min: float | None = None
    since: dt.datetime | None = None
    command: str = ""
    workers: int = WORKERS
    # Bomb limits for looking inside archives, documents and videos; None: do not look inside.
    containers: ContainerLimits | None = field(default_factory=ContainerLimits)
    stop_on_first_red: bool = False  # the officer may end the scan at the first RED finding
    checkpoint_s: float = CHECKPOINT_EVERY_S  # how often the journal saves the state
    thumbnails: bool = False  # blurred greyscale thumbnails of flagged pictures in report.html
    require_trusted_hashsets: bool = False  # refuse to start rather than cap the verdict
    signing_key: SigningKey | None = None  # the stick's (or officer's) key; None: unsigned
    # Disks deliberately left out (the stick itself), as {"source", "reason"}; the report says so.
    excluded: list[dict[str, str]] = field(default_factory=list)
    # How the computer booted the stick (UEFI/BIOS, Secure Boot, SbatLevel): provenance.boot.
    boot: dict[str, Any] | None = None


@dataclass
class ScanResult:
    """What a finished scan hands back to its caller."""

    report: dict[str, Any]
    out_dir: Path
    exit_code: ExitCode


def _out_dir_inside(out_dir: Path, spec: str) -> bool:
    try:
        return out_dir.resolve().is_relative_to(Path(spec).resolve())
    except OSError:
        return False


def run_scan(sources: list[str], out_dir: Path, options: ScanOptions | None = None,
             progress: ProgressSink | None = None) -> ScanResult:
    """Scan every source read-only and write report.json and files.jsonl.gz into `out_dir`."""
    options = options or ScanOptions()
    if not sources:
        raise UsageError("no evidence to scan; name a disk, an image or a folder.")
    for spec in sources:
        if Path(spec).is_dir() and _out_dir_inside(out_dir, spec):
            raise UsageError(f"the output folder {out_dir} is inside the evidence {spec}; "
                             "choose an output folder elsewhere.")
    if (out_dir / "report.json").exists():
        raise UsageError(f"{out_dir} already holds a report; choose a new output folder.")
    if (out_dir / JOURNAL_DIR).exists():
        raise UsageError(f"{out_dir} holds an interrupted scan; finish it with `triage scan "
                         f"--resume {out_dir}`, or choose a new output folder.")
    return _start(sources, out_dir, options, progress or ProgressSink(), None)


def resume_scan(out_dir: Path, progress: ProgressSink | None = None,
                signing_key: SigningKey | None = None) -> ScanResult:
    """Finish a scan that was killed part-way, from the latest checkpoint in its journal.

    The sources and options are the interrupted scan's own; the evidence must be the same
    (its size and first and last MiB are compared) and so must the hash sets.
    """
    journal = Journal(out_dir)
    if (out_dir / "report.json").exists() and not journal.folder.exists():
        raise UsageError(f"the scan in {out_dir} finished; there is nothing to resume.")
    request = journal.request()
    # A report beside a journal was being written when the scan stopped; it is never sealed
    # and is written again from the journal.
    (out_dir / "report.json").unlink(missing_ok=True)
    options = ScanOptions(**options_from_json(request["options"]), signing_key=signing_key)
    return _start(request["sources"], out_dir, options, progress or ProgressSink(), journal)


def _start(sources: list[str], out_dir: Path, options: ScanOptions, progress: ProgressSink,
           resuming: Journal | None) -> ScanResult:
    matchers = load_matchers(options)  # invalid rules stop the scan before it starts
    if resuming is not None and resuming.request()["hashsets"] != matchers.hashset_identity():
        matchers.close()
        raise UsageError("the hash sets changed since the interrupted scan began, so its "
                         "findings would not match the rest; start a new scan instead.")
    spill = out_dir / SPILL_DIR
    if options.containers is not None:
        matchers.containers = dataclasses.replace(options.containers, spill_dir=spill)
    try:
        return _scan_all(sources, out_dir, options, progress, matchers, resuming)
    except OutputError as exc:
        if not (out_dir / JOURNAL_DIR / REQUEST).exists():
            raise
        raise OutputError(f"{exc}; once there is room, `triage scan --resume {out_dir}` "
                          "finishes the scan") from exc
    finally:
        matchers.close()
        shutil.rmtree(spill, ignore_errors=True)  # large archive members spilled while read


def _scan_all(sources: list[str], out_dir: Path, options: ScanOptions, progress: ProgressSink,
              matchers: Matchers, resuming: Journal | None) -> ScanResult:
    out_dir.mkdir(parents=True, exist_ok=True)
    state = ScanState(progress=progress, thumbnails={} if options.thumbnails else None,
                      stop_on_red=options.stop_on_first_red,
                      trust_problems=matchers.trust_problems)
    journal = resuming or Journal(out_dir)
    if resuming is None:
        started_utc = dt.datetime.now(dt.UTC)
        journal.start(sources, options, matchers.hashset_identity(), started_utc)
        saved = None
    else:
        started_utc = dt.datetime.fromisoformat(journal.request()["started_utc"])
        saved = _resume_state(journal, state, matchers, out_dir)
    if options.time_budget_min is not None:
        state.deadline = state.started + options.time_budget_min * 60 - state.elapsed_before
    listing = ListingWriter(out_dir, resume=saved["listing"] if saved else None)
    plan = Plan(out_dir / PLAN_DIR) if saved is None else (
        None if state.finished else Plan.load(out_dir / PLAN_DIR))
    if saved is None:
        for left_out in options.excluded:
            # Listed for completeness; not a gap in the evidence: the verdict ignores it.
            state.not_examined.append({"source": left_out["source"], "what": "triage system",
                                       "offset": 0, "size": None, "reason": left_out["reason"]})
        for problem in matchers.load_problems:
            state.warn(str(options.hashsets), "hashsets", problem)
    opened_any = bool(state.evidence)  # a resumed scan had opened these
    if plan is not None:
        with ExitStack() as open_sources, ThreadPoolExecutor(
                max_workers=max(1, options.workers)) as pool:
            if saved is None:
                opened_any = plan_all(sources, plan, state, matchers, open_sources)
                plan.save()
                checkpoint(journal, state, plan, listing, matchers)
            else:
                reattach(sources, plan, state, saved, open_sources)
            try:
                read_plan(plan, state, pool, matchers, listing, journal, options.checkpoint_s)
            except OutputError:
                raise  # nothing more can be written; the journal lets `--resume` finish later
            except Exception as exc:  # noqa: BLE001 - a bug must still leave a report
                state.internal_error("reading", exc)
        for finding in matchers.finish():
            state.record_finding(finding)
    listing.close()
    if plan is not None:
        # Everything is read and listed: a failure from here on (a full disk while the
        # report is written) is finished by `--resume` without reading anything again.
        state.finished = True
        checkpoint(journal, state, plan, listing, matchers)
        plan.remove()
    report = build_report(
        state=state, options=options, matchers=matchers, started_utc=started_utc,
        finished_utc=dt.datetime.now(dt.UTC), host=socket.gethostname(),
        tool_version=__version__, listing_name=listing.name,
    )
    write_report(out_dir, report)
    seal_output(out_dir, options.signing_key, __version__, state.thumbnails)
    # Only now is the journal no longer needed: until the report is sealed, `--resume` can
    # finish the scan from it (after a kill, a power cut or a full output disk).
    journal.remove()
    examined = any(v["status"] == "examined" for v in report["coverage"]["volumes"])
    if not opened_any or not examined:
        exit_code = ExitCode.EVIDENCE  # nothing at all could be examined
    elif report["verdict"]["level"] == "green":
        exit_code = ExitCode.OK
    else:
        exit_code = ExitCode.FINDINGS
    return ScanResult(report=report, out_dir=out_dir, exit_code=exit_code)


def _resume_state(journal: Journal, state: ScanState, matchers: Matchers, out_dir: Path
                  ) -> dict[str, Any] | None:
    """The interrupted scan's latest checkpoint, put back into `state` and the rules."""
    saved = journal.checkpoint()
    if saved is not None:
        restore_state(state, saved["state"])
        matchers.restore_tallies(saved["tallies"])
    else:  # killed while the walk listed names: nothing was read, so list them again
        shutil.rmtree(out_dir / PLAN_DIR, ignore_errors=True)
    state.resumed.append({
        "resumed_utc": utc_text(),
        "checkpoint_utc": saved["saved_utc"] if saved else None,
        "files_done_before": state.done_entries})
    return saved


def default_out_dir(base: Path | None = None) -> Path:
    """A new, timestamped output folder (never an existing report)."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    base = base or Path(os.environ.get("TRIAGE_REPORTS", "triage-reports"))
    candidate = base / f"scan-{stamp}"
    n = 1
    while candidate.exists():
        n += 1
        candidate = base / f"scan-{stamp}-{n}"
    return candidate
