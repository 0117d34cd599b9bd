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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from triage import __version__
from triage.containers import ContainerLimits
from triage.errors import EvidenceError, ExitCode, UsageError
from triage.evidence import EvidenceSource, ImageSource, LogicalSource, open_source
from triage.keys import SigningKey
from triage.model import Content, FileRecord, Finding, ScanWarning
from triage.report.html import make_thumbnail
from triage.report.listing import ListingWriter
from triage.report.sign import seal_output
from triage.report.writer import MAX_WARNINGS_LISTED, build_report, write_report
from triage.stages.matching import Matchers, load_matchers
from triage.stages.process import HeadCached, Item, Processed, batches, process_batch
from triage.walk.fswalk import WalkStats, walk_volume
from triage.walk.logical import walk_folder
from triage.walk.tskimage import open_tsk_image
from triage.walk.usage import used_bytes
from triage.walk.volumes import find_volumes

# Two workers match the two cores of the machines this runs on; reading happens under a
# per-source lock, hashing (which releases the GIL) runs in parallel.
WORKERS = 2
# Batches in flight between the walk and the listing: bounds memory, keeps both workers busy.
IN_FLIGHT = 8
# Archive members too large for memory are spilled here, inside the output folder, and the
# folder is removed when the scan ends.
SPILL_DIR = ".spill"
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
    thumbnails: bool = False  # blurred greyscale thumbnails of flagged pictures in report.html
    require_trusted_hashsets: bool = False  # refuse to start rather than cap the verdict
    signing_key: SigningKey | None = None  # the stick's (or officer's) key; None: unsigned
    # Disks deliberately left out (the stick itself), as {"source", "reason"}; the report says so.
    excluded: list[dict[str, str]] = field(default_factory=list)


class ProgressSink:
    """Receives progress events; the console shows them, the library default ignores them."""

    def source_started(self, name: str, size: int | None) -> None: ...
    def volume_started(self, source: str, volume: dict[str, Any]) -> None: ...
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
    deadline: float | None = None
    budget_reached: bool = False
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
    thumbnails: dict[str, bytes] | None = None  # finding address -> PNG, when asked for


def _out_dir_inside(out_dir: Path, spec: str) -> bool:
    try:
        return out_dir.resolve().is_relative_to(Path(spec).resolve())
    except OSError:
        return False


def run_scan(sources: list[str], out_dir: Path, options: ScanOptions | None = None,
             progress: ProgressSink | None = None) -> ScanResult:
    """Scan every source read-only and write report.json and files.jsonl.gz into `out_dir`."""
    options = options or ScanOptions()
    progress = progress or ProgressSink()
    if not sources:
        raise UsageError("no evidence to scan; name a disk, an image or a folder.")
    for spec in sources:
        if Path(spec).is_dir() and _out_dir_inside(out_dir, spec):
            raise UsageError(f"the output folder {out_dir} is inside the evidence {spec}; "
                             "choose an output folder elsewhere.")
    if (out_dir / "report.json").exists():
        raise UsageError(f"{out_dir} already holds a report; choose a new output folder.")
    matchers = load_matchers(options)  # invalid rules stop the scan before it starts
    spill = out_dir / SPILL_DIR
    if options.containers is not None:
        matchers.containers = dataclasses.replace(options.containers, spill_dir=spill)
    try:
        return _scan_all(sources, out_dir, options, progress, matchers)
    finally:
        matchers.close()
        shutil.rmtree(spill, ignore_errors=True)  # large archive members spilled while read


def _scan_all(sources: list[str], out_dir: Path, options: ScanOptions, progress: ProgressSink,
              matchers: Matchers) -> ScanResult:
    out_dir.mkdir(parents=True, exist_ok=True)
    state = _State(thumbnails={} if options.thumbnails else None)
    if options.time_budget_min is not None:
        state.deadline = state.started + options.time_budget_min * 60
    started_utc = dt.datetime.now(dt.UTC)
    listing = ListingWriter(out_dir)
    for left_out in options.excluded:
        # Listed for completeness; not a gap in the evidence, so it does not affect the verdict.
        state.not_examined.append({"source": left_out["source"], "what": "triage system",
                                   "offset": 0, "size": None, "reason": left_out["reason"]})
    for problem in matchers.load_problems:
        _warn(state, progress, str(options.hashsets), "hashsets", problem)
    opened_any = False
    try:
        with ThreadPoolExecutor(max_workers=max(1, options.workers)) as pool:
            for spec in sources:
                if state.budget_reached:
                    state.not_examined.append({"source": spec, "what": "source", "offset": 0,
                                               "size": None, "reason": "time budget reached"})
                    continue
                try:
                    source = open_source(spec)
                except EvidenceError as exc:
                    _warn(state, progress, spec, "evidence", str(exc))
                    state.not_examined.append({"source": spec, "what": "source", "offset": 0,
                                               "size": None, "reason": str(exc)})
                    continue
                opened_any = True
                with source:
                    try:
                        _scan_source(source, state, pool, matchers, listing, progress)
                    except Exception as exc:  # noqa: BLE001 - a bug must still leave a report
                        _warn(state, progress, spec, "internal",
                              f"stopped by an internal error ({type(exc).__name__}: {exc}); "
                              "please report it")
                        state.not_examined.append({
                            "source": spec, "what": "source", "offset": 0, "size": None,
                            "reason": "internal error part-way; see warnings"})
        for finding in matchers.finish():
            _record_finding(state, progress, finding)
    finally:
        listing.close()
    report = build_report(
        state=state, options=options, matchers=matchers, started_utc=started_utc,
        finished_utc=dt.datetime.now(dt.UTC), host=socket.gethostname(),
        tool_version=__version__, listing_name=listing.name,
    )
    write_report(out_dir, report)
    seal_output(out_dir, options.signing_key, __version__, state.thumbnails)
    examined = any(v["status"] == "examined" for v in report["coverage"]["volumes"])
    if not opened_any or not examined:
        exit_code = ExitCode.EVIDENCE  # nothing at all could be examined
    elif report["verdict"]["level"] == "green":
        exit_code = ExitCode.OK
    else:
        exit_code = ExitCode.FINDINGS
    return ScanResult(report=report, out_dir=out_dir, exit_code=exit_code)


