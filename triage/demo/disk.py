"""An MBR (DOS partition table) writer that places whole file-system images on one raw disk."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from triage.demo.fat import GEOMETRY_HEADS, GEOMETRY_SECTORS, SECTOR

ALIGN_SECTORS = 2048  # 1 MiB, the alignment fdisk and Windows have used since Vista
PART_FAT16 = 0x06  # FAT16 (CHS-addressed in the original scheme; read by LBA everywhere now)
PART_FAT16_LBA = 0x0E  # FAT16, LBA-addressed
_TABLE_AT = 446
_SIGNATURE_AT = 440
_MAX_CYLINDER = 1023  # 10 bits in a CHS entry; beyond it tools write (1023, 254, 63)


@dataclass(frozen=True, slots=True)
class Partition:
    """One primary partition: where it starts, its type byte and its contents."""

    start_lba: int
    type_id: int
    content: bytes
    bootable: bool = False

    @property
    def sectors(self) -> int:
        return len(self.content) // SECTOR


def chs(lba: int) -> bytes:
    """The 3-byte CHS address of a sector with the 255-head, 63-sector geometry."""
    cylinder, rest = divmod(lba, GEOMETRY_HEADS * GEOMETRY_SECTORS)
    head, sector = divmod(rest, GEOMETRY_SECTORS)
    if cylinder > _MAX_CYLINDER:
        cylinder, head, sector = _MAX_CYLINDER, GEOMETRY_HEADS - 1, GEOMETRY_SECTORS - 1
    # Byte 2 keeps the sector (1-based) in bits 0-5 and cylinder bits 8-9 in bits 6-7.
    return bytes([head, (sector + 1) | ((cylinder >> 2) & 0xC0), cylinder & 0xFF])


def aligned_starts(sector_counts: list[int], align: int = ALIGN_SECTORS) -> list[int]:
    """Start sectors for partitions of these sizes, one after another, each aligned."""
    starts, next_free = [], align
    for count in sector_counts:
        starts.append(next_free)
        next_free = -(-(next_free + count) // align) * align
    return starts


def master_boot_record(partitions: list[Partition], disk_signature: int) -> bytes:
    """Sector 0: no boot code, the disk signature, up to four primary entries, 0x55AA."""
    if len(partitions) > 4:
        raise ValueError("An MBR holds at most four primary partitions; use fewer.")
    mbr = bytearray(SECTOR)
    struct.pack_into("<I", mbr, _SIGNATURE_AT, disk_signature)
    for index, part in enumerate(partitions):
        if len(part.content) % SECTOR or not part.content:
            raise ValueError(f"Partition {index + 1} is not a whole number of sectors; pad it.")
        last = part.start_lba + part.sectors - 1
        mbr[_TABLE_AT + 16 * index : _TABLE_AT + 16 * (index + 1)] = (
            bytes([0x80 if part.bootable else 0x00])
            + chs(part.start_lba)
            + bytes([part.type_id])
            + chs(last)
            + struct.pack("<II", part.start_lba, part.sectors)
        )
    mbr[510:512] = b"\x55\xaa"
    return bytes(mbr)


def disk_image(partitions: list[Partition], disk_signature: int) -> bytes:
    """The whole raw disk: the MBR, then each partition's bytes at its start sector."""
    ordered = sorted(partitions, key=lambda p: p.start_lba)
    for before, after in zip(ordered, ordered[1:], strict=False):
        if before.start_lba + before.sectors > after.start_lba:
            raise ValueError("Two partitions overlap; give them separate sector ranges.")
    if ordered and ordered[0].start_lba < 1:
        raise ValueError("A partition cannot start at sector 0, where the MBR lives.")
    end = max((p.start_lba + p.sectors for p in partitions), default=1)
    disk = bytearray(end * SECTOR)
    disk[:SECTOR] = master_boot_record(partitions, disk_signature)
    for part in partitions:
        disk[part.start_lba * SECTOR : (part.start_lba + part.sectors) * SECTOR] = part.content
    return bytes(disk)
