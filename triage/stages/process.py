"""Per-file work in the scan's worker threads: type, digests, matching, container members."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from triage.containers import Problem, expand, is_container
from triage.containers.sniff import SNIFF_BYTES
from triage.ledger import STOPPED_ON_RED, GapKind
from triage.model import Content, FileRecord, Finding
from triage.stages.digests import CHUNK, ReadError, fill_digests, hash_content
from triage.stages.filetype import HEAD_BYTES, identify
from triage.stages.matching import Matched, Matchers

# Files go to the workers in batches: one executor round trip costs ~20 µs, more than hashing
# a small file, so small files travel together (bench/scan_bench.py measured the difference).
BATCH_FILES = 64
BATCH_BYTES = 8 * 1024 * 1024
# What a file handed to a worker but left unread after the first RED is marked as.
HALTED = f"not reached: {STOPPED_ON_RED}"
# Pictures of one batch out in the picture processes at once: the worker goes on with the
# batch's other files meanwhile and only waits for its oldest picture past these bounds, which
# keep the bytes held small (a zip of 100,000 photos is never held at once).
PENDING_PICTURES = 32
PENDING_BYTES = 32 * 1024 * 1024
# The first read of a file (see _first_read): the digests' chunk size.
FIRST_READ = CHUNK


class HeadCached:
    """A content whose first bytes (for a picture: all of them) are already in memory, so
    later stages don't re-read them."""

    def __init__(self, content: Content, head: bytes) -> None:
        self._content = content
        self._head = head
        self.size = content.size

    def read(self, offset: int, length: int) -> bytes:
        if offset == 0 and length >= len(self._head) == self.size:
            return self._head  # the whole file, without a copy
        if offset + length <= len(self._head):
            return self._head[offset : offset + length]
        return self._content.read(offset, length)

    def close(self) -> None:
        close = getattr(self._content, "close", None)
        if close is not None:
            close()


# (record, its content for the rules, findings, problems)
Processed = tuple[FileRecord, Content | None, list[Finding], list[Problem]]


@dataclass(frozen=True, slots=True)
class Reopen:
    """A planned file's content, opened by the worker that reads it.

    Opened on the planning thread instead, The Sleuth Kit's open_meta (~50 us a file, under
    the image's lock) held up the thread that also lists every result (cProfile of the
    household scan: 2.4 s of its time), and a folder source held a descriptor per file in
    flight.
    """

    opener: Callable[[FileRecord, Any], Content]
    lock: Any  # the image's TSK lock, or None
    token: Any

    def open(self, record: FileRecord) -> Content:
        with self.lock or nullcontext():
            return self.opener(record, self.token)


def _reopened(record: FileRecord, content: Content | Reopen | None
              ) -> tuple[Content | None, list[Problem]]:
    """The content to read, or None and the problem saying why it could not be opened."""
    if not isinstance(content, Reopen):
        return content, []
    try:
        return content.open(record), []
    except OSError as exc:
        return None, [_unread(record, f"could not be opened again to read it: {exc}",
                              record.size)]


def _unread(record: FileRecord, message: str, size: int, offset: int = 0) -> Problem:
    """Mark `record` as left unread and give the read problem, a gap of `size` bytes from
    `offset` in the file."""
    record.facts["skipped"] = "read error"
    return Problem(str(record.address), "read", message, GapKind.UNREADABLE, size=size,
                   offset=offset)


class Pictures:
    """A batch's pictures still being hashed in the picture processes, oldest first."""

    def __init__(self) -> None:
        self.waiting: list[Matched] = []
        self._bytes = 0

    def add(self, matched: Matched) -> None:
        """Keep `matched` until `settle_all`; past the bounds, wait for the oldest first."""
        self.waiting.append(matched)
        self._bytes += matched.picture_bytes
        while len(self.waiting) > PENDING_PICTURES or (
                self._bytes > PENDING_BYTES and len(self.waiting) > 1):
            oldest = self.waiting.pop(0)
            self._bytes -= oldest.picture_bytes
            oldest.settle()

    def settle_all(self) -> None:
        """Wait for every picture: their findings and problems join their files' results."""
        for matched in self.waiting:
            matched.settle()
        self.waiting.clear()
        self._bytes = 0


def _first_read(content: Content, size: int) -> bytes:
    """The start of a file: all of it up to FIRST_READ, else the head libmagic needs.

    One read for most files instead of a head and then the rest: each read, digest update and
    libmagic call lets go of the GIL and takes it back, and with two workers and the listing
    thread on two cores those hand-offs are where a third of the CPU sits idle while the
    non-pictures are read (perf: 7,600 context switches a second); one read fewer a file took
    the household scan from 285k switches to 265k. A file whose first MiB cannot be read is
    retried with the head alone, so a bad sector past it still leaves the file typed and its
    gap where it was.
    """
    if not size:
        return b""
    if size > HEAD_BYTES:
        try:
            return content.read(0, min(FIRST_READ, size))
        except OSError:
            pass
    return content.read(0, min(HEAD_BYTES, size))


