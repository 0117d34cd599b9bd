"""Zip archives (stored, deflated, bzip2, lzma; zip64) and the office documents built on zip."""

from __future__ import annotations

import lzma
import struct
import zipfile
import zlib
from collections.abc import Iterator

from triage.containers.buffers import ContentFile, SpillRequired, collect, read_chunks
from triage.containers.formats import Context, Found, dos_time, issue
from triage.containers.limits import LimitReached
from triage.ledger.records import Problem
from triage.model import Content

_ENCRYPTED = 0x1
_EXT_TIMESTAMP = 0x5455  # Info-ZIP extended timestamp: a UTC mtime, better than the DOS time
# What a damaged or unusual member raises while it is read.
_READ_ERRORS = (zipfile.BadZipFile, zlib.error, lzma.LZMAError, OSError, EOFError, ValueError,
                NotImplementedError, RuntimeError, struct.error)


def _utc_mtime(info: zipfile.ZipInfo) -> float | None:
    extra = info.extra
    pos = 0
    while pos + 4 <= len(extra):
        tag, length = struct.unpack_from("<HH", extra, pos)
        body = extra[pos + 4 : pos + 4 + length]
        if tag == _EXT_TIMESTAMP and len(body) >= 5 and body[0] & 1:
            return float(struct.unpack_from("<i", body, 1)[0])
        pos += 4 + length
    return dos_time(info.date_time)


def read_zip(content: Content, ctx: Context) -> Iterator[Found | Problem]:
    """Every file member of a zip; encrypted ones are named but not examined."""
    try:
        archive = zipfile.ZipFile(ContentFile(content))
    except (zipfile.BadZipFile, *_READ_ERRORS) as exc:
        yield issue(ctx, None, f"not a readable zip archive ({exc}); not examined", "corrupt")
        return
    budget = ctx.budget
    with archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            if info.flag_bits & _ENCRYPTED:
                yield issue(
                    ctx, info.filename, "encrypted; not examined (name listed)", "encrypted")
                continue
            # The sizes in the directory are claims; collect() checks the real bytes as well.
            try:
                budget.check_ratio(info.file_size, info.compress_size, "this member")
                if budget.bytes_used + info.file_size > budget.limits.max_expanded_bytes:
                    budget.take_bytes(info.file_size)  # raises: the claim alone passes the cap
                with archive.open(info) as stream:
                    data = collect(read_chunks(stream), budget, info.compress_size,
                                   "this member")
            except LimitReached as exc:
                if exc.whole_container:
                    raise
                yield issue(ctx, info.filename, str(exc), exc.reason)
                continue
            except SpillRequired as exc:
                yield issue(ctx, info.filename, str(exc), "too large")
                continue
            except NotImplementedError as exc:
                yield issue(ctx, info.filename, f"compression not supported ({exc}); not examined",
                            "unsupported")
                continue
            except _READ_ERRORS as exc:
                yield issue(ctx, info.filename, f"damaged member ({exc}); not examined", "corrupt")
                continue
            yield Found(info.filename, _utc_mtime(info), data)
