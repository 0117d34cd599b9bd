"""Walking one file system with pytsk3: allocated and deleted entries, streams, loop-safe."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytsk3

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

TYPE_DIR = pytsk3.TSK_FS_META_TYPE_DIR
TYPE_VIRT_DIR = pytsk3.TSK_FS_META_TYPE_VIRT_DIR
TYPE_REG = pytsk3.TSK_FS_META_TYPE_REG
NAME_UNALLOC = pytsk3.TSK_FS_NAME_FLAG_UNALLOC
META_UNALLOC = pytsk3.TSK_FS_META_FLAG_UNALLOC
_NTFS_DATA = pytsk3.TSK_FS_ATTR_TYPE_NTFS_DATA

WarnFn = Callable[[str, str], None]  # (address, message)


class TskContent:
    """A file's (or one of its streams') bytes, read through The Sleuth Kit under the lock."""

    def __init__(self, img: AnyTskImage, handle: pytsk3.File, size: int,
                 attr: tuple[int, int] | None = None) -> None:
        self._img = img
        self._handle = handle
        self._attr = attr  # (type, id) of a named stream; None for the default data
        self.size = size

    def read(self, offset: int, length: int) -> bytes:
        length = min(length, self.size - offset)
        if length <= 0:
            return b""
        with self._img.lock:
            if self._attr is None:
                return self._handle.read_random(offset, length)
            return self._handle.read_random(offset, length, *self._attr)


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
    while stack:
        dir_addr, dir_path, depth = stack.pop()
        try:
            directory = fs.open_dir(inode=dir_addr)
        except OSError as exc:
            warn(str(Address(source, part, dir_path or "/", dir_addr)),
                 f"directory not readable: {exc}")
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
                         f"directory listing stopped early: {exc}")
                    break
                # Each pytsk3 attribute access builds a Python object: read each once.
                info = entry.info
                name_info = info.name
                raw_name = name_info.name
                name = raw_name.decode("utf-8", "backslashreplace") if raw_name else ""
                if not name or name == "." or name == "..":
                    continue
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
                if meta is None:
                    stats.other["deleted name without metadata" if name_deleted
                                else "name without metadata"] += 1
                    continue
                meta_type = meta.type
                meta_addr = meta.addr
                if meta_type == TYPE_DIR or meta_type == TYPE_VIRT_DIR:
                    stats.directories += 1
                    if meta_addr in visited:
                        continue  # a link back up the tree, or a corrupt entry: walk it once
                    if depth + 1 > MAX_DEPTH:
                        warn(str(Address(source, part, path, meta_addr)),
                             f"deeper than {MAX_DEPTH} folders; not walked further")
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
                if skip:
                    record.facts["skipped"] = skip
                    yield record, None
                else:
                    yield record, TskContent(img, entry, size)
                if is_ntfs:
                    yield from _streams(img, entry, source, part, path, meta, record.deleted,
                                        volume_size, skip)
        finally:
            del directory


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
