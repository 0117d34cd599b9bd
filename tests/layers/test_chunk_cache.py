"""The decrypted-chunk cache: one load per chunk in use, file system tables kept, no waste."""

from __future__ import annotations

import os
import threading
import time

from triage.layers.encrypted import CHUNK, CHUNKS_KEPT, ChunkCache


class Counted:
    """A stream of random bytes that counts its reads (and can be slow, to overlap threads)."""

    def __init__(self, size: int, delay: float = 0.0) -> None:
        self.data = os.urandom(size)
        self.size = size
        self.reads = 0
        self.delay = delay

    def read(self, offset: int, length: int) -> bytes:
        self.reads += 1
        time.sleep(self.delay)
        return self.data[offset : offset + length]


def test_reads_across_chunks_and_at_the_end_are_the_streams_bytes() -> None:
    stream = Counted(3 * CHUNK + 1000)
    cache = ChunkCache(stream)
    for offset, length in ((0, 10), (CHUNK - 5, 10), (5, 2 * CHUNK), (3 * CHUNK + 990, 100)):
        assert cache.read(offset, length) == stream.data[offset : offset + length]
    assert cache.read(stream.size, 10) == b""
    assert cache.loads == stream.reads == 4


def test_a_chunk_read_many_times_in_a_row_is_loaded_once() -> None:
    stream = Counted(4 * CHUNK)
    cache = ChunkCache(stream)
    for offset in range(0, CHUNK, 4096):  # The Sleuth Kit's 4 KiB blocks
        cache.read(offset, 4096)
    assert stream.reads == 1


def test_tables_read_again_survive_a_long_sequential_pass() -> None:
    """Like NTFS's MFT during a scan: read, pushed out by file data, read again, then kept
    while far more file data than the cache holds goes through."""
    stream = Counted((CHUNKS_KEPT * 4) * CHUNK)
    cache = ChunkCache(stream)
    cache.read(0, 4096)
    for index in range(1, CHUNKS_KEPT + 2):
        cache.read(index * CHUNK, 4096)
    cache.read(0, 4096)  # out of `fresh` by now: loaded again, and now kept as in use
    loads = cache.loads
    for index in range(CHUNKS_KEPT + 2, CHUNKS_KEPT * 4):
        cache.read(index * CHUNK, 4096)
        if index % (CHUNKS_KEPT + 8) == 0:
            cache.read(100, 10)  # the table, read again after more than the cache holds
    assert cache.loads == loads + (CHUNKS_KEPT * 4 - CHUNKS_KEPT - 2)  # the table: no reload


def test_threads_wanting_the_same_chunk_load_it_once() -> None:
    stream = Counted(2 * CHUNK, delay=0.2)
    cache = ChunkCache(stream)
    results: list[bytes] = []
    threads = [threading.Thread(target=lambda: results.append(cache.read(100, 50)))
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [stream.data[100:150]] * 4
    assert stream.reads == 1
