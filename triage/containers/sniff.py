"""Which container format a file is, from its first bytes or its MIME type (cheap)."""

from __future__ import annotations

from triage.model import FileRecord

# Bytes needed to recognise every format below (tar's 'ustar' sits at offset 257).
SNIFF_BYTES = 512

_MAGIC: tuple[tuple[int, bytes, str], ...] = (
    (0, b"PK\x03\x04", "zip"),
    (0, b"PK\x05\x06", "zip"),  # an empty zip: no members, but still a zip
    (0, b"7z\xbc\xaf\x27\x1c", "7z"),
    (0, b"Rar!\x1a\x07", "rar"),
    (0, b"\x1f\x8b", "gzip"),
    (0, b"BZh", "bzip2"),
    (0, b"\xfd7zXZ\x00", "xz"),
    (0, b"%PDF-", "pdf"),
    (257, b"ustar", "tar"),
    (0, b"\x1a\x45\xdf\xa3", "video"),  # Matroska / WebM
    # Virtual disks (triage/containers/disks.py); fixed VHD and DMG mark their end instead.
    (0, b"KDMV", "disk"),  # VMDK sparse extent
    (0, b"# Disk DescriptorFile", "disk"),  # VMDK descriptor
    (0, b"vhdxfile", "disk"),
    (0, b"conectix", "disk"),  # dynamic VHD (its footer copied to the start)
    (0, b"QFI\xfb", "disk"),  # QCOW, QCOW2
    (0x40, b"\x7f\x10\xda\xbe", "disk"),  # VirtualBox VDI
)
# ISO base media brands that are still pictures (HEIF/AVIF), not videos.
_IMAGE_BRANDS = {b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1", b"avif", b"avis"}

_MIME_KINDS = {
    "application/zip": "zip",
    "application/java-archive": "zip",
    "application/epub+zip": "zip",
    "application/x-tar": "tar",
    "application/gzip": "gzip",
    "application/x-gzip": "gzip",
    "application/x-bzip2": "bzip2",
    "application/x-xz": "xz",
    "application/x-7z-compressed": "7z",
    "application/x-rar": "rar",
    "application/vnd.rar": "rar",
    "application/x-rar-compressed": "rar",
    "application/pdf": "pdf",
}
# Office documents (docx, xlsx, pptx, odt, ods, odp) are zip files: they fall out of zip handling.
_ZIP_MIME_PREFIXES = ("application/vnd.openxmlformats-officedocument.",
                      "application/vnd.oasis.opendocument.")
KINDS = frozenset({*_MIME_KINDS.values(), "video", "disk"})
# Names virtual disks go by (the layer's probe still decides; see containers/disks.py).
DISK_EXTENSIONS = frozenset({"vmdk", "vhd", "vhdx", "avhd", "avhdx", "qcow", "qcow2", "qcow3",
                             "vdi", "dmg", "sparseimage"})


def kind_of(head: bytes) -> str | None:
    """The container format these first bytes announce, or None."""
    for offset, magic, kind in _MAGIC:
        if head[offset : offset + len(magic)] == magic:
            return kind
    if head[4:8] == b"ftyp" and _atom_size(head):  # MP4, MOV, 3GP: an ISO base media file
        return None if head[8:12] in _IMAGE_BRANDS else "video"
    if head[4:8] in (b"moov", b"mdat", b"wide", b"free") and _atom_size(head):
        return "video"  # QuickTime without 'ftyp'

    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "video"
    return None


def _atom_size(head: bytes) -> bool:
    """True when the first 4 bytes can be an ISO base media box's size.

    A size is 0 (to the end), 1 (a 64-bit size follows) or at least 8; four bytes of text are
    a line of words ("# e2freefrag(8)" has "free" at offset 4), not a size. A real box that
    large (hundreds of MB) is still read as a video through its MIME type.
    """
    size = int.from_bytes(head[:4], "big")
    text = all(0x20 <= b < 0x7F or b in (0x09, 0x0A, 0x0D) for b in head[:4])
    return size in (0, 1) or (size >= 8 and not text)


def kind_of_mime(mime: str | None) -> str | None:
    """The container format a libmagic MIME type names, or None."""
    if not mime:
        return None
    if mime.startswith("video/"):
        return "video"
    if mime.startswith(_ZIP_MIME_PREFIXES):
        return "zip"
    return _MIME_KINDS.get(mime)


def is_container(record: FileRecord, head: bytes | None = None) -> bool:
    """True when expand() may find members: by the record's MIME type or its first bytes."""
    if kind_of_mime(record.mime) is not None or record.extension in DISK_EXTENSIONS:
        return True
    return head is not None and kind_of(head) is not None
