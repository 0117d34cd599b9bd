"""What an encrypted APFS volume's key bags say: the PBKDF2 cost of its unlock records, read
before libfsapfs runs, and its volume key, derived after libfsapfs has unlocked it.

libfsapfs derives the key from a password with the iteration count stored in the volume's key
bag, and cannot be interrupted: a damaged or crafted count (billions) would hold the scan for
hours on one attempt. The container key bag (AES-XTS, key: the container's UUID twice) points
to the volume's (key: the volume's UUID twice), whose records carry the counts in DER-like blobs
(Apple File System Reference, "Encryption"; libfsapfs's notes). Anything this reader does not
understand is left to libfsapfs: it only refuses a count it has positively read.

libfsapfs's own AES decrypts about 100 MiB/s; with the volume encryption key (VEK) our XTS reads
file data at the disk's speed (apfs_direct.py). The VEK is unwrapped (RFC 3394) by the key-
encrypting key (KEK), itself unwrapped by PBKDF2-HMAC-SHA256 of the secret that unlocked the
volume (Joe Sylve's "APFS Advent Challenge" notes, day 16). Anything else leaves the reads to
libfsapfs.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from triage.layers.mac_keys import unwrap, unwrap_kek
from triage.layers.xts import XtsDecryptor

_SECTOR = 512
_NXSB = b"NXSB"
_OBJECT_TYPE_NX_SUPERBLOCK = 0x1
_BLOCK_SIZE_AT, _UUID_AT, _DESC_BLOCKS_AT, _DESC_BASE_AT, _KEYLOCKER_AT = 36, 72, 104, 112, 1296
_KEYBAG_CONTAINER, _KEYBAG_VOLUME = 0x6B657973, 0x72656373  # "keys", "recs"
_TAG_VOLUME_KEY = 2  # container bag: the volume's wrapped VEK
_TAG_UNLOCK_RECORDS = 3  # container bag: where the volume bag is; volume bag: a wrapped KEK
_MAX_BAG_BLOCKS = 16  # key bags are one block on every container seen

ReadFn = Callable[[int, int], bytes]
Entry = tuple[bytes, int, bytes]  # (UUID, tag, data) of a key bag entry


def fletcher64(block: bytes) -> int:
    """APFS's object checksum over `block` after its first 8 bytes (where it is stored)."""
    words = np.frombuffer(block, dtype="<u4", offset=8).astype(np.uint64)
    modulus = 0xFFFFFFFF
    count = len(words)
    sum1 = int(words.sum()) % modulus
    weights = np.arange(count, 0, -1, dtype=np.uint64)  # word i counts count - i times
    sum2 = int((words * weights % np.uint64(modulus)).sum()) % modulus
    check1 = modulus - (sum1 + sum2) % modulus
    check2 = modulus - (sum1 + check1) % modulus
    return (check2 << 32) | check1


def _valid(block: bytes) -> bool:
    return len(block) >= 64 and any(block[:8]) and struct.unpack_from(
        "<Q", block)[0] == fletcher64(block)


def _newest_superblock(read: ReadFn) -> bytes | None:
    """The container superblock with the highest transaction: block 0 or a checkpoint copy."""
    first = read(0, 4096)
    if first[32:36] != _NXSB:
        return None
    size = struct.unpack_from("<I", first, _BLOCK_SIZE_AT)[0]
    if size < 4096 or size > 65536 or size & (size - 1):
        return None
    block0 = read(0, size)
    count = struct.unpack_from("<I", block0, _DESC_BLOCKS_AT)[0]
    base = struct.unpack_from("<Q", block0, _DESC_BASE_AT)[0]
    candidates = [block0]
    if not count & 0x80000000 and count <= 4096:  # a contiguous descriptor area
        candidates += [read((base + n) * size, size) for n in range(count)]
    newest: tuple[int, bytes] | None = None
    for block in candidates:
        if len(block) == size and block[32:36] == _NXSB and _valid(block) and (
                struct.unpack_from("<I", block, 24)[0] & 0xFFFF == _OBJECT_TYPE_NX_SUPERBLOCK):
            xid = struct.unpack_from("<Q", block, 16)[0]
            if newest is None or xid > newest[0]:
                newest = (xid, block)
    return None if newest is None else newest[1]


