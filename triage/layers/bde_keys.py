"""BitLocker's keys: a protector's secret to the volume master key, that key to the FVEK."""

from __future__ import annotations

import hashlib
import struct
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESCCM

from triage.layers import fast
from triage.layers.bde_metadata import MetadataError, Protector, Wrapped
from triage.layers.encrypted import CLEAR_KEY
from triage.layers.secrets import PASSPHRASE, RECOVERY_PASSWORD, STARTUP_KEY, Secret

_STRETCH_ROUNDS = 0x100000
_COUNT = struct.Struct("<Q")
_MAC = 16
# The key container's size for each data encryption method (libbde's notes and reader):
# 12 bytes of header, then the key (XTS and the diffuser methods hold two keys).
KEY_BYTES = {0x8000: 64, 0x8001: 64, 0x8002: 16, 0x8003: 32, 0x8004: 32, 0x8005: 64}
_VMK_BYTES = 32


@dataclass(frozen=True)
class Keys:
    """The unlocked volume's data key and the protector that gave it (never printed)."""

    method: int
    fvek: bytes = field(repr=False)
    protector: str
    protector_id: str | None


def stretch(initial: bytes, salt: bytes) -> bytes:
    """BitLocker's key stretch: SHA-256 over (last, initial, salt, count), 2**20 times."""
    if fast.cpu_sha is not None and len(salt) == 16:  # the same in a fifth of the time
        return fast.cpu_sha.stretch(initial, salt, _STRETCH_ROUNDS)
    middle, last = initial + salt, bytes(32)
    sha256, pack = hashlib.sha256, _COUNT.pack  # bound once: this loop is the unlock's cost
    for count in range(_STRETCH_ROUNDS):
        last = sha256(last + middle + pack(count)).digest()
    return last


def recovery_key(password: str, salt: bytes) -> bytes:
    """The key a recovery password stretches to: each group / 11 as 16 bits, SHA-256'd."""
    raw = b"".join(struct.pack("<H", int(group) // 11) for group in password.split("-"))
    return stretch(hashlib.sha256(raw).digest(), salt)


def user_key(password: str, salt: bytes) -> bytes:
    """The key a password stretches to: SHA-256 twice of its UTF-16LE text."""
    once = hashlib.sha256(password.encode("utf-16-le")).digest()
    return stretch(hashlib.sha256(once).digest(), salt)


def unwrap(key: bytes, wrapped: Wrapped) -> bytes | None:
    """The key container inside an AES-CCM encrypted key, or None when `key` is not its key.

    BitLocker stores the MAC first; it is standard AES-CCM otherwise (its MAC checks on a
    volume Windows made: dfvfs's bdetogo.raw, tests/layers/test_bde_real.py). libbde checks
    no MAC, only the container's size and version; a wrong key fails the MAC here.
    """
    mac, body = wrapped.sealed[:_MAC], wrapped.sealed[_MAC:]
    try:
        return AESCCM(key, tag_length=_MAC).decrypt(wrapped.nonce, body + mac, None)
    except (InvalidTag, ValueError):
        return None


def _container_key(plain: bytes | None, size: int) -> bytes | None:
    """The key of a decrypted key container holding exactly `size` bytes of key."""
    if plain is None or len(plain) < 12 + size:
        return None
    stated, version = struct.unpack_from("<IH", plain)
    return plain[12 : 12 + size] if (stated, version) == (12 + size, 1) else None


def read_bek(path: str) -> tuple[str, bytes]:
    """The key identifier and 32-byte key of a .BEK startup key file."""
    data = Path(path).read_bytes()[:65536]
    if len(data) < 48 or struct.unpack_from("<II", data, 4) != (1, 48):
        raise MetadataError("not a BitLocker .BEK key file")
    at = 48
    while at + 8 <= len(data):
        size, _entry, value_type, _version = struct.unpack_from("<HHHH", data, at)
        if size < 8:
            break
        value = data[at + 8 : at + size]
        if value_type == 0x9 and len(value) >= 24:  # external key: id, time, properties
            ident = str(uuid.UUID(bytes_le=value[:16])).upper()
            inner = 24
            while inner + 8 <= len(value):
                isize, _e, itype, _v = struct.unpack_from("<HHHH", value, inner)
                if isize < 8:
                    break
                if itype == 0x1 and isize >= 8 + 4 + 32:
                    return ident, value[inner + 12 : inner + 12 + 32]
                inner += isize
        at += size
    raise MetadataError("the .BEK file holds no external key")


def _candidates(protectors: list[Protector], secret: Secret | None
                ) -> list[tuple[Protector, bytes]]:
    """(protector, the key that should unwrap its VMK) for every protector `secret` fits."""
    if secret is None:
        return [(p, p.clear_key) for p in protectors
                if p.kind == CLEAR_KEY and p.clear_key and len(p.clear_key) == 32]
    if secret.kind == STARTUP_KEY:
        ident, key = read_bek(secret.value)
        matching = [p for p in protectors if p.kind == STARTUP_KEY]
        matching.sort(key=lambda p: p.id != ident)  # the protector the file names first
        return [(p, key) for p in matching]
    kind = RECOVERY_PASSWORD if secret.kind == RECOVERY_PASSWORD else "password"
    if secret.kind not in (RECOVERY_PASSWORD, PASSPHRASE):
        return []
    derive = recovery_key if kind == RECOVERY_PASSWORD else user_key
    stretched: dict[bytes, bytes] = {}
    out = []
    for p in protectors:
        if p.kind == kind and p.salt is not None:
            if p.salt not in stretched:  # a million SHA-256 rounds per salt: once each
                stretched[p.salt] = derive(secret.value, p.salt)
            out.append((p, stretched[p.salt]))
    return out


def unlock(protectors: list[Protector], fvek: Wrapped | None, method: int,
           secret: Secret | None) -> Keys | None:
    """The data key, via the first protector `secret` (None: a clear key) opens; None if none.

    Raises MetadataError when a key opens the VMK but the FVEK entry cannot be read.
    """
    if method == 0:  # not encrypted (decrypted, or not yet encrypted): libbde needs no key
        return Keys(method, b"", CLEAR_KEY, None)
    for protector, key in _candidates(protectors, secret):
        if protector.wrapped is None:
            continue
        vmk = _container_key(unwrap(key, protector.wrapped), _VMK_BYTES)
        if vmk is None:
            continue
        kind = protector.kind
        if fvek is None or method not in KEY_BYTES:
            raise MetadataError(f"no data key is read for encryption method 0x{method:04x}")
        data_key = _container_key(unwrap(vmk, fvek), KEY_BYTES[method])
        if data_key is None:
            raise MetadataError("the volume master key does not open the FVEK entry")
        return Keys(method, data_key, kind, protector.id)
    return None

