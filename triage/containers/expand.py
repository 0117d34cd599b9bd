"""Expanding one container into its members, recursively, within one shared budget."""

from __future__ import annotations

from collections.abc import Iterator

from triage.containers.disks import read_disk
from triage.containers.formats import STAGE, Context, Found, Reader
from triage.containers.limits import Budget, ContainerLimits, LimitReached
from triage.containers.members import Member, member_record
from triage.containers.pdfimages import read_pdf
from triage.containers.rar import read_rar
from triage.containers.sevenzip import read_7z
from triage.containers.sniff import DISK_EXTENSIONS, SNIFF_BYTES, kind_of, kind_of_mime
from triage.containers.streams import read_compressed, read_tar
from triage.containers.video import read_video
from triage.containers.zips import read_zip
from triage.ledger.records import GapKind, Problem
from triage.model import Content, FileRecord

READERS: dict[str, Reader] = {
    "zip": read_zip,
    "tar": read_tar,
    "gzip": read_compressed("gzip"),
    "bzip2": read_compressed("bzip2"),
    "xz": read_compressed("xz"),
    "7z": read_7z,
    "rar": read_rar,
    "pdf": read_pdf,
    "video": read_video,
    "disk": read_disk,
}
# A MIME type alone decides only where the first bytes cannot (pre-POSIX tar, rarer video
# containers); otherwise the bytes win, since a wrong extension or type is common in evidence.
_MIME_ONLY = {"tar", "video"}


def container_kind(record: FileRecord, content: Content) -> str | None:
    """The format expand() would read this file as, or None when it is no container."""
    try:
        head = content.read(0, min(SNIFF_BYTES, content.size))
    except OSError:
        return None
    kind = kind_of(head)
    if kind is None and kind_of_mime(record.mime) in _MIME_ONLY:
        kind = kind_of_mime(record.mime)
    if kind is None and record.extension in DISK_EXTENSIONS and _image_layer(content):
        kind = "disk"  # a fixed VHD or a DMG: announced at its end, not its start
    return kind


def _image_layer(content: Content) -> bool:
    from triage.layers.registry import identify

    try:
        return identify(content) is not None
    except OSError:
        return False


def expand(record: FileRecord, content: Content, *, limits: ContainerLimits | None = None,
           depth: int = 0, budget: Budget | None = None,
           close_members: bool = True) -> Iterator[Member | Problem]:
    """Every member of a container and, depth-first, of the containers inside it.

    Recursion is done here: the caller must NOT call expand() again on yielded members (their
    nested members follow them in the same iteration). `depth` is the depth of `record`
    (0 for a file found on the evidence). A member's content is readable until the caller asks
    for the next item; with close_members=False the caller closes each content itself (and
    must keep it open until then). Nothing is written outside limits.spill_dir.
    """
    budget = budget or Budget(limits or ContainerLimits())
    kind = container_kind(record, content)
    if kind is None:
        return
    address = str(record.address)
    if budget.exhausted:
        return
    if depth >= budget.limits.max_depth:
        yield Problem(address, STAGE, f"nested {depth} containers deep, past the depth limit "
                      f"({budget.limits.max_depth}); not examined, possibly an archive bomb",
                      GapKind.ARCHIVE, "bomb")
        return
    ctx = Context(record, budget)
    try:
        for item in READERS[kind](content, ctx):
            if isinstance(item, Problem):
                yield item
                continue
            yield from _member(record, item, budget, depth, close_members)
            if budget.exhausted:
                return
    except LimitReached as exc:
        yield Problem(address, STAGE, str(exc), GapKind.ARCHIVE, exc.reason)


def _member(parent: FileRecord, found: Found, budget: Budget, depth: int,
            close_members: bool) -> Iterator[Member | Problem]:
    try:
        budget.take_member()
    except LimitReached:
        _close(found.content)
        raise
    record = member_record(parent, found.path, found.content.size,
                           found.mtime if found.mtime is not None else parent.mtime)
    if found.facts:
        record.facts.update(found.facts)
    if found.inner is not None:
        inner = found.inner
        record.deleted = parent.deleted or inner.deleted
        record.atime, record.ctime, record.crtime = inner.atime, inner.ctime, inner.crtime
        record.facts.update(inner.facts)
    try:
        yield Member(record, found.content)
        yield from expand(record, found.content, depth=depth + 1, budget=budget,
                          close_members=close_members)
    finally:
        if close_members:
            _close(found.content)


def _close(content: Content) -> None:
    close = getattr(content, "close", None)
    if close is not None:
        close()
