"""Byte-level tests: Shannon entropy of a sample and a small table of well-known file headers."""

from __future__ import annotations

import math

import numpy as np

# Leading bytes of formats that are high-entropy by design (compressed or media), so a file
# starting with one is not an unexplained random blob. Sources: each format's specification
# (PKWARE APPNOTE, RFC 1952, 7-Zip, RAR, ISO/IEC 10918, PNG, ISO BMFF, RIFF, Ogg, PDF, xz,
# bzip2, zstd RFC 8878, Matroska/EBML, MPEG audio, SQLite, OLE2, Mach-O, ELF, PE).
KNOWN_HEADERS: tuple[bytes, ...] = (
    b"PK\x03\x04", b"PK\x05\x06", b"\x1f\x8b", b"7z\xbc\xaf\x27\x1c", b"Rar!\x1a\x07",
    b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF8", b"RIFF", b"OggS", b"%PDF", b"\xfd7zXZ\x00",
    b"BZh", b"\x28\xb5\x2f\xfd", b"\x1a\x45\xdf\xa3", b"ID3", b"fLaC", b"SQLite format 3\x00",
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"\x7fELF", b"MZ", b"\xcf\xfa\xed\xfe", b"MSCF",
    b"ITSF", b"\x00\x00\x01\xba", b"\x00\x00\x01\xb3", b"conectix", b"KDMV", b"vhdxfile",
    b"QFI\xfb", b"<<< Oracle VM VirtualBox Disk Image >>>",
)
# ISO base media (MP4, MOV, HEIC) puts its signature at offset 4.
_FTYP_OFFSET = 4

# libmagic's answers for "I do not know this format"; anything else is a recognised header.
GENERIC_MIMES = frozenset({"application/octet-stream", "application/x-empty", "inode/x-empty"})


def entropy(data: bytes) -> float:
    """Shannon entropy in bits per byte (0.0 for no data, 8.0 for perfectly uniform bytes)."""
    if not data:
        return 0.0
    counts = np.bincount(np.frombuffer(data, dtype=np.uint8), minlength=256)
    probs = counts[counts > 0] / len(data)
    return float(-(probs * np.log2(probs)).sum())


def max_entropy(length: int) -> float:
    """The highest entropy `length` bytes can show: small samples cannot look random."""
    return 0.0 if length <= 0 else min(8.0, math.log2(length))


def names_real_type(mime: str | None) -> bool:
    """True when libmagic recognised the content (anything but its 'unknown' answers)."""
    return mime is not None and mime not in GENERIC_MIMES


def starts_with_known_header(data: bytes | None) -> bool:
    """True when the bytes start with one of the well-known signatures above."""
    if not data:
        return False
    return data.startswith(KNOWN_HEADERS) or data[_FTYP_OFFSET:_FTYP_OFFSET + 4] == b"ftyp"
