"""Builds a small FileVault 2 (Core Storage, macOS 10.7-10.12) physical volume image for tests."""

from __future__ import annotations

import hashlib
import os
import plistlib
import struct
import uuid
import zlib
from pathlib import Path

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from cryptography.hazmat.primitives.keywrap import aes_key_wrap

# Geometry of the image: 512-byte sectors, 4 KiB blocks, 8 KiB metadata blocks.
SECTOR = 512
BLOCK = 4096
META = 8192
_META_COPIES = (1, 3, 5, 7)  # the four copies of the plain metadata, in blocks
_ENCRYPTED_AT = (16, 32)  # the two copies of the encrypted metadata, in blocks
_ENCRYPTED_BLOCKS = 16  # size of each encrypted metadata copy, in blocks
_DATA_AT = 64  # first block of the logical volume's data
_LV_OID, _SEGMENTS_OID, _LV_LIST_OID, _CONTEXT_OID = 0x40, 0x41, 0x42, 0x43
_CONTINUED_OIDS = (0x44, 0x45)  # the 0x0024 blocks carrying the rest of a compressed context
_FIRST_PIECE = 200  # compressed bytes kept in the 0x0019 block itself
_SERIAL = 0x1234ABCD
_TRANSACTION = 7
_HFS_SIGNATURES = (b"H+", b"HX")
# Counts above this are written but not derived: a crafted volume for the refusal tests, which
# nothing unwraps (deriving billions of rounds would take as long as the attack itself).
DERIVED_UP_TO = 10_000_000


def _crc32c_table() -> list[int]:
    table = []
    for byte in range(256):
        value = byte
        for _ in range(8):
            value = (value >> 1) ^ 0x82F63B78 if value & 1 else value >> 1
        table.append(value)
    return table


_TABLE = _crc32c_table()


def crc32c(data: bytes, value: int = 0xFFFFFFFF) -> int:
    """CRC-32C as Core Storage stores it: seeded with 0xffffffff, without the final inversion."""
    for byte in data:
        value = _TABLE[(value ^ byte) & 0xFF] ^ (value >> 8)
    return value


def _xts(key: bytes, tweak_key: bytes, unit: int, data: bytes) -> bytes:
    """AES-128-XTS encryption of one data unit whose tweak is its number, little-endian."""
    encryptor = Cipher(algorithms.AES(key + tweak_key),
                       modes.XTS(unit.to_bytes(16, "little"))).encryptor()
    return encryptor.update(data) + encryptor.finalize()


def _sealed(block: bytearray, size: int) -> bytes:
    """Stores the CRC-32C of bytes 8..size at 0 and the seed at 4."""
    struct.pack_into("<I", block, 4, 0xFFFFFFFF)
    struct.pack_into("<I", block, 0, crc32c(bytes(block[8:size])))
    return bytes(block)


def _metadata_block(kind: int, oid: int, number: int, data: bytes) -> bytes:
    """An 8 KiB metadata block: the 64-byte header then `data`, checksummed."""
    if len(data) > META - 64:
        raise ValueError(f"metadata block 0x{kind:04x} too large ({len(data)} bytes)")
    block = bytearray(META)
    struct.pack_into("<HHIQQQQI", block, 8, 1, kind, _SERIAL, _TRANSACTION, oid, number, oid,
                     META)
    block[64:64 + len(data)] = data
    return _sealed(block, META)


def _xml(value: dict) -> bytes:
    """A plist dict as Core Storage keeps it: the bare <dict> element, no prologue, NUL-ended."""
    text = plistlib.dumps(value, fmt=plistlib.FMT_XML, sort_keys=False)
    start, end = text.index(b"<dict>"), text.rindex(b"</dict>") + len(b"</dict>")
    return text[start:end] + b"\0"


def _with_xml(head: bytearray, xml: bytes, at: int) -> bytes:
    """Appends `xml` to a block's data so that it starts `at` bytes into the block."""
    head.extend(bytes(at - 64 - len(head)))
    return bytes(head) + xml


def _volume_header(size: int, key_data: bytes, pv: uuid.UUID, group: uuid.UUID) -> bytes:
    header = bytearray(SECTOR)
    struct.pack_into("<HHIQ", header, 8, 1, 0x0010, _SERIAL, 1)
    struct.pack_into("<I", header, 48, SECTOR)
    struct.pack_into("<Q", header, 64, size)
    header[88:90] = b"CS"
    struct.pack_into("<IHII", header, 90, 1, len(_META_COPIES), BLOCK, META)
    struct.pack_into("<4Q", header, 104, *_META_COPIES)
    struct.pack_into("<II", header, 168, len(key_data), 2)  # key size, AES-XTS
    header[176:192] = key_data
    header[304:320] = pv.bytes
    header[320:336] = group.bytes
    return _sealed(header, SECTOR)


