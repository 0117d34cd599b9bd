"""Planning: every source's names and metadata walked into the plan, and reattached on resume."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

from triage.errors import EvidenceError, OutputError, UsageError
from triage.evidence import EvidenceSource, ImageSource, LogicalSource, open_source
from triage.evidence.directory import FileContent
from triage.ledger import BUDGET_REACHED, GapKind, Ledger, VolumeCoverage
from triage.ledger.serial import load
from triage.model import PartitionRef
from triage.plan.planner import Plan, PlannedVolume
from triage.plan.priority import Prioritiser
from triage.stages.matching import Matchers
from triage.stages.process import Item
from triage.walk.fswalk import WalkStats, WarnFn, reopen, walk_volume
from triage.walk.logical import FOLDER_PARTITION, walk_folder
from triage.walk.tskimage import AnyTskImage, open_tsk_image
from triage.walk.usage import used_bytes
from triage.walk.volumes import Volume, find_volumes

# Budget and watchdog are checked every this many walked entries (a clock read each is waste).
PLAN_CHECK_EVERY = 256
# The walk of one partition's names and metadata gets this long; real file systems need
# seconds to a few minutes (a million files: ~10-30 s here), so only a damaged or hostile one
# that keeps libtsk busy reaches it. The files found by then are still examined.
VOLUME_WALK_LIMIT_S = 15 * 60


def plan_all(sources: list[str], plan: Plan, state: Ledger, matchers: Matchers,
             open_sources: ExitStack) -> bool:
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
            state.problem(spec, "evidence", str(exc), gap=GapKind.SOURCE)
            continue
        opened_any = True
        open_sources.enter_context(source)
        try:
            _plan_source(source, number, plan, state, matchers)
        except OutputError:
            raise  # nothing more can be written; the journal lets `--resume` finish later
        except Exception as exc:  # noqa: BLE001 - a bug must still leave a report
            state.internal_error(spec, exc)
    return opened_any


def _folder_volume(source: EvidenceSource, spec: int, info: VolumeCoverage) -> PlannedVolume:
    root = source.root  # type: ignore[attr-defined]
    return PlannedVolume(source.name, FOLDER_PARTITION,
                         lambda record, token: FileContent(root, token, record.size),
                         None, spec, info)


def _image_volume(img: AnyTskImage, found: Volume, spec: int, source: str,
                  info: VolumeCoverage) -> PlannedVolume:
    fs = found.fs
    return PlannedVolume(source, PartitionRef(found.index, found.offset, found.fs_type),
                         lambda record, token: reopen(img, fs, record.address.meta_addr,
                                                      record.size, token),
                         img.lock, spec, info)


def _plan_source(source: EvidenceSource, spec: int, plan: Plan, state: Ledger,
                 matchers: Matchers) -> None:
    def warn(address: str, message: str, gap: GapKind | None = None) -> None:
        state.problem(address, "walk", message, gap=gap)

    identity = source.identity().to_dict()
    state.evidence.append(identity)
    if identity.get("read_only") is False:
        # Read-only by construction: the stick marks every disk read-only before anything
        # runs, so a writable evidence device means that protection is missing.
        state.problem(source.name, "evidence",
                      "the device is writable (blockdev --getro is 0); triage never writes to "
                      "it, but mark evidence read-only (blockdev --setro) before scanning")
        state.writable_devices.append(source.name)
    state.progress.source_started(source.name, identity.get("size"))
    prioritiser = Prioritiser(state.started_wall, removable=bool(identity.get("removable")))
    stats = WalkStats()
    if isinstance(source, LogicalSource):
        info = state.volume(source=source.name, index=0, offset=0, size=None,
                            description="folder", fs="folder")
        volume = _folder_volume(source, spec, info)
        state.progress.volume_started(source.name, info.to_report())
        records = walk_folder(source, warn, stats)  # type: ignore[arg-type]
        _plan_volume(plan, volume, records, prioritiser, None, state, warn)
    else:
        assert isinstance(source, ImageSource)  # noqa: S101 - narrows the type; sources are one of the two
        _plan_image(source, spec, plan, state, matchers, prioritiser, stats, warn)
    state.other_entries.update(stats.other or {})


def _plan_image(source: ImageSource, spec: int, plan: Plan, state: Ledger,
                matchers: Matchers, prioritiser: Prioritiser, stats: WalkStats,
                warn: WarnFn) -> None:
    img = open_tsk_image(source)
    layout = find_volumes(img)
    for message in layout.warnings:
        state.problem(source.name, "volume", message)
    for offset, size in layout.unpartitioned:
        state.gap(GapKind.UNPARTITIONED, source.name,
                  "space outside any partition is not carved", size=size, offset=offset)
    for found in layout.volumes:
        info = state.volume(source=source.name, index=found.index, offset=found.offset,
                            size=found.size, description=found.description, fs=found.fs_type)
        for message in found.warnings:
            state.problem(info.address, "volume", message)
        if found.beyond_end:
            state.gap(GapKind.TRUNCATED, info.address,
                      "the image ends before this partition does (truncated image); the "
                      "missing part was not examined", size=found.beyond_end,
                      offset=img.get_size())
        if found.fs is None or state.out_of_time():
            if found.fs is None:
                state.volume_not_examined(info, found.gap, found.reason)
            else:
                state.volume_not_examined(info, GapKind.NOT_REACHED, BUDGET_REACHED)
            for finding in matchers.match_volume(info.to_report()):
                state.finding(finding)
            continue
        fs = found.fs
        info.used_bytes = used_bytes(img, fs, found.fs_type, found.offset)
        state.progress.volume_started(source.name, info.to_report())
        volume = _image_volume(img, found, spec, source.name, info)
        records = walk_volume(img, source.name, found, warn, stats)
        _plan_volume(plan, volume, records, prioritiser, (fs.info.block_size, found.offset),
                     state, warn)
        for finding in matchers.match_volume(info.to_report()):
            state.finding(finding)


def _plan_volume(plan: Plan, volume: PlannedVolume, records: Iterator[Item],
                 prioritiser: Prioritiser, geometry: tuple[int, int] | None, state: Ledger,
                 warn: WarnFn) -> None:
    """Walk one volume into the plan, within the time budget and the volume watchdog."""
    vol_id = plan.add_volume(volume)
    info = volume.info
    started = time.monotonic()
    count = 0
    for record, content in records:
        if count % PLAN_CHECK_EVERY == 0:  # the first time before anything is listed
            state.progress.planning(count)
            reason = None
            if state.out_of_time():
                reason, kind = f"{BUDGET_REACHED} while listing this partition", GapKind.NOT_REACHED
            elif count and time.monotonic() - started > VOLUME_WALK_LIMIT_S:
                reason = f"walk stopped by the watchdog after {VOLUME_WALK_LIMIT_S:.0f} s"
                kind = GapKind.LIMIT
                warn(f"{volume.source} · {volume.partition.label()}",
                     f"{reason} (a damaged or hostile file system); the files found so far "
                     "are examined")
            if reason is not None:
                info.walk_complete = False
                state.gap(kind, info.address if info.index else volume.source, reason,
                          size=info.size, offset=volume.partition.offset,
                          what="partition remainder")
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
    info.files = count


def reattach(sources: list[str], plan: Plan, state: Ledger, checkpoint: dict[str, Any],
              open_sources: ExitStack) -> None:
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
            state.progress.source_started(source.name, None)
            layout = None
            if isinstance(source, ImageSource):
                img = open_tsk_image(source)
                layout = (img, {(v.index, v.offset): v for v in find_volumes(img).volumes})
            opened[spec] = (source, layout)
        source, layout = opened[spec]
        part = load(PartitionRef, saved["partition"])
        index, offset, fs_type = part.index, part.offset, part.fs
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


def _same_evidence(source: EvidenceSource, state: Ledger) -> None:
    """Refuse to resume on a disk other than the one the scan began on."""
    now = source.identity().to_dict()
    before = next((e for e in state.evidence if e["source"] == source.name), None)
    keys = ("size", "first_mib_sha256", "last_mib_sha256")
    if before is None or any(before.get(k) != now.get(k) for k in keys):
        raise UsageError(f"{source.name} is not the evidence the scan began on (its size or "
                         "first or last MiB differ); start a new scan instead.")
