"""Partitions of an image (MBR with logical partitions, GPT, or none) and their file systems."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytsk3

from triage.ledger.records import GapKind
from triage.walk.classify import guess
from triage.walk.tskimage import AnyTskImage, read_safely

MIB = 1024 * 1024
# Gaps between partitions up to this size are alignment padding (1 MiB is the usual
# alignment), not hiding places.
UNPARTITIONED_REPORT_MIN = MIB

# pytsk3 exposes file system types as plain ints; map them to short names once.
_FS_NAMES: dict[int, str] = {
    getattr(pytsk3, name): name.removeprefix("TSK_FS_TYPE_").lower()
    for name in dir(pytsk3)
    if name.startswith("TSK_FS_TYPE_") and not name.endswith(("_DETECT", "_ENUM"))
}

_VS_NAMES: dict[int, str] = {
    getattr(pytsk3, name): name.removeprefix("TSK_VS_TYPE_").lower()
    for name in dir(pytsk3)
    if name.startswith("TSK_VS_TYPE_") and not name.endswith(("_DETECT", "_ENUM", "_UNSUPP"))
}


def fs_name(fs: pytsk3.FS_Info) -> str:
    """Short file system name ("ntfs", "fat32", "ext4", ...)."""
    return _FS_NAMES.get(int(fs.info.ftype), f"type {int(fs.info.ftype)}")


@dataclass
class Volume:
    """One partition (or the whole image when it holds a bare file system)."""

    index: int
    offset: int
    size: int
    description: str
    fs: pytsk3.FS_Info | None = None
    fs_type: str = "unknown"
    reason: str = ""  # why it was not examined, when fs is None
    gap: GapKind = GapKind.UNSUPPORTED  # the kind of gap it leaves, when fs is None
    beyond_end: int = 0  # bytes of the partition (or its file system) past the image's end
    warnings: list[str] = field(default_factory=list)

    def to_dict(self, source: str) -> dict[str, object]:
        out: dict[str, object] = {
            "source": source, "index": self.index, "offset": self.offset, "size": self.size,
            "description": self.description, "fs": self.fs_type,
            "status": "examined" if self.fs is not None else "not_examined",
        }
        if self.fs is None:
            out["reason"] = self.reason
        return out


@dataclass
class VolumeLayout:
    """Everything found in one image: volumes plus what lies outside any partition."""

    scheme: str  # "mbr", "gpt", "none", ...
    volumes: list[Volume]
    unpartitioned: list[tuple[int, int]]  # (offset, size) of sizeable unallocated areas
    warnings: list[str]


def _open_fs(img: AnyTskImage, offset: int) -> tuple[pytsk3.FS_Info | None, str]:
    try:
        return pytsk3.FS_Info(img, offset=offset), ""
    except OSError as exc:
        # pytsk3 prefixes TSK's sentence with its own source location; keep only the sentence.
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else "cannot open"
        return None, text.rsplit("with error: ", 1)[-1]


def _make_volume(img: AnyTskImage, index: int, offset: int, size: int, desc: str) -> Volume:
    volume = Volume(index, offset, size, desc)
    if offset >= img.get_size():
        volume.reason = "starts beyond the end of the image (truncated image?)"
        volume.gap = GapKind.TRUNCATED
        return volume
    fs, error = _open_fs(img, offset)
    if fs is not None:
        volume.fs, volume.fs_type = fs, fs_name(fs)
        fs_end = offset + int(fs.info.block_count) * int(fs.info.block_size)
        volume.beyond_end = max(0, max(offset + size, fs_end) - img.get_size())
        if offset + size > img.get_size():
            volume.warnings.append(
                f"partition ends {offset + size - img.get_size()} bytes beyond the end of the "
                "image; files there read as zeros"
            )
        elif volume.beyond_end:
            volume.warnings.append(
                f"file system ends {volume.beyond_end} bytes beyond the end of the image "
                "(truncated image?); files there read as zeros")
        return volume
    volume.reason, volume.gap = guess(read_safely(img, offset, min(size or MIB, MIB)))
    volume.warnings.append(f"file system not opened: {error}")
    return volume


def _partitions(vs: pytsk3.Volume_Info) -> Iterator[tuple[int, int, int, str]]:
    block = vs.info.block_size
    for part in vs:
        yield part.flags, part.start * block, part.len * block, part.desc.decode(
            "utf-8", "replace"
        ) if isinstance(part.desc, bytes) else str(part.desc)


def _salvage_mbr(img: AnyTskImage) -> VolumeLayout | None:
    """Read the four primary MBR entries ourselves when libtsk rejects the whole table.

    One bad entry (e.g. pointing past the end of the disk) makes libtsk refuse every
    partition; the good ones must still be examined and the bad one reported.
    """
    sector = read_safely(img, 0, 512)
    if sector[510:512] != b"\x55\xaa":
        return None
    volumes: list[Volume] = []
    warnings = ["the partition table is damaged; its entries were read one by one"]
    for slot in range(4):
        entry = sector[446 + 16 * slot : 462 + 16 * slot]
        ptype = entry[4]
        start, count = int.from_bytes(entry[8:12], "little"), int.from_bytes(entry[12:16], "little")
        if ptype == 0 or count == 0:
            continue
        desc = f"MBR entry {slot + 1} (type 0x{ptype:02x})"
        if ptype in (0x05, 0x0F, 0x85):
            warnings.append(f"{desc}: extended partition not followed in a damaged table")
        volume = _make_volume(img, len(volumes) + 1, start * 512, count * 512, desc)
        volumes.append(volume)
    if not volumes:
        return None
    return VolumeLayout("mbr (damaged)", volumes, [], warnings)


def find_volumes(img: AnyTskImage) -> VolumeLayout:
    """Every partition and its file system; a bare file system counts as partition 0."""
    try:
        vs = pytsk3.Volume_Info(img)
    except OSError:
        vs = None
    if vs is None:
        volume = _make_volume(img, 0, 0, img.get_size(), "whole image (no partition table)")
        if volume.fs is None:
            salvaged = _salvage_mbr(img)
            if salvaged is not None:
                return salvaged
        return VolumeLayout("none", [volume], [], [])
    scheme = _VS_NAMES.get(int(vs.info.vstype), f"type {int(vs.info.vstype)}")
    volumes: list[Volume] = []
    unpartitioned: list[tuple[int, int]] = []
    warnings: list[str] = []
    for flags, offset, size, desc in _partitions(vs):
        if flags & pytsk3.TSK_VS_PART_FLAG_META:
            continue  # the partition table itself, extended-partition containers
        if flags & pytsk3.TSK_VS_PART_FLAG_UNALLOC:
            if size > UNPARTITIONED_REPORT_MIN and offset < img.get_size():
                unpartitioned.append((offset, min(size, img.get_size() - offset)))
            continue
        volumes.append(_make_volume(img, len(volumes) + 1, offset, size, desc))
    if not volumes:
        warnings.append(f"{scheme} partition table lists no partitions")
    return VolumeLayout(scheme, volumes, unpartitioned, warnings)
