"""BitLocker's volume header and FVE metadata (Windows 7 and later, To Go), from libbde's notes."""

from __future__ import annotations

import struct
import uuid
from dataclasses import dataclass, field

from triage.layers.base import Stream
from triage.layers.encrypted import CLEAR_KEY
from triage.layers.secrets import RECOVERY_PASSWORD, STARTUP_KEY

SIGNATURE = b"-FVE-FS-"
BITLOCKER_GUID = uuid.UUID("4967d63b-2e29-4ad8-8399-f6a339e3d001").bytes_le
_WINDOWS_7_ENTRY = b"\xeb\x58\x90"  # Vista's volumes start "\xeb\x52\x90" (left to libbde)
METADATA_SIZE = 65536  # each of the three copies; libbde reads them as zeros
_BLOCK_HEADER = 64
_HEADER = 48
_SECTOR_SIZES = (512, 1024, 2048, 4096)
# Key protection types of a VMK entry; the names are those bde.py reports for libbde's.
PROTECTIONS = {0x0000: CLEAR_KEY, 0x0100: "TPM", 0x0200: STARTUP_KEY, 0x0500: "TPM and PIN",
               0x0800: RECOVERY_PASSWORD, 0x2000: "password"}
# Entry types and value types (libbde's notes, "FVE metadata entry").
_VMK, _FVEK, _DESCRIPTION, _HEADER_BLOCK = 0x0002, 0x0003, 0x0007, 0x000F
_KEY, _STRING, _STRETCH, _CCM, _VMK_VALUE, _EXTERNAL = 0x1, 0x2, 0x3, 0x5, 0x8, 0x9


class MetadataError(ValueError):
    """The volume's BitLocker header or metadata cannot be read by this module (one sentence)."""


@dataclass(frozen=True)
class Wrapped:
    """An AES-CCM encrypted key: the 12-byte nonce, then the MAC and the ciphertext."""

    nonce: bytes
    sealed: bytes = field(repr=False)


@dataclass(frozen=True)
class Protector:
    """One volume master key entry: its kind, ID and what unwraps it."""

    kind: str
    id: str  # the GUID, upper case, as libbde and Windows show it
    wrapped: Wrapped | None
    clear_key: bytes | None = field(default=None, repr=False)
    salt: bytes | None = None  # the stretch salt (recovery password, password)


@dataclass
class Metadata:
    """What the fast path needs from the header and the first sound metadata copy."""

    layout: str  # "windows 7" (fixed disks, 7 and later) or "to go"
    bytes_per_sector: int
    header_volume_size: int  # from the volume header's sector count; 0 when it has none
    metadata_offsets: tuple[int, int, int]
    encrypted_volume_size: int
    volume_header_offset: int
    volume_header_size: int
    volume_id: str
    method: int
    created: int  # FILETIME
    description: str
    protectors: list[Protector]
    fvek: Wrapped | None
    copy: int  # 1, 2 or 3: the copy these facts come from
    problems: list[str] = field(default_factory=list)  # damaged copies passed over


def _entries(data: bytes) -> list[tuple[int, int, bytes]]:
    """(entry type, value type, value data) of an array of FVE metadata entries."""
    out, at = [], 0
    while at + 8 <= len(data):
        size, entry_type, value_type, _version = struct.unpack_from("<HHHH", data, at)
        if size == 0:
            break  # padding after the last entry
        if size < 8 or at + size > len(data):
            raise MetadataError(f"metadata entry at byte {at} has a size ({size}) that does "
                                "not fit")
        out.append((entry_type, value_type, data[at + 8 : at + size]))
        at += size
    return out


def _wrapped(value: bytes) -> Wrapped:
    if len(value) < 12 + 16 + 12:
        raise MetadataError("an AES-CCM encrypted key is too short")
    return Wrapped(value[:12], value[12:])


def _protector(value: bytes) -> Protector:
    if len(value) < 28:
        raise MetadataError("a volume master key entry is too short")
    ident = str(uuid.UUID(bytes_le=value[:16])).upper()
    protection = struct.unpack_from("<H", value, 26)[0]
    kind = PROTECTIONS.get(protection, f"type 0x{protection:04x}")
    wrapped = clear = salt = None
    for _entry, value_type, data in _entries(value[28:]):
        if value_type == _CCM:
            wrapped = _wrapped(data)
        elif value_type == _KEY and len(data) >= 4:
            clear = data[4:]
        elif value_type == _STRETCH and len(data) >= 20:
            salt = data[4:20]
    return Protector(kind, ident, wrapped, clear, salt)


