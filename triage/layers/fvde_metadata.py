"""Core Storage metadata: the physical volume header, the volume group and its logical volumes.

Layout from libfvde's documentation ("FileVault Drive Encryption (FVDE)") and reading (its
libfvde_volume_header.c, libfvde_metadata.c, libfvde_encrypted_metadata.c), which this follows:
- the 512-byte physical volume header (CRC-32C, "CS") holds the block size, the four copies of
  the plain metadata, and the key data and physical volume UUID that encrypt the metadata;
- the plain metadata (block type 0x0011, newest transaction) names the volume group and points
  to the two copies of the encrypted metadata;
- the encrypted metadata (AES-128-XTS, 8 KiB units numbered from 0, key = key data, tweak key =
  physical volume UUID) is a run of 8 KiB blocks read in order up to the first one whose bytes
  are all alike: 0x0105 lists the logical volumes, 0x0305 maps the last listed one's blocks to
  physical blocks (0x0505: from a base block), 0x001a describes one (its plist: name, UUID,
  family UUID, size), 0x0019 (+ 0x0024 for a zlib-compressed one) holds the encryption context.
"""

from __future__ import annotations

import struct
import uuid
import zlib
from dataclasses import dataclass, field
from typing import Any

from triage.layers.base import Stream
from triage.layers.fvde_plist import PlistError, parse
from triage.layers.xts import XtsDecryptor

HEADER_SIZE = 512
META_BLOCK = 8192  # every metadata block, plain or encrypted
_HEADER_TYPE, _PLAIN_TYPE = 0x0010, 0x0011
_LV_LIST, _SEGMENTS, _BASE, _LV = 0x0105, 0x0305, 0x0505, 0x001A
_CONTEXT, _CONTINUED = 0x0019, 0x0024  # the encryption context, and its further pieces
_WIPED = b"LVFwiped"  # a block emptied by Core Storage (a system volume's context)
_AES_XTS = 2
_VOLUME_INDEX_SHIFT, _BLOCK_MASK = 48, (1 << 48) - 1  # block numbers carry a volume index
# Far beyond anything Core Storage writes (libfvde allows 128 MiB); damage otherwise.
_MAX_METADATA = 16 * 1024 * 1024
_MAX_PLIST = 16 * 1024 * 1024
_READ_PIECE = 256 * 1024  # the encrypted metadata is read this much at a time


class CoreStorageError(ValueError):
    """The Core Storage metadata is unreadable, or a variant this reader leaves to libfvde."""


@dataclass
class Segment:
    """Logical blocks [logical, logical + blocks) at physical block `physical`."""

    logical: int
    blocks: int
    physical: int


@dataclass
class LogicalVolume:
    object_id: int
    name: str | None = None
    uuid: str | None = None  # upper case, as the facts show it
    family: bytes | None = None  # the family UUID (16 bytes): part of the tweak key
    size: int = 0
    segments: list[Segment] = field(default_factory=list)
    base: int = 0  # 0x0505's base block, added to every segment's physical block
    segments_oid: int = 0
    base_oid: int = 0


@dataclass
class CoreStorage:
    bytes_per_sector: int
    block_size: int
    key_data: bytes
    physical_volume_id: bytes
    group_id: str
    group_name: str | None
    physical_volumes: int
    volumes: list[LogicalVolume]
    context: dict[str, Any] | None  # the 0x0019 plist, when there is one
    problems: list[str] = field(default_factory=list)


@dataclass
class _Header:
    bytes_per_sector: int
    block_size: int
    metadata_size: int
    metadata_at: tuple[int, ...]
    key_data: bytes
    physical_volume_id: bytes
    group_id: bytes


def crc32c(data: bytes, value: int = 0xFFFFFFFF) -> int:
    """Core Storage's "weak" CRC-32C: seeded with the stored initial value, not inverted."""
    for byte in data:
        value = _CRC_TABLE[(value ^ byte) & 0xFF] ^ (value >> 8)
    return value


def _crc_table() -> list[int]:
    table = []
    for byte in range(256):
        value = byte
        for _ in range(8):
            value = (value >> 1) ^ 0x82F63B78 if value & 1 else value >> 1
        table.append(value)
    return table


_CRC_TABLE = _crc_table()


def _checked(block: bytes, size: int, what: str) -> None:
    stored, initial = struct.unpack_from("<II", block)
    if initial != 0xFFFFFFFF or crc32c(block[8:size], initial) != stored:
        raise CoreStorageError(f"{what} fails its checksum")


