"""The scan: sources -> volumes -> file records -> stages -> findings, listing and report."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import shutil
import socket
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from triage import __version__
from triage.containers import ContainerLimits
from triage.errors import EvidenceError, ExitCode, OutputError, UsageError
from triage.evidence import EvidenceSource, ImageSource, LogicalSource, open_source
from triage.evidence.directory import FileContent
from triage.keys import SigningKey
from triage.model import Content, FileRecord, Finding, PartitionRef, ScanWarning
from triage.plan.journal import (
    CHECKPOINT_EVERY_S,
    JOURNAL_DIR,
    REQUEST,
    Journal,
    options_from_json,
    restore_state,
    state_to_json,
)
from triage.plan.planner import Plan, PlannedVolume
from triage.plan.priority import CLASSES, Prioritiser
from triage.report.html import make_thumbnail
from triage.report.listing import ListingWriter
from triage.report.sign import seal_output
from triage.report.verdict import is_red
from triage.report.writer import MAX_WARNINGS_LISTED, build_report, write_report
from triage.stages.matching import Matchers, load_matchers
from triage.stages.process import HeadCached, Item, Processed, batches, process_batch
from triage.walk.fswalk import WalkStats, reopen, walk_volume
from triage.walk.logical import FOLDER_PARTITION, walk_folder
from triage.walk.tskimage import AnyTskImage, open_tsk_image
from triage.walk.usage import used_bytes
from triage.walk.volumes import Volume, find_volumes

# Two workers match the two cores of the machines this runs on; reading happens under a
# per-source lock, hashing (which releases the GIL) runs in parallel.
WORKERS = 2
# Batches in flight between the walk and the listing: bounds memory, keeps both workers busy.
IN_FLIGHT = 8
# Archive members too large for memory are spilled here, inside the output folder, and the
# folder is removed when the scan ends.
SPILL_DIR = ".spill"
# The plan (every walked file, spilled while the walk runs) lives here until the scan ends.
PLAN_DIR = ".plan"
# Budget and watchdog are checked every this many walked entries (a clock read each is waste).
PLAN_CHECK_EVERY = 256
# The walk of one partition's names and metadata gets this long; real file systems need
# seconds to a few minutes (a million files: ~10-30 s here), so only a damaged or hostile one
# that keeps libtsk busy reaches it. The files found by then are still examined.
VOLUME_WALK_LIMIT_S = 15 * 60
BUDGET_REACHED = "time budget reached"
STOPPED_ON_RED = "stopped at the first RED finding (--stop-on-first-red)"
# Flagged pictures larger than this get no thumbnail (decoding them is not worth a preview).
THUMBNAIL_MAX_BYTES = 64 * 1024 * 1024


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
class ScanResult:
    """What a finished scan hands back to its caller."""

    report: dict[str, Any]
    out_dir: Path
    exit_code: ExitCode


@dataclass
class _State:
    """Counters and collected results of one scan (the walk's thread owns them)."""

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

    def elapsed(self) -> float:
        """Seconds of scanning so far, the interrupted run's included."""
        return time.monotonic() - self.started + self.elapsed_before


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
    state = _State(thumbnails={} if options.thumbnails else None,
                   stop_on_red=options.stop_on_first_red,
                   trust_problems=matchers.trust_problems)
    journal = resuming or Journal(out_dir)
    checkpoint = None
    if resuming is None:
        started_utc = dt.datetime.now(dt.UTC)
        journal.start(sources, options, matchers.hashset_identity(), started_utc)
    else:
        started_utc = dt.datetime.fromisoformat(journal.request()["started_utc"])
        checkpoint = journal.checkpoint()
        if checkpoint is not None:
            restore_state(state, checkpoint["state"])
            matchers.restore_tallies(checkpoint["tallies"])
        else:  # killed while the walk listed names: nothing was read, so list them again
            shutil.rmtree(out_dir / PLAN_DIR, ignore_errors=True)
        state.resumed.append({
            "resumed_utc": _utc_text(dt.datetime.now(dt.UTC)),
            "checkpoint_utc": checkpoint["saved_utc"] if checkpoint else None,
            "files_done_before": state.done_entries})
    if options.time_budget_min is not None:
        state.deadline = state.started + options.time_budget_min * 60 - state.elapsed_before
    listing = ListingWriter(out_dir, resume=checkpoint["listing"] if checkpoint else None)
    if checkpoint is None:
        plan = Plan(out_dir / PLAN_DIR)
    elif not state.finished:
        plan = Plan.load(out_dir / PLAN_DIR)
    if checkpoint is None:
        for left_out in options.excluded:
            # Listed for completeness; not a gap in the evidence: the verdict ignores it.
            state.not_examined.append({"source": left_out["source"], "what": "triage system",
                                       "offset": 0, "size": None, "reason": left_out["reason"]})
        for problem in matchers.load_problems:
            _warn(state, progress, str(options.hashsets), "hashsets", problem)
    with ExitStack() as open_sources, ThreadPoolExecutor(
            max_workers=max(1, options.workers)) as pool:
        opened_any = bool(state.evidence)  # a resumed scan had opened these
        if checkpoint is None:
            opened_any = _plan_all(sources, plan, state, matchers, progress, open_sources)
            plan.save()
            _checkpoint(journal, state, plan, listing, matchers)
        elif not state.finished:
            _reattach(sources, plan, state, checkpoint, open_sources, progress)
        if not state.finished:
            try:
                _read_plan(plan, state, pool, matchers, listing, progress, journal,
                           options.checkpoint_s)
            except OutputError:
                raise  # nothing more can be written; the journal lets `--resume` finish later
            except Exception as exc:  # noqa: BLE001 - a bug must still leave a report
                _internal_error(state, progress, "reading", exc)
    listing.close()
    if not state.finished:
        for finding in matchers.finish():
            _record_finding(state, progress, finding)
        # Everything is read and listed: a failure from here on (a full disk while the
        # report is written) is finished by `--resume` without reading anything again.
        state.finished = True
        _checkpoint(journal, state, plan, listing, matchers)
        plan.remove()  # not needed to finish from here
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


def _utc_text(when: dt.datetime) -> str:
    return when.isoformat(timespec="seconds").replace("+00:00", "Z")


def _plan_all(sources: list[str], plan: Plan, state: _State, matchers: Matchers,
              progress: ProgressSink, open_sources: ExitStack) -> bool:
    """Walk every source into the plan (names and metadata only); False if none opened.

    Every source is planned before any is read, so the plan can be read in priority order
    across all of them: a USB stick's pictures do not wait behind a laptop's system folders.
    """
    opened_any = False
    # Sources and partitions are always opened and listed, even with the budget spent: the
    # report then says what is there and was not examined, not merely that time ran out.
    for number, spec in enumerate(sources):
        try:
            source = open_source(spec)
        except EvidenceError as exc:
            _warn(state, progress, spec, "evidence", str(exc))
            state.not_examined.append({"source": spec, "what": "source", "offset": 0,
                                       "size": None, "reason": str(exc)})
            continue
        opened_any = True
        open_sources.enter_context(source)
        try:
            _plan_source(source, number, plan, state, matchers, progress)
        except OutputError:
            raise  # nothing more can be written; the journal lets `--resume` finish later
        except Exception as exc:  # noqa: BLE001 - a bug must still leave a report
            _internal_error(state, progress, spec, exc)
    return opened_any


def _checkpoint(journal: Journal, state: _State, plan: Plan, listing: ListingWriter,
                matchers: Matchers) -> None:
    """Save the state at a point where every counted file is in the listing on disk."""
    state.last_checkpoint = time.monotonic()
    journal.save({
        "saved_utc": _utc_text(dt.datetime.now(dt.UTC)),
        "state": state_to_json(state),
        "listing": listing.checkpoint(),
        "tallies": matchers.tallies(),
        "plan_volumes": [{"spec": v.spec, "partition": [v.partition.index, v.partition.offset,
                                                         v.partition.fs],
                          "info": _index_of(state.volumes, v.info)} for v in plan.volumes],
    })


def _index_of(items: list[Any], item: Any) -> int:
    return next(i for i, x in enumerate(items) if x is item)  # identity: dicts compare equal


def _reattach(sources: list[str], plan: Plan, state: _State, checkpoint: dict[str, Any],
              open_sources: ExitStack, progress: ProgressSink) -> None:
    """Open the interrupted scan's sources again and give the plan its volumes back."""
    opened: dict[int, tuple[EvidenceSource, Any]] = {}
    for saved in checkpoint["plan_volumes"]:
        spec = saved["spec"]
        if spec not in opened:
            try:
                source = open_source(sources[spec])
            except EvidenceError as exc:
                raise UsageError(f"{sources[spec]} cannot be opened again ({exc}); reconnect "
                                 "it and resume again.") from exc
            open_sources.enter_context(source)
            _same_evidence(source, state)
            progress.source_started(source.name, None)
            layout = None
            if isinstance(source, ImageSource):
                img = open_tsk_image(source)
                layout = (img, {(v.index, v.offset): v for v in find_volumes(img).volumes})
            opened[spec] = (source, layout)
        source, layout = opened[spec]
        index, offset, fs_type = saved["partition"]
        info = state.volumes[saved["info"]]
        if layout is None:
            plan.volumes.append(_folder_volume(source, spec, info))
            continue
        img, found = layout
        volume = found.get((index, offset))
        if volume is None or volume.fs is None or volume.fs_type != fs_type:
            raise UsageError(f"partition {index} of {source.name} no longer opens as {fs_type}; "
                             "start a new scan instead.")
        plan.volumes.append(_image_volume(img, volume, spec, source.name, info))


def _same_evidence(source: EvidenceSource, state: _State) -> None:
    """Refuse to resume on a disk other than the one the scan began on."""
    now = source.identity().to_dict()
    before = next((e for e in state.evidence if e["source"] == source.name), None)
    keys = ("size", "first_mib_sha256", "last_mib_sha256")
    if before is None or any(before.get(k) != now.get(k) for k in keys):
        raise UsageError(f"{source.name} is not the evidence the scan began on (its size or "
                         "first or last MiB differ); start a new scan instead.")


def _internal_error(state: _State, progress: ProgressSink, where: str, exc: Exception) -> None:
    _warn(state, progress, where, "internal",
          f"stopped by an internal error ({type(exc).__name__}: {exc}); please report it")
    state.not_examined.append({"source": where, "what": "source", "offset": 0, "size": None,
                               "reason": "internal error part-way; see warnings"})


def _warn(state: _State, progress: ProgressSink, address: str, stage: str, message: str) -> None:
    warning = ScanWarning(address, stage, message)
    state.warnings_total += 1
    if len(state.warnings) < MAX_WARNINGS_LISTED:
        state.warnings.append(warning)  # kept in full up to the report's limit; all are counted
    progress.warning(warning)


def _record_finding(state: _State, progress: ProgressSink, finding: Finding) -> None:
    if state.first_hit is None:
        state.first_hit = state.elapsed()
        state.first_hit_address = finding.where
    state.findings.append(finding)
    progress.finding(finding)
    if state.stop_on_red and not state.stopped and is_red(finding, state.trust_problems):
        state.stopped = STOPPED_ON_RED


# --- planning: walk names and metadata, no content ------------------------------------------

def _folder_volume(source: EvidenceSource, spec: int, info: dict[str, Any]) -> PlannedVolume:
    root = source.root  # type: ignore[attr-defined]
    return PlannedVolume(source.name, FOLDER_PARTITION,
                         lambda record, token: FileContent(root, token, record.size),
                         None, spec, info)


def _image_volume(img: AnyTskImage, found: Volume, spec: int, source: str,
                  info: dict[str, Any]) -> PlannedVolume:
    fs = found.fs
    return PlannedVolume(source, PartitionRef(found.index, found.offset, found.fs_type),
                         lambda record, token: reopen(img, fs, record.address.meta_addr,
                                                      record.size, token),
                         img.lock, spec, info)


def _plan_source(source: EvidenceSource, spec: int, plan: Plan, state: _State,
                 matchers: Matchers, progress: ProgressSink) -> None:
    warn: Callable[[str, str], None] = lambda addr, msg: _warn(state, progress, addr, "walk", msg)  # noqa: E731
    identity = source.identity().to_dict()
    state.evidence.append(identity)
    if identity.get("read_only") is False:
        # Read-only by construction: the stick marks every disk read-only before anything
        # runs, so a writable evidence device means that protection is missing.
        _warn(state, progress, source.name, "evidence",
              "the device is writable (blockdev --getro is 0); triage never writes to it, "
              "but mark evidence read-only (blockdev --setro) before scanning")
        state.writable_devices.append(source.name)
    progress.source_started(source.name, identity.get("size"))
    prioritiser = Prioritiser(state.started_wall, removable=bool(identity.get("removable")))
    stats = WalkStats()
    if isinstance(source, LogicalSource):
        info = {"source": source.name, "index": 0, "offset": 0, "size": None,
                "description": "folder", "fs": "folder", "status": "examined"}
        volume = _folder_volume(source, spec, info)
        progress.volume_started(source.name, info)
        records = walk_folder(source, warn, stats)  # type: ignore[arg-type]
        _plan_volume(plan, volume, records, prioritiser, None, state, progress, warn)
    else:
        assert isinstance(source, ImageSource)  # noqa: S101 - narrows the type; sources are one of the two
        _plan_image(source, spec, plan, state, matchers, progress, prioritiser, stats, warn)
    state.other_entries.update(stats.other or {})


def _plan_image(source: ImageSource, spec: int, plan: Plan, state: _State, matchers: Matchers,
                progress: ProgressSink, prioritiser: Prioritiser, stats: WalkStats,
                warn: Callable[[str, str], None]) -> None:
    img = open_tsk_image(source)
    layout = find_volumes(img)
    for message in layout.warnings:
        _warn(state, progress, source.name, "volume", message)
    for offset, size in layout.unpartitioned:
        state.not_examined.append({"source": source.name, "what": "unpartitioned space",
                                   "offset": offset, "size": size,
                                   "reason": "space outside any partition is not carved"})
    for found in layout.volumes:
        info = found.to_dict(source.name)
        address = f"{source.name} · p{found.index}@{found.offset}"
        for message in found.warnings:
            _warn(state, progress, address, "volume", message)
        if found.fs is None or _out_of_time(state):
            if found.fs is not None:
                info["status"], info["reason"] = "not_examined", BUDGET_REACHED
            state.not_examined.append({"source": source.name, "what": "partition",
                                       "offset": found.offset, "size": found.size,
                                       "reason": info["reason"]})
            state.volumes.append(info)
            for finding in matchers.match_volume(info):
                _record_finding(state, progress, finding)
            continue
        fs = found.fs
        info["used_bytes"] = used_bytes(img, fs, found.fs_type, found.offset)
        progress.volume_started(source.name, info)
        volume = _image_volume(img, found, spec, source.name, info)
        records = walk_volume(img, source.name, found, warn, stats)
        _plan_volume(plan, volume, records, prioritiser, (fs.info.block_size, found.offset),
                     state, progress, warn)
        for finding in matchers.match_volume(info):
            _record_finding(state, progress, finding)


def _out_of_time(state: _State) -> bool:
    """Whether the time budget has run out (and if so, mark the scan as stopped by it)."""
    if state.deadline is not None and not state.budget_reached and (
            time.monotonic() > state.deadline):
        state.budget_reached = True
        state.stopped = state.stopped or BUDGET_REACHED
    return state.budget_reached


def _plan_volume(plan: Plan, volume: PlannedVolume, records: Iterator[Item],
                 prioritiser: Prioritiser, geometry: tuple[int, int] | None, state: _State,
                 progress: ProgressSink, warn: Callable[[str, str], None]) -> None:
    """Walk one volume into the plan, within the time budget and the volume watchdog."""
    vol_id = plan.add_volume(volume)
    state.volumes.append(volume.info)
    info = volume.info
    started = time.monotonic()
    count = 0
    for record, content in records:
        if count % PLAN_CHECK_EVERY == 0:  # the first time before anything is listed
            progress.planning(count)
            reason = None
            if _out_of_time(state):
                reason = f"{BUDGET_REACHED} while listing this partition"
            elif count and time.monotonic() - started > VOLUME_WALK_LIMIT_S:
                reason = f"walk stopped by the watchdog after {VOLUME_WALK_LIMIT_S:.0f} s"
                warn(f"{volume.source} · {volume.partition.label()}",
                     f"{reason} (a damaged or hostile file system); the files found so far "
                     "are examined")
            if reason is not None:
                info["walk_complete"] = False
                state.not_examined.append({
                    "source": volume.source, "what": "partition remainder",
                    "offset": volume.partition.offset, "size": info.get("size"),
                    "reason": reason})
                break
        count += 1
        position = None
        token = None
        if content is not None:
            token = content.token
            if geometry is not None:
                block = content.first_block()
                if block is not None:
                    position = geometry[1] + block * geometry[0]
        plan.add(vol_id, record, token, content is not None, prioritiser.rank(record), position)
    info["files"] = count


# --- reading: the plan in priority order --------------------------------------------------

def _read_plan(plan: Plan, state: _State, pool: ThreadPoolExecutor, matchers: Matchers,
               listing: ListingWriter, progress: ProgressSink, journal: Journal,
               checkpoint_s: float) -> None:
    """Read, hash and match the planned files in priority order; list the ones not reached.

    A resumed scan starts after the entries its checkpoint had finished. The journal is
    saved between batches, at most every `checkpoint_s`, when every file counted so far is
    in the listing on disk.
    """
    order = plan.order()
    state.planned = plan.totals()
    progress.planned(len(order), sum(b for _, b in state.planned.values()))
    state.next_entry = state.done_entries
    pending: deque[Future[list[Processed]]] = deque()

    def finish_oldest() -> None:
        for done in pending.popleft().result():
            _finish(done, state, matchers, listing, progress)
        if time.monotonic() - state.last_checkpoint >= checkpoint_s:
            _checkpoint(journal, state, plan, listing, matchers)

    for batch in batches(_planned_items(plan, order, state, progress)):
        pending.append(pool.submit(process_batch, batch, matchers))
        while len(pending) >= IN_FLIGHT:
            finish_oldest()
    while pending:
        finish_oldest()
    if state.next_entry < len(order):
        _list_unreached(plan, order[state.next_entry:], state, listing)
    _plan_coverage(plan, state)


def _plan_coverage(plan: Plan, state: _State) -> None:
    """Files and bytes planned and reached, by priority class and by volume, for the report."""
    by_class: dict[int, list[int]] = {}
    by_volume: dict[int, list[int]] = {}
    for (vol, rank), (files, size) in state.planned.items():
        reached = state.reached.get((vol, rank), [0, 0])
        for key, table in ((rank, by_class), (vol, by_volume)):
            row = table.setdefault(key, [0, 0, 0, 0])
            row[0] += files
            row[1] += size
            row[2] += reached[0]
            row[3] += reached[1]
    state.priority = [
        {"order": rank + 1, "class": CLASSES[rank].name, "files": row[0], "bytes": row[1],
         "files_reached": row[2], "bytes_reached": row[3]}
        for rank, row in sorted(by_class.items())]
    for vol, row in by_volume.items():
        plan.volumes[vol].info.update(bytes=row[1], files_reached=row[2], bytes_reached=row[3])
    if state.stopped:
        state.stopped_early = {
            "reason": state.stopped,
            "files_not_reached": sum(r["files"] - r["files_reached"] for r in state.priority),
            "bytes_not_reached": sum(r["bytes"] - r["bytes_reached"] for r in state.priority)}


def _planned_items(plan: Plan, order: Any, state: _State, progress: ProgressSink
                   ) -> Iterator[Item]:
    """Planned files with their content reopened, until the budget ends or a stop is asked."""
    current_class = -1
    for position in range(state.next_entry, len(order)):
        index = order[position]
        if _out_of_time(state) or state.stopped:
            return
        entry = plan.entry(int(index))
        if entry.rank != current_class:
            current_class = entry.rank
            progress.class_started(CLASSES[current_class].name)
        volume = plan.volumes[entry.volume]
        content: Content | None = None
        if entry.readable:
            try:
                if volume.lock is not None:
                    with volume.lock:
                        content = volume.opener(entry.record, entry.token)
                else:
                    content = volume.opener(entry.record, entry.token)
            except OSError as exc:
                entry.record.facts["skipped"] = "read error"
                state.read_errors += 1
                _warn(state, progress, str(entry.record.address), "read",
                      f"could not be opened again to read it: {exc}")
        state.in_flight[id(entry.record)] = (entry.volume, entry.rank,
                                             entry.record.size if entry.readable else 0)
        state.next_entry = position + 1
        yield entry.record, content


def _list_unreached(plan: Plan, rest: Any, state: _State, listing: ListingWriter) -> None:
    """Every planned file the scan did not reach goes into the listing, marked as such."""
    reason = f"not reached: {state.stopped}"
    for entry in plan.entries(rest):
        entry.record.facts["skipped"] = reason
        listing.write(entry.record)
        state.files_seen += 1
        state.files_deleted += entry.record.deleted
        state.skipped[reason] += 1
    by_volume: dict[int, list[int]] = {}
    for (vol, _), (files, size) in plan.totals(rest).items():
        counts = by_volume.setdefault(vol, [0, 0])
        counts[0] += files
        counts[1] += size
    for vol, (files, size) in sorted(by_volume.items()):
        volume = plan.volumes[vol]
        state.not_examined.append({
            "source": volume.source, "what": "files not reached",
            "offset": volume.partition.offset, "size": size,
            "reason": f"{state.stopped}: {files:,} files in {volume.partition.label()} were "
                      "listed but not read (the lowest-priority ones; see coverage.priority)"})


def _finish(result: Processed, state: _State, matchers: Matchers, listing: ListingWriter,
            progress: ProgressSink) -> None:
    """Count, rule-check (on this thread: rules keep aggregates) and list one file."""
    record, content, findings, problems = result
    findings = findings + matchers.match_rules(record, content)
    if isinstance(content, HeadCached):
        content.close()  # folder sources hold a descriptor per file until here
    reached = state.in_flight.pop(id(record), None)
    if reached is not None:  # a planned file, not a member of an archive
        state.done_entries += 1
        counts = state.reached.setdefault(reached[:2], [0, 0])
        counts[0] += 1
        counts[1] += reached[2]
    state.files_seen += 1
    state.files_deleted += record.deleted
    skipped = record.facts.get("skipped")
    if skipped:
        state.skipped[skipped] += 1
    if record.sha256 is not None:
        state.files_hashed += 1
        state.bytes_hashed += record.bytes_hashed
    for issue in problems:
        state.read_errors += issue.stage == "read"
        address = issue.address or str(record.address)
        _warn(state, progress, address, issue.stage, issue.message)
        if issue.not_examined:
            state.not_examined.append({"source": record.address.source, "what": "archive",
                                       "offset": None, "size": None, "address": address,
                                       "reason": f"{issue.not_examined}: {issue.message}"})
    for finding in findings:
        _record_finding(state, progress, finding)
    if findings and state.thumbnails is not None and content is not None:
        _thumbnail(record, content, state, progress)
    listing.write(record)
    progress.file_done(record)


def _thumbnail(record: FileRecord, content: Content, state: _State,
               progress: ProgressSink) -> None:
    """A blurred greyscale thumbnail of a flagged picture, for authorised reviewers."""
    if not (record.mime or "").startswith("image/") or record.size > THUMBNAIL_MAX_BYTES:
        return
    try:
        png = make_thumbnail(content.read(0, record.size))
    except (ValueError, OSError) as exc:
        _warn(state, progress, str(record.address), "thumbnail", str(exc))
        return
    assert state.thumbnails is not None  # noqa: S101 - the caller checked
    state.thumbnails[str(record.address)] = png


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
