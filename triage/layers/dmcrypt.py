"""dm-crypt's data layout read back: AES-XTS sectors (plain64 or plain IVs) of a LUKS segment."""

from __future__ import annotations

from triage.layers.base import Stream
from triage.layers.luks2_header import Segment
from triage.layers.scratch import Scratch
from triage.layers.xts import XtsDecryptor

# Reads are decrypted in pieces of at most this many bytes (memory stays small for huge reads).
_PIECE = 4 * 1024 * 1024
_IV_UNIT = 512


class SegmentStream:
    """The plain bytes of a LUKS1 or LUKS2 data segment."""

    def __init__(self, stream: Stream, segment: Segment, key: bytes) -> None:
        self._stream = stream
        self._segment = segment
        # dm-crypt counts the IV (and LUKS2's iv_tweak) in 512-byte units whatever the
        # sector size (cryptsetup does not set iv_large_sectors for LUKS2; LUKS1 has 512).
        self._xts = XtsDecryptor(key, segment.sector_size, segment.sector_size // _IV_UNIT,
                                 32 if segment.cipher.endswith("-plain") else 64)
        room = max(0, stream.size - segment.offset)
        size = room if segment.size is None else segment.size
        self.size = size - size % segment.sector_size
        self._scratch = Scratch()

    def read(self, offset: int, length: int) -> bytes:
        length = min(length, self.size - offset)
        if length <= 0:
            return b""
        sector = self._segment.sector_size
        if offset % sector == 0 and length % sector == 0 and length <= _PIECE:
            return self._whole_sectors(offset, length)  # ChunkCache's chunks: no copy after
        start = offset - offset % sector
        want = -(-(offset + length - start) // sector) * sector
        # Decrypted in place into this thread's buffer; the one copy is the bytes handed back.
        out = self._scratch.bytes("read", want + 16)
        done = 0
        while done < want:
            piece = min(want - done, _PIECE)
            cipher = self._stream.read(self._segment.offset + start + done, piece)
            whole = len(cipher) - len(cipher) % sector
            self._xts.decrypt_into(cipher[:whole] if whole < len(cipher) else cipher,
                                   self._segment.iv_tweak + (start + done) // _IV_UNIT,
                                   out[done:])
            done += whole
            if whole < piece:
                break  # the image ends early (truncated): a short read, as the Stream promises
        skip = offset - start
        return out[skip : min(skip + length, done)].tobytes()

    def _whole_sectors(self, offset: int, length: int) -> bytes:
        """Sector-aligned reads of at most one piece, decrypted into the bytes handed back."""
        cipher = self._stream.read(self._segment.offset + offset, length)
        whole = len(cipher) - len(cipher) % self._segment.sector_size  # short: truncated
        return self._xts.decrypt(cipher[:whole] if whole < len(cipher) else cipher,
                                 self._segment.iv_tweak + offset // _IV_UNIT)