def read_header(stream: Stream) -> _Header:
    head = stream.read(0, HEADER_SIZE)
    if len(head) < HEADER_SIZE:
        raise CoreStorageError("the Core Storage header is cut off")
    if head[88:90] != b"CS" or struct.unpack_from("<H", head, 8)[0] != 1:
        raise CoreStorageError("no Core Storage header")
    if struct.unpack_from("<I", head, 90)[0] != 1:
        raise CoreStorageError("the Core Storage header names an unknown checksum")
    _checked(head, HEADER_SIZE, "the Core Storage header")
    (block_type,) = struct.unpack_from("<H", head, 10)
    (bytes_per_sector,) = struct.unpack_from("<I", head, 48)
    block_size, metadata_size = struct.unpack_from("<II", head, 96)
    offsets = struct.unpack_from("<4Q", head, 104)
    key_size, method = struct.unpack_from("<II", head, 168)
    if block_type != _HEADER_TYPE or method != _AES_XTS:
        raise CoreStorageError("the Core Storage header has an unknown type or encryption")
    if not (bytes_per_sector and bytes_per_sector % 16 == 0 and bytes_per_sector <= 65536
            and block_size and block_size % bytes_per_sector == 0 and block_size <= 1 << 24):
        raise CoreStorageError("the Core Storage header has an implausible sector or block size")
    if not META_BLOCK <= metadata_size <= _MAX_METADATA:
        raise CoreStorageError("the Core Storage header has an implausible metadata size")
    return _Header(bytes_per_sector, block_size, metadata_size,
                   tuple(o * block_size for o in offsets if o), head[176:192], head[304:320],
                   head[320:336])


def _metadata_block(block: bytes, what: str) -> tuple[int, int, int, bytes] | None:
    """(type, transaction, object id, data) of an 8 KiB metadata block; None when wiped."""
    if block[:8] == _WIPED:
        return None
    if struct.unpack_from("<I", block, 48)[0] != META_BLOCK:
        raise CoreStorageError(f"{what} has an unexpected block size")
    _checked(block, META_BLOCK, what)
    block_type, = struct.unpack_from("<H", block, 10)
    transaction, object_id = struct.unpack_from("<QQ", block, 16)
    return block_type, transaction, object_id, block[64:]


def _plist_at(data: bytes, offset: int, size: int, what: str) -> dict[str, Any]:
    """The XML plist `size` bytes (0: up to a NUL) at `offset` from the start of the block
    whose data (after the 64-byte header) is `data`."""
    if not 64 <= offset <= len(data) + 64 or offset + size > len(data) + 64:
        raise CoreStorageError(f"{what}'s plist lies outside its block")
    try:
        return parse(data[offset - 64 : offset - 64 + size] if size else data[offset - 64 :])
    except PlistError as exc:
        raise CoreStorageError(f"{what}'s plist is unreadable ({exc})") from None


@dataclass
class _Plain:
    transaction: int
    group_name: str | None
    physical_volumes: int
    encrypted_blocks: int
    encrypted_at: tuple[tuple[int, int], ...]  # (volume index, block) of the two copies


def _plain_metadata(stream: Stream, header: _Header, at: int) -> _Plain:
    raw = stream.read(at, META_BLOCK)
    if len(raw) < META_BLOCK:
        raise CoreStorageError("the plain metadata is cut off")
    parsed = _metadata_block(raw, "the plain metadata")
    if parsed is None or parsed[0] != _PLAIN_TYPE:
        raise CoreStorageError("the plain metadata is not a volume group block")
    _, transaction, _, data = parsed
    descriptor_at, xml_at, xml_size = struct.unpack_from("<III", data, 156)
    # The descriptor and the plist may lie past the first 8 KiB (the metadata is often MiBs,
    # mostly unused): read on only as far as they go.
    needed = min(header.metadata_size, max(descriptor_at + 48, xml_at + xml_size + 1))
    if needed > META_BLOCK:
        more = stream.read(at + META_BLOCK, needed - META_BLOCK)
        if len(more) < needed - META_BLOCK:
            raise CoreStorageError("the plain metadata is cut off")
        data += more
    size, = struct.unpack_from("<I", data)
    if size != header.metadata_size or not 248 <= descriptor_at <= len(data) - 48 + 64:
        raise CoreStorageError("the plain metadata's sizes do not add up")
    blocks, = struct.unpack_from("<Q", data, descriptor_at - 64 + 8)
    copies = struct.unpack_from("<QQ", data, descriptor_at - 64 + 32)
    plist = _plist_at(data, xml_at, 0, "the volume group")
    volumes = plist.get("com.apple.corestorage.lvg.physicalVolumes")
    name = plist.get("com.apple.corestorage.lvg.name")
    return _Plain(transaction, name if isinstance(name, str) else None,
                  len(volumes) if isinstance(volumes, list) else 0, blocks,
                  tuple((c >> _VOLUME_INDEX_SHIFT, c & _BLOCK_MASK) for c in copies))