def process_file(record: FileRecord, content: Content | None, matchers: Matchers,
                 pictures: Pictures | None = None) -> Processed:
    """Type, digests and hash-set/perceptual matching of one file, in a worker thread.

    A picture's perceptual findings are added to the returned lists when `pictures` settles
    it (at once when `pictures` is None).
    """
    problems: list[Problem] = []
    if content is None:
        return record, None, [], problems
    try:
        first = _first_read(content, record.size)
    except OSError as exc:
        problems.append(_unread(record, f"not readable: {exc}", record.size))
        return record, None, [], problems
    head = first[:HEAD_BYTES]
    identify(record, head)
    # A picture is read once: the bytes hashed are kept for the picture processes.
    keep: list[bytes] | None = [] if matchers.wants_picture(record) else None
    try:
        hash_content(record, content, matchers.algorithms, first, keep=keep)
    except ReadError as exc:
        problems.append(_unread(record, str(exc), exc.unread, exc.offset))
        return record, HeadCached(content, head), [], problems
    if keep:
        first = b"".join(keep)
    # A whole small file stays in memory for the later stages (containers, rules, artefacts)
    # until its batch is listed; of a larger one, the head.
    cached = HeadCached(content, first if len(first) == record.size else head)
    matched = matchers.match_content(record, cached)
    if matched.findings:
        # Here, while its bytes are at hand: an archive member has none by the time it is listed.
        fill_digests(record, cached)
    if pictures is None:
        matched.settle()
    elif matched.picture is not None:
        pictures.add(matched)
    return record, cached, matched.findings, matched.problems


def process_with_members(record: FileRecord, content: Content | None, matchers: Matchers,
                         pictures: Pictures | None = None) -> list[Processed]:
    """A file, then (if it is a container) every member inside it, depth-first.

    Members go through every stage like any file. Their content lives only until the next
    member is read (a zip of 100,000 photos is never held at once), so the rules, which run
    later on the walk's thread, see members' names and facts but not their bytes.
    """
    first = process_file(record, content, matchers, pictures)
    results = [first]
    limits = matchers.containers
    cached = first[1]
    if limits is None or cached is None or not is_container(record,
                                                            cached.read(0, SNIFF_BYTES)):
        return results
    for item in expand(record, cached, limits=limits):
        if isinstance(item, Problem):
            results[0][3].append(item)
            continue
        member, _, findings, problems = process_file(item.record, item.content, matchers,
                                                     pictures)
        results.append((member, None, findings, problems))
    return results


Item = tuple[FileRecord, Content | Reopen | None]


def batches(records: Iterator[Item], *, max_files: int = BATCH_FILES,
            max_bytes: int = BATCH_BYTES) -> Iterator[list[Item]]:
    """Group walked records into batches of at most `max_files` files or about `max_bytes`."""
    batch: list[Item] = []
    size = 0
    for item in records:
        batch.append(item)
        size += item[0].size if item[1] is not None else 0
        if len(batch) >= max_files or size >= max_bytes:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


@dataclass(frozen=True)
class Halt:
    """Stops the workers between files: set by the first RED finding when the officer asked
    to stop there (a worker sets it as soon as it finds one, not when the batch returns)."""

    event: threading.Event
    is_red: Callable[[Finding], bool] | None = None  # None: findings never stop the scan

    def check(self, done: list[Processed]) -> None:
        if self.is_red is not None and any(self.is_red(f) for item in done for f in item[2]):
            self.event.set()


@dataclass(frozen=True)
class Batch:
    """A worker's results for a batch: every file processed, and its pictures still being
    hashed, whose findings join the files' results when `settle` is called."""

    done: list[Processed]
    pictures: Pictures

    def settle(self) -> list[Processed]:
        self.pictures.settle_all()
        return self.done


def process_batch(batch: list[Item], matchers: Matchers, halt: Halt | None = None) -> Batch:
    """Every per-file stage for a batch of files (and their members), in a worker thread.

    The batch's pictures are hashed in the picture processes while the worker goes on; the
    caller settles the Batch for their findings. Once `halt` is set, the rest of the batch is
    handed back unread, marked HALTED.
    """
    out: list[Processed] = []
    pictures = Pictures()
    for record, planned in batch:
        if halt is not None and halt.event.is_set():
            record.facts["skipped"] = HALTED
            close = getattr(planned, "close", None)
            if close is not None:
                close()
            out.append((record, None, [], []))
            continue
        content, problems = _reopened(record, planned)
        if problems:
            out.append((record, None, [], problems))
            continue
        done = process_with_members(record, content, matchers, pictures)
        if halt is not None:
            halt.check(done)
        out.extend(done)
    return Batch(out, pictures)
