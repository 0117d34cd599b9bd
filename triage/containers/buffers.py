"""Member bytes held in memory or spilled to the output folder, and Content as a file object."""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Iterable

from triage.containers.limits import Budget
from triage.model import Content
from triage.report.atomic import full_disk_is_output_error

CHUNK = 1024 * 1024


class BytesContent:
    """Content held in memory."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self.size = len(data)

    def read(self, offset: int, length: int) -> bytes:
        return self._data[offset : offset + length]

    def close(self) -> None:
        self._data = b""


class SpilledContent:
    """Content in a temporary file under the scan's output folder, removed on close."""

    def __init__(self, handle: io.BufferedRandom, path: str, size: int) -> None:
        self._handle = handle
        self._path = path
        self.size = size

    def read(self, offset: int, length: int) -> bytes:
        self._handle.seek(offset)
        return self._handle.read(length)

    def close(self) -> None:
        if not self._handle.closed:
            self._handle.close()
            os.unlink(self._path)


class SpillRequired(Exception):
    """A member too large for memory, and no spill folder was given."""


class Collector:
    """Receives a member's bytes in chunks, charging the budget, into memory or a spill file."""

    def __init__(self, budget: Budget, compressed: int | None, what: str) -> None:
        self._budget = budget
        self._compressed = compressed
        self._what = what
        self._parts: list[bytes] = []
        self._held = 0
        self._spill: io.BufferedRandom | None = None
        self._spill_path = ""
        self.size = 0
        self._started = budget.clock()  # the member's watchdog starts with its first byte asked

    def write(self, data: bytes) -> None:
        if not data:
            return
        self._budget.take_bytes(len(data))
        self.size += len(data)
        self._budget.check_ratio(self.size, self._compressed, self._what)
        self._budget.check_time(self._started, self.size, self._what)
        if self._spill is not None:
            with full_disk_is_output_error(self._spill_path):
                self._spill.write(data)
            return
        self._parts.append(bytes(data))
        self._held += len(data)
        if self._held > self._budget.limits.memory_member_bytes:
            self._start_spill()

    def _start_spill(self) -> None:
        folder = self._budget.limits.spill_dir
        if folder is None:
            raise SpillRequired(f"larger than {self._budget.limits.memory_member_bytes} bytes "
                                "and no spill folder was given; not examined")
        # A full output disk stops the scan (OutputError), not just this member: the listing
        # and the report need that disk too.
        with full_disk_is_output_error(folder):
            folder.mkdir(parents=True, exist_ok=True)
            fd, self._spill_path = tempfile.mkstemp(prefix="member-", dir=folder)
            self._spill = open(fd, "w+b")  # noqa: SIM115 - owned by the SpilledContent
            for part in self._parts:
                self._spill.write(part)
        self._parts, self._held = [], 0

    def content(self) -> Content:
        """The collected bytes; the collector must not be used afterwards."""
        if self._spill is None:
            return BytesContent(b"".join(self._parts))
        with full_disk_is_output_error(self._spill_path):
            self._spill.flush()
        return SpilledContent(self._spill, self._spill_path, self.size)

    def discard(self) -> None:
        self._parts = []
        if self._spill is not None:
            self._spill.close()
            os.unlink(self._spill_path)
            self._spill = None


def collect(chunks: Iterable[bytes], budget: Budget, compressed: int | None,
            what: str) -> Content:
    """Read a member's chunks into memory or a spill file, within the budget."""
    collector = Collector(budget, compressed, what)
    try:
        for chunk in chunks:
            collector.write(chunk)
    except BaseException:
        collector.discard()  # no half member stays in memory or in the spill folder
        raise
    return collector.content()


def read_chunks(stream: io.RawIOBase | io.BufferedIOBase | object) -> Iterable[bytes]:
    """A file object's bytes in chunks of CHUNK."""
    read = stream.read  # type: ignore[attr-defined]
    while True:
        chunk = read(CHUNK)
        if not chunk:
            return
        yield chunk


class ContentFile(io.RawIOBase):
    """A read-only, seekable file object over a Content (what zipfile, tarfile, av want)."""

    def __init__(self, content: Content) -> None:
        super().__init__()
        self._content = content
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def writable(self) -> bool:
        return False

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            pos = offset
        elif whence == io.SEEK_CUR:
            pos = self._pos + offset
        elif whence == io.SEEK_END:
            pos = self._content.size + offset
        else:
            raise ValueError(f"invalid whence {whence}; use 0, 1 or 2")
        if pos < 0:
            raise OSError("seek before the start of the content")
        self._pos = pos
        return pos

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        length = min(len(buffer), max(self._content.size - self._pos, 0))
        if length <= 0:
            return 0
        data = self._content.read(self._pos, length)
        buffer[: len(data)] = data
        self._pos += len(data)
        return len(data)

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = max(self._content.size - self._pos, 0)
        length = min(size, max(self._content.size - self._pos, 0))
        if length <= 0:
            return b""
        data = self._content.read(self._pos, length)
        self._pos += len(data)
        return data
