"""Tar archives, plain or compressed (gz, bz2, xz), and single compressed files."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import struct
import tarfile
import zlib
from collections.abc import Callable, Iterator
from typing import IO

from triage.containers.buffers import ContentFile, SpillRequired, collect, read_chunks
from triage.containers.formats import Context, Found, issue
from triage.containers.limits import Budget, LimitReached
from triage.ledger.records import Problem
from triage.model import Content

_OPENERS: dict[str, Callable[[IO[bytes]], IO[bytes]]] = {
    "gzip": lambda raw: gzip.GzipFile(fileobj=raw, mode="rb"),  # type: ignore[dict-item]
    "bzip2": lambda raw: bz2.BZ2File(raw, mode="rb"),  # type: ignore[dict-item]
    "xz": lambda raw: lzma.LZMAFile(raw, mode="rb"),  # type: ignore[dict-item]
}
_SUFFIXES = {"gzip": (".gz", ".tgz", ".z"), "bzip2": (".bz2", ".tbz2", ".tbz"),
             "xz": (".xz", ".txz")}
_READ_ERRORS = (tarfile.TarError, zlib.error, lzma.LZMAError, OSError, EOFError, ValueError,
                struct.error)


class _RatioGuard(io.RawIOBase):
    """A decompressed stream that stops once it exceeds the ratio limit for its input."""

    def __init__(self, stream: IO[bytes], budget: Budget, compressed: int) -> None:
        super().__init__()
        self._stream = stream
        self._budget = budget
        self._compressed = compressed
        self._produced = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data
        self._produced += len(data)
        self._budget.check_ratio(self._produced, self._compressed, "this compressed stream")
        return len(data)


def _is_tar(head: bytes) -> bool:
    if len(head) < 512:
        return False
    if head[257:262] == b"ustar":
        return True
    try:  # a pre-POSIX tar: only the header checksum tells
        stored = int(head[148:156].replace(b"\0", b" ").strip() or b"-1", 8)
    except ValueError:
        return False
    return stored == sum(head[:148]) + 8 * 32 + sum(head[156:512])


def _single_name(kind: str, content: Content, ctx: Context) -> tuple[str, float | None]:
    """The inner file's name (gzip keeps it) and time, else the container's name less suffix."""
    stem = ctx.record.name
    for suffix in _SUFFIXES[kind]:
        if stem.lower().endswith(suffix) and len(stem) > len(suffix):
            stem = stem[: -len(suffix)] + (".tar" if suffix.startswith(".t") else "")
            break
    else:
        stem = f"{stem}.out"
    if kind != "gzip":
        return stem, None
    head = content.read(0, 1024)
    mtime = struct.unpack_from("<I", head, 4)[0] if len(head) >= 10 else 0
    flags = head[3] if len(head) > 3 else 0
    pos = 10
    if flags & 0x04 and len(head) >= 12:  # FEXTRA
        pos += 2 + struct.unpack_from("<H", head, 10)[0]
    if flags & 0x08:  # FNAME, latin-1 by the gzip specification
        end = head.find(b"\0", pos)
        if end > pos:
            stem = head[pos:end].decode("latin-1").replace("\\", "/").rsplit("/", 1)[-1]
    return stem, float(mtime) if mtime else None


def read_compressed(kind: str) -> Callable[[Content, Context], Iterator[Found | Problem]]:
    """A reader for a gz/bz2/xz file: a tar inside is read as tar, anything else as one file."""

    def reader(content: Content, ctx: Context) -> Iterator[Found | Problem]:
        try:
            with _OPENERS[kind](ContentFile(content)) as peek:
                head = peek.read(512)
        except _READ_ERRORS as exc:
            yield issue(ctx, None, f"not a readable {kind} file ({exc}); not examined", "corrupt")
            return
        stream = io.BufferedReader(
            _RatioGuard(_OPENERS[kind](ContentFile(content)), ctx.budget, content.size))
        if _is_tar(head):
            yield from _tar_members(stream, ctx)
            return
        name, mtime = _single_name(kind, content, ctx)
        try:
            data = collect(read_chunks(stream), ctx.budget, content.size, "this file")
        except LimitReached as exc:
            if exc.whole_container:
                raise
            yield issue(ctx, name, str(exc), exc.reason)
            return
        except SpillRequired as exc:
            yield issue(ctx, name, str(exc), "too large")
            return
        except _READ_ERRORS as exc:
            yield issue(ctx, name, f"damaged {kind} data ({exc}); not examined", "corrupt")
            return
        yield Found(name, mtime, data)

    return reader


def read_tar(content: Content, ctx: Context) -> Iterator[Found | Problem]:
    """Every regular file in an uncompressed tar."""
    yield from _tar_members(ContentFile(content), ctx)


def _tar_members(stream: IO[bytes], ctx: Context) -> Iterator[Found | Problem]:
    # Stream mode ('r|') reads the archive once, front to back: right for compressed tars.
    try:
        archive = tarfile.open(fileobj=stream, mode="r|")
    except _READ_ERRORS as exc:
        yield issue(ctx, None, f"not a readable tar archive ({exc}); not examined", "corrupt")
        return
    with archive:
        while True:
            try:
                info = archive.next()
            except LimitReached:
                raise
            except _READ_ERRORS as exc:
                yield issue(ctx, None, f"damaged tar archive ({exc}); the rest was not examined",
                            "corrupt")
                return
            if info is None:
                return
            if not info.isfile():
                continue
            extracted = archive.extractfile(info)
            if extracted is None:
                continue
            try:
                data = collect(read_chunks(extracted), ctx.budget, None, "this member")
            except SpillRequired as exc:
                yield issue(ctx, info.name, str(exc), "too large")
                continue
            except LimitReached as exc:
                if exc.reason != "timeout":
                    raise
                # A stream cannot skip the slow member without reading it: stop here.
                yield issue(ctx, info.name, f"{exc}; the rest of the archive was not examined",
                            exc.reason)
                return
            except _READ_ERRORS as exc:
                yield issue(ctx, info.name, f"damaged member ({exc}); the rest was not examined",
                            "corrupt")
                return
            yield Found(info.name, float(info.mtime) if info.mtime else None, data)
