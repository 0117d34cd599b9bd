"""Walking one file system with pytsk3: allocated and deleted entries, streams, loop-safe."""

from __future__ import annotations

import struct
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

import pytsk3

from triage.ledger.records import GapKind
from triage.model import Address, FileRecord, PartitionRef
from triage.walk.tskimage import AnyTskImage
from triage.walk.volumes import Volume

# Deeper than any real file system; a corrupt one can chain directories without end.
MAX_DEPTH = 4096
# NTFS's own files: large ($MFT), or sparse and the size of the volume ($BadClus:$Bad); they are
# listed but not hashed. Names at the root are reserved, so a user file cannot take them.
NTFS_METADATA = frozenset({
    "$MFT", "$MFTMirr", "$LogFile", "$Volume", "$AttrDef", "$Bitmap", "$Boot", "$BadClus",
    "$Secure", "$UpCase", "$Extend",
})
# The Sleuth Kit shows a FAT/exFAT volume label as an empty root entry with this suffix (fls
# lists it too); it is not a file, so it is counted rather than listed.
VOLUME_LABEL_SUFFIX = " (Volume Label Entry)"
SKIP_FS_METADATA = "file system metadata"
SKIP_REALLOCATED = "deleted name whose metadata now belongs to another file"
SKIP_IMPLAUSIBLE_SIZE = "claims a size larger than its volume"
SKIP_SPARSE = "sparse file (claims far more bytes than it holds on disk)"
SKIP_NAME_ONLY = "deleted name whose metadata is gone (only the name is left)"
# Files at least this large are checked for holes before they are read: a sparse file claiming
# terabytes (truncate -s 2T) reads as zeros for hours, while real pictures and videos are
# allocated. Less than half of the claimed size on disk counts as sparse.
SPARSE_MIN_SIZE = 64 * 1024 * 1024

TYPE_DIR = pytsk3.TSK_FS_META_TYPE_DIR
TYPE_VIRT_DIR = pytsk3.TSK_FS_META_TYPE_VIRT_DIR
TYPE_REG = pytsk3.TSK_FS_META_TYPE_REG
NAME_UNALLOC = pytsk3.TSK_FS_NAME_FLAG_UNALLOC
META_UNALLOC = pytsk3.TSK_FS_META_FLAG_UNALLOC
_NTFS_DATA = pytsk3.TSK_FS_ATTR_TYPE_NTFS_DATA
_DEFAULT_DATA = pytsk3.TSK_FS_ATTR_TYPE_DEFAULT
_RUN_SPARSE = pytsk3.TSK_FS_ATTR_RUN_FLAG_SPARSE
_ATTR_COMPRESSED = pytsk3.TSK_FS_ATTR_COMP



class WarnFn(Protocol):
    """Records a walk problem; `gap` when it leaves something not examined (a folder)."""

    def __call__(self, address: str, message: str, gap: GapKind | None = None) -> None: ...



class TskContent:
    """A file's (or one of its streams') bytes, read through The Sleuth Kit under the lock."""

    def __init__(self, img: AnyTskImage, handle: pytsk3.File, size: int,
                 attr: tuple[int, int] | None = None) -> None:
        self._img = img
        self._handle = handle
        self._attr = attr  # (type, id) of a named stream; None for the default data
        self.size = size

    @property
    def token(self) -> tuple[int, int] | None:
        """What besides the meta address reopens this content later (see `reopen`)."""
        return self._attr

    def _is_mine(self, info: object) -> bool:
        """Whether an attribute holds this content's data: the unnamed data stream, or the
        named stream this content was opened for."""
        if self._attr is None:
            return info.type in (_DEFAULT_DATA, _NTFS_DATA) and _text(  # type: ignore[attr-defined]
                info.name) in ("", "$Data")  # type: ignore[attr-defined]
        return (int(info.type), int(info.id)) == self._attr  # type: ignore[attr-defined]

    def first_block(self) -> int | None:
        """The file system block holding the first byte of data, None if resident or unknown.

        The plan reads files in disk order within a priority class; this costs ~1-3 µs a file
        (measured on ext4 and NTFS), far less than one seek saved on a spinning disk.
        """
        try:
            for attr in self._handle:
                if not self._is_mine(attr.info):
                    continue
                for run in attr:
                    if not run.flags & _RUN_SPARSE:
                        return int(run.addr)
                return None
        except OSError:
            return None
        return None

    def data_runs(self) -> list[tuple[int, int]]:
        """(first block, blocks) of every non-sparse run of this content's data: the
        block-to-file map the quick pass uses to name the file holding a block (TSK's ifind)."""
        runs: list[tuple[int, int]] = []
        try:
            for attr in self._handle:
                if not self._is_mine(attr.info):
                    continue
                runs.extend((int(run.addr), int(run.len)) for run in attr
                            if not run.flags & _RUN_SPARSE)
                break
        except OSError:
            pass  # a damaged run list: the blocks it would name are reported as unowned
        return runs

    def read(self, offset: int, length: int) -> bytes:
        length = min(length, self.size - offset)
        if length <= 0:
            return b""
        with self._img.lock:
            if self._attr is None:
                return self._handle.read_random(offset, length)
            return self._handle.read_random(offset, length, *self._attr)


