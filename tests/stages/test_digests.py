"""Digests in one streamed read, and the per-file watchdog that gives up on slow reads."""

from __future__ import annotations

import hashlib
import time

import pytest

from triage.model import Address, FileRecord
from triage.stages.digests import (
    CHUNK,
    READ_DEADLINE_BASE_S,
    READ_MIN_RATE,
    ReadError,
    hash_content,
    read_deadline,
)


class SlowContent:
    """Real bytes that arrive slowly: every read sleeps, like a disk retrying bad sectors."""

    def __init__(self, data: bytes, delay_s: float) -> None:
        self._data = data
        self._delay = delay_s
        self.size = len(data)
        self.reads = 0

    def read(self, offset: int, length: int) -> bytes:
        self.reads += 1
        time.sleep(self._delay)
        return self._data[offset : offset + length]


def _record(size: int) -> FileRecord:
    return FileRecord(Address("src", path="/slow.bin"), "slow.bin", size)


def test_all_three_digests_in_one_read():
    data = bytes(range(256)) * (CHUNK // 128 + 3)  # a little over two chunks
    content = SlowContent(data, 0)
    record = _record(len(data))
    hash_content(record, content, ["md5", "sha1"])
    assert record.md5 == hashlib.md5(data).hexdigest()  # noqa: S324 - a known-answer check
    assert record.sha1 == hashlib.sha1(data).hexdigest()  # noqa: S324
    assert record.sha256 == hashlib.sha256(data).hexdigest()
    assert record.bytes_hashed == len(data)
    assert content.reads == 3


def test_a_file_whose_reads_are_too_slow_is_given_up_between_chunks():
    data = b"\x5a" * (6 * CHUNK)
    content = SlowContent(data, 0.1)
    record = _record(len(data))
    with pytest.raises(ReadError) as caught:
        hash_content(record, content, [], deadline_s=0.25)
    message = str(caught.value)
    assert message.startswith("gave up after 0.")
    assert f"at byte {3 * CHUNK} of {6 * CHUNK}" in message  # three reads fit in 0.25 s
    assert content.reads == 3
    assert record.sha256 is None  # no digest of half a file


def test_the_head_counts_as_read_and_the_clock_is_injectable():
    # A clock that jumps 10 s per look: the check before the second chunk is past 15 s.
    ticks = iter(range(0, 1000, 10))
    data = b"h" * (3 * CHUNK)
    record = _record(len(data))
    with pytest.raises(ReadError, match=f"gave up after 20.0 s at byte {2 * CHUNK} of"):
        hash_content(record, SlowContent(data, 0), [], head=data[:CHUNK], deadline_s=15,
                     clock=lambda: float(next(ticks)))


def test_a_slow_file_within_its_deadline_is_hashed():
    data = b"ok" * CHUNK
    record = _record(len(data))
    hash_content(record, SlowContent(data, 0.05), [], deadline_s=5)
    assert record.sha256 == hashlib.sha256(data).hexdigest()


def test_the_default_deadline_grows_with_the_size():
    assert read_deadline(0) == READ_DEADLINE_BASE_S
    assert read_deadline(10 * READ_MIN_RATE) == READ_DEADLINE_BASE_S + 10
    # A 4 GiB video gets about a quarter of an hour, a photo about a minute.
    assert 800 < read_deadline(4 * 1024**3) < 1000


def test_the_pieces_read_can_be_kept_for_a_later_stage():
    data = bytes(range(256)) * (CHUNK // 128 + 7)  # two chunks and a bit
    record = FileRecord(Address("t", None, "/f"), "f", len(data))
    kept: list[bytes] = []
    hash_content(record, SlowContent(data, 0), ["md5"], data[:100], keep=kept)
    assert b"".join(kept) == data and len(kept) == 4  # head, then every chunk
    assert record.sha256 == hashlib.sha256(data).hexdigest()
