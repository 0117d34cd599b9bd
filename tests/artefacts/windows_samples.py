"""plaso's published Windows files (tests/data/plaso, Apache-2.0), and one Prefetch file of
theirs with its documented executable-name and run-time fields set to a tool the rules know
(the way browser databases are edited through SQL): libscca reads the result as it reads any."""

from __future__ import annotations

import datetime as dt
import gzip
import struct
from pathlib import Path

PLASO = Path(__file__).resolve().parents[1] / "data" / "plaso"
# Windows 8 (format 26) is stored uncompressed: name at 16 (60 bytes of UTF-16LE), the eight
# last-run FILETIMEs at 128 (libscca's documentation of the format, "File information").
_UNCOMPRESSED = "TASKHOST.EXE-3AE259FC.pf"


def filetime(when: dt.datetime) -> bytes:
    return struct.pack("<Q", int((when - dt.datetime(1601, 1, 1, tzinfo=dt.UTC))
                                 .total_seconds() * 10_000_000))


def prefetch_of(executable: str, last_run: dt.datetime) -> bytes:
    """A Windows 8 Prefetch file saying `executable` last ran at `last_run` (4 runs)."""
    data = bytearray((PLASO / _UNCOMPRESSED).read_bytes())
    name = executable.upper().encode("utf-16-le")
    assert len(name) < 60
    data[16:76] = name + bytes(60 - len(name))
    data[128:136] = filetime(last_run)
    return bytes(data)


def unpacked(name: str, folder: Path) -> Path:
    """A gzip-compressed sample (SAM.gz) written out to `folder`."""
    target = folder / name.removesuffix(".gz")
    target.write_bytes(gzip.decompress((PLASO / name).read_bytes()))
    return target
