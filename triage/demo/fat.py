"""A small FAT12/FAT16 volume writer: directories, VFAT long names, times and deleted files.

Follows Microsoft's "FAT: General Overview of On-Disk Format" (the FAT spec, 2000). Clusters
are handed out in order and never reused, so every file is contiguous; a deleted file keeps
its clusters' content while its FAT chain is freed, just as on a real disk after `del`.
"""

from __future__ import annotations

import datetime as dt
import math
import struct
from dataclasses import dataclass, field

SECTOR = 512
ROOT_ENTRIES = 512  # the usual FAT12/16 root directory size (32 sectors)
# FAT spec: the cluster count alone decides the FAT type.
FAT12_MAX_CLUSTERS = 4084
FAT16_MAX_CLUSTERS = 65524
GEOMETRY_HEADS = 255  # the LBA-assist geometry every BIOS since the 1990s reports
GEOMETRY_SECTORS = 63
_MEDIA = 0xF8  # fixed disk
_ENTRY = 32
_ATTR_VOLUME, _ATTR_DIR, _ATTR_ARCHIVE, _ATTR_LFN = 0x08, 0x10, 0x20, 0x0F
_DELETED = 0xE5
_LFN_LAST = 0x40
_LFN_CHARS = 13  # UTF-16 code units per long-name entry
_SHORT_OK = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'()-@^_`{}~")


@dataclass
class _Node:
    name: str
    when: dt.datetime
    data: bytes | None = None  # None for a directory
    deleted: bool = False
    children: list[_Node] = field(default_factory=list)
    short: bytes = b""  # the 11-byte 8.3 name
    cluster: int = 0
    clusters: int = 0

    @property
    def is_dir(self) -> bool:
        return self.data is None


def lfn_checksum(short: bytes) -> int:
    """The checksum of an 8.3 name that each of its long-name entries carries (FAT spec 7)."""
    total = 0
    for byte in short:
        total = (((total & 1) << 7) + (total >> 1) + byte) & 0xFF
    return total


def _split(name: str) -> tuple[str, str]:
    stem, dot, ext = name.rpartition(".")
    return (stem, ext) if dot and stem else (name, "")


def _exact_short(name: str) -> bytes | None:
    """The 8.3 name when `name`, upper-cased, is already one (no numeric tail needed)."""
    base, ext = _split(name.upper())
    if not (1 <= len(base) <= 8 and len(ext) <= 3) or not set(base + ext) <= _SHORT_OK:
        return None
    return f"{base:<8}{ext:<3}".encode("ascii")


def _tailed_short(name: str, taken: set[bytes]) -> bytes:
    """A Windows-style "HOLIDA~1.JPG" name for a long name, unique among `taken`."""
    base, ext = _split(name.upper().lstrip("."))
    clean = "".join(c if c in _SHORT_OK else "_" for c in base if c not in " .") or "_"
    ext = "".join(c if c in _SHORT_OK else "_" for c in ext if c != " ")[:3]
    for number in range(1, 1_000_000):
        tail = f"~{number}"
        short = f"{clean[: 8 - len(tail)] + tail:<8}{ext:<3}".encode("ascii")
        if short not in taken:
            return short
    raise ValueError(f"Too many similar names for {name!r} in one directory; rename some.")


def _display(short: bytes) -> str:
    """How an 8.3 name reads without a long name: "NOTES   TXT" -> "NOTES.TXT"."""
    base, ext = short[:8].decode("ascii").rstrip(), short[8:].decode("ascii").rstrip()
    return f"{base}.{ext}" if ext else base


