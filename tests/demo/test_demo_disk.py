"""The MBR writer checked against known CHS answers, mmls, pytsk3 and sfdisk."""

from __future__ import annotations

from pathlib import Path

import pytest
import pytsk3

from tests.demo.reference import need, run
from triage.demo.disk import (
    PART_FAT16,
    PART_FAT16_LBA,
    Partition,
    aligned_starts,
    chs,
    disk_image,
    master_boot_record,
)


@pytest.mark.parametrize(
    ("lba", "expected"),
    [
        (0, b"\x00\x01\x00"),  # C0 H0 S1
        (62, b"\x00\x3f\x00"),  # last sector of the first track
        (63, b"\x01\x01\x00"),  # next head
        (2048, b"\x20\x21\x00"),  # C0 H32 S33: fdisk's first 1 MiB-aligned partition
        (16065 * 300, b"\x00\x41\x2c"),  # cylinder 300 = 0x12C: bits 8-9 go in the sector byte
        (16065 * 1024, b"\xfe\xff\xff"),  # beyond cylinder 1023: the (1023, 254, 63) marker
    ],
)
def test_chs_known_answers(lba: int, expected: bytes) -> None:
    assert chs(lba) == expected


def test_aligned_starts_round_up_to_a_mebibyte() -> None:
    assert aligned_starts([12288, 6144]) == [2048, 14336]
    assert aligned_starts([100, 100]) == [2048, 4096]


def two_partitions() -> list[Partition]:
    return [
        Partition(2048, PART_FAT16, b"\x11" * 512 * 100, bootable=True),
        Partition(4096, PART_FAT16_LBA, b"\x22" * 512 * 50),
    ]


def test_entries_hold_the_type_lba_and_length() -> None:
    mbr = master_boot_record(two_partitions(), 0xCAFEF00D)
    assert mbr[510:] == b"\x55\xaa" and mbr[440:444] == bytes.fromhex("0df0feca")
    first, second = mbr[446:462], mbr[462:478]
    # last sector 2147 = head 34, sector 6 (2147 = 34 * 63 + 5), cylinder 0
    assert first == bytes.fromhex("80 202100 06 220600 00080000 64000000".replace(" ", ""))
    assert second[0] == 0 and second[4] == 0x0E
    assert mbr[478:510] == bytes(32)  # the other two entries are empty


def test_sleuthkit_and_pytsk3_find_both_partitions(tmp_path: Path) -> None:
    need("mmls")
    path = tmp_path / "disk.img"
    path.write_bytes(disk_image(two_partitions(), 1))
    assert path.stat().st_size == (4096 + 50) * 512
    rows = [line.split() for line in run("mmls", str(path)).splitlines() if "000:0" in line]
    assert [(r[2], r[4], r[5]) for r in rows] == [
        ("0000002048", "0000000100", "DOS"),
        ("0000004096", "0000000050", "Win95"),
    ]
    volumes = pytsk3.Volume_Info(pytsk3.Img_Info(str(path)))
    found = [(v.start, v.len) for v in volumes if v.flags == pytsk3.TSK_VS_PART_FLAG_ALLOC]
    assert found == [(2048, 100), (4096, 50)]
    assert path.read_bytes()[2048 * 512 : 2049 * 512] == b"\x11" * 512


def test_sfdisk_verifies_the_table(tmp_path: Path) -> None:
    need("sfdisk")
    path = tmp_path / "disk.img"
    path.write_bytes(disk_image(two_partitions(), 0x54524941))
    assert "No errors detected" in run("sfdisk", "--verify", str(path))
    dump = run("sfdisk", "--dump", str(path))
    assert "label-id: 0x54524941" in dump
    assert "start=        2048, size=         100, type=6, bootable" in dump


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        ([Partition(2048 * i, 6, b"x" * 512) for i in range(1, 6)], "at most four"),
        ([Partition(2048, 6, b"x" * 100)], "whole number of sectors"),
        ([Partition(2048, 6, b"x" * 1024), Partition(2049, 6, b"x" * 512)], "overlap"),
        ([Partition(0, 6, b"x" * 512)], "sector 0"),
    ],
)
def test_impossible_tables_are_refused(parts: list[Partition], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        disk_image(parts, 0)