def _plain_metadata(pv: uuid.UUID, group: uuid.UUID, group_name: str, blocks: int) -> bytes:
    """Metadata block type 0x0011: the volume group, and where the encrypted metadata lies."""
    descriptor_at = 512  # both offsets count from the start of the block, header included
    xml_at = descriptor_at + 48
    xml = _xml({
        "com.apple.corestorage.label.sequence": 1,
        "com.apple.corestorage.lvg.uuid": str(group).upper(),
        "com.apple.corestorage.lvg.name": group_name,
        "com.apple.corestorage.pv.uuid": str(pv).upper(),
        "com.apple.corestorage.lvg.physicalVolumes": [str(pv).upper()],
    })
    data = bytearray(descriptor_at - 64)
    struct.pack_into("<II", data, 0, META, 3)
    struct.pack_into("<IIII", data, 156, descriptor_at, xml_at, len(xml), len(xml))
    struct.pack_into("<HHQQ", data, 172, 0, 0, blocks, 0)  # volume index 0, no extra entries
    descriptor = bytearray(48)
    # Encrypted, then the size of the encrypted metadata and its two copies (volume index 0).
    struct.pack_into("<QQ", descriptor, 0, 1, _ENCRYPTED_BLOCKS)
    struct.pack_into("<QQ", descriptor, 32, *_ENCRYPTED_AT)
    return _metadata_block(0x0011, 1, 0, bytes(data) + bytes(descriptor) + xml)


def _passphrase_wrapped_kek(secret: str, kek: bytes, iterations: int) -> bytes:
    """PassphraseWrappedKEKStruct: PBKDF2-HMAC-SHA256(secret, salt) wraps the KEK (RFC 3394)."""
    salt = os.urandom(16)
    key = (PBKDF2HMAC(SHA256(), 16, salt, iterations).derive(secret.encode("utf-8"))
           if iterations <= DERIVED_UP_TO else bytes(16))
    struct_ = bytearray(284)
    struct.pack_into("<II", struct_, 0, 3, 16)
    struct_[8:24] = salt
    struct.pack_into("<II", struct_, 24, 0x10, 24)
    struct_[32:56] = aes_key_wrap(key, kek)
    struct.pack_into("<I", struct_, 56, 8)
    struct.pack_into("<I", struct_, 68, 1)
    struct.pack_into("<III", struct_, 144, 1, 3, 10)
    struct.pack_into("<I", struct_, 168, iterations)
    struct.pack_into("<III", struct_, 176, 1, 3, 10)
    return bytes(struct_)


def _kek_wrapped_volume_key(kek: bytes, volume_key: bytes) -> bytes:
    """KEKWrappedVolumeKeyStruct: the KEK wraps the volume master key (RFC 3394)."""
    struct_ = bytearray(256)
    struct.pack_into("<II", struct_, 0, 2, 24)
    struct_[8:32] = aes_key_wrap(kek, volume_key)
    struct.pack_into("<I", struct_, 32, 8)
    struct.pack_into("<I", struct_, 44, 1)
    struct.pack_into("<II", struct_, 52, 1, 8)
    struct.pack_into("<I", struct_, 68, 1)
    struct.pack_into("<III", struct_, 144, 1, 3, 10)
    struct.pack_into("<I", struct_, 252, 1)
    return bytes(struct_)


