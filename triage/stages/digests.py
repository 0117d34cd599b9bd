"""MD5, SHA-1 and SHA-256 of a file's content in one streamed read, only the ones needed."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable

from triage.model import Content, FileRecord

# 1 MiB: large enough that hashlib releases the GIL and per-call overhead vanishes, small
# enough that two workers hold only a few MiB.
CHUNK = 1024 * 1024
ALGORITHMS = ("md5", "sha1", "sha256")

# The per-file watchdog: a file whose reads take longer than READ_DEADLINE_BASE_S plus its size
# at READ_MIN_RATE is given up, so one failing sector or one pathological file cannot eat the
# officer's time budget. The base covers a disk spinning up and the Linux SCSI layer's retries
# (its default command timeout is 30 s, so two retried commands fit). The rate is a quarter of
# the slowest healthy medium an officer meets (USB 2.0 flash sticks and old laptop disks read
# at 20 MB/s or more): a file that arrives slower than that is coming off a dying disk, or out
# of a libtsk reader chewing through a pathologically fragmented or compressed file.
READ_DEADLINE_BASE_S = 60.0
READ_MIN_RATE = 5 * 1000 * 1000  # bytes per second

Clock = Callable[[], float]


class ReadError(Exception):
    """Reading the content failed part-way; the message says where, `offset` and `size` too."""

    def __init__(self, message: str, offset: int = 0, size: int = 0) -> None:
        super().__init__(message)
        self.offset = offset  # the first byte not read
        self.size = size

    @property
    def unread(self) -> int:
        return max(0, self.size - self.offset)


def read_deadline(size: int) -> float:
    """Seconds allowed for reading `size` bytes before the file is given up."""
    return READ_DEADLINE_BASE_S + max(size, 0) / READ_MIN_RATE


def hash_content(record: FileRecord, content: Content, algorithms: Iterable[str],
                 head: bytes = b"", *, deadline_s: float | None = None,
                 clock: Clock = time.monotonic, keep: list[bytes] | None = None,
                 sha256: bool = True) -> None:
    """Stream `content` once through every requested algorithm (and SHA-256, unless
    `sha256` is False: the record has it already).

    `head` is the already-read start of the content, reused so no byte is read twice. The
    reads must finish within `deadline_s` seconds (default: read_deadline(size)), checked
    between chunks; past it ReadError says how far the read got. Every piece read (the head
    first) is appended to `keep` when given, for a later stage that needs the whole file.
    """
    wanted = {*algorithms, *(("sha256",) if sha256 else ())}
    hashers = [(name, hashlib.new(name)) for name in ALGORITHMS if name in wanted]
    offset = 0
    size = content.size
    allowed = read_deadline(size) if deadline_s is None else deadline_s
    started = clock()
    if head:
        head = head[:size]
        for _, hasher in hashers:
            hasher.update(head)
        offset = len(head)
        if keep is not None:
            keep.append(head)
    while offset < size:
        elapsed = clock() - started
        if elapsed > allowed:
            raise ReadError(f"gave up after {elapsed:.1f} s at byte {offset} of {size} (reads "
                            f"slower than the {allowed:.1f} s allowed for this file; a failing "
                            "disk or a damaged file)", offset, size)
        try:
            chunk = content.read(offset, min(CHUNK, size - offset))
        except OSError as exc:
            raise ReadError(f"read failed at byte {offset} of {size}: {exc}", offset,
                            size) from exc
        if not chunk:
            raise ReadError(f"content ended at byte {offset} of {size}", offset, size)
        for _, hasher in hashers:
            hasher.update(chunk)
        offset += len(chunk)
        if keep is not None:
            keep.append(chunk)
    for name, hasher in hashers:
        setattr(record, name, hasher.hexdigest())
    record.bytes_hashed = offset


def fill_digests(record: FileRecord, content: Content) -> None:
    """Compute the digests a hashed file was not given (its sets did not need them), so that a
    file with a finding carries MD5, SHA-1 and SHA-256 in the report whatever the sets were.

    Only for a file whose content was hashed whole (`bytes_hashed` equals its size). The bytes
    are streamed again through hash_content, with its read deadline, for the missing digests
    alone (the SHA-256 is known); a read that fails now leaves them unset, as they were.
    """
    missing = [name for name in ALGORITHMS if getattr(record, name) is None]
    if not missing or record.sha256 is None or record.bytes_hashed != content.size:
        return
    again = FileRecord(record.address, record.name, record.size)
    try:
        hash_content(again, content, missing, sha256=False)
    except ReadError:
        return
    for name in missing:
        setattr(record, name, getattr(again, name))