def _bag(read: ReadFn, size: int, where: tuple[int, int], key: bytes, kind: int
         ) -> Iterator[Entry]:
    """(UUID, tag, data) of each entry of the key bag at `where` (block, count), decrypted
    with `key` (a UUID, used as both XTS keys); nothing when it does not read as one."""
    block, count = where
    if not block or not 0 < count <= _MAX_BAG_BLOCKS:
        return
    data = read(block * size, count * size)
    if len(data) != count * size:
        return  # cut off: libfsapfs says so itself
    plain = XtsDecryptor(key + key, _SECTOR).decrypt(data, block * (size // _SECTOR))
    if struct.unpack_from("<I", plain, 24)[0] != kind:
        return
    entries, used = struct.unpack_from("<HI", plain, 34)  # kb_locker_t after version
    at, end = 48, min(48 + used, len(plain))
    for _ in range(entries):
        if at + 24 > end:
            return
        uuid, tag, length = plain[at : at + 16], *struct.unpack_from("<HH", plain, at + 16)
        yield uuid, tag, plain[at + 24 : at + 24 + length]
        at += 24 + length
        at += -at % 16


def _elements(blob: bytes) -> Iterator[tuple[int, bytes]]:
    """(tag, value) of each element of a DER-like key blob, one level."""
    at = 0
    while at + 2 <= len(blob):
        tag, length = blob[at], blob[at + 1]
        at += 2
        if length & 0x80:  # long form: the next (length & 0x7f) bytes hold it
            width = length & 0x7F
            if not 0 < width <= 2 or at + width > len(blob):
                return
            length = int.from_bytes(blob[at : at + width], "big")
            at += width
        yield tag, blob[at : at + length]
        at += length


def _key_fields(blob: bytes) -> dict[int, bytes]:
    """The elements of a key blob's 0xa3 part (0x82 flags, 0x83 wrapped key, 0x84 PBKDF2
    count, 0x85 PBKDF2 salt), inside its 0x30 sequence; empty when it has none."""
    for tag, body in _elements(blob):
        if tag != 0x30:
            continue
        for inner_tag, inner in _elements(body):
            if inner_tag == 0xA3:
                return dict(_elements(inner))
    return {}


def _iterations(blob: bytes) -> int | None:
    """The PBKDF2 count of an unlock record's key blob, if present."""
    value = _key_fields(blob).get(0x84, b"")
    return int.from_bytes(value, "big") if 0 < len(value) <= 8 else None


@dataclass(frozen=True)
class KeyBags:
    """The key bag entries of one volume, read once: the container bag's that concern it, and
    its own bag's (empty when the bags do not read as expected)."""

    container: tuple[Entry, ...] = ()
    volume: tuple[Entry, ...] = ()

    def pbkdf2_costs(self) -> list[int]:
        """The PBKDF2 counts of the volume's unlock records (users and recovery key), as far
        as they can be read."""
        counts = [_iterations(blob) for _, tag, blob in self.volume
                  if tag == _TAG_UNLOCK_RECORDS]
        return [count for count in counts if count is not None]

    def volume_key(self, secret: str, max_iterations: int) -> bytes | None:
        """The volume's 256-bit encryption key (AES-XTS key 1 then key 2) from the secret that
        unlocked it, or None where the bags, or keys, are not what this reader knows (a
        128-bit key, from a volume migrated from Core Storage, is left to libfsapfs)."""
        veks = [_key_fields(blob).get(0x83, b"") for _, tag, blob in self.container
                if tag == _TAG_VOLUME_KEY]
        for _, tag, blob in self.volume:
            fields = _key_fields(blob)
            count, salt = _iterations(blob), fields.get(0x85, b"")
            if tag != _TAG_UNLOCK_RECORDS or count is None or not salt or count > max_iterations:
                continue
            kek = unwrap_kek(secret, salt, count, fields.get(0x83, b""))
            if kek is None:
                continue  # another user's record, or the recovery key's
            for vek in veks:
                plain = unwrap(kek, vek)
                if plain is not None and len(plain) == 32:
                    return plain
        return None


def key_bags(read: ReadFn, volume_uuid: bytes) -> KeyBags:
    """The key bag entries of the volume with `volume_uuid` in the container `read` reads."""
    superblock = _newest_superblock(read)
    if superblock is None:
        return KeyBags()
    size = struct.unpack_from("<I", superblock, _BLOCK_SIZE_AT)[0]
    container_uuid = superblock[_UUID_AT : _UUID_AT + 16]
    locker = struct.unpack_from("<QQ", superblock, _KEYLOCKER_AT)
    container = tuple(entry for entry in _bag(read, size, locker, container_uuid,
                                              _KEYBAG_CONTAINER) if entry[0] == volume_uuid)
    volume: list[Entry] = []
    for _, tag, data in container:
        if tag == _TAG_UNLOCK_RECORDS and len(data) >= 16:
            where = struct.unpack_from("<QQ", data)
            volume += _bag(read, size, where, volume_uuid, _KEYBAG_VOLUME)
    return KeyBags(container, tuple(volume))
