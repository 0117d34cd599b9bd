"""LUKS2 volumes (Linux): key slots opened with a passphrase, data decrypted read-only.

libluksde reads LUKS1 only, so LUKS2 is read here on `cryptography` and `argon2-cffi`.
"""

from __future__ import annotations

from typing import Any

from triage.layers.base import LayerError, Stream
from triage.layers.dmcrypt import SegmentStream
from triage.layers.encrypted import EncryptionLayer, Unlocked
from triage.layers.luks2_header import (
    MAGIC_PRIMARY,
    SUPPORTED_CIPHERS,
    Header,
    open_keyslot,
    read_header,
)
from triage.layers.registry import register
from triage.layers.secrets import PASSPHRASE, RECOVERY_PASSWORD, Secret


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
                return Unlocked(SegmentStream(stream, header.segment(), key), PASSPHRASE,
                                f"key slot {slot_id}")
        return None


register(Luks2())