def _encrypted_blocks(stream: Stream, header: _Header, at: int, size: int) -> list[bytes]:
    """The plain 8 KiB blocks of one copy of the encrypted metadata, up to the first block
    whose bytes are all alike (libfvde reads no further: the rest is unused)."""
    xts = XtsDecryptor(header.key_data + header.physical_volume_id, META_BLOCK)
    out: list[bytes] = []
    done = 0
    while done < size:
        raw = stream.read(at + done, min(_READ_PIECE, size - done))
        whole = len(raw) - len(raw) % META_BLOCK
        used = 0
        while used < whole and raw[used : used + META_BLOCK].count(raw[used]) != META_BLOCK:
            used += META_BLOCK
        if used:
            plain = xts.decrypt(raw[:used], done // META_BLOCK)
            out += [plain[i : i + META_BLOCK] for i in range(0, used, META_BLOCK)]
        if used < whole:
            return out
        if whole < min(_READ_PIECE, size - done):
            raise CoreStorageError("the encrypted metadata is cut off")
        done += whole
    return out


class _Volumes:
    """The logical volume descriptors as libfvde builds them, block by block."""

    def __init__(self) -> None:
        self.volumes: list[LogicalVolume] = []
        self.context: bytes | None = None
        self._compressed: bytearray | None = None
        self._compressed_total = 0
        self._compressed_next = 0
        self._uncompressed_size = 0

    def _last(self, what: str) -> LogicalVolume:
        if not self.volumes:
            raise CoreStorageError(f"{what} comes before any logical volume")
        return self.volumes[-1]

    def add(self, block_type: int, object_id: int, data: bytes) -> None:
        if block_type == _LV_LIST:
            count, = struct.unpack_from("<I", data)
            if count > (len(data) - 8) // 16:
                raise CoreStorageError("the logical volume list overflows its block")
            for index in range(len(self.volumes), count):
                object_id, = struct.unpack_from("<Q", data, 8 + 16 * index)
                self.volumes.append(LogicalVolume(object_id))
        elif block_type == _SEGMENTS:
            self._segments(object_id, data)
        elif block_type == _BASE:
            volume = self._last("a base block")
            count, = struct.unpack_from("<I", data)
            base = struct.unpack_from("<Q", data, 16)[0] if count else 0
            if count > 1 or base >> _VOLUME_INDEX_SHIFT:
                raise CoreStorageError("the logical volume's base block is not understood")
            volume.base, volume.base_oid = base, object_id
        elif block_type == _LV:
            self._volume(data)
        elif block_type == _CONTEXT:
            self._context(data)
        elif block_type == _CONTINUED:
            self._continued(object_id, data)

    def _segments(self, object_id: int, data: bytes) -> None:
        volume = self._last("a segment map")
        count, = struct.unpack_from("<I", data)
        if count > (len(data) - 8) // 40:
            raise CoreStorageError("the segment map overflows its block")
        segments: dict[int, Segment] = {}
        for index in range(count):
            logical, blocks = struct.unpack_from("<QI", data, 8 + 40 * index + 8)
            physical, = struct.unpack_from("<Q", data, 8 + 40 * index + 32)
            if physical >> _VOLUME_INDEX_SHIFT:
                raise CoreStorageError("a segment lies on another physical volume")
            if logical in segments:
                raise CoreStorageError("two segments map the same logical block")
            segments[logical] = Segment(logical, blocks, physical)
        volume.segments = [segments[k] for k in sorted(segments)]
        volume.segments_oid = object_id

    def _volume(self, data: bytes) -> None:
        object_id, segments_oid = struct.unpack_from("<QQ", data)
        base_oid, = struct.unpack_from("<Q", data, 40)
        compressed, uncompressed, xml_at, xml_size = struct.unpack_from("<IIII", data, 56)
        matches = [v for v in self.volumes if v.object_id == object_id]
        if not matches:
            raise CoreStorageError("a logical volume description names no listed volume")
        volume = matches[-1]
        if (segments_oid and volume.segments_oid and segments_oid != volume.segments_oid) or (
                base_oid and volume.base_oid and base_oid != volume.base_oid):
            raise CoreStorageError("a logical volume description names another segment map")
        if compressed != uncompressed:
            raise CoreStorageError("a compressed logical volume description")
        if xml_at < 72 + 64:
            raise CoreStorageError("the logical volume's plist overlaps its description")
        plist = _plist_at(data, xml_at, xml_size, "the logical volume")
        family, name = plist.get("com.apple.corestorage.lv.familyUUID"), plist.get(
            "com.apple.corestorage.lv.name")
        size, ident = plist.get("com.apple.corestorage.lv.size"), plist.get(
            "com.apple.corestorage.lv.uuid")
        try:
            volume.family = uuid.UUID(family).bytes if isinstance(family, str) else None
            volume.uuid = str(uuid.UUID(ident)).upper() if isinstance(ident, str) else None
        except ValueError:
            raise CoreStorageError("the logical volume's plist has a malformed UUID") from None
        volume.name = name if isinstance(name, str) else None
        volume.size = size if isinstance(size, int) and size >= 0 else 0

    def _context(self, data: bytes) -> None:
        following, compressed, uncompressed, xml_at, xml_size = struct.unpack_from(
            "<QIIII", data, 32)
        if not 80 + 64 <= xml_at < len(data) + 64 or xml_size > len(data) - (xml_at - 64):
            raise CoreStorageError("the encryption context lies outside its block")
        piece = data[xml_at - 64 : xml_at - 64 + xml_size]
        self._compressed = None
        if compressed == uncompressed:
            if piece.startswith(b"<dict"):
                self.context = piece
            return
        if not xml_size <= compressed <= _MAX_PLIST or uncompressed > _MAX_PLIST:
            raise CoreStorageError("the compressed encryption context has implausible sizes")
        self._compressed = bytearray(piece)
        self._compressed_total = compressed
        self._compressed_next = following
        self._uncompressed_size = uncompressed
        if not following:
            self._inflate()

    def _continued(self, object_id: int, data: bytes) -> None:
        if self._compressed is None:
            return
        following, size = struct.unpack_from("<QI", data)
        if object_id and self._compressed_next and object_id != self._compressed_next:
            raise CoreStorageError("the compressed encryption context's pieces are out of order")
        if size > len(data) - 16 or len(self._compressed) + size > self._compressed_total:
            raise CoreStorageError("a piece of the compressed encryption context overflows")
        self._compressed += data[16 : 16 + size]
        self._compressed_next = following
        if not following:
            self._inflate()

    def _inflate(self) -> None:
        assert self._compressed is not None
        packed, self._compressed = bytes(self._compressed), None
        for wbits in (zlib.MAX_WBITS, -zlib.MAX_WBITS):  # with a zlib header, or bare DEFLATE
            try:
                inflater = zlib.decompressobj(wbits)
                plain = inflater.decompress(packed, self._uncompressed_size)
                break
            except zlib.error:
                continue
        else:
            raise CoreStorageError("the compressed encryption context does not inflate")
        if plain.startswith(b"<dict"):
            self.context = plain


def _read_encrypted(stream: Stream, header: _Header, at: int, size: int) -> _Volumes:
    volumes = _Volumes()
    for number, plain in enumerate(_encrypted_blocks(stream, header, at, size)):
        parsed = _metadata_block(plain, f"encrypted metadata block {number}")
        if parsed is None:
            continue
        block_type, _, object_id, data = parsed
        try:
            volumes.add(block_type, object_id, data)
        except struct.error:
            raise CoreStorageError(f"encrypted metadata block {number} is too short") from None
    if not volumes.volumes:  # e.g. an overwritten copy (its first block all zeros)
        raise CoreStorageError("the encrypted metadata lists no logical volume")
    return volumes


def read_core_storage(stream: Stream) -> CoreStorage:
    """Everything this reader needs from a Core Storage physical volume; CoreStorageError
    when it cannot be read (cut off, damaged) or is a variant left to libfvde."""
    header = read_header(stream)
    plains, problems = [], []
    for at in header.metadata_at:
        try:
            plains.append(_plain_metadata(stream, header, at))
        except (CoreStorageError, struct.error) as exc:
            problems.append(f"a copy of the plain metadata is unreadable ({exc})")
    if not plains:
        raise CoreStorageError(problems[0].replace("a copy of ", "", 1) if problems else
                               "the Core Storage header lists no metadata")
    plain = max(plains, key=lambda p: p.transaction)  # the newest, as libfvde takes it
    size = plain.encrypted_blocks * header.block_size
    if not 0 < size <= _MAX_METADATA:
        raise CoreStorageError("the encrypted metadata has an implausible size")
    volumes: _Volumes | None = None
    errors = []
    for index, block in plain.encrypted_at:  # the first copy, else the second
        try:
            if index:
                raise CoreStorageError("the encrypted metadata lies on another physical volume")
            volumes = _read_encrypted(stream, header, block * header.block_size, size)
            break
        except CoreStorageError as exc:
            errors.append(str(exc))
    if volumes is None:
        raise CoreStorageError(errors[-1] if errors else "no encrypted metadata")
    problems += [f"a copy of the encrypted metadata is unreadable ({e})" for e in errors]
    context = None
    if volumes.context is not None:
        try:
            context = parse(volumes.context)
        except PlistError as exc:
            problems.append(f"the encryption context is unreadable ({exc})")
    return CoreStorage(header.bytes_per_sector, header.block_size, header.key_data,
                       header.physical_volume_id, str(uuid.UUID(bytes=header.group_id)).upper(),
                       plain.group_name, plain.physical_volumes, volumes.volumes, context,
                       problems)
