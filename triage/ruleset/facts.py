"""What one file record looks like to the rule matcher, with its bytes read lazily and once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from triage.model import Content, FileRecord


@dataclass(frozen=True, slots=True)
class Clock:
    """The scan's notion of now and of `--since`, as POSIX seconds."""

    now: float
    since: float | None


class FileFacts:
    """One record as rules see it: lower-case path, extensions and lazily read leading bytes."""

    __slots__ = ("record", "path", "ext", "content", "clock", "notes", "read_error", "_data",
                 "_asked")

    def __init__(self, record: FileRecord, content: Content | None, clock: Clock,
                 path: str | None = None, ext: str | None = None) -> None:
        self.record = record
        self.path = record.address.full_path().lower() if path is None else path
        self.ext = record.extension if ext is None else ext
        self.content = content
        self.clock = clock
        self.notes: dict[str, Any] | None = None  # what a leaf measured, for the finding
        self.read_error: str | None = None
        self._data: bytes | None = None
        self._asked = 0

    def note(self, key: str, value: Any) -> None:
        if self.notes is None:
            self.notes = {}
        self.notes[key] = value

    def leading(self, length: int) -> bytes | None:
        """Up to `length` leading bytes, or None when the content cannot be read."""
        if self.content is None or self.read_error is not None:
            return None
        data = self._data
        if data is not None and (self._asked >= length or len(data) < self._asked):
            return data[:length]  # already read this much, or the whole file is shorter
        try:
            data = self.content.read(0, length)
        except Exception as exc:  # noqa: BLE001 - any reader failure only loses this fact
            self.read_error = f"{type(exc).__name__}: {exc}"
            return None
        self._data, self._asked = data, length
        return data
