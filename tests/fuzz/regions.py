"""Where each fixture file system keeps its metadata: the byte ranges the fuzzer mutates."""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

SECTOR = 512


@dataclass(frozen=True, slots=True)
class Region:
    """A named byte range of an image holding on-disk metadata."""

    name: str
    offset: int
    length: int


def _read(image: Path, offset: int, length: int) -> bytes:
    with open(image, "rb") as handle:
        handle.seek(offset)
        return handle.read(length)


def _u16(data: bytes, at: int) -> int:
    return int(struct.unpack_from("<H", data, at)[0])


def _u32(data: bytes, at: int) -> int:
    return int(struct.unpack_from("<I", data, at)[0])


def _u64(data: bytes, at: int) -> int:
    return int(struct.unpack_from("<Q", data, at)[0])


def ntfs_regions(image: Path, base: int = 0) -> list[Region]:
    """Boot sector, the first 96 MFT records (system files, root, the fixture's files)."""
    boot = _read(image, base, SECTOR)
    cluster = _u16(boot, 0x0B) * boot[0x0D]
    mft = base + _u64(boot, 0x30) * cluster
    return [Region("ntfs boot sector", base, SECTOR),
            Region("ntfs $MFT system records 0-15", mft, 16 * 1024),
            Region("ntfs $MFT user records 16-95", mft + 16 * 1024, 80 * 1024)]


def fat_regions(image: Path, base: int = 0) -> list[Region]:
    """Boot sector, the first FAT, the root directory and the first clusters (subfolders)."""
    boot = _read(image, base, SECTOR)
    sector = _u16(boot, 0x0B)
    reserved = _u16(boot, 0x0E)
    fats = boot[0x10]
    root_entries = _u16(boot, 0x11)
    fat_sectors = _u16(boot, 0x16) or _u32(boot, 0x24)
    fat_start = base + reserved * sector
    fat_len = fat_sectors * sector
    data = fat_start + fats * fat_len
    root_len = root_entries * 32
    cluster = sector * boot[0x0D]
    regions = [Region("fat boot sector", base, SECTOR),
               Region("fat first FAT (head)", fat_start, min(fat_len, 8192))]
    heap = data + root_len
    if root_entries:  # FAT12/16: a fixed root directory before the clusters
        regions.append(Region("fat root directory", data, root_len))
    else:
        regions.append(Region("fat32 FS info sector", base + SECTOR, SECTOR))
    # Subfolders (and FAT32's root) are clusters starting with a "." entry; mkfs and mtools
    # put them among the first clusters of the heap.
    head = _read(image, heap, 512 * cluster)
    dirs = [n for n in range(0, len(head), cluster) if head[n:n + 11] == b".          "]
    if not root_entries:
        dirs.insert(0, 0)  # the root cluster (2) carries no "." entry
    for n in dirs[:8]:
        regions.append(Region(f"fat directory cluster {2 + n // cluster}", heap + n, cluster))
    return regions


def ext4_regions(image: Path, base: int = 0) -> list[Region]:
    """Superblock, group descriptors, the first inodes and the root directory's block."""
    sb = _read(image, base + 1024, 1024)
    block = 1024 << _u32(sb, 24)
    first_data_block = _u32(sb, 20)
    inode_size = _u16(sb, 88)
    desc_size = _u16(sb, 0xFE) if _u32(sb, 0x60) & 0x80 else 32  # 64bit feature
    groups = -(-_u32(sb, 4) // _u32(sb, 32))
    gdt = base + (first_data_block + 1) * block
    gd0 = _read(image, gdt, desc_size)
    inode_table = base + (_u32(gd0, 8) | (_u32(gd0, 0x28) << 32 if desc_size >= 64 else 0)) * block
    regions = [Region("ext4 superblock", base + 1024, 1024),
               Region("ext4 group descriptors", gdt, groups * desc_size),
               Region("ext4 inodes 1-12 (root, journal)", inode_table, 12 * inode_size),
               Region("ext4 inodes 12-40 (the fixture's files)", inode_table + 11 * inode_size,
                      29 * inode_size)]
    root = _read(image, inode_table + inode_size, inode_size)
    if _u16(root, 40) == 0xF30A:  # an extent header: the first extent gives the root's block
        start = _u32(root, 40 + 12 + 8) | (_u16(root, 40 + 12 + 6) << 32)
        regions.append(Region("ext4 root directory block", base + start * block, block))
    return regions


def exfat_regions(image: Path, base: int = 0) -> list[Region]:
    """Boot sector, the FAT head, the root directory and the clusters after it (subfolders)."""
    boot = _read(image, base, SECTOR)
    sector = 1 << boot[108]
    cluster = sector << boot[109]
    fat = base + _u32(boot, 80) * sector
    heap = base + _u32(boot, 88) * sector
    root = heap + (_u32(boot, 96) - 2) * cluster
    return [Region("exfat boot sector", base, SECTOR),
            Region("exfat FAT (head)", fat, 4096),
            Region("exfat root directory and following clusters", root, 8 * cluster)]


def mbr_regions(image: Path) -> list[Region]:
    """The MBR's partition table and every extended boot record in the chain."""
    regions = [Region("mbr partition table", 446, 66)]
    mbr = _read(image, 0, SECTOR)
    for slot in range(4):
        entry = mbr[446 + 16 * slot: 462 + 16 * slot]
        if entry[4] in (0x05, 0x0F, 0x85):
            ext = _u32(entry, 8)
            ebr = ext
            for n in range(16):  # the fixture has two; a bound keeps a corrupt chain finite
                regions.append(Region(f"mbr extended boot record {n + 1}", ebr * SECTOR + 446,
                                      66))
                data = _read(image, ebr * SECTOR, SECTOR)
                nxt = _u32(data, 446 + 16 + 8)
                if data[446 + 16 + 4] == 0 or nxt == 0:
                    break
                ebr = ext + nxt
    return regions


def gpt_regions(image: Path) -> list[Region]:
    """Protective MBR, GPT header and the partition entries in use."""
    return [Region("gpt protective mbr", 446, 66),
            Region("gpt header", SECTOR, 92),
            Region("gpt partition entries 1-4", 2 * SECTOR, 4 * 128)]


RegionFinder = Callable[[Path], list[Region]]

FINDERS: dict[str, RegionFinder] = {
    "ntfs": ntfs_regions, "fat12": fat_regions, "fat16": fat_regions, "fat32": fat_regions,
    "ext4": ext4_regions, "exfat": exfat_regions, "mbr": mbr_regions, "gpt": gpt_regions,
}
