"""LUKS2 volumes (Linux): key slots opened with a passphrase, data decrypted read-only.

libluksde reads LUKS1 only, so LUKS2 is read here on `cryptography` and `argon2-cffi`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from triage.layers.base import LayerError, Stream
from triage.layers.encrypted import EncryptionLayer, Unlocked
from triage.layers.luks2_header import (
    MAGIC_PRIMARY,
    SUPPORTED_CIPHERS,
    Header,
    Segment,
    open_keyslot,
    read_header,
)
from triage.layers.registry import register
from triage.layers.secrets import PASSPHRASE, RECOVERY_PASSWORD, Secret
from triage.layers.xts import XtsDecryptor

# Reads are decrypted in pieces of at most this many bytes (memory stays small for huge reads).
_PIECE = 4 * 1024 * 1024
_IV_UNIT = 512


class Luks2Stream:
    """The plain bytes of a LUKS2 data segment."""

    def __init__(self, stream: Stream, segment: Segment, key: bytes) -> None:
        self._stream = stream
        self._segment = segment
        # dm-crypt counts the IV (and LUKS2's iv_tweak) in 512-byte units whatever the
        # sector size (cryptsetup does not set iv_large_sectors for LUKS2).
        self._xts = XtsDecryptor(key, segment.sector_size, segment.sector_size // _IV_UNIT)
        room = max(0, stream.size - segment.offset)
        size = room if segment.size is None else segment.size
        self.size = size - size % segment.sector_size

    def read(self, offset: int, length: int) -> bytes:
        length = min(length, self.size - offset)
        if length <= 0:
            return b""
        sector = self._segment.sector_size
        start = offset - offset % sector
        want = -(-(offset + length - start) // sector) * sector
        out = np.empty(want + 16, dtype=np.uint8)  # decrypted in place, one copy at the end
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


class Luks2(EncryptionLayer):
    """LUKS2: passphrase key slots (pbkdf2, argon2i, argon2id), aes-xts data."""

    name = "luks2"
    secret_kinds = frozenset({PASSPHRASE, RECOVERY_PASSWORD})

    def probe(self, head: bytes, stream: Stream) -> bool:
        return head[:6] == MAGIC_PRIMARY and head[6:8] == b"\x00\x02"

    def _header(self, stream: Stream) -> Header:
        header = read_header(stream)
        segment = header.segment()
        if segment.cipher not in SUPPORTED_CIPHERS:
            raise LayerError(f"LUKS2 data cipher {segment.cipher!r} is not supported")
        if header.reencrypting():
            raise LayerError("the LUKS2 volume is part-way through re-encryption, which this "
                             "build cannot read")
        return header

    def facts(self, stream: Stream) -> dict[str, Any]:
        header = self._header(stream)
        segment = header.segment()
        return {"uuid": header.uuid, "label": header.label, "key_slots": header.keyslots(),
                "cipher": segment.cipher, "sector_size": segment.sector_size,
                "data_offset": segment.offset}

    def attempt(self, stream: Stream, secret: Secret | None) -> Unlocked | None:
        if secret is None:
            return None  # LUKS has no clear key
        header = self._header(stream)
        slots = sorted(header.metadata["keyslots"].items(),
                       key=lambda kv: (-int(kv[1].get("priority", 1)), int(kv[0])))
        for slot_id, _ in slots:
            key = open_keyslot(stream, header, slot_id, secret.value.encode("utf-8"))
            if key is not None:
                return Unlocked(Luks2Stream(stream, header.segment(), key), PASSPHRASE,
                                f"key slot {slot_id}")
        return None


register(Luks2())
