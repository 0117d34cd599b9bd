"""The shape every format reader shares: what it yields and the context it is given."""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from triage.containers.limits import Budget
from triage.containers.members import member_address
from triage.ledger.records import GapKind, Problem
from triage.model import Content, FileRecord

STAGE = "containers"  # the stage every container problem is reported under


@dataclass(frozen=True, slots=True)
class Found:
    """A member a reader produced: its path inside the container, time and bytes."""

    path: str
    mtime: float | None  # None: the container's own time (frames, PDF images)
    content: Content
    facts: dict[str, Any] | None = None  # e.g. a video frame's time, copied to the record
    # A file system's own record of the member (a file inside a virtual disk): its deleted
    # state, times and facts are copied to the member's record.
    inner: FileRecord | None = None


@dataclass(frozen=True)
class Context:
    """What a reader needs besides the bytes: the container's record and the shared budget."""

    record: FileRecord
    budget: Budget


Reader = Callable[[Content, Context], Iterator[Found | Problem]]


def issue(ctx: Context, path: str | None, message: str, reason: str, *,
          not_examined: bool = True) -> Problem:
    """A problem a reader met at `path` inside the container (None: the container itself).

    `reason` is a short key: "bomb" | "encrypted" | "corrupt" | "unsupported" | "too large" |
    "limit" | "timeout"; `not_examined` False for a note that leaves no coverage gap.
    """
    address = str(ctx.record.address) if path is None else member_address(ctx.record, path)
    return Problem(address, STAGE, message, GapKind.ARCHIVE if not_examined else None, reason)


def dos_time(date_time: tuple[int, int, int, int, int, int]) -> float | None:
    """A zip/7z-style broken-down time as POSIX seconds, read as UTC (the zone is not stored)."""
    try:
        return float(calendar.timegm((*date_time, 0, 0, 0)))
    except (ValueError, OverflowError):
        return None
