"""A best guess at why a partition's file system could not be opened (encrypted, unknown...)."""

from __future__ import annotations

import math
from collections import Counter

# Signatures at the start of a volume (offset, magic, reason).
_SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (3, b"-FVE-FS-", "bitlocker"),
    (0, b"LUKS\xba\xbe", "luks"),
    (0, b"SKW1\x00", "luks"),  # LUKS2 secondary header magic
    (3, b"MSWIN4.1", "fat (damaged)"),
    (0x438, b"\x53\xef", "ext (damaged)"),
    (3, b"NTFS    ", "ntfs (damaged)"),
    (4086, b"SWAPSPACE2", "linux swap"),
    (0x20, b"NXSB", "apfs (not supported by this build)"),
    (0, b"\xeb\x3c\x90", "boot sector of an unknown file system"),
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


def guess_reason(head: bytes) -> str:
    """Why a volume whose first bytes are `head` (ideally 1 MiB) could not be examined."""
    for offset, magic, reason in _SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            return reason
    if not head.strip(b"\0"):
        return "empty (all zero)"
    if entropy(head) >= HIGH_ENTROPY_BITS:
        return HIGH_ENTROPY_REASON
    return "unknown file system"