def _dos_time(when: dt.datetime) -> tuple[int, int, int]:
    """(date, time, tenths) as FAT stores them; FAT keeps wall-clock time with no zone."""
    if not 1980 <= when.year <= 2107:
        raise ValueError(f"FAT cannot store the year {when.year}; use a time in 1980-2107.")
    date = ((when.year - 1980) << 9) | (when.month << 5) | when.day
    time = (when.hour << 11) | (when.minute << 5) | (when.second // 2)
    tenths = (when.second % 2) * 100 + when.microsecond // 10_000
    return date, time, tenths


def _short_entry(short: bytes, attr: int, when: dt.datetime, cluster: int, size: int) -> bytes:
    date, time, tenths = _dos_time(when)
    return struct.pack(
        "<11sBBBHHHHHHHI", short, attr, 0, tenths, time, date, date, 0, time, date, cluster, size
    )


def _lfn_entries(name: str, short: bytes) -> list[bytes]:
    """The long-name entries for `name`, in on-disk order (last piece first)."""
    units = name.encode("utf-16-le")
    if len(units) % (2 * _LFN_CHARS):
        units += b"\x00\x00"  # a terminator only when the name does not fill the last entry
    units += b"\xff\xff" * (-len(units) // 2 % _LFN_CHARS)
    pieces = [units[i : i + 2 * _LFN_CHARS] for i in range(0, len(units), 2 * _LFN_CHARS)]
    checksum = lfn_checksum(short)
    entries = []
    for seq, piece in enumerate(pieces, start=1):
        order = seq | (_LFN_LAST if seq == len(pieces) else 0)
        fields = (order, piece[:10], _ATTR_LFN, 0, checksum, piece[10:22], 0, piece[22:])
        entries.append(struct.pack("<B10sBBB12sH4s", *fields))
    return entries[::-1]


class FatVolume:
    """A FAT12 or FAT16 file system built in memory; `image()` returns its bytes."""

    def __init__(
        self,
        sectors: int,
        *,
        label: str = "NO NAME",
        volume_id: int = 0,
        hidden_sectors: int = 0,
        sectors_per_cluster: int = 1,
        created: dt.datetime = dt.datetime(2020, 1, 1),
    ) -> None:
        if sectors_per_cluster not in (1, 2, 4, 8, 16, 32, 64):
            raise ValueError("sectors_per_cluster must be a power of two from 1 to 64.")
        self.sectors = sectors
        self.sectors_per_cluster = sectors_per_cluster
        self.label = label.upper()
        if not 1 <= len(self.label) <= 11 or not set(self.label) <= _SHORT_OK | {" "}:
            raise ValueError(f"Volume label {label!r} is not 1-11 letters or digits; change it.")
        self.volume_id = volume_id
        self.hidden_sectors = hidden_sectors
        self.root = _Node("", created)
        self.root_sectors = ROOT_ENTRIES * _ENTRY // SECTOR
        self.fat_sectors = 1
        while True:  # a bigger FAT leaves fewer clusters: iterate to the fixed point
            data = sectors - 1 - 2 * self.fat_sectors - self.root_sectors
            self.clusters = data // sectors_per_cluster if data > 0 else 0
            self.fat_bits = 12 if self.clusters <= FAT12_MAX_CLUSTERS else 16
            need = math.ceil((self.clusters + 2) * self.fat_bits / 8 / SECTOR)
            if need <= self.fat_sectors:
                break
            self.fat_sectors = need
        if self.clusters < 16 or self.clusters > FAT16_MAX_CLUSTERS:
            raise ValueError(
                f"{sectors} sectors of {sectors_per_cluster} per cluster make {self.clusters} "
                "clusters, outside FAT12/16; change the size or the cluster size."
            )
        self.data_start = 1 + 2 * self.fat_sectors + self.root_sectors

    def _parent(self, parts: list[str], when: dt.datetime) -> _Node:
        node = self.root
        for part in parts:
            found = [c for c in node.children if c.name.upper() == part.upper() and not c.deleted]
            if found and not found[0].is_dir:
                raise ValueError(f"{part!r} is a file, not a folder; choose another path.")
            node = found[0] if found else self._add(node, _Node(part, when))
        return node

    def _add(self, parent: _Node, node: _Node) -> _Node:
        name = node.name
        if not name or len(name) > 255 or any(c in name for c in '/\\:*?"<>|\x00'):
            raise ValueError(f"{name!r} is not a valid FAT long name; use 1-255 plain characters.")
        _dos_time(node.when)  # refuse an unstorable time now, not when the image is written
        siblings = [c for c in parent.children if not c.deleted]
        if not node.deleted and any(c.name.upper() == name.upper() for c in siblings):
            raise ValueError(f"{name!r} already exists in that folder; choose another name.")
        taken = {c.short for c in parent.children}
        exact = _exact_short(name)
        node.short = exact if exact and exact not in taken else _tailed_short(name, taken)
        parent.children.append(node)
        return node

    def mkdir(self, path: str, when: dt.datetime) -> None:
        """Create a folder and any missing parents ("/Users/alex/Pictures")."""
        self._parent([p for p in path.split("/") if p], when)

    def add_file(self, path: str, data: bytes, when: dt.datetime, *, deleted: bool = False) -> None:
        """Add a file; `deleted` writes it, then frees it as `del` would (entry 0xE5, FAT 0)."""
        parts = [p for p in path.split("/") if p]
        if not parts:
            raise ValueError(f"{path!r} names no file; give a path like /folder/name.txt.")
        *folders, name = parts
        self._add(self._parent(folders, when), _Node(name, when, bytes(data), deleted))

    def _entries(self, node: _Node) -> list[bytes]:
        """The directory entries describing `node` inside its parent."""
        attr = _ATTR_DIR if node.is_dir else _ATTR_ARCHIVE
        size = 0 if node.data is None else len(node.data)
        entries = [_short_entry(node.short, attr, node.when, node.cluster, size)]
        if node.name != _display(node.short):
            entries = _lfn_entries(node.name, node.short) + entries
        if node.deleted:
            entries = [bytes([_DELETED]) + e[1:] for e in entries]
        return entries

    def _listing(self, node: _Node, parent_cluster: int) -> bytes:
        if node is self.root:
            label = f"{self.label:<11}".encode("ascii")
            head = [_short_entry(label, _ATTR_VOLUME, node.when, 0, 0)]
        else:
            head = [
                _short_entry(b".          ", _ATTR_DIR, node.when, node.cluster, 0),
                _short_entry(b"..         ", _ATTR_DIR, node.when, parent_cluster, 0),
            ]
        return b"".join(head + [e for c in node.children for e in self._entries(c)])

    def _allocate(self, node: _Node, next_free: int) -> int:
        """Give each child of `node`, then each grandchild, its run of clusters."""
        cluster_bytes = self.sectors_per_cluster * SECTOR
        for child in node.children:
            if child.is_dir:
                size = (2 + sum(len(self._entries(c)) for c in child.children)) * _ENTRY
            else:
                size = len(child.data or b"")
            child.clusters = math.ceil(size / cluster_bytes)
            child.cluster = next_free if child.clusters else 0
            next_free += child.clusters
        for child in node.children:
            if child.is_dir:
                next_free = self._allocate(child, next_free)
        if next_free > self.clusters + 2:
            raise ValueError("The files do not fit in the volume; make it bigger.")
        return next_free

    def image(self) -> bytes:
        """The whole volume: boot sector, two FATs, root directory and data area."""
        self._allocate(self.root, 2)
        out = bytearray(self.sectors * SECTOR)
        end = (1 << self.fat_bits) - 1  # end-of-chain; all ones also marks FAT16 "clean"
        fat = [0] * (self.clusters + 2)
        fat[0], fat[1] = end & ~0xFF | _MEDIA, end

        def place(node: _Node, parent_cluster: int) -> None:
            for child in node.children:
                body = self._listing(child, parent_cluster) if child.is_dir else child.data
                offset = (self.data_start + (child.cluster - 2) * self.sectors_per_cluster) * SECTOR
                if child.clusters:
                    out[offset : offset + len(body or b"")] = body or b""
                if not child.deleted:
                    for c in range(child.cluster, child.cluster + child.clusters):
                        fat[c] = c + 1 if c + 1 < child.cluster + child.clusters else end
                if child.is_dir:
                    place(child, child.cluster)

        place(self.root, 0)
        root = self._listing(self.root, 0)
        if len(root) > ROOT_ENTRIES * _ENTRY:
            raise ValueError(f"The root folder holds at most {ROOT_ENTRIES} entries; use folders.")
        root_at = (1 + 2 * self.fat_sectors) * SECTOR
        out[root_at : root_at + len(root)] = root
        table = self._pack_fat(fat)
        for copy in range(2):
            at = (1 + copy * self.fat_sectors) * SECTOR
            out[at : at + len(table)] = table
        out[:SECTOR] = self._boot_sector()
        return bytes(out)

    def _pack_fat(self, fat: list[int]) -> bytes:
        if self.fat_bits == 16:
            return struct.pack(f"<{len(fat)}H", *fat)
        packed = bytearray()
        for i in range(0, len(fat), 2):  # two 12-bit entries share three bytes
            pair = fat[i] | (fat[i + 1] if i + 1 < len(fat) else 0) << 12
            packed += pair.to_bytes(3, "little")
        return bytes(packed)

    def _boot_sector(self) -> bytes:
        boot = bytearray(SECTOR)
        spc, fat, small = self.sectors_per_cluster, self.fat_sectors, self.sectors < 0x10000
        # BIOS parameter block (FAT spec section 3.1): 1 reserved sector, 2 FATs.
        bpb = (SECTOR, spc, 1, 2, ROOT_ENTRIES, self.sectors if small else 0, _MEDIA, fat)
        geometry = (GEOMETRY_SECTORS, GEOMETRY_HEADS, self.hidden_sectors)
        total32 = 0 if small else self.sectors
        struct.pack_into("<3s8s", boot, 0, b"\xeb\x3c\x90", b"MSWIN4.1")
        struct.pack_into("<HBHBHHBHHHII", boot, 11, *bpb, *geometry, total32)
        label, kind = f"{self.label:<11}".encode("ascii"), f"FAT{self.fat_bits:<5}".encode("ascii")
        # Extended boot record (section 3.2): BIOS drive 0x80, signature 0x29.
        struct.pack_into("<BBBI11s8s", boot, 36, 0x80, 0, 0x29, self.volume_id, label, kind)
        boot[510:512] = b"\x55\xaa"
        return bytes(boot)
