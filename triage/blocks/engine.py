"""The quick pass's reading and lookup: spans of a source hashed block by block on every core."""

from __future__ import annotations

import multiprocessing
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

import numpy as np

from triage.blocks.digest import block_keys
from triage.blocks.filter import BlockFilter
from triage.blocks.pending import PendingLookups
from triage.blocks.policy import BLOCK_SIZE, READ_CHUNK, SEGMENT

_ZERO = bytes(READ_CHUNK)
# Tasks queued per worker beyond the one it runs: enough to hide a result's trip back.
AHEAD = 2

ReadFn = Callable[[int, int], bytes]


@dataclass(frozen=True)
class Span:
    """Bytes [start, end) of a source, hashed in blocks that begin at offsets = phase mod 4 KiB."""

    start: int
    end: int
    phase: int = 0

    def first_block(self) -> int:
        return self.start + (self.phase - self.start) % BLOCK_SIZE


@dataclass
class SpanResult:
    """What hashing some spans found: hit offsets with their filter and row, bytes covered."""

    offsets: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    filters: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    bytes_read: int = 0
    blocks_hashed: int = 0
    cpu_seconds: float = 0.0  # CPU time spent (in whichever process ran it): per-core speed
    unreadable: list[tuple[int, int]] = field(default_factory=list)  # (offset, size)

    def extend(self, other: SpanResult) -> None:
        self.offsets = np.concatenate([self.offsets, other.offsets])
        self.filters = np.concatenate([self.filters, other.filters])
        self.rows = np.concatenate([self.rows, other.rows])
        self.bytes_read += other.bytes_read
        self.blocks_hashed += other.blocks_hashed
        self.cpu_seconds += other.cpu_seconds
        self.unreadable.extend(other.unreadable)


def hash_spans(read: ReadFn, filters: list[BlockFilter], spans: list[Span]) -> SpanResult:
    """Read each span in large chunks, hash every block, look every block up in every filter
    (the Bloom filter per chunk, the rest for many chunks' candidates at once: pending.py)."""
    pending = [PendingLookups(blocks) for blocks in filters]
    result = SpanResult()
    cpu_started = time.process_time()
    for span in spans:
        pos = span.first_block()
        while pos + BLOCK_SIZE <= span.end:
            length = min(READ_CHUNK, (span.end - pos) // BLOCK_SIZE * BLOCK_SIZE)
            try:
                data = read(pos, length)
            except OSError:
                result.unreadable.append((pos, length))
                pos += length
                continue
            result.bytes_read += len(data)
            if len(data) < length:
                result.unreadable.append((pos + len(data), span.end - pos - len(data)))
            # Free space is mostly zeros, and a zero block is never distinctive.
            if data != (_ZERO if len(data) == READ_CHUNK else bytes(len(data))):
                keys = block_keys(data)
                result.blocks_hashed += len(keys)
                for lookups in pending:
                    lookups.add(pos, keys, data)
            if len(data) < length:
                break
            pos += length
    found = [(number, *lookups.take()) for number, lookups in enumerate(pending)]
    result.cpu_seconds = time.process_time() - cpu_started
    found = [f for f in found if len(f[1])]
    if found:
        offsets = np.concatenate([f[1] for f in found])
        numbers = np.concatenate([np.full(len(f[1]), f[0], dtype=np.int32) for f in found])
        rows = np.concatenate([f[2] for f in found])
        order = np.lexsort((numbers, offsets))  # by offset, as the disk was read
        result.offsets, result.filters, result.rows = offsets[order], numbers[order], rows[order]
    return result


def segments(spans: list[Span], size: int = SEGMENT) -> list[list[Span]]:
    """Spans cut into tasks of about `size` bytes each, cut points on the span's block grid."""
    tasks: list[list[Span]] = []
    current: list[Span] = []
    room = size
    for span in spans:
        start = span.start
        while start < span.end:
            take = min(span.end - start, room)
            stop = start + take
            if stop < span.end:  # cut on the block grid so no block is split between tasks
                stop = span.first_block() + (stop - span.first_block()) // BLOCK_SIZE * BLOCK_SIZE
                stop = max(stop, start + BLOCK_SIZE)
            current.append(Span(start, min(stop, span.end), span.phase))
            room -= stop - start
            start = stop
            if room <= 0:
                tasks.append(current)
                current, room = [], size
    if current:
        tasks.append(current)
    return tasks


# -- worker processes ------------------------------------------------------------------------

_worker: tuple[object, list[BlockFilter]] | None = None


def _init_worker(spec: str, filter_paths: list[str]) -> None:
    """Each worker opens the evidence read-only itself and maps the filters (shared pages)."""
    global _worker
    from triage.evidence.open import open_source

    _worker = (open_source(spec), [BlockFilter.open(Path(p)) for p in filter_paths])


def _run_task(spans: list[Span]) -> SpanResult:
    assert _worker is not None  # noqa: S101 - set by the pool's initializer
    source, filters = _worker
    return hash_spans(source.read, filters, spans)  # type: ignore[attr-defined]


def run_tasks(spec: str, read: ReadFn, filters: list[BlockFilter], tasks: list[list[Span]],
              workers: int, stop: Callable[[], bool] = lambda: False
              ) -> Iterator[tuple[list[Span], SpanResult]]:
    """(task, result) in order until `stop()` says so; with one worker inline, else in worker
    processes that each open the evidence by its name, so nothing large crosses between
    processes but the hits. A few tasks per worker are queued ahead to keep every core busy."""
    if workers <= 1 or len(tasks) <= 1:
        for task in tasks:
            if stop():
                return
            yield task, hash_spans(read, filters, task)
        return
    context = multiprocessing.get_context("forkserver")
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context,
                               initializer=_init_worker,
                               initargs=(spec, [str(f.path) for f in filters]))
    try:
        queued = iter(tasks)
        pending: deque[tuple[list[Span], Future[SpanResult]]] = deque()
        for task in islice(queued, workers * AHEAD):
            pending.append((task, pool.submit(_run_task, task)))
        while pending:
            task, future = pending.popleft()
            yield task, future.result()
            if not stop():
                following = next(queued, None)
                if following is not None:
                    pending.append((following, pool.submit(_run_task, following)))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
