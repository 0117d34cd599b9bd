"""The shape every format reader shares: what it yields and the context it is given."""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from triage.containers.limits import Budget
from triage.model import Content, FileRecord


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


@dataclass(frozen=True, slots=True)
class Issue:
    """Something a reader could not examine; path None means the container itself."""

    path: str | None
    message: str
    reason: str  # "bomb" | "encrypted" | "corrupt" | "unsupported" | "too large" | "limit" |
    # "timeout"
    not_examined: bool = True


@dataclass(frozen=True)
class Context:
    """What a reader needs besides the bytes: the container's record and the shared budget."""

    record: FileRecord
    budget: Budget


Reader = Callable[[Content, Context], Iterator[Found | Issue]]


def dos_time(date_time: tuple[int, int, int, int, int, int]) -> float | None:
    """A zip/7z-style broken-down time as POSIX seconds, read as UTC (the zone is not stored)."""
    try:
        return float(calendar.timegm((*date_time, 0, 0, 0)))
    except (ValueError, OverflowError):
        return None
