"""Block rows spilled to disk in key-range partitions, so a filter of any size is built in
bounded memory (a bucketed external sort: every copy of a key lands in the same partition, and
partitions come back in key order, each small enough to sort in memory)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

ROW = np.dtype([("key", "<u8"), ("confirm", "<u8"), ("ref", "<u4"), ("block", "<u4")])
PARTITION_BITS = 8  # 256 partitions by the key's top bits: ~1/256 of the rows in memory at once
FLUSH_ROWS = 1 << 19  # rows buffered before they are appended to the partition files (12 MiB)


class Spill:
    """Rows appended in any order; read back one key-range partition at a time."""

    def __init__(self, folder: Path | None = None) -> None:
        self._temp = tempfile.TemporaryDirectory(prefix="triage-blocks-", dir=folder)
        self.folder = Path(self._temp.name)
        self._buffer: list[np.ndarray] = []
        self._buffered = 0
        self.rows = 0

    def add(self, keys: np.ndarray, confirms: np.ndarray, refs: np.ndarray,
            blocks: np.ndarray) -> None:
        rows = np.empty(len(keys), dtype=ROW)
        rows["key"], rows["confirm"], rows["ref"], rows["block"] = keys, confirms, refs, blocks
        self._buffer.append(rows)
        self._buffered += len(rows)
        self.rows += len(rows)
        if self._buffered >= FLUSH_ROWS:
            self.flush()

    def flush(self) -> None:
        if not self._buffer:
            return
        rows = np.concatenate(self._buffer)
        self._buffer, self._buffered = [], 0
        part = (rows["key"] >> np.uint64(64 - PARTITION_BITS)).astype(np.intp)
        order = np.argsort(part, kind="stable")
        rows, part = rows[order], part[order]
        bounds = np.searchsorted(part, np.arange((1 << PARTITION_BITS) + 1))
        for number in np.flatnonzero(np.diff(bounds)):
            with (self.folder / f"{number:03d}").open("ab") as handle:
                rows[bounds[number]:bounds[number + 1]].tofile(handle)

    def partitions(self) -> Iterator[np.ndarray]:
        """Each partition's rows (unsorted within), in key order; files removed as read."""
        self.flush()
        for number in range(1 << PARTITION_BITS):
            path = self.folder / f"{number:03d}"
            if path.exists():
                rows = np.fromfile(path, dtype=ROW)
                path.unlink()
                yield rows

    def close(self) -> None:
        self._buffer = []
        self._temp.cleanup()
