"""A best guess at why a partition's file system could not be opened (encrypted, unknown...)."""

from __future__ import annotations

import math
from collections import Counter

from triage.ledger.records import GapKind

_LOCKED = GapKind.ENCRYPTED
_OTHER = GapKind.UNSUPPORTED
# Signatures at the start of a volume (offset, magic, reason, kind of gap it leaves).
_SIGNATURES: tuple[tuple[int, bytes, str, GapKind], ...] = (
    (3, b"-FVE-FS-", "bitlocker", _LOCKED),
    (0, b"LUKS\xba\xbe", "luks", _LOCKED),
    (0, b"SKW1\x00", "luks", _LOCKED),  # LUKS2 secondary header magic
    (3, b"MSWIN4.1", "fat (damaged)", _OTHER),
    (0x438, b"\x53\xef", "ext (damaged)", _OTHER),
    (3, b"NTFS    ", "ntfs (damaged)", _OTHER),
    (4086, b"SWAPSPACE2", "linux swap", _OTHER),
    (0x20, b"NXSB", "apfs (not supported by this build)", _OTHER),
    (0, b"\xeb\x3c\x90", "boot sector of an unknown file system", _OTHER),
)

# Encrypted data (VeraCrypt/TrueCrypt have no header magic at all) is indistinguishable from
# random bytes: Shannon entropy of a 1 MiB sample above 7.99 bits/byte. Ordinary file systems,
# even full of compressed files, have zeroed metadata areas that keep the start well below it.
HIGH_ENTROPY_BITS = 7.99
HIGH_ENTROPY_REASON = "high entropy (possibly VeraCrypt or other encryption)"


def entropy(data: bytes) -> float:
    """Shannon entropy in bits per byte."""
    if not data:
        return 0.0
    total = len(data)
    return -sum(n / total * math.log2(n / total) for n in Counter(data).values())


def guess(head: bytes) -> tuple[str, GapKind]:
    """Why a volume whose first bytes are `head` (ideally 1 MiB) could not be examined, and
    the kind of gap that leaves (encrypted or unsupported)."""
    for offset, magic, reason, kind in _SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            return reason, kind
    if not head.strip(b"\0"):
        return "empty (all zero)", _OTHER
    if entropy(head) >= HIGH_ENTROPY_BITS:
        return HIGH_ENTROPY_REASON, _LOCKED
    return "unknown file system", _OTHER


def guess_reason(head: bytes) -> str:
    """Why a volume whose first bytes are `head` could not be examined (see `guess`)."""
    return guess(head)[0]
