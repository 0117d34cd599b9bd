"""Virtual disks found inside the evidence (a suspect's VMs, Windows backups), opened like archives.

A .vmdk/.vhd(x)/.qcow2/.vdi/.dmg in a user's folder goes through the same layered walk as a
disk named on the command line; its files come out as members addressed
`…/VMs/win.vmdk!p1@1048576 ntfs · /Users/…`, in the order the priority table gives them, and
every volume that cannot be opened is a named problem, never "unknown file system".
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Iterator
from typing import Any

from triage.containers.formats import STAGE, Context, Found
from triage.containers.limits import LimitReached
from triage.containers.members import member_address
from triage.ledger.records import GapKind, Problem
from triage.model import Content
from triage.plan.priority import Prioritiser
from triage.walk.fswalk import WalkStats
from triage.walk.layered import reach
from triage.walk.snapshots import records_of

# The image format layers: the first link of a disk file's chain, implied by the file itself.
_IMAGE_LINKS = ("vmdk", "vhd", "vhdx", "qcow", "qcow2", "vdi", "dmg")
# The files a virtual disk yields may not add up to more than this many times the disk file's
# own size (compressed VMDK and QCOW2 clusters reach ~3x on real disks): past it, a small file
# claiming a huge sparse disk full of "files" is a bomb, like a zip bomb. The expansion limit
# of every container (containers/limits.py) bounds a large virtual disk's files too.
MAX_DISK_EXPANSION = 8


def read_disk(content: Content, ctx: Context) -> Iterator[Found | Problem]:
    """Every file of every volume inside the virtual disk `content`, likeliest first."""
    record = ctx.record
    sink = _Problems(ctx)
    volumes = list(reach(content, record.name, sink, context={"name": record.name}))
    yield from sink.drain()
    prioritiser = Prioritiser(time.time(), removable=False)
    entries: list[tuple[tuple[int, int, int], Any, Any, Any]] = []
    walked = 0
    seen: dict[Any, Any] = {}
    limit = ctx.budget.limits.max_members
    for number, volume in enumerate(volumes):
        link = _link(volume, record.name)
        if not volume.examined:
            yield _issue(ctx, link, f"{volume.volume.description}: not examined "
                         f"({volume.volume.reason})", volume.volume.gap.value,
                         gap=volume.volume.gap)
            continue
        opener = volume.opener()
        counts: dict[str, int] = {}
        for inner, item in records_of(volume, seen, sink.walk_problem, WalkStats(), counts):
            if item is None:
                continue  # listed only (file system metadata, sparse files): nothing to read
            rank = prioritiser.rank(inner)
            walked += 1
            # Only the `limit` likeliest files are kept (a max-heap on the reading order), so
            # a virtual disk with more files than the member limit still gets its best ones.
            heapq.heappush(entries, ((-rank[0], -rank[1], -walked), inner, item.token,
                                     (opener, _where(volume, link), number)))
            if len(entries) > limit:
                heapq.heappop(entries)
        yield from sink.drain()
    if walked > limit:
        yield _issue(ctx, None, f"{walked - limit} of the {walked} files inside this virtual disk "
                     f"were not examined (the limit of {limit} members per container; the "
                     "likeliest places were examined first)", "limit")
    ratio_ceiling = MAX_DISK_EXPANSION * content.size
    ceiling = min(ctx.budget.limits.max_expanded_bytes, ratio_ceiling)
    produced = 0
    entries.sort(key=lambda entry: entry[0], reverse=True)  # likeliest first, then walk order
    for _key, inner, token, (opener, where, _volume) in entries:
        produced += inner.size
        if produced > ceiling:
            raise LimitReached(_over(ceiling, ratio_ceiling), whole_container=True)
        try:
            opened = opener(inner, token)
        except OSError as exc:
            yield _issue(ctx, f"{where} · {inner.address.full_path()}", f"not readable: {exc}",
                         "corrupt")
            continue
        yield Found(f"{where} · {inner.address.full_path()}", inner.mtime, opened,
                    inner=inner)


def _issue(ctx: Context, path: str | None, message: str, reason: str, *,
           gap: GapKind | None = GapKind.ARCHIVE) -> Problem:
    """A problem at `path` inside the virtual disk (None: the disk file itself); `gap` None for
    a note that leaves nothing unexamined, else the kind of gap (an encrypted volume inside a
    VM stays "encrypted")."""
    address = str(ctx.record.address) if path is None else member_address(ctx.record, path)
    return Problem(address, STAGE, message, gap, reason)


def _over(ceiling: int, ratio_ceiling: int) -> str:
    if ceiling == ratio_ceiling:
        return (f"the files inside this virtual disk add up to more than {MAX_DISK_EXPANSION} "
                "times the disk file itself; the rest was not examined, possibly a disk image "
                "bomb")
    return (f"examined {ceiling} bytes of the files inside this virtual disk, the limit on "
            "expanded bytes per container (--max-expanded-mb); the rest, in priority order the "
            "least likely, was not examined")


def _link(volume: Any, name: str) -> str:
    """The volume's place inside the disk file: its layers after the file's own format, and
    its partition (`p1@1048576`); "" for a bare file system straight inside the disk."""
    links = volume.source.split(" · ")[1:]
    if links and links[0] in _IMAGE_LINKS:
        links = links[1:]
    if volume.scheme != "none":
        links.append(f"p{volume.volume.index}@{volume.volume.offset}")
    return " · ".join(links)


def _where(volume: Any, link: str) -> str:
    """The member path's volume part: `p1@1048576 ntfs`, `lvm vg/home · ext4`, `p0@0 ext4`."""
    fs = volume.volume.fs_type
    if volume.scheme != "none":
        return f"{link} {fs}"
    return f"{link} · {fs}" if link else volume.partition().label()


class _Problems:
    """The layered walk's sink inside a container (the ledger's two methods, and the walk's
    warn function): what it records becomes Problems of the virtual disk file."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self._problems: list[Problem] = []

    def problem(self, address: str, stage: str, message: str) -> None:
        self._problems.append(_issue(self._ctx, None, f"{address}: {message}", "corrupt",
                                     gap=None))

    def walk_problem(self, address: str, message: str, gap: GapKind | None = None) -> None:
        self._problems.append(_issue(self._ctx, None, f"{address}: {message}", "corrupt",
                                     gap=gap))

    def gap(self, kind: GapKind, address: str, reason: str, *, size: int | None = None,
            offset: int | None = None, what: str = "") -> None:
        where = f" at {offset}" if offset is not None else ""
        amount = f" ({size} bytes)" if size is not None else ""
        self._problems.append(_issue(self._ctx, None, f"{address}{where}{amount}: {reason}",
                                     GapKind(kind).value, gap=GapKind(kind)))

    def drain(self) -> Iterator[Problem]:
        problems, self._problems = self._problems, []
        yield from problems