def _encryption_context(secrets: list[str], volume_key: bytes, family: uuid.UUID,
                        group: uuid.UUID, iterations: int) -> bytes:
    """The com.apple.corestorage.lvf.encryption.context plist (metadata block type 0x0019)."""
    kek, kek_id, key_id = os.urandom(16), str(uuid.uuid4()).upper(), str(uuid.uuid4()).upper()
    users = [{
        "PassphraseWrappedKEKStruct": _passphrase_wrapped_kek(secret, kek, iterations),
        "WrapVersion": 1,
        "UserType": 0x10000001 if index == 0 else 0x10010005,
        "UserIdent": str(uuid.uuid4()).upper(),
        "UserNamesData": "",
        "PassphraseHint": "",
        "KeyEncryptingKeyIdent": kek_id,
        "UserFullName": "",
    } for index, secret in enumerate(secrets)]
    wrapped_keys = [
        {"VolumeKeyIndex": 0, "VolumeKeyIdent": key_id, "WrapVersion": 1,
         "KeyEncryptingKeyIdent": "none", "BlockAlgorithm": "None",
         "KEKWrappedVolumeKeyStruct": b""},
        {"VolumeKeyIndex": 0, "VolumeKeyIdent": key_id, "WrapVersion": 1,
         "KeyEncryptingKeyIdent": kek_id, "BlockAlgorithm": "AES-XTS",
         "KEKWrappedVolumeKeyStruct": _kek_wrapped_volume_key(kek, volume_key)},
    ]
    context = {"CryptoUsers": users, "LastUpdateTime": 1500000000,
               "WrappedVolumeKeys": wrapped_keys,
               "ConversionInfo": {"TargetContext": 1, "ConversionStatus": "Complete"}}
    return _xml({
        "com.apple.corestorage.lvf.encryption.context": context,
        "DefaultEncryptionContext": 1,
        "com.apple.corestorage.lvf.groupUUID": str(group).upper(),
        "com.apple.corestorage.lvf.sequence": 2,
        "com.apple.corestorage.lvf.uuid": str(family).upper(),
        "PreviousEncryptionContext": 1,
        "com.apple.corestorage.lvf.advertisedBlkSizes": 1,
    })


