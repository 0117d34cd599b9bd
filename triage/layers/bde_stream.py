"""The plain bytes of an unlocked BitLocker volume, laid out exactly as libbde reads them.

libbde's reading (libbde_sector_data.c, libbde_volume.c), which this one follows:
- the three metadata copies (64 KiB each) and the relocated volume header read as zeros;
- the first `volume header size` bytes come from the relocated copy (decrypted at its place);
- sectors at or past the "encrypted volume size" (a partly decrypted volume) are plain;
- the size is the volume header's sector count, else the decrypted NTFS header's plus one
  sector, plus one more sector when the encrypted size says the count is one short.
"""

from __future__ import annotations

import bisect
import struct

from triage.layers.base import Stream
from triage.layers.bde_metadata import METADATA_SIZE, Metadata, MetadataError
from triage.layers.bde_sectors import SectorDecryptor
from triage.layers.streams import read_in_sectors

_NTFS = b"NTFS    "


class BdeStream:
    """Read-only Stream of the decrypted volume; a truncated volume gives a short read."""

    def __init__(self, raw: Stream, meta: Metadata, decryptor: SectorDecryptor) -> None:
        self._raw = raw
        self._meta = meta
        self._dec = decryptor
        self._bps = meta.bytes_per_sector
        self._zeros = [(at, at + METADATA_SIZE) for at in meta.metadata_offsets if at]
        if meta.volume_header_offset and meta.volume_header_size:
            self._zeros.append((meta.volume_header_offset,
                                meta.volume_header_offset + meta.volume_header_size))
        cuts = {edge for span in self._zeros for edge in span}
        cuts.add(meta.volume_header_size)
        if meta.encrypted_volume_size:  # where plain sectors start, also inside the header
            cuts.add(meta.encrypted_volume_size)
            cuts.add(meta.encrypted_volume_size - meta.volume_header_offset)
        self._cuts = sorted(c for c in cuts if c > 0)
        self.size = self._volume_size()

    def _volume_size(self) -> int:
        meta, bps = self._meta, self._bps
        size = meta.header_volume_size
        if not size:
            head = self._physical(meta.volume_header_offset, bps)
            if len(head) < bps or head[3:11] != _NTFS:
                raise MetadataError("the decrypted volume header is not NTFS, so the volume's "
                                    "size is unknown")
            ntfs_bps, = struct.unpack_from("<H", head, 11)
            if ntfs_bps not in (256, 512, 1024, 2048, 4096):
                raise MetadataError("the decrypted NTFS header has an invalid sector size")
            size = struct.unpack_from("<Q", head, 40)[0] * ntfs_bps + ntfs_bps
        if meta.encrypted_volume_size == size + bps and size + bps <= self._raw.size:
            size += bps  # a sector count one short (libbde corrects it the same way)
        return size

    def _physical(self, at: int, length: int) -> bytes:
        """Whole sectors at byte `at` of the evidence, decrypted unless past the encrypted part."""
        raw = self._raw.read(at, length)
        raw = raw[: len(raw) - len(raw) % self._bps]
        encrypted_end = self._meta.encrypted_volume_size
        if encrypted_end and at >= encrypted_end:
            return raw
        return self._dec.decrypt(raw, at)

    def _piece(self, at: int, length: int) -> bytes:
        """Sectors [at, at+length) of the volume, all of one kind (no cut inside)."""
        if any(start <= at < end for start, end in self._zeros):
            return bytes(length)
        if at < self._meta.volume_header_size:
            return self._physical(at + self._meta.volume_header_offset, length)
        return self._physical(at, length)

    def _run(self, at: int, end: int) -> tuple[int, bytes]:
        """Sectors from `at` to the next cut (or `end`), and where they stop."""
        cut = bisect.bisect_right(self._cuts, at)
        stop = min(end, self._cuts[cut]) if cut < len(self._cuts) else end
        return stop, self._piece(at, stop - at)

    def read(self, offset: int, length: int) -> bytes:
        return read_in_sectors(offset, length, self.size, self._bps, self._run)
