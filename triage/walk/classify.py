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
    (0x20, b"NXSB", "apfs (the APFS container could not be opened)", _OTHER),
    # Image formats and volume systems with a layer of their own (triage/layers/): named here
    # for when that layer could not run, so they are never an "unknown file system".
    (0, b"KDMV", "VMDK virtual disk (unsupported image format here)", _OTHER),
    (0, b"# Disk DescriptorFile", "VMDK virtual disk (unsupported image format here)", _OTHER),
    (0, b"vhdxfile", "VHDX virtual disk (unsupported image format here)", _OTHER),
    (0, b"conectix", "VHD virtual disk (unsupported image format here)", _OTHER),
    (0, b"QFI\xfb", "QCOW2 virtual disk (unsupported image format here)", _OTHER),
    (0x40, b"\x7f\x10\xda\xbe", "VDI virtual disk (unsupported image format here)", _OTHER),
    (0, b"sprs", "DMG sparse image (unsupported image format here)", _OTHER),
    (512, b"LABELONE", "LVM2 physical volume (unsupported volume system here)", _OTHER),
    # Apple Core Storage (Fusion Drive, FileVault 1 conversions): "CS" and version 1.
    (88, b"CS\x01\x00", "Core Storage volume (unsupported volume system)", _OTHER),
    (0, b"\xeb\x3c\x90", "boot sector of an unknown file system", _OTHER),
)
# AFF4 forensic images are zip files (the AFF4 standard, section 4); no maintained library
# without the AGPL reads them here, so they are an unsupported format, never "encrypted" (their
# compressed contents would otherwise look like high-entropy encrypted data).
_ZIP = b"PK\x03\x04"
_AFF4_MARKERS = (b"aff4:", b"container.description", b"information.turtle")
AFF4_REASON = "AFF4 image (unsupported image format; convert it to E01 or raw in the lab)"

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
    if head.startswith(_ZIP):
        if any(marker in head for marker in _AFF4_MARKERS):
            return AFF4_REASON, _OTHER
        return "zip archive (not a disk image)", _OTHER
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
