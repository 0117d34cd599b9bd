"""A Mac's wrapped keys (FileVault 2 and encrypted APFS): PBKDF2-HMAC-SHA256 of a secret unwraps
a key-encrypting key (RFC 3394), which unwraps the volume key."""

from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap


def unwrap(key: bytes, wrapped: bytes) -> bytes | None:
    """The key `wrapped` holds under `key` (RFC 3394), or None when `key` is not its key."""
    try:
        return aes_key_unwrap(key, wrapped)
    except (InvalidUnwrap, ValueError):
        return None


def unwrap_kek(secret: str, salt: bytes, iterations: int, wrapped: bytes) -> bytes | None:
    """The key-encrypting key `secret` unwraps from one unlock record, or None (another user's
    record). APFS wraps it with the 256-bit PBKDF2 output, FileVault 2 (and APFS volumes
    migrated from it, per Joe Sylve's APFS notes) with its first 128 bits: one derivation, both
    tried, a wrong key failing RFC 3394's check."""
    derived = hashlib.pbkdf2_hmac("sha256", secret.encode("utf-8"), salt, iterations, 32)
    return unwrap(derived, wrapped) or unwrap(derived[:16], wrapped)
