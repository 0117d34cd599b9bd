"""Planning: every source's names and metadata walked into the plan, and reattached on resume."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

from triage.errors import EvidenceError, OutputError, UsageError
from triage.evidence import EvidenceSource, ImageSource, LogicalSource, open_source
from triage.evidence.directory import FileContent
from triage.evidence.siblings import source_context
from triage.layers.disks import VIRTUAL_DISKS
from triage.layers.secrets import KeyRing
from triage.ledger import BUDGET_REACHED, GapKind, Ledger, VolumeCoverage
from triage.ledger.serial import load
from triage.model import PartitionRef
from triage.plan.planner import Plan, PlannedVolume
from triage.plan.priority import Prioritiser
from triage.stages.matching import Matchers
from triage.stages.process import Item
from triage.walk.fswalk import WalkStats, WarnFn
from triage.walk.layered import reach
from triage.walk.logical import FOLDER_PARTITION, walk_folder
from triage.walk.reached import Reached
from triage.walk.snapshots import Seen, records_of
from triage.walk.tskimage import open_tsk_image

# Budget and watchdog are checked every this many walked entries (a clock read each is waste).
PLAN_CHECK_EVERY = 256
# The walk of one partition's names and metadata gets this long; real file systems need
# seconds to a few minutes (a million files: ~10-30 s here), so only a damaged or hostile one
# that keeps libtsk busy reaches it. The files found by then are still examined.
VOLUME_WALK_LIMIT_S = 15 * 60


def plan_all(sources: list[str], plan: Plan, state: Ledger, matchers: Matchers,
             open_sources: ExitStack, keyring: KeyRing | None = None) -> bool:
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
            _plan_source(source, number, plan, state, matchers, open_sources, keyring)
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


def _image_volume(reached: Reached, spec: int, info: VolumeCoverage) -> PlannedVolume:
    return PlannedVolume(reached.source, reached.partition(), reached.opener(), reached.lock,
                         spec, info)


def _plan_source(source: EvidenceSource, spec: int, plan: Plan, state: Ledger,
                 matchers: Matchers, open_sources: ExitStack,
                 keyring: KeyRing | None = None) -> None:
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
        _plan_image(source, spec, plan, state, matchers, prioritiser, stats, warn, open_sources,
                    keyring)
        identity["kind"] = _kind_inside(source.name, identity["kind"], state)
    state.other_entries.update(stats.other or {})


def _kind_inside(name: str, kind: str, state: Ledger) -> str:
    """A virtual disk given as a file is named by its format ("vmdk virtual disk in a raw image
    file"), not only by how its bytes were read, so the report says what the evidence is."""
    mine = (v for v in state.volumes if v.source == name or v.source.startswith(f"{name} · "))
    outer = {v.layers[0].split(" ")[0] for v in mine if v.layers}
    formats = sorted(outer & VIRTUAL_DISKS)
    return f"{formats[0]} virtual disk in a {kind} file" if len(formats) == 1 else kind


def _plan_image(source: ImageSource, spec: int, plan: Plan, state: Ledger,
                matchers: Matchers, prioritiser: Prioritiser, stats: WalkStats,
                warn: WarnFn, open_sources: ExitStack, keyring: KeyRing | None = None) -> None:
    seen: dict[tuple[str, int, int], Seen] = {}  # live volumes' files, for their snapshots
    # The ledger is the layered walk's sink: layers record their gaps and problems in it.
    for reached in reach(source, source.name, state, img=open_tsk_image(source),
                         context=_context(source, open_sources, keyring)):
        found = reached.volume
        info = state.volume(**reached.coverage())
        for message in found.warnings:
            state.problem(info.address, "volume", message)
        if found.beyond_end and reached.img is not None:
            state.gap(GapKind.TRUNCATED, info.address,
                      "the image ends before this partition does (truncated image); the "
                      "missing part was not examined", size=found.beyond_end,
                      offset=reached.img.get_size())
        if not reached.examined or state.out_of_time():
            if not reached.examined:
                state.volume_not_examined(info, found.gap, found.reason)
            else:
                state.volume_not_examined(info, GapKind.NOT_REACHED, BUDGET_REACHED)
            for finding in matchers.match_volume(info.to_report()):
                state.finding(finding)
            continue
        info.used_bytes = reached.used_bytes()
        state.progress.volume_started(reached.source, info.to_report())
        volume = _image_volume(reached, spec, info)
        counts: dict[str, int] = {}
        records = records_of(reached, seen, warn, stats, counts)
        _plan_volume(plan, volume, records, prioritiser, reached.geometry(), state, warn)
        if reached.snapshot_of is not None:
            info.unchanged_files = counts.get("unchanged", 0)
        for finding in matchers.match_volume(info.to_report()):
            state.finding(finding)


def _context(source: ImageSource, open_sources: ExitStack, keyring: KeyRing | None
             ) -> dict[str, Any]:
    """What the layers of one source are given: its siblings, and the officer's secrets."""
    context = source_context(source, open_sources)
    if keyring is not None:
        context["keyring"] = keyring
    return context


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
              open_sources: ExitStack, keyring: KeyRing | None = None) -> None:
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
                layout = {reached.key: reached for reached in reach(
                    source, source.name, _Quiet(), img=open_tsk_image(source),
                    context=_context(source, open_sources, keyring))}
            opened[spec] = (source, layout)
        source, layout = opened[spec]
        part = load(PartitionRef, saved["partition"])
        index, offset, fs_type = part.index, part.offset, part.fs
        info = state.volumes[saved["info"]]
        if layout is None:
            plan.volumes.append(_folder_volume(source, spec, info))
            continue
        reached = layout.get((info.source, index, offset))
        if reached is None and "unlocked: " in info.source:  # its link names the protector
            raise UsageError(f"{info.source} was unlocked in the interrupted scan; give its "
                             "secret again (--unlock-file, or at the prompt) to resume.")
        if reached is None or not reached.examined or reached.volume.fs_type != fs_type:
            raise UsageError(f"partition {index} of {info.source} no longer opens as "
                             f"{fs_type}; start a new scan instead.")
        plan.volumes.append(_image_volume(reached, spec, info))


class _Quiet:
    """Reopening on resume: the first run recorded the gaps and problems already."""

    def problem(self, address: str, stage: str, message: str) -> None:
        pass

    def gap(self, kind: GapKind, address: str, reason: str, *, size: int | None = None,
            offset: int | None = None, what: str = "") -> None:
        pass


def _same_evidence(source: EvidenceSource, state: Ledger) -> None:
    """Refuse to resume on a disk other than the one the scan began on."""
    now = source.identity().to_dict()
    before = next((e for e in state.evidence if e["source"] == source.name), None)
    keys = ("size", "first_mib_sha256", "last_mib_sha256")
    if before is None or any(before.get(k) != now.get(k) for k in keys):
        raise UsageError(f"{source.name} is not the evidence the scan began on (its size or "
                         "first or last MiB differ); start a new scan instead.")
