"""Reads of an unlocked APFS volume's files straight from the container, with our own AES-XTS.

libfsapfs decrypts with its own portable AES, about a hundredth of this CPU's AES-NI speed
(bench/unlock_mac_bench.py). With the volume key (apfs_keybag.volume_key) a file's data extents
are read from the container and decrypted here, with the tweak macOS gives a fresh extent: its
physical sector number. An extent's real tweak is its crypto_id, which libfsapfs does not show
and which keeps its old value where data was moved after writing; so the first sector of every
extent, and the file's last, are checked against what libfsapfs reads there. Any difference, a
sparse extent, or extents that do not end in the file's last block (a compressed file, holes,
preallocation) and the whole file is read through libfsapfs as before: the bytes are the same
either way, only the speed differs.
"""

from __future__ import annotations

import bisect
import threading
from typing import Any, NamedTuple

from triage.layers.base import Stream
from triage.layers.xts import XtsDecryptor

SECTOR = 512
# Below this a file is read through libfsapfs: its checks would cost as much as the reads.
MIN_SIZE = 64 * 1024
# APFS blocks are 4-64 KiB: a file's extents end in its last block, or the layout is not the
# plain one assumed here (extents listed end to end from offset 0).
_MAX_BLOCK = 64 * 1024

Run = tuple[int, int, int]  # (offset in the file, offset in the container, length), in bytes


class Layout(NamedTuple):
    """Where a file's bytes lie: its runs, and each run's offset in the file (for bisect)."""

    runs: list[Run]
    starts: list[int]


class DirectReader:
    """Decrypts an unlocked volume's file extents from the container stream."""

    def __init__(self, container: Stream, key: bytes) -> None:
        self._container = container  # offsets as libfsapfs gives them: from the container start
        self._xts = XtsDecryptor(key, SECTOR)

    def layout(self, entry: Any, size: int, lock: threading.RLock) -> Layout | None:
        """Where the file's bytes lie, every extent checked against libfsapfs's reading; None
        when the file must be read through libfsapfs."""
        if size < MIN_SIZE:
            return None
        try:
            with lock:
                extents = [entry.get_extent(n) for n in range(entry.number_of_extents)]
        except OSError:
            return None
        runs, logical = [], 0
        for physical, length, flags in extents:
            if flags or physical <= 0 or physical % SECTOR or length <= 0 or length % SECTOR:
                return None  # sparse or unexpected: libfsapfs knows what to do
            runs.append((logical, physical, length))
            logical += length
        if not size <= logical < size + _MAX_BLOCK:
            return None  # holes left out of the list, preallocation: libfsapfs knows
        layout = Layout(runs, [run[0] for run in runs])
        # Each extent's first sector, and the file's last one (a shifted layout shows there).
        last = size - 1 - (size - 1) % SECTOR
        checks = [start for start in layout.starts if start < size] + [last]
        checked = 0
        for at in checks:
            want = min(SECTOR, size - at)
            ours = self.read(layout, at, want)
            if len(ours) < want:
                continue  # the evidence ends before here: nothing read, nothing to check
            try:
                with lock:
                    theirs = bytes(entry.read_buffer_at_offset(want, at))
            except OSError:
                return None
            if ours != theirs:
                return None  # a moved extent (another tweak), or not the file's data
            checked += 1
        return layout if checked else None

    def read(self, layout: Layout, offset: int, length: int) -> bytes:
        """`length` bytes of the file at `offset`; short where the container ends early."""
        runs = layout.runs
        pieces: list[bytes] = []
        index = bisect.bisect_right(layout.starts, offset) - 1
        while length > 0 and 0 <= index < len(runs):
            logical, physical, run = runs[index]
            inside = offset - logical
            take = min(length, run - inside)
            begin = inside - inside % SECTOR
            end = min(run, -(-(inside + take) // SECTOR) * SECTOR)
            piece = self._plain(physical + begin, end - begin)[inside - begin : inside - begin
                                                               + take]
            pieces.append(piece)
            if len(piece) < take:
                break  # the evidence ends inside this extent
            offset, length, index = offset + take, length - take, index + 1
        return b"".join(pieces)

    def _plain(self, physical: int, length: int) -> bytes:
        data = self._container.read(physical, length)
        whole = len(data) - len(data) % SECTOR
        return self._xts.decrypt(data[:whole] if whole < len(data) else data,
                                 physical // SECTOR) if whole else b""
