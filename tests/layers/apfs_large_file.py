"""An APFS container whose first regular file is made large (for throughput measurements).

Nothing here writes APFS, and dfvfs's published `apfs.raw` holds files of at most 164 bytes, too
small to time a decryptor on. `grow_first_file` copies a plain container and points the first
file's data extent at new blocks appended to the image (their contents given), with the inode's
data-stream size, the extent's length and the container's block count set to match and every
changed object resealed (Fletcher-64). The space manager's bitmap is left as it was (readers do
not consult it); `encrypt_apfs` can then encrypt the result like any other container.
"""

from __future__ import annotations

import struct
from pathlib import Path

from tests.layers.apfs_encrypted_image import (
    _APFS_TYPE_FILE_EXTENT,
    _NX_FS_OID,
    _NX_OMAP_OID,
    _Image,
    _latest_superblocks,
    _omap_address,
    _omap_records,
    tree_nodes,
)

_APFS_TYPE_INODE = 3
_INO_EXT_TYPE_DSTREAM = 8
_INODE_FIXED = 92  # j_inode_val_t before its extended fields
_NX_BLOCK_COUNT = 40
_OBJECT_ID_MASK = (1 << 60) - 1
_LENGTH_MASK = (1 << 56) - 1


def _leaf_records(image: _Image, volume_block: int) -> list[tuple[int, int, int, int]]:
    """(node block, object id, record type, value offset) of every file-system tree leaf record."""
    out = []
    for _, number, node, data in tree_nodes(image, volume_block):
        for key, _, value, _ in () if node.level else node.records:
            word = struct.unpack_from("<Q", data, key)[0]
            out.append((number, word & _OBJECT_ID_MASK, word >> 60, value))
    return out


def _dstream_at(data: memoryview, value: int) -> int:
    """Where the inode value at `value` keeps its j_dstream_t (size, alloced size, ...)."""
    count, _ = struct.unpack_from("<HH", data, value + _INODE_FIXED)
    fields = value + _INODE_FIXED + 4
    at = fields + 4 * count  # each field's data, 8-byte aligned, after the 4-byte headers
    for index in range(count):
        kind, _, size = struct.unpack_from("<BBH", data, fields + 4 * index)
        if kind == _INO_EXT_TYPE_DSTREAM:
            return at
        at += -(-size // 8) * 8
    raise ValueError("the inode has no data stream")


def grow_first_file(source: Path, target: Path, content: bytes, crypto_id: int = 0) -> int:
    """Write to `target` a copy of the plain APFS container `source` whose first regular file
    with data (lowest object id) holds `content`; returns that file's identifier. `crypto_id`
    is the extent's tweak base for `encrypt_apfs` (0: its first block, as a fresh extent's;
    anything else stands for data moved after it was written)."""
    image = _Image(bytearray(Path(source).read_bytes()))
    superblocks = _latest_superblocks(image)
    xid = image.header(superblocks[0])[1]
    omap_oid, volume_oid = (struct.unpack_from("<Q", image.block(superblocks[0]), at)[0]
                            for at in (_NX_OMAP_OID, _NX_FS_OID))
    volume = _omap_address(image, _omap_records(image, omap_oid, xid)[volume_oid])
    records = _leaf_records(image, volume)
    extents = [(oid, node, value) for node, oid, kind, value in records
               if kind == _APFS_TYPE_FILE_EXTENT
               and struct.unpack_from("<Q", image.block(node), value + 8)[0]]
    oid, extent_node, extent_value = min(extents)
    [(inode_node, inode_value)] = [(node, value) for node, record_oid, kind, value in records
                                   if kind == _APFS_TYPE_INODE and record_oid == oid]

    size = image.block_size
    first = len(image.data) // size
    blocks = -(-len(content) // size)
    image.data += content + bytes(blocks * size - len(content))  # (no block view is held)
    data = image.block(extent_node)
    flags = struct.unpack_from("<Q", data, extent_value)[0] & ~_LENGTH_MASK
    struct.pack_into("<QQQ", data, extent_value, flags | blocks * size, first, crypto_id)
    data = image.block(inode_node)
    struct.pack_into("<QQ", data, _dstream_at(data, inode_value), len(content), blocks * size)
    for number in {extent_node, inode_node}:
        image.reseal(number)
    for number in superblocks:
        struct.pack_into("<Q", image.block(number), _NX_BLOCK_COUNT, len(image.data) // size)
        image.reseal(number)
    Path(target).write_bytes(image.data)
    return oid
