"""How many bytes a file system has allocated: the work ahead, for the ETA and the plan."""

from __future__ import annotations

import struct

import numpy as np
import pytsk3

from triage.walk.tskimage import AnyTskImage

# Allocation structures larger than this are not read for an estimate (a 64 TiB NTFS volume
# with 4 KiB clusters has a 2 GiB $Bitmap); the ETA is then unknown rather than slow.
MAX_BITMAP_BYTES = 256 * 1024 * 1024
_EXT_INCOMPAT_64BIT = 0x80


def used_bytes(img: AnyTskImage, fs: pytsk3.FS_Info, fs_type: str, offset: int) -> int | None:
    """Allocated bytes of the file system at `offset`, or None when it cannot be told cheaply."""
    try:
        if fs_type.startswith("ext"):
            return _ext_used(img, offset)
        if fs_type == "ntfs":  # TSK's NTFS block is the cluster
            return _bitmap_file_used(fs, "/$Bitmap", fs.info.block_size)
        if fs_type == "exfat":  # TSK's exFAT block is the sector; clusters come from the VBR
            boot = img.read(offset, 512)
            return _bitmap_file_used(fs, "/$ALLOC_BITMAP", 1 << (boot[0x6C] + boot[0x6D]))
        if fs_type.startswith("fat"):
            return _fat_used(img, offset, fs_type)
    except (OSError, ValueError, struct.error, MemoryError):
        return None  # a damaged allocation structure only costs the estimate
    return None


def _ext_used(img: AnyTskImage, offset: int) -> int | None:
    sb = img.read(offset + 1024, 1024)
    if sb[0x38:0x3A] != b"\x53\xef":
        return None
    blocks, free = struct.unpack_from("<I", sb, 0x04)[0], struct.unpack_from("<I", sb, 0x0C)[0]
    if struct.unpack_from("<I", sb, 0x60)[0] & _EXT_INCOMPAT_64BIT:
        blocks |= struct.unpack_from("<I", sb, 0x150)[0] << 32
        free |= struct.unpack_from("<I", sb, 0x158)[0] << 32
    block_size = 1024 << struct.unpack_from("<I", sb, 0x18)[0]
    return max(0, blocks - free) * block_size


def _bitmap_file_used(fs: pytsk3.FS_Info, path: str, cluster_bytes: int) -> int | None:
    handle = fs.open(path)
    size = int(handle.info.meta.size)
    if size > MAX_BITMAP_BYTES or size > fs.info.block_count * fs.info.block_size:
        return None  # larger than the volume it maps: a damaged entry, not a bitmap
    bits = np.unpackbits(np.frombuffer(handle.read_random(0, size), dtype=np.uint8))
    return int(bits.sum()) * cluster_bytes


def _fat_used(img: AnyTskImage, offset: int, fs_type: str) -> int | None:
    boot = img.read(offset, 512)
    bytes_per_sector, sectors_per_cluster, reserved = struct.unpack_from("<HBH", boot, 0x0B)
    total_sectors = struct.unpack_from("<H", boot, 0x13)[0] or struct.unpack_from(
        "<I", boot, 0x20)[0]
    fat_sectors = struct.unpack_from("<H", boot, 0x16)[0] or struct.unpack_from(
        "<I", boot, 0x24)[0]
    if not (bytes_per_sector and sectors_per_cluster and fat_sectors):
        return None
    cluster_bytes = bytes_per_sector * sectors_per_cluster
    clusters = total_sectors * bytes_per_sector // cluster_bytes + 2
    # Read only the entries the clusters need, and never more than the image holds: a damaged
    # boot sector can claim a FAT of terabytes (found by tests/fuzz).
    entry_bits = {"fat32": 32, "fat16": 16}.get(fs_type, 12)
    start = offset + reserved * bytes_per_sector
    length = min(fat_sectors * bytes_per_sector, -(-clusters * entry_bits // 8),
                 img.get_size() - start)
    if length <= 0 or length > MAX_BITMAP_BYTES:
        return None
    table = img.read(start, length)
    if fs_type == "fat32":
        entries = np.frombuffer(table[: len(table) // 4 * 4], dtype="<u4") & 0x0FFFFFFF
    elif fs_type == "fat16":
        entries = np.frombuffer(table[: len(table) // 2 * 2], dtype="<u2")
    else:  # FAT12: two 12-bit entries packed in three bytes
        raw = np.frombuffer(table[: len(table) // 3 * 3], dtype=np.uint8).reshape(-1, 3)
        raw = raw.astype(np.uint16)
        first = raw[:, 0] | ((raw[:, 1] & 0x0F) << 8)
        second = (raw[:, 1] >> 4) | (raw[:, 2] << 4)
        entries = np.stack([first, second], axis=1).ravel()
    used = int(np.count_nonzero(entries[2:clusters]))
    return used * cluster_bytes
