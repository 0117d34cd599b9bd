"""LUKS1 volumes (Linux), unlocked read-only: aes-xts-plain64 here, other ciphers by libluksde."""

from __future__ import annotations

from typing import Any

import pyluksde

from triage.layers.base import LayerError, Stream
from triage.layers.dmcrypt import SegmentStream
from triage.layers.encrypted import (
    EncryptionLayer,
    LibyalStream,
    StreamFile,
    Unlocked,
    libyal_cause,
)
from triage.layers.luks1_header import MAGIC, SECTOR, open_keyslot, read_header
from triage.layers.luks2_header import Segment
from triage.layers.luks_limits import check_pbkdf2
from triage.layers.registry import register
from triage.layers.secrets import PASSPHRASE, RECOVERY_PASSWORD, Secret


class Luks1(EncryptionLayer):
    """LUKS1: passphrase key slots. aes-xts-plain64 is opened and decrypted here (libluksde's
    own AES is about 10x slower than `cryptography`'s; tests check both give the same bytes);
    any other cipher by libluksde."""

    name = "luks1"
    secret_kinds = frozenset({PASSPHRASE, RECOVERY_PASSWORD})

    def probe(self, head: bytes, stream: Stream) -> bool:
        return head[:8] == MAGIC

    def facts(self, stream: Stream) -> dict[str, Any]:
        header = read_header(stream)
        return {"uuid": header.uuid,
                "key_slots": [{"slot": s.index, "iterations": s.iterations}
                              for s in header.slots],
                "cipher": f"{header.cipher}-{header.mode}", "hash": header.hash_name,
                "data_offset": header.payload}

    def attempt(self, stream: Stream, secret: Secret | None) -> Unlocked | None:
        if secret is None:
            return None  # LUKS has no clear key
        header = read_header(stream)
        if header.fast:
            for slot in header.slots:
                key = open_keyslot(stream, header, slot, secret.value.encode("utf-8"))
                if key is not None:
                    segment = Segment(header.payload, None, "aes-xts-plain64", SECTOR, 0)
                    return Unlocked(SegmentStream(stream, segment, key), PASSPHRASE,
                                    f"key slot {slot.index}")
            return None
        for slot in header.slots:  # libluksde would run whatever the header asks for
            check_pbkdf2(slot.iterations, f"LUKS1 key slot {slot.index}")
        return self._attempt_libluksde(stream, secret)

    def _attempt_libluksde(self, stream: Stream, secret: Secret) -> Unlocked | None:
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
