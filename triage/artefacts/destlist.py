"""The DestList stream of an automatic-destinations jump list: per entry, when it was last
used, whether it is pinned, how often it was opened, and on which computer.

Written from Joachim Metz's "Jump lists format" (libyal/dtformats, documentation/Jump lists
format.asciidoc): a 32-byte header (format version, entry count, pinned count), then entries
of 114 bytes plus the path (version 1, Windows 7) or 130 bytes plus the path and 4 bytes of
padding (version 2 and later, Windows 10 and 11).
"""

from __future__ import annotations

import datetime as dt
import struct
from dataclasses import dataclass

HEADER_SIZE = 32
FILETIME_EPOCH = dt.datetime(1601, 1, 1, tzinfo=dt.UTC)


class DestListError(ValueError):
    """The stream ends inside an entry or is not a DestList; the entries before it are kept."""


@dataclass(frozen=True)
class DestEntry:
    """One DestList entry: `number` names the LNK stream (its hexadecimal form)."""

    number: int
    last_used: float | None  # POSIX seconds
    pinned: bool
    access_count: int | None  # format version 2 and later only
    hostname: str
    path: str


def filetime_posix(value: int) -> float | None:
    """A FILETIME (100 ns since 1601) as POSIX seconds; None for 0 or an impossible value."""
    if value <= 0 or value >= 0x7FFF_FFFF_FFFF_FFFF:
        return None
    try:
        return (FILETIME_EPOCH + dt.timedelta(microseconds=value // 10)).timestamp()
    except OverflowError:
        return None


def read_destlist(data: bytes) -> tuple[list[DestEntry], str | None]:
    """The entries, and a sentence when the stream stopped early (the entries before kept)."""
    if len(data) == 0:
        return [], None  # an emptied jump list
    if len(data) < HEADER_SIZE:
        return [], "its DestList stream is shorter than its header"
    version, count, _pinned = struct.unpack_from("<III", data)
    if version not in (1, 2, 3, 4, 5, 6):
        return [], f"its DestList stream has an unknown format version {version}"
    fixed, size_at, padding = (114, 112, 0) if version == 1 else (130, 128, 4)
    entries: list[DestEntry] = []
    offset = HEADER_SIZE
    for _ in range(count):
        if offset + fixed > len(data):
            return entries, f"its DestList stream ends inside entry {len(entries) + 1} of {count}"
        (chars,) = struct.unpack_from("<H", data, offset + size_at)
        end = offset + fixed + 2 * chars
        if end > len(data):
            return entries, f"its DestList stream ends inside entry {len(entries) + 1} of {count}"
        number, = struct.unpack_from("<I", data, offset + 88)
        (filetime,) = struct.unpack_from("<Q", data, offset + 100)
        (pin,) = struct.unpack_from("<i", data, offset + 108)
        access = None if version == 1 else struct.unpack_from("<I", data, offset + 116)[0]
        host = data[offset + 72:offset + 88].split(b"\0", 1)[0].decode("ascii", "replace")
        path = data[offset + fixed:end].decode("utf-16-le", "replace")
        entries.append(DestEntry(number, filetime_posix(filetime), pin >= 0, access, host, path))
        offset = end + padding
    return entries, None