def _layout(head: bytes) -> str:
    if head[0:3] == _WINDOWS_7_ENTRY and head[3:11] == SIGNATURE and (
            head[160:176] == BITLOCKER_GUID):
        return "windows 7"
    if head[0:3] == _WINDOWS_7_ENTRY and head[424:440] == BITLOCKER_GUID:
        return "to go"
    raise MetadataError("not a Windows 7 or later BitLocker volume header (Vista's layout is "
                        "left to libbde)")


def _copy(stream: Stream, head: bytes, layout: str, number: int) -> Metadata:
    offsets = struct.unpack_from("<3Q", head, 176 if layout == "windows 7" else 440)
    at = offsets[number - 1]
    block = stream.read(at, METADATA_SIZE) if at else b""
    if len(block) < _BLOCK_HEADER + _HEADER:
        raise MetadataError(f"it lies beyond the end of the {stream.size}-byte volume")
    if block[:8] != SIGNATURE:
        raise MetadataError("no '-FVE-FS-' signature")
    version, = struct.unpack_from("<H", block, 10)
    if version != 2:
        raise MetadataError(f"metadata block version {version} (only 2 is read here)")
    encrypted_size, _unknown, header_sectors = struct.unpack_from("<QII", block, 16)
    if struct.unpack_from("<3Q", block, 32) != offsets:
        raise MetadataError("its copy offsets differ from the volume header's")
    header_offset, = struct.unpack_from("<Q", block, 56)
    size, meta_version, header_size, size_copy = struct.unpack_from("<4I", block, 64)
    if (meta_version, header_size) != (1, _HEADER) or size != size_copy or not (
            _HEADER <= size <= METADATA_SIZE - _BLOCK_HEADER):
        raise MetadataError("its metadata header is inconsistent (version, sizes)")
    volume_id = str(uuid.UUID(bytes_le=block[80:96])).upper()
    method, created = struct.unpack_from("<IQ", block, 100)
    bps, = struct.unpack_from("<H", head, 11)
    meta = Metadata(layout, bps, 0, offsets, encrypted_size, header_offset,
                    header_sectors * bps, volume_id, method & 0xFFFF, created, "", [], None,
                    number)
    for entry_type, value_type, value in _entries(block[112 : 64 + size]):
        if entry_type == _VMK and value_type == _VMK_VALUE:
            meta.protectors.append(_protector(value))
        elif entry_type == _FVEK and value_type == _CCM:
            meta.fvek = _wrapped(value)
        elif entry_type == _DESCRIPTION and value_type == _STRING:
            meta.description = value.decode("utf-16-le", "replace").rstrip("\0")
        elif entry_type == _HEADER_BLOCK and len(value) >= 16:
            offset, length = struct.unpack_from("<QQ", value)
            if offset != header_offset:
                raise MetadataError("its volume header block entry names another offset")
            meta.volume_header_size = length
    return meta


def read_metadata(stream: Stream) -> Metadata:
    """The header and the first sound of the three metadata copies (problems name the others).

    Raises MetadataError when the header is not one this module reads or no copy is sound.
    """
    head = stream.read(0, 512)
    if len(head) < 512:
        raise MetadataError("the volume is shorter than its 512-byte header")
    layout = _layout(head)
    bps, = struct.unpack_from("<H", head, 11)
    if bps not in _SECTOR_SIZES:
        raise MetadataError(f"{bps} bytes per sector")
    sectors = struct.unpack_from("<H", head, 19)[0] or struct.unpack_from("<I", head, 32)[0]
    reasons: list[str] = []
    for number in (1, 2, 3):
        try:
            meta = _copy(stream, head, layout, number)
        except MetadataError as exc:
            reasons.append(f"copy {number}: {exc}")
            continue
        meta.header_volume_size = sectors * bps
        meta.problems = [f"BitLocker metadata {reason}; copy {number} was used instead"
                         for reason in reasons]
        return meta
    raise MetadataError("none of the three BitLocker metadata copies can be read ("
                        + "; ".join(reasons) + ")")
