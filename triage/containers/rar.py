"""RAR archives through rarfile; compressed members need the `unar` tool (Debian: unar)."""

from __future__ import annotations

import functools
import threading
import zlib
from collections.abc import Iterator

import rarfile

from triage.containers.buffers import ContentFile, SpillRequired, collect, read_chunks
from triage.containers.formats import Context, Found, dos_time, issue
from triage.containers.limits import LimitReached
from triage.ledger.records import Problem
from triage.model import Content

_READ_ERRORS = (rarfile.Error, OSError, EOFError, ValueError, zlib.error, IndexError)
# rarfile copies a compressed member's packed bytes into a temporary file for the extractor
# tool; the folder is a module setting, so it is set (to the scan's spill folder) under a lock.
_TMP_LOCK = threading.Lock()
_RAR_STORED = 0x30


@functools.cache
def extractor_available() -> bool:
    """True when rarfile finds a tool (unrar, unar, 7z, bsdtar) for compressed members."""
    try:
        rarfile.tool_setup(force=True)
    except rarfile.RarCannotExec:
        return False
    return True


def read_rar(content: Content, ctx: Context) -> Iterator[Found | Problem]:
    """Every file member of a RAR archive; encrypted or tool-less ones are named, not read."""
    try:
        archive = rarfile.RarFile(ContentFile(content))
    except rarfile.PasswordRequired:
        yield issue(
            ctx, None, "encrypted RAR archive (names hidden too); not examined", "encrypted")
        return
    except _READ_ERRORS as exc:
        yield issue(ctx, None, f"not a readable RAR archive ({exc}); not examined", "corrupt")
        return
    spill = ctx.budget.limits.spill_dir
    has_tool = extractor_available()
    with archive:
        for info in archive.infolist():
            if info.is_dir() or info.is_symlink():
                continue
            name = info.filename
            if info.needs_password():
                yield issue(ctx, name, "encrypted; not examined (name listed)", "encrypted")
                continue
            stored = info.compress_type == _RAR_STORED
            if not stored and not has_tool:
                yield issue(ctx, name, "compressed RAR member and no RAR extractor installed "
                            "(install the Debian package unar); not examined", "unsupported")
                continue
            if not stored and spill is None:
                yield issue(ctx, name, "compressed RAR member and no spill folder for the "
                            "extractor; not examined", "unsupported")
                continue
            try:
                data = _read_member(archive, info, ctx, spill)
            except LimitReached as exc:
                if exc.whole_container:
                    raise
                yield issue(ctx, name, str(exc), exc.reason)
                continue
            except SpillRequired as exc:
                yield issue(ctx, name, str(exc), "too large")
                continue
            except _READ_ERRORS as exc:
                yield issue(ctx, name, f"damaged member ({exc}); not examined", "corrupt")
                continue
            when = (info.mtime.timestamp() if info.mtime is not None
                    else dos_time(info.date_time) if info.date_time else None)
            yield Found(name, when, data)


def _read_member(archive: rarfile.RarFile, info: rarfile.RarInfo, ctx: Context,
                 spill: object) -> Content:
    ctx.budget.check_ratio(info.file_size, info.compress_size, "this member")
    if info.compress_type == _RAR_STORED:
        with archive.open(info) as stream:
            return collect(read_chunks(stream), ctx.budget, info.compress_size, "this member")
    with _TMP_LOCK:
        previous, rarfile.HACK_TMP_DIR = rarfile.HACK_TMP_DIR, str(spill)
        try:
            stream = archive.open(info)  # the temporary copy is made here
        finally:
            rarfile.HACK_TMP_DIR = previous
    with stream:
        return collect(read_chunks(stream), ctx.budget, info.compress_size, "this member")
