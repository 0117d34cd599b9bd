"""FileVault 2's volume key from a password or the recovery key, through the encryption context.

Every user (the recovery key is one too) has a PassphraseWrappedKEKStruct: PBKDF2-HMAC-SHA256 of
the secret (UTF-8) with its salt and iteration count gives a 128-bit key that unwraps (RFC 3394)
the key-encrypting key; a KEKWrappedVolumeKeyStruct in WrappedVolumeKeys is the volume key
wrapped with that KEK. Offsets from libfvde's documentation and reading (the iteration count is
read at byte 168 of the 284-byte struct, as libfvde does and the documentation's example shows;
its table says 172). RFC 3394's integrity check tells a wrong secret from a right one.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from typing import Any

from triage.layers.kdf_limits import mac_pbkdf2_problem
from triage.layers.mac_keys import unwrap, unwrap_kek

_CONTEXT_KEY = "com.apple.corestorage.lvf.encryption.context"
_PASSPHRASE_STRUCT, _VOLUME_KEY_STRUCT = 284, 256
_SALT_TYPE, _WRAPPED_TYPE = 3, 0x10
_ITERATIONS_AT = 168


@dataclass(frozen=True)
class CryptoUser:
    salt: bytes
    iterations: int
    wrapped_kek: bytes  # 24 bytes (RFC 3394)
    kek_id: str | None


@dataclass(frozen=True)
class WrappedVolumeKey:
    wrapped: bytes  # 24 bytes (RFC 3394)
    kek_id: str | None


@dataclass(frozen=True)
class Context:
    users: tuple[CryptoUser, ...]
    volume_keys: tuple[WrappedVolumeKey, ...]
    conversion: str | None  # ConversionInfo's ConversionStatus ("Complete" when encrypted)


def read_context(plist: dict[str, Any]) -> Context:
    """The users and wrapped volume keys of a 0x0019 plist (or of a bare context dict)."""
    context = plist.get(_CONTEXT_KEY, plist)
    if not isinstance(context, dict):
        return Context((), (), None)
    users = []
    for entry in _dicts(context.get("CryptoUsers")):
        blob = entry.get("PassphraseWrappedKEKStruct")
        if not isinstance(blob, bytes) or len(blob) != _PASSPHRASE_STRUCT:
            continue  # e.g. an iCloud-escrowed user: no passphrase to try
        salt_type, salt_size = struct.unpack_from("<II", blob)
        wrapped_type, wrapped_size = struct.unpack_from("<II", blob, 24)
        if (salt_type, salt_size, wrapped_type, wrapped_size) != (_SALT_TYPE, 16, _WRAPPED_TYPE,
                                                                   24):
            continue
        iterations, = struct.unpack_from("<I", blob, _ITERATIONS_AT)
        users.append(CryptoUser(blob[8:24], iterations, blob[32:56],
                                _text(entry.get("KeyEncryptingKeyIdent"))))
    keys = []
    for entry in _dicts(context.get("WrappedVolumeKeys")):
        blob = entry.get("KEKWrappedVolumeKeyStruct")
        if isinstance(blob, bytes) and len(blob) == _VOLUME_KEY_STRUCT:
            keys.append(WrappedVolumeKey(blob[8:32], _text(entry.get("KeyEncryptingKeyIdent"))))
    info = context.get("ConversionInfo")
    status = info.get("ConversionStatus") if isinstance(info, dict) else None
    if not isinstance(status, str):
        status = None
    return Context(tuple(users), tuple(keys), status)


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _text(value: Any) -> str | None:
    """An identifier as compared here (UUID strings in either case)."""
    return value.upper() if isinstance(value, str) else None


def cost_problem(context: Context) -> str | None:
    """Why no secret should be tried (a PBKDF2 count past any Mac's), or None."""
    return mac_pbkdf2_problem((u.iterations for u in context.users), "its encryption context")


def volume_key(context: Context, secret: str) -> bytes | None:
    """The 128-bit volume key that `secret` unlocks, or None when it opens no user."""
    if cost_problem(context) is not None:
        raise ValueError("PBKDF2 count past any Mac's")  # callers check first; never derive
    for user in context.users:
        if not user.iterations:
            continue
        kek = unwrap_kek(secret, user.salt, user.iterations, user.wrapped_kek)
        if kek is None:
            continue
        # The user's own wrapped volume key first (same KEK identifier), then the others.
        ordered = sorted(context.volume_keys, key=lambda k: k.kek_id != user.kek_id)
        for wrapped in ordered:
            key = unwrap(kek, wrapped.wrapped)
            if key is not None:
                return key
    return None


def tweak_key(volume_key: bytes, family: bytes) -> bytes:
    """The XTS tweak key: SHA-256 of the volume key and the logical volume family UUID, first
    128 bits (libfvde's documentation, "Volume tweak key")."""
    return hashlib.sha256(volume_key + family).digest()[:16]