def reopen(img: AnyTskImage, fs: pytsk3.FS_Info, meta_addr: int, size: int,
           token: list[int] | tuple[int, int] | None) -> TskContent:
    """A planned file's content, opened again by its meta address when its turn comes."""
    handle = fs.open_meta(inode=meta_addr)
    return TskContent(img, handle, size, None if token is None else (token[0], token[1]))


@dataclass
class WalkStats:
    """What the walk saw that is not a regular file record."""

    entries: int = 0
    directories: int = 0
    other: Counter[str] | None = None

    def __post_init__(self) -> None:
        self.other = Counter()


def _text(raw: bytes | str | None) -> str:
    if raw is None:
        return ""
    if isinstance(raw, str):
        return raw
    # Names are chosen by the suspect and may not be valid UTF-8; keep every byte visible.
    return raw.decode("utf-8", "backslashreplace")


def _time(value: int | None) -> float | None:
    return float(value) if value else None


def walk_volume(
    img: AnyTskImage, source: str, volume: Volume, warn: WarnFn, stats: WalkStats
) -> Iterator[tuple[FileRecord, TskContent | None]]:
    """Yield a record (and its content, when it should be read) for every file in `volume`."""
    fs = volume.fs
    assert fs is not None  # noqa: S101 - callers pass examined volumes only
    part = PartitionRef(volume.index, volume.offset, volume.fs_type)
    is_ntfs = volume.fs_type == "ntfs"
    volume_size = volume.size
    root = fs.info.root_inum
    visited = {root}
    stack: list[tuple[int, str, int]] = [(root, "", 0)]
    root_size = _ext_root_size(img, volume) if volume.fs_type.startswith("ext") else None
    if root_size is not None and root_size > volume_size > 0:
        warn(str(Address(source, part, "/", root)), f"root folder claims {root_size:,} bytes, "
             "more than its volume; not walked (damaged file system)", GapKind.LIMIT)
        stack.clear()
    while stack:
        dir_addr, dir_path, depth = stack.pop()
        try:
            directory = fs.open_dir(inode=dir_addr)
        except OSError as exc:
            warn(str(Address(source, part, dir_path or "/", dir_addr)),
                 f"directory not readable: {exc}", GapKind.UNREADABLE)
            continue
        try:
            entries = iter(directory)
            while True:
                try:
                    entry = next(entries)
                except StopIteration:
                    break
                except OSError as exc:
                    warn(str(Address(source, part, dir_path or "/", dir_addr)),
                         f"directory listing stopped early: {exc}", GapKind.UNREADABLE)
                    break
                # Each pytsk3 attribute access builds a Python object: read each once.
                info = entry.info
                name_info = info.name
                raw_name = name_info.name
                name = raw_name.decode("utf-8", "backslashreplace") if raw_name else ""
                if not name or name == "." or name == "..":
                    continue
                if "/" in name:
                    # A damaged (or forged) entry may hold a separator; shown raw it would
                    # invent folders in the path, so it is escaped like other odd bytes.
                    name = name.replace("/", "\\x2f")
                stats.entries += 1
                path = f"{dir_path}/{name}"
                meta = info.meta
                name_deleted = bool(name_info.flags & NAME_UNALLOC)
                if meta is None and name_deleted and name_info.meta_addr:
                    # libtsk leaves the metadata of some deleted NTFS names unloaded during a
                    # directory listing; fls resolves them by address, and so do we.
                    try:
                        entry = fs.open_meta(inode=name_info.meta_addr)
                        meta = entry.info.meta
                    except OSError:
                        meta = None
                if meta is None and name_deleted:
                    # fls lists these ("r/- * 0"): the name of a deleted file survives though
                    # nothing else does. The name alone can matter, so it is listed, not read.
                    yield _name_only(source, part, path, name), None
                    continue
                if meta is None:
                    stats.other["name without metadata"] += 1
                    continue
                meta_type = meta.type
                meta_addr = meta.addr
                if meta_type == TYPE_DIR or meta_type == TYPE_VIRT_DIR:
                    stats.directories += 1
                    if meta_addr in visited:
                        continue  # a link back up the tree, or a corrupt entry: walk it once
                    if meta.size > volume_size > 0:
                        # libtsk spends seconds to minutes mapping a folder that claims
                        # gigabytes (found by tests/fuzz); no real folder outgrows its volume.
                        warn(str(Address(source, part, path, meta_addr)),
                             f"folder claims {meta.size:,} bytes, more than its volume; "
                             "not walked (damaged entry)", GapKind.LIMIT)
                        continue
                    if depth + 1 > MAX_DEPTH:
                        warn(str(Address(source, part, path, meta_addr)),
                             f"deeper than {MAX_DEPTH} folders; not walked further",
                             GapKind.LIMIT)
                        continue
                    visited.add(meta_addr)
                    stack.append((meta_addr, path, depth + 1))
                    if is_ntfs:
                        yield from _streams(img, entry, source, part, path, meta, name_deleted,
                                            volume_size, None)
                    continue
                if meta_type != TYPE_REG:
                    stats.other[_meta_type_name(meta_type)] += 1
                    continue
                size = meta.size
                if depth == 0 and not size and name.endswith(VOLUME_LABEL_SUFFIX):
                    stats.other["volume label"] += 1
                    continue
                meta_deleted = bool(meta.flags & META_UNALLOC)
                record = FileRecord(
                    Address(source, part, path, meta_addr), name, size,
                    name_deleted or meta_deleted,
                    meta.mtime or None, meta.atime or None, meta.ctime or None,
                    meta.crtime or None,
                )
                skip = (_skip_reason(record, is_ntfs, depth, name_deleted, meta_deleted,
                                     volume_size)
                        if is_ntfs or name_deleted or size > volume_size else None)
                if not skip and size >= SPARSE_MIN_SIZE:
                    on_disk = _allocated_bytes(entry, fs.info.block_size)
                    if on_disk is not None and on_disk < size // 2:
                        skip = SKIP_SPARSE
                        warn(str(record.address), f"not read: claims {size:,} bytes but holds "
                             f"{on_disk:,} on disk (a sparse file)")
                if skip:
                    record.facts["skipped"] = skip
                    if skip == SKIP_IMPLAUSIBLE_SIZE:
                        warn(str(record.address), f"not read: claims {size:,} bytes, more than "
                             f"its volume's {volume_size:,}")
                    yield record, None
                else:
                    yield record, TskContent(img, entry, size)
                if is_ntfs:
                    yield from _streams(img, entry, source, part, path, meta, record.deleted,
                                        volume_size, skip)
        finally:
            del directory


