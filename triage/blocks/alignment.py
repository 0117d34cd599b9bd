"""Where a file system's clusters fall on the 4 KiB grid: the phases a quick pass must hash at."""

from __future__ import annotations

import math
import struct

from triage.blocks.policy import BLOCK_SIZE
from triage.walk.tskimage import AnyTskImage, read_safely
from triage.walk.volumes import Volume


def _fat_layout(boot: bytes) -> tuple[int, int] | None:
    """(data area offset, cluster size) from a FAT12/16/32 boot sector, None if implausible."""
    if len(boot) < 512 or boot[510:512] != b"\x55\xaa":
        return None
    bps, spc, reserved, fats, root_entries = struct.unpack_from("<HBHBH", boot, 11)
    fat16 = struct.unpack_from("<H", boot, 22)[0]
    fat_size = fat16 or struct.unpack_from("<I", boot, 36)[0]
    if bps not in (512, 1024, 2048, 4096) or not spc or spc & (spc - 1) or not fats:
        return None
    root_bytes = math.ceil(root_entries * 32 / bps) * bps
    return (reserved + fats * fat_size) * bps + root_bytes, bps * spc


def _exfat_layout(boot: bytes) -> tuple[int, int] | None:
    if len(boot) < 512 or boot[3:11] != b"EXFAT   ":
        return None
    heap_sector = struct.unpack_from("<I", boot, 88)[0]
    sector_shift, cluster_shift = boot[108], boot[109]
    if not 9 <= sector_shift <= 12 or cluster_shift > 25:
        return None
    return heap_sector << sector_shift, 1 << (sector_shift + cluster_shift)


def layout(img: AnyTskImage, volume: Volume) -> tuple[int, int] | None:
    """(offset of the first data cluster from the volume start, cluster size), when known."""
    fs = volume.fs_type
    if fs.startswith("fat") or fs == "exfat":
        boot = read_safely(img, volume.offset, 512)
        return _exfat_layout(boot) if fs == "exfat" else _fat_layout(boot)
    if volume.fs is None:
        return None
    # NTFS clusters and ext blocks count from the start of the volume.
    return 0, int(volume.fs.info.block_size)


def phases(img: AnyTskImage, volume: Volume) -> list[int]:
    """Every offset mod 4 KiB at which a 4 KiB piece of a file of this volume can start.

    Clusters of 4 KiB or more on an aligned data area: one phase. Smaller clusters (FAT with
    512 B-2 KiB clusters, 1 KiB ext blocks) let a file start at any cluster, so 4 KiB / cluster
    phases; a data area off the 4 KiB grid shifts them all.
    """
    found = layout(img, volume)
    if found is None:
        return [0]
    data, cluster = found
    first = (volume.offset + data) % BLOCK_SIZE
    step = math.gcd(cluster, BLOCK_SIZE)
    return sorted({(first + k * step) % BLOCK_SIZE for k in range(BLOCK_SIZE // step)})