def _warn(state: _State, progress: ProgressSink, address: str, stage: str, message: str) -> None:
    warning = ScanWarning(address, stage, message)
    state.warnings_total += 1
    if len(state.warnings) < MAX_WARNINGS_LISTED:
        state.warnings.append(warning)  # kept in full up to the report's limit; all are counted
    progress.warning(warning)


def _record_finding(state: _State, progress: ProgressSink, finding: Finding) -> None:
    if state.first_hit is None:
        state.first_hit = time.monotonic() - state.started
    state.findings.append(finding)
    progress.finding(finding)


def _scan_source(source: EvidenceSource, state: _State, pool: ThreadPoolExecutor,
                 matchers: Matchers, listing: ListingWriter, progress: ProgressSink) -> None:
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
    stats = WalkStats()
    if isinstance(source, LogicalSource):
        volume = {"source": source.name, "index": 0, "offset": 0, "size": None,
                  "description": "folder", "fs": "folder", "status": "examined"}
        progress.volume_started(source.name, volume)
        records: Iterator[tuple[FileRecord, Content | None]] = walk_folder(source, warn, stats)  # type: ignore[arg-type]
        volume["files"] = _drain(records, None, state, pool, matchers, listing, progress)
        state.volumes.append(volume)
    else:
        assert isinstance(source, ImageSource)  # noqa: S101 - narrows the type; sources are one of the two
        _scan_image(source, state, pool, matchers, listing, progress, stats, warn)
    state.other_entries.update(stats.other or {})


def _scan_image(source: ImageSource, state: _State, pool: ThreadPoolExecutor,
                matchers: Matchers, listing: ListingWriter, progress: ProgressSink,
                stats: WalkStats, warn: Callable[[str, str], None]) -> None:
    img = open_tsk_image(source)
    with img.lock:
        layout = find_volumes(img)
    for message in layout.warnings:
        _warn(state, progress, source.name, "volume", message)
    for offset, size in layout.unpartitioned:
        state.not_examined.append({"source": source.name, "what": "unpartitioned space",
                                   "offset": offset, "size": size,
                                   "reason": "space outside any partition is not carved"})
    for volume in layout.volumes:
        info = volume.to_dict(source.name)
        address = f"{source.name} · p{volume.index}@{volume.offset}"
        for message in volume.warnings:
            _warn(state, progress, address, "volume", message)
        if volume.fs is None or state.budget_reached:
            if volume.fs is not None:
                info["status"], info["reason"] = "not_examined", "time budget reached"
            state.not_examined.append({"source": source.name, "what": "partition",
                                       "offset": volume.offset, "size": volume.size,
                                       "reason": info["reason"]})
            state.volumes.append(info)
            for finding in matchers.match_volume(info):
                _record_finding(state, progress, finding)
            continue
        with img.lock:
            info["used_bytes"] = used_bytes(img, volume.fs, volume.fs_type, volume.offset)
        progress.volume_started(source.name, info)
        records = walk_volume(img, source.name, volume, warn, stats)
        info["files"] = _drain(records, img.lock, state, pool, matchers, listing, progress)
        state.volumes.append(info)
        for finding in matchers.match_volume(info):
            _record_finding(state, progress, finding)


def _locked(records: Iterator[tuple[FileRecord, Content | None]], lock: Any
            ) -> Iterator[tuple[FileRecord, Content | None]]:
    """Advance a TSK walk only while holding its image's lock (workers read under it too)."""
    while True:
        with lock:
            try:
                item = next(records)
            except StopIteration:
                return
        yield item


def _drain(records: Iterator[tuple[FileRecord, Content | None]], lock: Any, state: _State,
           pool: ThreadPoolExecutor, matchers: Matchers, listing: ListingWriter,
           progress: ProgressSink) -> int:
    """Feed walked records to the workers; write them to the listing in walk order."""
    if lock is not None:
        records = _locked(records, lock)
    pending: deque[Future[list[Processed]]] = deque()
    count = 0
    for batch in batches(_until_deadline(records, state)):
        pending.append(pool.submit(process_batch, batch, matchers))
        count += len(batch)
        while len(pending) >= IN_FLIGHT:
            for done in pending.popleft().result():
                _finish(done, state, matchers, listing, progress)
    while pending:
        for done in pending.popleft().result():
            _finish(done, state, matchers, listing, progress)
    return count


def _until_deadline(records: Iterator[Item], state: _State) -> Iterator[Item]:
    """The walk's records until the time budget runs out (then it is marked as reached)."""
    for item in records:
        if state.deadline is not None and time.monotonic() > state.deadline:
            state.budget_reached = True
            return
        yield item


def _finish(result: Processed, state: _State, matchers: Matchers, listing: ListingWriter,
            progress: ProgressSink) -> None:
    """Count, rule-check (in walk order, on this thread: rules keep aggregates) and list."""
    record, content, findings, problems = result
    findings = findings + matchers.match_rules(record, content)
    if isinstance(content, HeadCached):
        content.close()  # folder sources hold a descriptor per file until here
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