def _name_only(source: str, part: PartitionRef, path: str, name: str) -> FileRecord:
    record = FileRecord(Address(source, part, path), name, 0, True)
    record.facts["skipped"] = SKIP_NAME_ONLY
    return record


def _skip_reason(record: FileRecord, is_ntfs: bool, depth: int, name_deleted: bool,
                 meta_deleted: bool, volume_size: int) -> str | None:
    if is_ntfs and depth == 0 and record.name in NTFS_METADATA:
        return SKIP_FS_METADATA
    if is_ntfs and record.address.path.startswith("/$Extend/"):
        return SKIP_FS_METADATA
    if name_deleted and not meta_deleted:
        return SKIP_REALLOCATED
    if record.size > volume_size > 0:
        return SKIP_IMPLAUSIBLE_SIZE
    return None


def _ext_root_size(img: AnyTskImage, volume: Volume) -> int | None:
    """The size ext2/3/4's root inode claims, read directly (libtsk's own open of a root
    claiming gigabytes maps every block first, for seconds to minutes); None if unreadable."""
    try:
        sb = img.read(volume.offset + 1024, 1024)
        block = 1024 << struct.unpack_from("<I", sb, 24)[0]
        per_group, inode_size = struct.unpack_from("<I", sb, 40)[0], struct.unpack_from(
            "<H", sb, 88)[0]
        if sb[56:58] != b"\x53\xef" or block > 65536 or not per_group or inode_size < 128:
            return None
        first_data_block = struct.unpack_from("<I", sb, 20)[0]
        gd = img.read(volume.offset + (first_data_block + 1) * block, 64)
        table = struct.unpack_from("<I", gd, 8)[0]
        if struct.unpack_from("<I", sb, 0x60)[0] & 0x80 and struct.unpack_from("<H", sb,
                                                                               0xFE)[0] >= 64:
            table |= struct.unpack_from("<I", gd, 0x28)[0] << 32  # 64bit: the high half
        at = volume.offset + table * block + inode_size  # inode 2, the second of group 0
        if at + 128 > img.get_size():
            return None  # a damaged descriptor points outside the image; libtsk will say so
        inode = img.read(at, 128)
        return struct.unpack_from("<I", inode, 4)[0] | struct.unpack_from("<I", inode, 108)[0] << 32
    except (OSError, OverflowError, struct.error):
        return None


