"""A worker's reads of a file: opened by the worker, one read for a small file, a head when
that read fails."""

from __future__ import annotations

import hashlib
import threading

from triage.ledger import GapKind
from triage.model import Address, FileRecord
from triage.stages.filetype import HEAD_BYTES
from triage.stages.matching import Matchers
from triage.stages.process import FIRST_READ, Reopen, process_batch, process_file

TEXT = b"Dear council: about the bins on Elm Street.\n" * 6000  # 264,000 bytes


class Counted:
    """A file's content that counts its reads and fails on a bad sector, if it has one."""

    def __init__(self, data: bytes, bad_at: int | None = None) -> None:
        self.data, self.bad_at, self.size = data, bad_at, len(data)
        self.reads: list[tuple[int, int]] = []

    def read(self, offset: int, length: int) -> bytes:
        self.reads.append((offset, length))
        if self.bad_at is not None and offset <= self.bad_at < offset + length:
            raise OSError(5, "Input/output error")
        return self.data[offset : offset + length]


def _record(data: bytes) -> FileRecord:
    return FileRecord(Address("disk.img", None, "/letter.txt"), "letter.txt", len(data))


def test_a_file_smaller_than_the_first_read_is_read_once_and_kept_whole():
    content = Counted(TEXT)
    record, cached, findings, problems = process_file(_record(TEXT), content, Matchers())
    assert len(TEXT) <= FIRST_READ and content.reads == [(0, len(TEXT))]
    assert (record.mime, record.sha256) == ("text/plain", hashlib.sha256(TEXT).hexdigest())
    assert not findings and not problems
    assert cached is not None and cached.read(0, len(TEXT)) == TEXT
    assert content.reads == [(0, len(TEXT))]  # the later stages' read came from memory


def test_a_larger_file_is_read_in_the_digests_chunks_and_only_its_head_is_kept():
    data = TEXT * 5
    content = Counted(data)
    record, cached, _, _ = process_file(_record(data), content, Matchers())
    assert content.reads[0] == (0, FIRST_READ) and content.reads[1][0] == FIRST_READ
    assert record.sha256 == hashlib.sha256(data).hexdigest()
    assert cached is not None and cached.read(0, HEAD_BYTES) == data[:HEAD_BYTES]


def test_a_bad_sector_in_the_first_read_leaves_the_file_typed_and_the_gap_after_its_head():
    content = Counted(TEXT, bad_at=100_000)
    record, _, _, problems = process_file(_record(TEXT), content, Matchers())
    assert record.mime == "text/plain"  # typed from the head, read again on its own
    (problem,) = problems
    assert (problem.offset, problem.size) == (HEAD_BYTES, len(TEXT) - HEAD_BYTES)
    assert record.facts["skipped"] == "read error" and record.sha256 is None


def test_the_worker_opens_each_planned_file_under_the_image_lock():
    lock = threading.RLock()
    opened: list[tuple[str, object, bool]] = []

    def opener(record: FileRecord, token: object) -> Counted:
        # RLock has no public "held" test; a non-blocking acquire from another thread fails
        # while this thread holds it.
        free = []
        probe = threading.Thread(target=lambda: free.append(lock.acquire(blocking=False)))
        probe.start()
        probe.join()
        opened.append((record.name, token, free == [False]))
        return Counted(TEXT)

    done = process_batch([(_record(TEXT), Reopen(opener, lock, [128, 3]))], Matchers()).settle()
    assert opened == [("letter.txt", [128, 3], True)]
    record, _, findings, problems = done[0]
    assert record.sha256 == hashlib.sha256(TEXT).hexdigest() and not findings and not problems


def test_a_file_that_cannot_be_opened_again_is_a_gap_of_its_size():
    def opener(record: FileRecord, token: object) -> Counted:
        raise OSError(5, "Input/output error")

    record = _record(TEXT)
    done = process_batch([(record, Reopen(opener, None, None))], Matchers()).settle()
    assert done == [(record, None, [], done[0][3])]
    [problem] = done[0][3]
    assert problem.message.startswith("could not be opened again to read it: ")
    assert (problem.gap, problem.size, problem.offset) == (GapKind.UNREADABLE, len(TEXT), 0)
    assert record.facts["skipped"] == "read error" and record.sha256 is None
