"""The layered walk names encrypted volumes by their real kind, partitioned or bare."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tests.layers.streams import FileStream
from triage.walk.layered import reach
from triage.walk.reached import Reached

DATA = Path(__file__).parent.parent / "data" / "dfvfs"
TO_GO = DATA / "bdetogo_cut.raw"
MIB = 1024 * 1024


class _Bytes:
    def __init__(self, data: bytes) -> None:
        self.data, self.size = data, len(data)

    def read(self, offset: int, length: int) -> bytes:
        return self.data[offset : offset + max(0, length)]


class _Sink:
    def __init__(self) -> None:
        self.warnings: list[tuple[str, str, str]] = []
        self.gaps: list[tuple[Any, ...]] = []

    def problem(self, address: str, stage: str, message: str, **kwargs: Any) -> None:
        self.warnings.append((address, stage, message))

    def gap(self, *args: Any, **kwargs: Any) -> None:
        self.gaps.append(args)


def _reach(stream: Any, name: str = "disk.img") -> tuple[list[Reached], _Sink]:
    sink = _Sink()
    return list(reach(stream, name, sink)), sink


def _mbr(start_sector: int, sectors: int, ptype: int) -> bytes:
    entry = bytes([0, 0, 0, 0, ptype, 0, 0, 0]) + start_sector.to_bytes(4, "little") + \
        sectors.to_bytes(4, "little")
    return bytes(446) + entry + bytes(48) + b"\x55\xaa"


def test_bare_bitlocker_volume_is_bitlocker_not_a_damaged_mbr() -> None:
    """Issue 15 item 7: a BitLocker boot sector ends in 55AA like an MBR; its 'entries' are
    not partitions, and the volume must be reported as BitLocker."""
    data = bytearray(os.urandom(2 * MIB))
    data[0:3], data[3:11] = b"\xeb\x58\x90", b"-FVE-FS-"
    data[510:512] = b"\x55\xaa"
    [volume], sink = _reach(_Bytes(bytes(data)))
    info = volume.coverage()
    assert info["fs"] == "bitlocker" and not volume.examined
    assert info["encryption"]["kind"] == "bitlocker"
    assert "bitlocker" in volume.volume.reason
    assert not any("partition table is damaged" in w[2] for w in sink.warnings)


def test_to_go_stick_without_partition_table_is_bitlocker_not_fat() -> None:
    [volume], _ = _reach(FileStream(TO_GO), "stick.raw")
    info = volume.coverage()
    assert (info["fs"], volume.examined) == ("bitlocker", False)
    assert info["encryption"]["kind"] == "bitlocker"
    assert volume.volume.reason.endswith("beyond the end of the 824320-byte volume (truncated)")


def test_to_go_partition_is_bitlocker_not_an_examined_fat(tmp_path: Path) -> None:
    stick = tmp_path / "stick.img"
    body = TO_GO.read_bytes()
    stick.write_bytes(_mbr(2048, len(body) // 512, 0x0C) + bytes(2048 * 512 - 512) + body)
    volumes, _ = _reach(FileStream(stick), "stick.img")
    [volume] = volumes
    info = volume.coverage()
    assert (info["fs"], volume.examined, info["offset"]) == ("bitlocker", False, 2048 * 512)
    assert volume.source == "stick.img · p1@1048576"


def test_random_partition_is_an_encryption_gap() -> None:
    data = _mbr(2048, 4096, 0x07) + bytes(2048 * 512 - 512) + os.urandom(4096 * 512)
    [volume], _ = _reach(_Bytes(data))
    info = volume.coverage()
    assert not volume.examined and info["fs"] == "high entropy"
    assert info["encryption"] == {"kind": "high entropy", "state": "locked",
                                  "facts": {"sample_bytes": MIB}}
    assert "VeraCrypt" in volume.volume.reason
