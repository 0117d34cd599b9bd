"""Byte streams layers share: a slice of a stream, a file object over one, a libyal handle."""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Callable
from typing import Any

from triage.layers.base import Stream


class Slice:
    """`size` bytes of `inner` from `offset` on: a partition handed to the next layer."""

    def __init__(self, inner: Stream, offset: int, size: int) -> None:
        self._inner = inner
        self._offset = offset
        # A partition table may claim more than the image holds (a truncated image): the slice
        # ends where the bytes do, and the walk reports the truncation elsewhere.
        self.size = max(0, min(size, inner.size - offset))

    def read(self, offset: int, length: int) -> bytes:
        length = min(length, self.size - offset)
        if offset < 0 or length <= 0:
            return b""
        return self._inner.read(self._offset + offset, length)


# libvhdi reads a dynamic VHD one 512-byte sector per call (64 calls per 32 KiB read: 25 MB/s
# through Python); a read smaller than this is served from one read of READ_AHEAD bytes.
# Larger reads (VMDK and QCOW2 clusters, 64 KiB) pass straight through, so random access
# costs no extra bytes. Not over another library's output (a snapshot inside a compressed
# QCOW2): there each extra byte costs decompression, and reading ahead made the shadow-copy
# walk of plaso's vsstest.qcow2 1.5x slower (0.71 s against 0.46 s).
SMALL_READ = 64 * 1024
READ_AHEAD = 256 * 1024


class StreamFile(io.RawIOBase):
    """A read-only file object over a stream, for libraries that read file objects (libyal).

    It has no write method at all, so nothing handed one can write to the evidence.
    """

    def __init__(self, stream: Stream, name: str = "") -> None:
        super().__init__()
        self._stream = stream
        self._at = 0
        self._ahead = b""
        self._ahead_at = 0
        self._small = SMALL_READ if _cheap(stream) else 0
        self.name = name

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._at, os.SEEK_END: self._stream.size}[whence]
        self._at = max(0, base + offset)
        return self._at

    def tell(self) -> int:
        return self._at

    def get_size(self) -> int:
        """libyal asks for the size this way when it can."""
        return self._stream.size

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = self._stream.size - self._at
        start = self._at - self._ahead_at
        if 0 <= start and start + size <= len(self._ahead):
            data = self._ahead[start : start + size]
        elif size < self._small:
            self._ahead = self._stream.read(self._at, READ_AHEAD)
            self._ahead_at = self._at
            data = self._ahead[:size]
        else:
            data = self._stream.read(self._at, size)
        self._at += len(data)
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _cheap(stream: Stream) -> bool:
    """Whether reading a little more of `stream` costs next to nothing (not a library's
    output such as a decompressed or decrypted disk)."""
    while isinstance(stream, Slice):
        stream = stream._inner  # noqa: SLF001 - the same module's class
    return not isinstance(stream, HandleStream)


class HandleStream:
    """A libyal object that reads by offset (a virtual disk, a logical volume, a snapshot).

    libyal handles keep a current offset and are not shared safely between threads, so every
    read holds this stream's own lock; `keep` holds what must outlive the handle (its files).
    """

    def __init__(self, handle: Any, size: int, keep: tuple[Any, ...] = ()) -> None:
        self._handle = handle
        self._keep = keep
        self._lock = threading.Lock()
        self.size = size

    def read(self, offset: int, length: int) -> bytes:
        length = min(length, self.size - offset)
        if offset < 0 or length <= 0:
            return b""
        with self._lock:
            try:
                data = self._handle.read_buffer_at_offset(length, offset)
            except OSError as exc:
                raise OSError(f"read of {length} bytes at {offset} failed: {exc}") from exc
        return bytes(data)


def read_in_sectors(offset: int, length: int, size: int, sector: int,
                    run: Callable[[int, int], tuple[int, bytes]]) -> bytes:
    """Bytes [offset, offset + length) of a `size`-byte volume decrypted in whole `sector`s.

    `run(at, end)` gives the plain bytes of the sectors from `at` up to a stop of its choosing
    (a segment or a cut, never past `end`) and that stop; fewer bytes than asked means the
    evidence ends there (truncated), and the read stops short rather than make bytes up.
    """
    length = min(length, size - offset)
    if length <= 0 or offset < 0:
        return b""
    first = offset - offset % sector
    end = -(-(offset + length) // sector) * sector
    pieces = []
    at = first
    while at < end:
        stop, data = run(at, end)
        pieces.append(data)
        if len(data) < stop - at:
            break
        at = stop
    # Most reads are one piece, often whole sectors: handed back as decrypted, without the
    # copies a join costs (a whole-range slice of bytes is the object itself).
    data = pieces[0] if len(pieces) == 1 else b"".join(pieces)
    return data[offset - first : offset - first + length]
