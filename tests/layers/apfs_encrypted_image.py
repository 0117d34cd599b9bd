"""A software-encrypted (FileVault, Intel Mac without T2) APFS container made from a plain one.

`encrypt_apfs` copies an unencrypted APFS container and encrypts its first volume the way macOS
software encryption leaves it (Apple File System Reference: keybags, `kb_locker_t`, `mk_obj`;
layouts checked against libfsapfs's documentation and reader, whose code is not used here):

* a volume encryption key (VEK, 32 random bytes: AES-128-XTS key 1 and key 2) encrypts the
  file-system tree nodes (their object-map values get `OMAP_VAL_ENCRYPTED`) and every data extent;
  the tweak is the 512-byte sector number: the node's physical sector for tree nodes, and
  `crypto_id * (block size / 512)` plus the sector offset in the extent for file data, where
  `crypto_id` is set to the extent's first physical block (a fresh extent's value);
* a key-encrypting key (KEK, 32 random bytes) wraps the VEK (RFC 3394) in the container keybag
  ("keys", tag 2 `KB_TAG_VOLUME_KEY`), which also points at the volume keybag (tag 3
  `KB_TAG_VOLUME_UNLOCK_RECORDS`, a prange); the container keybag is encrypted with AES-XTS whose
  two keys are both the container UUID, and `nx_keylocker` in the container superblock points at it;
* the volume keybag ("recs"), encrypted the same way with the volume UUID, holds the KEK wrapped by
  PBKDF2-HMAC-SHA256(password) (tag 3, the "disk user", whose UUID is the volume UUID), optionally
  the KEK wrapped by PBKDF2(personal recovery key) (tag 3, Apple's personal-recovery-key UUID) and
  the password hint in plain text (tag 4 `KB_TAG_VOLUME_PASSPHRASE_HINT`);
* the volume superblock loses `APFS_FS_UNENCRYPTED` and gets `APFS_FS_ONEKEY`; the container gets
  `NX_CRYPTO_SW`; the two keybag blocks are taken from free space and marked used in the space
  manager's bitmap. Every object changed gets its Fletcher-64 checksum over the plain text.

Key blobs are the DER-like sequences macOS writes: 0x30 { 0x80 version, 0x81 HMAC-SHA256,
0x82 8-byte salt, 0xa3 { 0x80 version, 0x81 UUID, 0x82 8 flag bytes, 0x83 40-byte wrapped key
[, 0x84 PBKDF2 iterations, 0x85 16-byte PBKDF2 salt] } }, the HMAC keyed by
SHA-256(01 16 20 17 15 05 || salt) over the 0xa3 element.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import struct
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.keywrap import aes_key_wrap

SECTOR = 512
# PBKDF2 rounds: macOS uses far more; few keep a test's unlock attempts (libfsapfs) quick.
ITERATIONS = 2000
# Counts above this are written but not derived: a crafted volume for the refusal tests, which
# nothing unwraps (deriving billions of rounds would take as long as the attack itself).
DERIVED_UP_TO = 10_000_000
# Apple File System Reference, "Encryption": the UUID of the personal recovery key's entry.
PERSONAL_RECOVERY_KEY_UUID = uuid.UUID("EBC6C064-0000-11AA-AA11-00306543ECAC")

_NX_MAGIC, _APSB_MAGIC = b"NXSB", b"APSB"
_OBJECT_TYPE_NX_SUPERBLOCK, _OBJECT_TYPE_CHECKPOINT_MAP = 0x1, 0xC
_OBJECT_TYPE_BTREE, _OBJECT_TYPE_BTREE_NODE, _OBJECT_TYPE_FSTREE = 0x2, 0x3, 0xE
_OBJECT_TYPE_SPACEMAN = 0x5
_KEYBAG_CONTAINER, _KEYBAG_VOLUME = 0x6B657973, 0x72656373  # "keys", "recs"
_KB_TAG_VOLUME_KEY, _KB_TAG_VOLUME_UNLOCK_RECORDS, _KB_TAG_VOLUME_PASSPHRASE_HINT = 2, 3, 4
_NX_CRYPTO_SW = 0x4
_APFS_FS_UNENCRYPTED, _APFS_FS_ONEKEY = 0x1, 0x8
_OMAP_VAL_ENCRYPTED = 0x4
_BTNODE_ROOT, _BTNODE_LEAF, _BTNODE_FIXED_KV_SIZE = 0x1, 0x2, 0x4
_BTREE_INFO_SIZE = 40
_APFS_TYPE_FILE_EXTENT = 8
_BLOB_COOKIE = bytes.fromhex("011620171505")
# KEK flags (0xa3/0x82, first 32 bits): 0 = AES-256 key wrap; 16 is what libfsapfs's notes record
# for the personal-recovery-key entry (also AES-256).
_KEK_METHOD_PASSWORD, _KEK_METHOD_RECOVERY = 0, 16

# Offsets (bytes) in nx_superblock_t and apfs_superblock_t.
_NX_BLOCK_SIZE, _NX_UUID, _NX_XP_DESC_BLOCKS, _NX_XP_DESC_BASE = 36, 72, 104, 112
_NX_OMAP_OID, _NX_FS_OID, _NX_FLAGS, _NX_KEYLOCKER = 160, 184, 1264, 1296
_APFS_OMAP_OID, _APFS_ROOT_TREE_OID, _APFS_VOL_UUID, _APFS_FS_FLAGS = 128, 136, 240, 264


def fletcher64(block: bytes | bytearray) -> int:
    """APFS's object checksum of `block` (its first 8 bytes, the checksum itself, left out)."""
    words = struct.unpack_from(f"<{(len(block) - 8) // 4}I", block, 8)
    modulus = 0xFFFFFFFF
    count = len(words)
    sum1 = sum(words) % modulus
    sum2 = sum((count - index) * word for index, word in enumerate(words)) % modulus
    check1 = modulus - (sum1 + sum2) % modulus
    check2 = modulus - (sum1 + check1) % modulus
    return (check2 << 32) | check1


