"""Lookups in two stages across chunks: the Bloom filter per 4 MiB chunk, the key table and the
SHA-256 confirmation once for the candidates of many chunks.

At 1,024 keys a chunk numpy's cost per call dominates a lookup, and the key-table stage takes
about as many calls as the Bloom stage for the ~3 candidates a chunk brings. Keeping each
candidate's block (4 KiB, ~0.3% of the blocks read) until many chunks' worth are settled at
once makes that stage's calls nearly free per chunk, with the memory held bounded.
"""

from __future__ import annotations

import numpy as np

from triage.blocks.digest import block_confirms
from triage.blocks.filter import BlockFilter
from triage.blocks.policy import BLOCK_SIZE

# Settle when this many candidate blocks are held (16 MiB: a chunk full of known blocks, or
# ~5,000 ordinary chunks' false candidates).
HELD_BLOCKS = 4096


class PendingLookups:
    """One filter's candidates held back from several chunks, settled together."""

    def __init__(self, blocks: BlockFilter, held: int = HELD_BLOCKS) -> None:
        self.blocks = blocks
        self.held = held
        self._keys: list[np.ndarray] = []
        self._offsets: list[np.ndarray] = []
        self._data: list[np.ndarray] = []
        self._count = 0
        self._found: list[tuple[np.ndarray, np.ndarray]] = []

    def add(self, offset: int, keys: np.ndarray, data: bytes | memoryview) -> None:
        """Stage 1 for a chunk read at `offset` whose blocks have `keys`."""
        cand = self.blocks.candidates(keys)
        if not len(cand):
            return
        whole = np.frombuffer(data, dtype=np.uint8, count=len(keys) * BLOCK_SIZE)
        self._keys.append(keys.take(cand))
        self._offsets.append(offset + cand.astype(np.int64) * BLOCK_SIZE)
        self._data.append(whole.reshape(len(keys), BLOCK_SIZE)[cand])  # a copy: data may go
        self._count += len(cand)
        if self._count >= self.held:
            self.settle()

    def settle(self) -> None:
        """Stage 2 for everything held: key table, then SHA-256 of the blocks still standing."""
        if not self._count:
            return
        keys = np.concatenate(self._keys)
        offsets = np.concatenate(self._offsets)
        data = np.concatenate(self._data)
        self._keys, self._offsets, self._data, self._count = [], [], [], 0
        index, rows = self.blocks.table_rows(keys)  # every held key passed the Bloom filter
        if not len(index):
            return
        same = self.blocks.confirms[rows] == block_confirms(data[index].tobytes(),
                                                            np.arange(len(index)))
        if same.any():
            self._found.append((offsets[index[same]], rows[same]))

    def take(self) -> tuple[np.ndarray, np.ndarray]:
        """(offsets, rows) of every confirmed hit so far, settling what is held first."""
        self.settle()
        found, self._found = self._found, []
        if not found:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        return (np.concatenate([f[0] for f in found]), np.concatenate([f[1] for f in found]))
