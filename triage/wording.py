"""Plain words for officers: where a file is ("Disk 1, partition 2 (NTFS): /a.jpg (deleted)").

The chained address (`model.Address`) stays the one form in reports; this is only what the
screen shows, so an officer can read a hit at a glance on an 80-column console.
"""

from __future__ import annotations

import re
from typing import Any

from rich.cells import cell_len

# How file systems are usually written; anything else is shown upper-cased.
FS_NAMES = {
    "ntfs": "NTFS", "fat12": "FAT12", "fat16": "FAT16", "fat32": "FAT32", "exfat": "exFAT",
    "ext2": "ext2", "ext3": "ext3", "ext4": "ext4", "hfs": "HFS+", "hfsp": "HFS+",
    "apfs": "APFS", "iso9660": "ISO 9660", "ufs": "UFS", "yaffs2": "YAFFS2", "btrfs": "Btrfs",
    "xfs": "XFS",
}
FOLDER_FS = "folder"  # a folder given as evidence (walk/logical.py)


def fs_words(fs: str) -> str:
    return FS_NAMES.get(fs.lower(), fs.upper())


def source_words(source: str, disks: dict[str, int], *, folder: bool = False) -> str:
    """"Disk 2" (or "Folder 2") by the order the evidence was named; the name if unknown."""
    number = disks.get(source)
    if number is None:
        return source
    return f"{'Folder' if folder else 'Disk'} {number}"


def where_parts(item: dict[str, Any], disks: dict[str, int]) -> tuple[str, str]:
    """("Disk 1, partition 2 (NTFS)", "/Users/alex/a.jpg (deleted)") for a finding or a file
    in its report/listing dict form; ("", address) for findings about a volume or a folder,
    whose address already reads as a place."""
    source = item.get("source")
    if not isinstance(source, str) or item.get("path") is None:
        return "", str(item.get("address") or "")
    part = item.get("partition") if isinstance(item.get("partition"), dict) else None
    folder = part is not None and part.get("fs") == FOLDER_FS
    place = source_words(source, disks, folder=folder)
    if part is not None and not folder:
        fs = fs_words(str(part.get("fs") or "?"))
        place += f", partition {part['index']} ({fs})" if part.get("index") else f" ({fs})"
    return place, f"{item['path']}{' (deleted)' if item.get('deleted') else ''}"


def where_words(item: dict[str, Any], disks: dict[str, int]) -> str:
    """Officer wording on one line: "Disk 1, partition 2 (NTFS): /Users/alex/a.jpg (deleted)"."""
    place, path = where_parts(item, disks)
    return f"{place}: {path}" if place else path


def wrap_path(path: str, width: int) -> list[str]:
    """`path` in lines of at most `width` cells, broken after a '/' where it can be.

    Breaking at a space splits a folder name such as "Holiday Málaga" and reads as two paths;
    only a component longer than a whole line is cut inside.
    """
    width = max(width, 8)
    lines: list[str] = []
    line = ""
    for token in re.findall(r"[^/]*/|[^/]+", path):
        if line and cell_len(line + token) > width:
            lines.append(line)
            line = ""
        while cell_len(token) > width:
            cut = width
            while cell_len(token[:cut]) > width:
                cut -= 1
            lines.append(token[:cut])
            token = token[cut:]
        line += token
    if line:
        lines.append(line)
    return lines
