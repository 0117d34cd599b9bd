"""The plain bytes of a Core Storage logical volume, laid out exactly as libfvde reads them.

libfvde's reading (libfvde_logical_volume.c, libfvde_sector_data.c), which this one follows:
the volume is `lv.size` bytes; its segments map logical blocks to physical blocks (plus the
0x0505 base block); logical blocks no segment maps read as zeros; sectors are AES-128-XTS
units whose tweak is the sector's number in the logical volume (not on the disk).
"""

from __future__ import annotations

import bisect

from triage.layers.base import Stream
from triage.layers.fvde_metadata import LogicalVolume
from triage.layers.streams import read_in_sectors
from triage.layers.xts import XtsDecryptor


class FvdeStream:
    """Read-only Stream of one logical volume; a truncated physical volume gives a short read."""

    def __init__(self, raw: Stream, volume: LogicalVolume, block_size: int,
                 bytes_per_sector: int, decryptor: XtsDecryptor | None) -> None:
        self._raw = raw
        self._dec = decryptor  # None: a Core Storage volume that is not encrypted
        self._bps = bytes_per_sector
        # (logical start, logical end, physical start) in bytes, sorted by logical start.
        self._extents = [(s.logical * block_size, (s.logical + s.blocks) * block_size,
                          (volume.base + s.physical) * block_size) for s in volume.segments]
        self._starts = [start for start, _, _ in self._extents]
        self.size = volume.size

    def _run(self, at: int, end: int) -> tuple[int, bytes]:
        """The plain bytes of sectors [at, stop) and stop; short when the evidence ends."""
        index = bisect.bisect_right(self._starts, at) - 1
        if index >= 0 and at < self._extents[index][1]:
            start, stop, physical = self._extents[index]
            stop = min(end, stop)
            raw = self._raw.read(physical + at - start, stop - at)
            raw = raw[: len(raw) - len(raw) % self._bps]
            if self._dec is not None and raw:
                raw = self._dec.decrypt(raw, at // self._bps)
            return stop, raw
        stop = self._starts[index + 1] if index + 1 < len(self._starts) else end
        stop = min(end, stop)
        return stop, bytes(stop - at)

    def read(self, offset: int, length: int) -> bytes:
        return read_in_sectors(offset, length, self.size, self._bps, self._run)
