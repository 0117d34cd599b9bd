"""LUKS1 volumes (Linux), unlocked read-only with libluksde (pyluksde)."""

from __future__ import annotations

import struct
from typing import Any

import pyluksde

from triage.layers.base import LayerError, Stream
from triage.layers.encrypted import (
    EncryptionLayer,
    LibyalStream,
    StreamFile,
    Unlocked,
    libyal_cause,
)
from triage.layers.registry import register
from triage.layers.secrets import PASSPHRASE, RECOVERY_PASSWORD, Secret

_MAGIC = b"LUKS\xba\xbe\x00\x01"
_HEADER_LEN = 592
_SLOT_ENABLED = 0x00AC71F3
_SLOTS, _SLOT_AT, _SLOT_LEN = 8, 208, 48


def _text(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode("ascii", "replace")


class Luks1(EncryptionLayer):
    """LUKS1: passphrase key slots; libluksde does the key derivation and decryption."""

    name = "luks1"
    secret_kinds = frozenset({PASSPHRASE, RECOVERY_PASSWORD})

    def probe(self, head: bytes, stream: Stream) -> bool:
        return head[:8] == _MAGIC

    def facts(self, stream: Stream) -> dict[str, Any]:
        header = stream.read(0, _HEADER_LEN)
        if len(header) < _HEADER_LEN:
            raise LayerError("the LUKS1 header is cut short (truncated volume)")
        slots = []
        for slot in range(_SLOTS):
            active, iterations = struct.unpack_from(">II", header, _SLOT_AT + slot * _SLOT_LEN)
            if active == _SLOT_ENABLED:
                slots.append({"slot": slot, "iterations": iterations})
        payload = struct.unpack_from(">I", header, 104)[0] * 512
        return {"uuid": _text(header[168:208]), "key_slots": slots,
                "cipher": f"{_text(header[8:40])}-{_text(header[40:72])}",
                "hash": _text(header[72:104]), "data_offset": payload}

    def attempt(self, stream: Stream, secret: Secret | None) -> Unlocked | None:
        if secret is None:
            return None  # LUKS has no clear key
        volume = pyluksde.volume()
        handle = StreamFile(stream)
        try:
            volume.open_file_object(handle)
            volume.set_password(secret.value)
            if not volume.unlock():
                volume.close()
                return None
        except OSError as exc:
            raise LayerError("libluksde cannot read this LUKS1 volume "
                             f"({libyal_cause(exc)})") from None
        return Unlocked(LibyalStream(volume, volume.get_size(), handle), PASSPHRASE)



register(Luks1())
