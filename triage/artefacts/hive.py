"""Reading registry hives with regipy, shared by the hive extractors: opening a copy with its
transaction logs applied, and keys, values and times that never raise on damage."""

from __future__ import annotations

import datetime as dt
import logging
import struct
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from construct.core import ConstructError
from regipy.exceptions import RegipyException
from regipy.recovery import apply_transaction_logs
from regipy.registry import NKRecord, RegistryHive

from triage.artefacts.base import ExtractError
from triage.artefacts.record import Artefact, to_posix

# regipy logs each value it cannot decode (a SAM Names key's empty default value, a damaged
# value record) at WARNING or ERROR, which Python prints on the officer's console; what matters
# is said once per file, as a problem with its address (see `guarded`).
logging.getLogger("regipy").setLevel(logging.CRITICAL)
_FILETIME_EPOCH = dt.datetime(1601, 1, 1, tzinfo=dt.UTC)
# What regipy and construct raise on a damaged hive; caught per key, per value or per hive.
HIVE_ERRORS = (RegipyException, ConstructError, struct.error, ValueError)
LOG_SUFFIXES = ("{name}.LOG1", "{name}.LOG2", "{name}.LOG")
# regipy is pure Python (~2,000 Amcache entries a second under load): a hive gets this long,
# as an event log does (evtx.LOG_LIMIT_S), before it is cut short and said to be.
HIVE_LIMIT_S = 120.0


def filetime(value: int | None) -> float | None:
    """A Windows FILETIME (100 ns ticks since 1601) as POSIX seconds; None for 0 or nonsense."""
    if not value or value <= 0 or value > 0x7FFF_FFFF_FFFF_FFFF:
        return None
    try:
        return (_FILETIME_EPOCH + dt.timedelta(microseconds=value // 10)).timestamp()
    except OverflowError:
        return None


def recovered(copy: Path) -> Path:
    """The hive with its transaction logs applied, when they were copied beside it."""
    logs = [copy.with_name(copy.name + suffix) for suffix in (".LOG1", ".LOG2", ".LOG")]
    present = [log for log in logs if log.is_file() and log.stat().st_size]
    if not present:
        return copy
    restored = copy.with_name(copy.name + ".recovered")
    try:
        apply_transaction_logs(str(copy), str(present[0]),
                               str(present[1]) if len(present) > 1 else None, str(restored))
    except (*HIVE_ERRORS, OSError):
        return copy  # logs that do not apply: the hive as it is on disk
    return restored if restored.is_file() else copy


def open_hive(copy: Path) -> RegistryHive:
    """The hive in `copy` (logs applied), or ExtractError in one sentence."""
    try:
        return RegistryHive(str(recovered(copy)))
    except (*HIVE_ERRORS, OSError) as exc:
        raise ExtractError(f"not a readable registry hive ({exc})") from exc


def shortfall(copy: Path) -> str | None:
    """Why the hive is cut short ('… of … bytes'), None when it is whole: its header says how
    many bytes of hive bins follow the 4 KiB header (offset 0x28)."""
    with copy.open("rb") as handle:
        header = handle.read(0x2C)
    if len(header) < 0x2C:
        return None  # too short to be a hive at all: open_hive said so
    expected = 4096 + struct.unpack_from("<I", header, 0x28)[0]
    size = copy.stat().st_size
    return f"{size:,} of its {expected:,} bytes" if size < expected else None


def guarded(records: Iterator[Artefact], copy: Path, what: str) -> Iterator[Artefact]:
    """`records`, then one ExtractError if the hive was damaged or cut short (the records read
    so far are kept either way)."""
    deadline = time.monotonic() + HIVE_LIMIT_S
    try:
        for record in records:
            yield record
            if time.monotonic() > deadline:
                raise ExtractError(f"stopped after {HIVE_LIMIT_S:.0f} s (a huge {what}); the "
                                   "records read so far are kept")
    except HIVE_ERRORS as exc:
        raise ExtractError(f"damaged {what} ({exc}); the records read so far are kept") from exc
    short = shortfall(copy)
    if short is not None:
        raise ExtractError(f"the {what} is cut short ({short}); the records read from what is "
                           "there are kept")


def key(hive: RegistryHive, path: str) -> NKRecord | None:
    try:
        return hive.get_key(path)
    except (RegipyException, ConstructError):
        return None


def values(found: NKRecord | None) -> dict[str, Any]:
    if found is None:
        return {}
    try:
        # Untrimmed: regipy cuts values at 256 bytes by default, which loses a SAM account's
        # V value and a long MountedDevices path (the hive itself is bounded when copied).
        return {value.name: value.value for value in found.iter_values(trim_values=False)}
    except (RegipyException, ConstructError):
        return {}


def subkeys(found: NKRecord | None) -> Iterator[NKRecord]:
    """The key's subkeys one at a time (a forged key may claim millions), up to any damage."""
    if found is None:
        return
    try:
        yield from found.iter_subkeys()
    except (RegipyException, ConstructError):
        return


def written(found: NKRecord) -> float | None:
    """When the key was last written."""
    return filetime(found.header.last_modified)


def as_bytes(raw: Any) -> bytes | None:
    """A binary value as bytes (regipy hands some back as hex text)."""
    if isinstance(raw, str):
        try:
            return bytes.fromhex(raw)
        except ValueError:
            return None
    return bytes(raw) if isinstance(raw, bytes | bytearray) else None


def binary_filetime(raw: Any) -> float | None:
    if isinstance(raw, dt.datetime):  # regipy decodes DEVPROP_TYPE_FILETIME values itself
        return to_posix(raw)
    if isinstance(raw, int):
        return filetime(raw)
    data = as_bytes(raw)
    if data is not None and len(data) >= 8:
        return filetime(struct.unpack_from("<Q", data)[0])
    return None