def _allocated_bytes(entry: pytsk3.File, block_size: int) -> int | None:
    """Bytes of a file's unnamed data that are on disk (not holes); None when not known."""
    try:
        for attr in entry:
            info = attr.info
            if info.type not in (_DEFAULT_DATA, _NTFS_DATA) or _text(info.name) not in ("",
                                                                                     "$Data"):
                continue
            if info.flags & _ATTR_COMPRESSED:
                return None  # compression units hold holes too; not a sign of a forged size
            runs = list(attr)
            if not runs:
                return None  # resident, or no run list to judge by
            return sum(run.len for run in runs if not run.flags & _RUN_SPARSE) * block_size
    except OSError:
        return None
    return None


def _streams(img: AnyTskImage, entry: pytsk3.File, source: str, part: PartitionRef, path: str,
             meta: object, deleted: bool, volume_size: int, parent_skip: str | None
             ) -> Iterator[tuple[FileRecord, TskContent | None]]:
    """NTFS alternate data streams (named $DATA attributes) as records of their own."""
    try:
        attributes = list(entry)
    except OSError:
        return
    for attr in attributes:
        info = attr.info
        stream = _text(info.name)
        if info.type != _NTFS_DATA or not stream or stream == "$Data":
            continue
        record = FileRecord(
            address=Address(source, part, path, meta.addr, stream=stream),  # type: ignore[attr-defined]
            name=f"{path.rsplit('/', 1)[-1]}:{stream}",
            size=int(info.size),
            deleted=deleted,
            mtime=_time(meta.mtime), atime=_time(meta.atime),  # type: ignore[attr-defined]
            ctime=_time(meta.ctime), crtime=_time(meta.crtime),  # type: ignore[attr-defined]
        )
        skip = parent_skip or (SKIP_IMPLAUSIBLE_SIZE if record.size > volume_size > 0 else None)
        if skip:
            record.facts["skipped"] = skip
            yield record, None
        else:
            yield record, TskContent(img, entry, record.size, (int(info.type), int(info.id)))


def _meta_type_name(meta_type: int) -> str:
    names = {
        pytsk3.TSK_FS_META_TYPE_LNK: "symbolic link",
        pytsk3.TSK_FS_META_TYPE_VIRT: "file system virtual file",
        pytsk3.TSK_FS_META_TYPE_FIFO: "named pipe",
        pytsk3.TSK_FS_META_TYPE_CHR: "character device",
        pytsk3.TSK_FS_META_TYPE_BLK: "block device",
        pytsk3.TSK_FS_META_TYPE_SOCK: "socket",
    }
    return names.get(meta_type, "other entry")