def xts_encrypt(key: bytes, data: bytes, sector: int) -> bytes:
    """AES-XTS of `data` in 512-byte units, `key` being key 1 || key 2 and the first unit's
    tweak `sector` (little-endian). macOS encrypts keybags with key 1 == key 2 (a UUID twice),
    which OpenSSL refuses to encrypt with: such keys go through AES-ECB and the XTS tweak steps."""
    half = len(key) // 2
    out = bytearray()
    for offset in range(0, len(data), SECTOR):
        unit = data[offset : offset + SECTOR]
        tweak = (sector + offset // SECTOR).to_bytes(16, "little")
        if key[:half] != key[half:]:
            encryptor = Cipher(algorithms.AES(key), modes.XTS(tweak)).encryptor()
            out += encryptor.update(unit) + encryptor.finalize()
        else:
            out += _xts_same_keys(key[:half], unit, tweak)
    return bytes(out)


def _xts_same_keys(half: bytes, unit: bytes, tweak: bytes) -> bytes:
    ecb = Cipher(algorithms.AES(half), modes.ECB()).encryptor()  # noqa: S305 - XTS built on it
    step = int.from_bytes(ecb.update(tweak), "little")
    mask = bytearray()
    for _ in range(len(unit) // 16):
        mask += step.to_bytes(16, "little")
        step <<= 1
        if step >> 128:
            step = (step & ((1 << 128) - 1)) ^ 0x87
    whitening = int.from_bytes(mask, "little")
    size = len(unit)
    middle = ecb.update((int.from_bytes(unit, "little") ^ whitening).to_bytes(size, "little"))
    return (int.from_bytes(middle, "little") ^ whitening).to_bytes(size, "little")


def _tlv(tag: int, value: bytes) -> bytes:
    """One element of a key blob; lengths over 127 take the 0x81 form (all blobs here fit it)."""
    if len(value) < 0x80:
        return bytes([tag, len(value)]) + value
    if len(value) < 0x100:
        return bytes([tag, 0x81, len(value)]) + value
    raise ValueError("key blob element too long")


def _key_blob(identifier: uuid.UUID, method: int, wrapped: bytes, *extra: bytes) -> bytes:
    """A key blob: the wrapped key (and PBKDF2 parameters, `extra`) under an HMAC."""
    inner = _tlv(
        0xA3,
        _tlv(0x80, b"\x00")
        + _tlv(0x81, identifier.bytes)
        + _tlv(0x82, struct.pack("<IHBB", method, 0, 0, 0))
        + _tlv(0x83, wrapped)
        + b"".join(extra),
    )
    salt = os.urandom(8)
    digest = hmac.new(hashlib.sha256(_BLOB_COOKIE + salt).digest(), inner, "sha256").digest()
    return _tlv(0x30, _tlv(0x80, b"\x00") + _tlv(0x81, digest) + _tlv(0x82, salt) + inner)


def _kek_blob(identifier: uuid.UUID, kek: bytes, secret: str, method: int,
              iterations: int) -> bytes:
    """The KEK wrapped by PBKDF2-HMAC-SHA256(`secret`) (a user password or a recovery key)."""
    salt = os.urandom(16)
    wrapping = (hashlib.pbkdf2_hmac("sha256", secret.encode("utf-8"), salt, iterations, 32)
                if iterations <= DERIVED_UP_TO else bytes(32))
    rounds = iterations.to_bytes((iterations.bit_length() + 7) // 8, "big")
    return _key_blob(identifier, method, aes_key_wrap(wrapping, kek),
                     _tlv(0x84, rounds), _tlv(0x85, salt))


def _keybag(kind: int, xid: int, entries: list[tuple[uuid.UUID, int, bytes]],
            block_size: int) -> bytearray:
    """A keybag block in plain text: object header, `kb_locker_t`, entries 16-byte aligned."""
    body = bytearray()
    for identifier, tag, data in entries:
        body += identifier.bytes + struct.pack("<HHI", tag, len(data), 0) + data
        body += bytes(-len(body) % 16)
    block = bytearray(block_size)
    struct.pack_into("<QQII", block, 8, 0, xid, kind, 0)  # keybags carry no object identifier
    struct.pack_into("<HHIQ", block, 32, 2, len(entries), len(body), 0)
    if 48 + len(body) > block_size:
        raise ValueError("keybag does not fit in one block")
    block[48 : 48 + len(body)] = body
    struct.pack_into("<Q", block, 0, fletcher64(block))
    return block


@dataclass
class _Node:
    """A B-tree node's table of contents: (key offset, key length, value offset, value length)."""

    flags: int
    level: int
    records: list[tuple[int, int, int, int]] = field(default_factory=list)


class _Image:
    """The container image being converted, read and patched block by block."""

    def __init__(self, data: bytearray) -> None:
        self.data = data
        self.block_size = struct.unpack_from("<I", data, _NX_BLOCK_SIZE)[0]
        if data[32:36] != _NX_MAGIC or self.block_size < 4096:
            raise ValueError("not an APFS container")

    def block(self, number: int) -> memoryview:
        start = number * self.block_size
        if start + self.block_size > len(self.data):
            raise ValueError(f"block {number} lies beyond the image")
        return memoryview(self.data)[start : start + self.block_size]

    def header(self, number: int) -> tuple[int, int, int, int]:
        """(oid, xid, type, subtype) of the object at block `number`."""
        return struct.unpack_from("<QQII", self.block(number), 8)

    def valid(self, number: int) -> bool:
        block = self.block(number)
        return any(block[:8]) and struct.unpack_from("<Q", block)[0] == fletcher64(block)

    def reseal(self, number: int) -> None:
        block = self.block(number)
        struct.pack_into("<Q", block, 0, fletcher64(block))

    def node(self, number: int, key_size: int = 0, value_size: int = 0) -> _Node:
        """The records of B-tree node `number` (fixed sizes `key_size`, `value_size` if so)."""
        block = self.block(number)
        flags, level, count = struct.unpack_from("<HHI", block, 32)
        toc_offset, toc_length = struct.unpack_from("<HH", block, 40)
        keys = 56 + toc_length
        values = self.block_size - (_BTREE_INFO_SIZE if flags & _BTNODE_ROOT else 0)
        node = _Node(flags, level)
        for index in range(count):
            if flags & _BTNODE_FIXED_KV_SIZE:
                key, value = struct.unpack_from("<HH", block, 56 + toc_offset + 4 * index)
                length = value_size if level == 0 else 8
                node.records.append((keys + key, key_size, values - value, length))
            else:
                key, key_length, value, value_length = struct.unpack_from(
                    "<HHHH", block, 56 + toc_offset + 8 * index)
                node.records.append((keys + key, key_length, values - value, value_length))
        return node


def _latest_superblocks(image: _Image) -> list[int]:
    """Blocks holding the newest container superblock (block 0 and the checkpoint copies)."""
    descriptor_blocks = struct.unpack_from("<I", image.block(0), _NX_XP_DESC_BLOCKS)[0]
    base = struct.unpack_from("<Q", image.block(0), _NX_XP_DESC_BASE)[0]
    if descriptor_blocks & 0x80000000:
        raise ValueError("non-contiguous checkpoint descriptor area is not supported")
    found: dict[int, list[int]] = {}
    for number in [0, *range(base, base + descriptor_blocks)]:
        _, xid, kind, _ = image.header(number)
        if kind & 0xFFFF == _OBJECT_TYPE_NX_SUPERBLOCK and image.valid(number):
            found.setdefault(xid, []).append(number)
    return found[max(found)]


def _checkpoint_map(image: _Image, superblock: int) -> dict[int, int]:
    """{ephemeral oid: block} from the checkpoint-map objects of the newest checkpoint."""
    block0 = image.block(superblock)
    descriptor_blocks = struct.unpack_from("<I", block0, _NX_XP_DESC_BLOCKS)[0]
    base = struct.unpack_from("<Q", block0, _NX_XP_DESC_BASE)[0]
    xid = image.header(superblock)[1]
    mapping: dict[int, int] = {}
    for number in range(base, base + descriptor_blocks):
        _, object_xid, kind, _ = image.header(number)
        if kind & 0xFFFF != _OBJECT_TYPE_CHECKPOINT_MAP or object_xid != xid:
            continue
        block = image.block(number)
        count = struct.unpack_from("<I", block, 36)[0]
        for index in range(count):
            oid, paddr = struct.unpack_from("<QQ", block, 40 + 40 * index + 24)
            mapping[oid] = paddr
    return mapping


def _omap_records(image: _Image, omap: int, xid: int) -> dict[int, tuple[int, int]]:
    """{oid: (node block, value offset)} of object map `omap`: each oid's newest record <= xid."""
    best: dict[int, tuple[int, int, int]] = {}
    pending = [struct.unpack_from("<Q", image.block(omap), 48)[0]]
    while pending:
        number = pending.pop()
        node = image.node(number, 16, 16)
        block = image.block(number)
        for key, _, value, _ in node.records:
            oid, record_xid = struct.unpack_from("<QQ", block, key)
            if node.level:
                pending.append(struct.unpack_from("<Q", block, value)[0])
            elif record_xid <= xid and record_xid >= best.get(oid, (-1, 0, 0))[0]:
                best[oid] = (record_xid, number, value)
    return {oid: (number, value) for oid, (_, number, value) in best.items()}


def _omap_address(image: _Image, record: tuple[int, int]) -> int:
    return struct.unpack_from("<Q", image.block(record[0]), record[1] + 8)[0]


@dataclass
class _Volume:
    """What encrypting one volume touches."""

    superblock: int
    identifier: uuid.UUID
    tree_nodes: list[int] = field(default_factory=list)
    omap_values: list[tuple[int, int]] = field(default_factory=list)
    extents: list[tuple[int, int, int]] = field(default_factory=list)  # (block, count, crypto)


def tree_nodes(image: _Image, superblock: int
               ) -> Iterator[tuple[tuple[int, int], int, _Node, memoryview]]:
    """(object-map record, block, node, block's bytes) of every node of the file-system tree of
    the volume whose superblock is at block `superblock`, root first."""
    block = image.block(superblock)
    xid = image.header(superblock)[1]
    omap = _omap_records(image, struct.unpack_from("<Q", block, _APFS_OMAP_OID)[0], xid)
    pending = [struct.unpack_from("<Q", block, _APFS_ROOT_TREE_OID)[0]]
    while pending:
        record = omap[pending.pop()]
        number = _omap_address(image, record)
        node, data = image.node(number), image.block(number)
        if node.level:
            pending += [struct.unpack_from("<Q", data, value)[0]
                        for _, _, value, _ in node.records]
        yield record, number, node, data


def _walk_volume(image: _Image, superblock: int) -> _Volume:
    """The file-system tree nodes and data extents of the volume whose superblock is given; sets
    each extent's crypto_id to its first block when it is 0."""
    block = image.block(superblock)
    if block[32:36] != _APSB_MAGIC:
        raise ValueError("no volume superblock")
    flags = struct.unpack_from("<Q", block, _APFS_FS_FLAGS)[0]
    if not flags & _APFS_FS_UNENCRYPTED:
        raise ValueError("the volume is encrypted already")
    volume = _Volume(superblock, uuid.UUID(bytes=bytes(block[_APFS_VOL_UUID:_APFS_VOL_UUID + 16])))
    for record, number, node, data in tree_nodes(image, superblock):
        volume.tree_nodes.append(number)
        volume.omap_values.append(record)
        for key, _, value, _ in () if node.level else node.records:
            if struct.unpack_from("<Q", data, key)[0] >> 60 != _APFS_TYPE_FILE_EXTENT:
                continue
            length_and_flags, physical, crypto = struct.unpack_from("<QQQ", data, value)
            if physical == 0:  # a sparse extent: nothing stored
                continue
            if crypto == 0:
                crypto = physical
                struct.pack_into("<Q", data, value + 16, crypto)
            size = length_and_flags & ((1 << 56) - 1)
            volume.extents.append((physical, -(-size // image.block_size), crypto))
    return volume


def _stale_tree_nodes(image: _Image, current: set[int]) -> list[int]:
    """Older copies of file-system tree nodes (earlier transactions) still in the image."""
    stale = []
    for number in range(len(image.data) // image.block_size):
        _, _, kind, subtype = image.header(number)
        if (number not in current and kind in (_OBJECT_TYPE_BTREE, _OBJECT_TYPE_BTREE_NODE)
                and subtype == _OBJECT_TYPE_FSTREE and image.valid(number)):
            stale.append(number)
    return stale


def _allocate(image: _Image, spaceman: int, count: int) -> list[int]:
    """Take `count` free (and all-zero) blocks from the space manager's bitmap, marking them
    used there and in the free counts of the chunk-info block and the space manager."""
    manager = image.block(spaceman)
    cib_count, cab_count = struct.unpack_from("<II", manager, 48 + 16)
    address_offset = struct.unpack_from("<I", manager, 48 + 32)[0]
    if cab_count:
        raise ValueError("space managers with chunk-info address blocks are not supported")
    taken: list[int] = []
    for index in range(cib_count):
        cib = struct.unpack_from("<Q", manager, address_offset + 8 * index)[0]
        info = image.block(cib)
        for entry in range(struct.unpack_from("<I", info, 36)[0]):
            at = 40 + 32 * entry
            _, start, blocks, free, bitmap_block = struct.unpack_from("<QQIIQ", info, at)
            if not free or not bitmap_block:
                continue
            bitmap = image.block(bitmap_block)
            for bit in range(blocks):
                if len(taken) == count:
                    break
                if not bitmap[bit // 8] >> (bit % 8) & 1 and not any(image.block(start + bit)):
                    bitmap[bit // 8] |= 1 << (bit % 8)
                    taken.append(start + bit)
                    free -= 1
            struct.pack_into("<I", info, at + 20, free)
        image.reseal(cib)
        if len(taken) == count:
            break
    if len(taken) < count:
        raise ValueError("no free blocks for the keybags")
    free_count = struct.unpack_from("<Q", manager, 48 + 24)[0]
    struct.pack_into("<Q", manager, 48 + 24, free_count - count)
    image.reseal(spaceman)
    return taken


def encrypt_apfs(source: Path, target: Path, password: str, *, hint: str | None = None,
                 recovery_key: str | None = None, iterations: int = ITERATIONS) -> None:
    """Write to `target` a copy of the APFS container `source` whose first volume is encrypted
    as macOS software encryption (FileVault without a T2 chip) does it: unlocked by `password`,
    and by `recovery_key` (a personal recovery key such as "ABCD-EFGH-IJKL-MNOP-QRST-UVWX") when
    given; `hint` is stored as the password hint; `iterations` is each secret's PBKDF2 count.
    Keys and salts are random: every call gives a different image. The volume's name stays
    readable; its tree and file data are ciphertext."""
    image = _Image(bytearray(Path(source).read_bytes()))
    superblocks = _latest_superblocks(image)
    newest = superblocks[0]
    nx = image.block(newest)
    xid = image.header(newest)[1]
    container_id = bytes(nx[_NX_UUID : _NX_UUID + 16])
    volume_oid = struct.unpack_from("<Q", nx, _NX_FS_OID)[0]
    volume_count = sum(1 for i in range(100) if struct.unpack_from("<Q", nx, _NX_FS_OID + 8 * i)[0])
    container_omap = _omap_records(image, struct.unpack_from("<Q", nx, _NX_OMAP_OID)[0], xid)
    volume = _walk_volume(image, _omap_address(image, container_omap[volume_oid]))
    spaceman_oid = struct.unpack_from("<Q", nx, 152)[0]
    spaceman = _checkpoint_map(image, newest)[spaceman_oid]
    if image.header(spaceman)[2] & 0xFFFF != _OBJECT_TYPE_SPACEMAN:
        raise ValueError("space manager not found")
    container_bag_block, volume_bag_block = _allocate(image, spaceman, 2)

    vek = os.urandom(32)
    while vek[:16] == vek[16:]:
        vek = os.urandom(32)
    kek = os.urandom(32)
    sectors = image.block_size // SECTOR

    # File data: each extent block with the tweak its crypto_id gives.
    done: set[int] = set()
    for first, count, crypto in volume.extents:
        for offset in range(count):
            if first + offset in done:
                continue
            done.add(first + offset)
            block = image.block(first + offset)
            block[:] = xts_encrypt(vek, bytes(block), (crypto + offset) * sectors)
    # File-system tree: object-map values flagged, nodes sealed then encrypted in place.
    for node_block, value in volume.omap_values:
        omap_node = image.block(node_block)
        flags = struct.unpack_from("<I", omap_node, value)[0]
        struct.pack_into("<I", omap_node, value, flags | _OMAP_VAL_ENCRYPTED)
    for node_block in {number for number, _ in volume.omap_values}:
        image.reseal(node_block)
    stale = _stale_tree_nodes(image, set(volume.tree_nodes)) if volume_count == 1 else []
    for number in volume.tree_nodes:
        image.reseal(number)
    for number in volume.tree_nodes + stale:
        block = image.block(number)
        block[:] = xts_encrypt(vek, bytes(block), number * sectors)

    # The volume keybag: the KEK per secret, and the hint.
    entries = [(volume.identifier, _KB_TAG_VOLUME_UNLOCK_RECORDS,
                _kek_blob(volume.identifier, kek, password, _KEK_METHOD_PASSWORD, iterations))]
    if recovery_key is not None:
        entries.append((PERSONAL_RECOVERY_KEY_UUID, _KB_TAG_VOLUME_UNLOCK_RECORDS,
                        _kek_blob(PERSONAL_RECOVERY_KEY_UUID, kek, recovery_key,
                                  _KEK_METHOD_RECOVERY, iterations)))
    if hint is not None:
        entries.append((volume.identifier, _KB_TAG_VOLUME_PASSPHRASE_HINT, hint.encode("utf-8")))
    plain = _keybag(_KEYBAG_VOLUME, xid, entries, image.block_size)
    image.block(volume_bag_block)[:] = xts_encrypt(
        volume.identifier.bytes * 2, bytes(plain), volume_bag_block * sectors)
    # The container keybag: the wrapped VEK and where the volume keybag lies.
    vek_blob = _key_blob(volume.identifier, 0, aes_key_wrap(kek, vek))
    plain = _keybag(_KEYBAG_CONTAINER, xid, [
        (volume.identifier, _KB_TAG_VOLUME_KEY, vek_blob),
        (volume.identifier, _KB_TAG_VOLUME_UNLOCK_RECORDS, struct.pack("<QQ", volume_bag_block, 1)),
    ], image.block_size)
    image.block(container_bag_block)[:] = xts_encrypt(
        container_id * 2, bytes(plain), container_bag_block * sectors)

    vsb = image.block(volume.superblock)
    flags = struct.unpack_from("<Q", vsb, _APFS_FS_FLAGS)[0]
    struct.pack_into("<Q", vsb, _APFS_FS_FLAGS, (flags & ~_APFS_FS_UNENCRYPTED) | _APFS_FS_ONEKEY)
    image.reseal(volume.superblock)
    for number in superblocks:
        block = image.block(number)
        struct.pack_into("<QQ", block, _NX_KEYLOCKER, container_bag_block, 1)
        flags = struct.unpack_from("<Q", block, _NX_FLAGS)[0]
        struct.pack_into("<Q", block, _NX_FLAGS, flags | _NX_CRYPTO_SW)
        image.reseal(number)
    Path(target).write_bytes(image.data)