def _encrypted_metadata(*, lv: uuid.UUID, family: uuid.UUID, group: uuid.UUID, name: str,
                        size: int, data_blocks: int, context: bytes,
                        compress: bool = False) -> list[bytes]:
    """The plain blocks of the encrypted metadata: volume list, segments, volume, context."""
    volumes = struct.pack("<IIQQ", 1, 0, _LV_OID, 0)
    segment = bytearray(40)
    struct.pack_into("<QQI", segment, 0, 0, 0, data_blocks)  # logical block 0 onwards
    struct.pack_into("<Q", segment, 32, _DATA_AT)  # physical block, volume index 0
    segments = struct.pack("<II", 1, 0) + bytes(segment)
    lv_xml = _xml({
        "com.apple.corestorage.lv.familyUUID": str(family).upper(),
        "com.apple.corestorage.lv.groupUUID": str(group).upper(),
        "com.apple.corestorage.lv.sequence": 1,
        "com.apple.corestorage.lv.version": 0x10000,
        "com.apple.corestorage.lv.contenthint": "Apple_HFS",
        "com.apple.corestorage.lv.name": name,
        "com.apple.corestorage.lv.size": size,
        "com.apple.corestorage.lv.uuid": str(lv).upper(),
    })
    xml_at = 256
    volume = bytearray(72)
    struct.pack_into("<QQ", volume, 0, _LV_OID, _SEGMENTS_OID)
    struct.pack_into("<IIII", volume, 56, len(lv_xml), len(lv_xml), xml_at, len(lv_xml))
    family_block = bytearray(80)
    if not compress:
        struct.pack_into("<IIII", family_block, 40, len(context), len(context), xml_at,
                         len(context))
        context_blocks = [_metadata_block(0x0019, _CONTEXT_OID, 3,
                                          _with_xml(family_block, context, xml_at))]
    else:
        # zlib (DEFLATE + header), split over the 0x0019 block and a chain of 0x0024 blocks,
        # each naming the next by object identifier (libfvde's documentation, 0x0019/0x0024).
        packed = zlib.compress(context)
        rest = packed[_FIRST_PIECE:]
        pieces = [rest[: len(rest) // 2], rest[len(rest) // 2 :]]
        struct.pack_into("<Q", family_block, 32, _CONTINUED_OIDS[0])
        struct.pack_into("<IIII", family_block, 40, len(packed), len(context), xml_at,
                         _FIRST_PIECE)
        context_blocks = [_metadata_block(0x0019, _CONTEXT_OID, 3,
                                          _with_xml(family_block, packed[:_FIRST_PIECE], xml_at))]
        for number, (oid, piece) in enumerate(zip(_CONTINUED_OIDS, pieces, strict=True)):
            following = _CONTINUED_OIDS[number + 1] if number + 1 < len(pieces) else 0
            context_blocks.append(_metadata_block(
                0x0024, oid, 4 + number, struct.pack("<QII", following, len(piece), 0) + piece))
    return [
        _metadata_block(0x0105, _LV_LIST_OID, 0, volumes),
        _metadata_block(0x0305, _SEGMENTS_OID, 1, segments),
        _metadata_block(0x001A, _LV_OID, 2, _with_xml(volume, lv_xml, xml_at)),
        *context_blocks,
    ]


def make_filevault(target: Path, payload: bytes, password: str, *,
                   recovery_password: str | None = None, volume_group_name: str = "Test LVG",
                   volume_name: str = "Test FileVault", iterations: int = 1000,
                   compress_context: bool = False) -> None:
    """Writes to `target` a Core Storage physical volume holding one FileVault 2 logical volume.

    The logical volume reads back as exactly `payload`, once unlocked with `password` (or
    `recovery_password`, a second crypto user). libfvde only calls a volume unlocked when the
    decrypted sector at byte 1024 starts with an HFS+ ("H+") or HFSX ("HX") signature, so the
    payload must be such a file system image (or carry that signature); its length must be a
    whole number of 512-byte sectors. `compress_context` stores the encryption context
    zlib-compressed over its 0x0019 block and two 0x0024 blocks, as larger contexts are.
    """
    if not payload or len(payload) % SECTOR:
        raise ValueError("the payload must be a non-empty whole number of 512-byte sectors")
    if len(payload) < 1026 or payload[1024:1026] not in _HFS_SIGNATURES:
        raise ValueError("libfvde unlocks only HFS+/HFSX contents: 'H+' or 'HX' at byte 1024")
    pv, group, lv, family = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    key_data, volume_key = os.urandom(16), os.urandom(16)
    tweak_key = hashlib.sha256(volume_key + family.bytes).digest()[:16]
    data_blocks = -(-len(payload) // BLOCK)
    total_blocks = _DATA_AT + data_blocks + 1  # the last block holds the header's copy
    image = bytearray(total_blocks * BLOCK)

    header = _volume_header(len(image), key_data, pv, group)
    image[0:SECTOR] = header
    image[len(image) - SECTOR:] = header
    plain = _plain_metadata(pv, group, volume_group_name, total_blocks)
    for block in _META_COPIES:
        image[block * BLOCK:block * BLOCK + META] = plain

    secrets = [password] + ([recovery_password] if recovery_password is not None else [])
    context = _encryption_context(secrets, volume_key, family, group, iterations)
    blocks = _encrypted_metadata(lv=lv, family=family, group=group, name=volume_name,
                                 size=len(payload), data_blocks=data_blocks, context=context,
                                 compress=compress_context)
    for start in _ENCRYPTED_AT:
        for number, block in enumerate(blocks):
            at = start * BLOCK + number * META
            image[at:at + META] = _xts(key_data, pv.bytes, number, block)

    padded = payload + bytes(data_blocks * BLOCK - len(payload))
    base = _DATA_AT * BLOCK
    for sector in range(len(padded) // SECTOR):
        plain_sector = padded[sector * SECTOR:(sector + 1) * SECTOR]
        image[base + sector * SECTOR:base + (sector + 1) * SECTOR] = _xts(
            volume_key, tweak_key, sector, plain_sector)
    Path(target).write_bytes(bytes(image))


def hfs_like_payload(size: int = 1024 * 1024, seed: bytes = b"triage") -> bytes:
    """Deterministic pseudo-random bytes carrying an HFS+ volume header signature at 1024."""
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(seed + counter.to_bytes(8, "little")).digest()
        counter += 1
    out = out[:size]
    # "H+", version 4, then the block size and block count fields (big-endian, at 40 and 44).
    out[1024:1028] = b"H+\x00\x04"
    struct.pack_into(">II", out, 1024 + 40, BLOCK, size // BLOCK)
    return bytes(out)


def hfsplus_volume(folder: Path) -> bytes:
    """The HFS+ file system inside dfvfs's published hfsplus_zlib.dmg (its GPT partition 1):
    a real payload for a FileVault volume, holding dfvfs's test files."""
    import pymodi

    from tests.layers.images import published

    handle = pymodi.handle()
    handle.open(str(published("hfsplus_zlib.dmg", folder)))
    try:
        disk = handle.read_buffer(handle.get_media_size())
    finally:
        handle.close()
    entries = struct.unpack_from("<Q", disk, SECTOR + 72)[0] * SECTOR  # the GPT's entry array
    first, last = struct.unpack_from("<QQ", disk, entries + 32)
    return disk[first * SECTOR : (last + 1) * SECTOR]
