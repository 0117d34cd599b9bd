"""The LUKS1 on-disk header, and its AES-XTS key slots opened with a passphrase.

Follows the LUKS1 on-disk format specification (cryptsetup, docs/on-disk-format.pdf): a
592-byte big-endian header, eight key slots each holding the volume key split by the
anti-forensic splitter, and a PBKDF2 digest of the volume key to check a candidate against.
Only aes-xts-plain64 volumes are opened here (the common case since cryptsetup 1.6); others go
to libluksde.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from dataclasses import dataclass

from triage.layers.base import LayerError, Stream
from triage.layers.luks2_header import af_merge
from triage.layers.luks_limits import check_pbkdf2, check_split
from triage.layers.xts import XtsDecryptor

MAGIC = b"LUKS\xba\xbe\x00\x01"
HEADER_LEN = 592
SECTOR = 512
_SLOT_ENABLED = 0x00AC71F3
_SLOTS, _SLOT_AT, _SLOT_LEN = 8, 208, 48


def _text(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode("ascii", "replace")


@dataclass(frozen=True)
class KeySlot:
    """One enabled key slot: PBKDF2 iterations and salt, where its key material lies."""

    index: int
    iterations: int
    salt: bytes
    material_sector: int
    stripes: int


@dataclass(frozen=True)
class Luks1Header:
    """What a LUKS1 header says (never a secret)."""

    cipher: str  # e.g. "aes"
    mode: str  # e.g. "xts-plain64"
    hash_name: str
    payload: int  # byte offset of the encrypted data
    key_bytes: int
    digest: bytes
    digest_salt: bytes
    digest_iterations: int
    uuid: str
    slots: tuple[KeySlot, ...]

    @property
    def fast(self) -> bool:
        """Whether the key slots and data are read here (else by libluksde)."""
        return (self.cipher == "aes" and self.mode == "xts-plain64"
                and self.key_bytes in (32, 64) and self.hash_name in hashlib.algorithms_available)


def read_header(stream: Stream) -> Luks1Header:
    """The header at the start of `stream`; LayerError when it is cut short."""
    raw = stream.read(0, HEADER_LEN)
    if len(raw) < HEADER_LEN or raw[:8] != MAGIC:
        raise LayerError("the LUKS1 header is cut short (truncated volume)")
    slots = []
    for index in range(_SLOTS):
        at = _SLOT_AT + index * _SLOT_LEN
        active, iterations = struct.unpack_from(">II", raw, at)
        if active == _SLOT_ENABLED:
            material, stripes = struct.unpack_from(">II", raw, at + 40)
            slots.append(KeySlot(index, iterations, raw[at + 8 : at + 40], material, stripes))
    payload, key_bytes = struct.unpack_from(">II", raw, 104)
    return Luks1Header(
        cipher=_text(raw[8:40]), mode=_text(raw[40:72]), hash_name=_text(raw[72:104]),
        payload=payload * SECTOR, key_bytes=key_bytes, digest=raw[112:132],
        digest_salt=raw[132:164], digest_iterations=struct.unpack_from(">I", raw, 164)[0],
        uuid=_text(raw[168:208]), slots=tuple(slots))


def open_keyslot(stream: Stream, header: Luks1Header, slot: KeySlot,
                 passphrase: bytes) -> bytes | None:
    """The volume key from `slot` with `passphrase`, or None when it does not fit."""
    what = f"LUKS1 key slot {slot.index}"
    check_split(header.key_bytes, slot.stripes, what)
    check_pbkdf2(slot.iterations, what)
    check_pbkdf2(header.digest_iterations, "the LUKS1 volume key digest")
    length = header.key_bytes * slot.stripes
    sectors = -(-length // SECTOR)
    material = stream.read(slot.material_sector * SECTOR, sectors * SECTOR)
    if len(material) < sectors * SECTOR:
        raise LayerError("the LUKS1 key slot lies beyond the end of the volume (truncated)")
    slot_key = hashlib.pbkdf2_hmac(header.hash_name, passphrase, slot.salt, slot.iterations,
                                   header.key_bytes)
    plain = XtsDecryptor(slot_key, SECTOR).decrypt(material, 0)
    key = af_merge(plain[:length], header.key_bytes, slot.stripes, header.hash_name)
    check = hashlib.pbkdf2_hmac(header.hash_name, key, header.digest_salt,
                                header.digest_iterations, len(header.digest))
    return key if hmac.compare_digest(check, header.digest) else None
