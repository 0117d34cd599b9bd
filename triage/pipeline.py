"""The scan: sources -> volumes -> file records -> stages -> findings, listing and report."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import shutil
import socket
import sys
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from triage import __version__
from triage.artefacts import (
    ARTEFACTS_NAME,
    ArtefactCollector,
    Extracted,
    extract_all,
    remove_copies,
    write_listing,
)
from triage.errors import ExitCode, OutputError, UsageError
from triage.keys import SigningKey
from triage.layers.secrets import KeyRing
from triage.ledger import (
    BUDGET_REACHED,
    STOPPED_ON_RED,
    GapKind,
    Ledger,
    ProgressSink,
    ScanContext,
)
from triage.ledger import ScanResult as LedgerResult
from triage.ledger.serial import load
from triage.model import utc_text
from triage.options import WORKERS, ScanOptions
from triage.plan.journal import JOURNAL_DIR, REQUEST, Journal
from triage.plan.planner import Plan
from triage.plan.quickpass import STOPPED_AFTER_QUICK, load_quick_filters, quick_pass_for
from triage.plan.reading import checkpoint, read_plan
from triage.plan.walking import plan_all, reattach
from triage.report import timeline
from triage.report.listing import ListingWriter
from triage.report.sign import seal_output
from triage.report.verdict import is_red
from triage.report.writer import build_report, write_report
from triage.stages.matching import Matchers, load_matchers

__all__ = ["BUDGET_REACHED", "STOPPED_ON_RED", "WORKERS", "ProgressSink", "ScanOptions",
           "ScanResult", "default_out_dir", "resume_scan", "run_scan"]

# Archive members too large for memory are spilled here, inside the output folder, and the
# folder is removed when the scan ends.
SPILL_DIR = ".spill"
# The plan (every walked file, spilled while the walk runs) lives here until the scan ends.
PLAN_DIR = ".plan"
# Inside the journal folder: private copies of artefact files until the report is sealed.
ARTEFACT_COPIES = "artefacts"


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
    if options.quick_pass_only and not options.quick_pass:
        raise UsageError("--quick-pass-only and --no-quick-pass contradict each other; "
                         "give one of them.")
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
                signing_key: SigningKey | None = None, *,
                allow_unsigned: bool = False, keyring: KeyRing | None = None) -> ScanResult:
    """Finish a scan that was killed part-way, from the latest checkpoint in its journal.

    The sources and options are the interrupted scan's own; the evidence must be the same
    (its size and first and last MiB are compared) and so must the hash sets. A scan that
    began signed is finished signed by the same key (the key itself is never stored: the
    caller gives it again), or unsigned only with `allow_unsigned`. Secrets for encrypted
    volumes are never stored either: `keyring` gives them again (or prompts for them).
    """
    journal = Journal(out_dir)
    if (out_dir / "report.json").exists() and not journal.folder.exists():
        raise UsageError(f"the scan in {out_dir} finished; there is nothing to resume.")
    request = journal.request()
    check_resume_key(journal, signing_key, allow_unsigned=allow_unsigned)
    # A report beside a journal was being written when the scan stopped; it is never sealed
    # and is written again from the journal.
    (out_dir / "report.json").unlink(missing_ok=True)
    options = dataclasses.replace(load(ScanOptions, request["options"]),
                                  signing_key=signing_key, keyring=keyring)
    return _start(request["sources"], out_dir, options, progress or ProgressSink(), journal)


def check_resume_key(journal: Journal, signing_key: SigningKey | None, *,
                     allow_unsigned: bool = False) -> None:
    """Refuse to finish a scan that began signed without its key, or with another key."""
    signer = journal.signer()
    if signer is None or (signing_key is None and allow_unsigned):
        return
    if signing_key is None:
        raise UsageError(f"the interrupted scan began signed by key {signer}; give that key "
                         "with --key to finish it signed, or --unsigned to finish it unsigned.")
    if signing_key.fingerprint != signer:
        raise UsageError(f"the interrupted scan began signed by key {signer}, not "
                         f"{signing_key.fingerprint}; give that key with --key.")


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
    if options.artefacts:
        # Copies of histories, hives and logs live inside the journal: never sealed, and
        # kept until the report is, so `--resume` can extract them again.
        matchers.artefacts = ArtefactCollector.load(out_dir / JOURNAL_DIR / ARTEFACT_COPIES)
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
    # Block filters are trust-checked like the sets, before a finding can be judged RED.
    filters = load_quick_filters(options, matchers) if resuming is None else None
    untrusted = matchers.untrusted_sets
    state = Ledger(progress=progress, thumbnails={} if options.thumbnails else None,
                   stop_on_red=options.stop_on_first_red,
                   is_red=lambda finding: is_red(finding, untrusted),
                   signed=options.signing_key is not None)
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
            state.gap(GapKind.EXCLUDED, left_out["source"], left_out["reason"], offset=0)
        for problem in matchers.load_problems:
            state.problem(str(options.hashsets), "hashsets", problem)
        state.quick_pass = quick_pass_for(sources, options, filters, state)
    if options.quick_pass_only:
        state.stopped = state.stopped or STOPPED_AFTER_QUICK
    if plan is not None:
        with ExitStack() as open_sources, ThreadPoolExecutor(
                max_workers=max(1, options.workers)) as pool:
            if saved is None:
                plan_all(sources, plan, state, matchers, open_sources, options.keyring)
                plan.save()
                checkpoint(journal, state, plan, listing, matchers)
            else:
                reattach(sources, plan, state, saved, open_sources, options.keyring)
            try:
                read_plan(plan, state, pool, matchers, listing, journal, options.checkpoint_s)
            except OutputError:
                raise  # nothing more can be written; the journal lets `--resume` finish later
            except Exception as exc:  # noqa: BLE001 - a bug must still leave a report
                state.internal_error("reading", exc)
        for finding in matchers.finish():
            state.finding(finding)
    listing.close()
    if plan is not None:
        # Everything is read and listed: a failure from here on (a full disk while the
        # report is written) is finished by `--resume` without reading anything again.
        state.finished = True
        checkpoint(journal, state, plan, listing, matchers)
        plan.remove()
    extracted = _extract_artefacts(out_dir, matchers, state)
    finished_utc = dt.datetime.now(dt.UTC)
    result = state.result(
        _context(options, matchers), started_utc=utc_text(started_utc),
        finished_utc=utc_text(finished_utc),
        duration_s=round((finished_utc - started_utc).total_seconds(), 3),
        host=socket.gethostname(), tool_version=__version__, listing_name=listing.name)
    if extracted is not None:
        since = options.since.date() if options.since is not None else None
        days = timeline.window([a.time for a in extracted.records], finished_utc.date(), since)
        result = dataclasses.replace(result, artefacts=extracted.summary(days),
                                     artefacts_listing=ARTEFACTS_NAME)
    report = build_report(result)
    write_report(out_dir, report)
    seal_output(out_dir, options.signing_key, __version__, state.thumbnails)
    # Only now is the journal no longer needed: until the report is sealed, `--resume` can
    # finish the scan from it (after a kill, a power cut or a full output disk).
    if matchers.artefacts is not None:
        remove_copies(matchers.artefacts)
    journal.remove()
    return ScanResult(report=report, out_dir=out_dir,
                      exit_code=exit_code(result, report["verdict"]["level"]))


def _extract_artefacts(out_dir: Path, matchers: Matchers, state: Ledger) -> Extracted | None:
    """Records from the collected histories, hives and logs, listed in artefacts.jsonl.gz."""
    if matchers.artefacts is None:
        return None
    state.progress.class_started("operating-system artefacts")
    extracted = extract_all(matchers.artefacts,
                            lambda address, message: state.problem(address, "artefacts", message))
    write_listing(out_dir, extracted.records)
    # Shallow dicts: the rules only read them (dataclasses.asdict deep-copied every field, 1.4 s
    # for a PC's 10,000 Amcache records).
    facts = [{"kind": a.kind, "time": a.time, "source": a.source, "profile": a.profile,
              "fields": a.fields} for a in extracted.records]
    for finding in matchers.match_artefacts(facts):
        state.finding(finding)
    return extracted


def _context(options: ScanOptions, matchers: Matchers) -> ScanContext:
    """What the report needs to know of the options and the loaded sets, frozen."""
    provenance = matchers.provenance()
    return ScanContext(
        case=options.case, officer=options.officer, subject=options.subject,
        command=options.command or " ".join(sys.argv), time_budget_min=options.time_budget_min,
        hashsets=tuple(provenance["hashsets"]), rules=tuple(provenance["rules"]),
        trust_problems=tuple(matchers.trust_problems), untrusted_sets=matchers.untrusted_sets,
        comparison_gaps=tuple(matchers.gaps),
        extra_provenance={"boot": options.boot} if options.boot is not None else {})


def exit_code(result: LedgerResult, level: str) -> ExitCode:
    """The scan's exit code, one rule (the README's table): GREEN is 0; EVIDENCE (3) only
    when nothing at all could be examined and nothing was found (no RED finding, no finding
    on a file: a rule restating that a volume was not examined is not a find); any other RED
    or AMBER is FINDINGS (10)."""
    if level == "green":
        return ExitCode.OK
    found = any(f.record is not None or is_red(f, result.context.untrusted_sets)
                for f in result.findings)
    if not any(v.examined for v in result.volumes) and not found:
        return ExitCode.EVIDENCE
    return ExitCode.FINDINGS


def _resume_state(journal: Journal, state: Ledger, matchers: Matchers, out_dir: Path
                  ) -> dict[str, Any] | None:
    """The interrupted scan's latest checkpoint, put back into `state` and the rules."""
    saved = journal.checkpoint()
    signed = state.signed
    if saved is not None:
        state.restore(saved["state"])
        matchers.restore_tallies(saved["tallies"])
    else:  # killed while the walk listed names: nothing was read, so list them again
        shutil.rmtree(out_dir / PLAN_DIR, ignore_errors=True)
    state.signed = signed
    state.resume(saved["saved_utc"] if saved else None, signed=signed,
                 host=socket.gethostname())
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
