"""Per-thread reusable numpy buffers for the decryptors (a fresh 128 KiB+ array costs page
faults, on this kind of VM often more than the AES over it)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np

# Buffers larger than this are not kept (a rare huge read should not pin its memory).
KEEP_MAX = 8 * 1024 * 1024


class Scratch(threading.local):
    """Named byte buffers of one thread, grown on demand, never shared between threads."""

    def __init__(self) -> None:
        self._buffers: dict[str, np.ndarray] = {}
        self._kept: dict[str, Any] = {}

    def kept(self, name: str, make: Callable[[], Any]) -> Any:
        """The object `make` made for `name` in this thread, made on the first call: e.g. an
        ECB cipher context, which keeps no state between calls and costs more to make than
        to decrypt a few sectors with."""
        made = self._kept.get(name)
        if made is None:
            made = self._kept[name] = make()
        return made

    def bytes(self, name: str, size: int) -> np.ndarray:
        """A uint8 array of `size` bytes (contents undefined) valid until the next call
        for `name` in this thread."""
        buffer = self._buffers.get(name)
        if buffer is None or buffer.size < size:
            buffer = np.empty(size, dtype=np.uint8)
            if size <= KEEP_MAX:
                self._buffers[name] = buffer
        return buffer[:size]

    def words(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """A little-endian uint64 array of `shape` (contents undefined), as `bytes`."""
        count = 1
        for side in shape:
            count *= side
        return self.bytes(name, count * 8).view("<u8").reshape(shape)
