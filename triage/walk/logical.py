"""Walking a folder source by directory descriptors: any depth, symbolic links never followed."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field

from triage.evidence.directory import DirectorySource, FileContent
from triage.evidence.readonly import open_folder, open_subfolder
from triage.ledger.records import GapKind
from triage.model import Address, FileRecord, PartitionRef
from triage.walk.fswalk import SKIP_SPARSE, SPARSE_MIN_SIZE, WalkStats, WarnFn

FOLDER_PARTITION = PartitionRef(0, 0, "folder")
# Folders are opened relative to their parent's descriptor, so depth is not limited by
# PATH_MAX; a tree 10,000 levels deep is walked to the bottom (tests/hostile). The bind-mount
# check below stops real cycles, so this limit only stops a hostile FUSE file system inventing
# fresh folders without end; a level costs ~200 bytes of walk state, 100,000 levels ~20 MB.
FOLDER_MAX_DEPTH = 100_000
# Descriptors held open down the current branch. The deepest levels keep theirs; a shallower
# folder whose descriptor was closed is reopened through its child's "..". The process limit
# is often 1,024 descriptors, shared with the readers, so the walk holds a small fixed number.
OPEN_FOLDERS = 32

Key = tuple[int, int]  # (st_dev, st_ino): a folder's identity, whatever its name


@dataclass(slots=True)
class _Folder:
    """One level of the branch being walked: its name, identity and subfolders still to walk."""

    name: bytes
    key: Key
    fd: int | None
    pending: list[tuple[bytes, Key]] = field(default_factory=list)


def _sparse(st: os.stat_result) -> bool:
    """Too large to read blindly, and less than half of it on disk (see SPARSE_MIN_SIZE)."""
    return st.st_size >= SPARSE_MIN_SIZE and st.st_blocks * 512 < st.st_size // 2


def _shown(relative: bytes) -> str:
    """The path as reports show it: from the root, invalid UTF-8 visible byte for byte."""
    return "/" + relative.decode("utf-8", "backslashreplace").lstrip("/") if relative else ""


def _key(fd: int) -> Key:
    st = os.fstat(fd)
    return st.st_dev, st.st_ino


class _Walk:
    """The state of one folder walk: the branch of open folders and the folders already seen."""

    def __init__(self, source: DirectorySource, warn: WarnFn, stats: WalkStats) -> None:
        self.source = source
        self.warn = warn
        self.stats = stats
        self.branch: list[_Folder] = []
        self.seen: set[Key] = set()  # bind mounts can loop; walk each folder once

    def address(self, path: str) -> str:
        return str(Address(self.source.name, FOLDER_PARTITION, path or "/"))

    def relative(self) -> bytes:
        return b"/".join(folder.name for folder in self.branch[1:])

    def run(self) -> Iterator[tuple[FileRecord, FileContent | None]]:
        try:
            fd = open_folder(self.source.root)
        except OSError as exc:
            self.warn(self.address(""), f"folder not readable: {exc.strerror}",
                      GapKind.UNREADABLE)
            return
        root = _Folder(b"", _key(fd), fd)
        self.seen.add(root.key)
        self.branch.append(root)
        try:
            yield from self.list_folder(root)
            while self.branch:
                top = self.branch[-1]
                if not top.pending:
                    self.leave(top)
                    continue
                name, key = top.pending.pop()
                child = self.enter(top, name, key)
                if child is not None:
                    yield from self.list_folder(child)
        finally:
            for folder in self.branch:
                if folder.fd is not None:
                    os.close(folder.fd)

    def enter(self, parent: _Folder, name: bytes, key: Key) -> _Folder | None:
        """Open `name` inside `parent` as the new deepest level of the branch."""
        try:
            fd = open_subfolder(self.parent_fd(parent), name)
        except OSError as exc:
            self.warn(self.address(_shown(self.relative() + b"/" + name)),
                      f"folder not readable: {exc.strerror}", GapKind.UNREADABLE)
            return None
        if _key(fd) != key:  # replaced between the listing and the open
            os.close(fd)
            self.warn(self.address(_shown(self.relative() + b"/" + name)),
                      "folder changed while it was walked; not walked", GapKind.UNREADABLE)
            return None
        child = _Folder(name, key, fd)
        self.branch.append(child)
        if len(self.branch) > OPEN_FOLDERS:
            far = self.branch[-OPEN_FOLDERS - 1]
            if far.fd is not None and len(self.branch) > OPEN_FOLDERS + 1:  # never the root's
                os.close(far.fd)
                far.fd = None
        return child

    def parent_fd(self, folder: _Folder) -> int:
        """The folder's descriptor, reopened from the root, one name at a time, if closed."""
        if folder.fd is not None:
            return folder.fd
        index = self.branch.index(folder)
        start = max(i for i in range(index) if self.branch[i].fd is not None)
        fd = os.dup(self.branch[start].fd)  # type: ignore[arg-type]
        for level in self.branch[start + 1 : index + 1]:
            try:
                child = open_subfolder(fd, level.name)
            finally:
                os.close(fd)
            fd = child
        if _key(fd) != folder.key:
            os.close(fd)
            raise OSError(0, "folder changed while it was walked")
        folder.fd = fd
        return fd

    def leave(self, folder: _Folder) -> None:
        """Done with the deepest level: close it, handing its ".." up if the parent needs one."""
        self.branch.pop()
        parent = self.branch[-1] if self.branch else None
        if folder.fd is None:
            return
        if parent is not None and parent.fd is None and parent.pending:
            try:
                up = open_subfolder(folder.fd, b"..")
            except OSError:
                up = None  # parent_fd reopens it from the root
            if up is not None and _key(up) == parent.key:
                parent.fd = up
            elif up is not None:
                os.close(up)
        os.close(folder.fd)
        folder.fd = None

    def list_folder(self, folder: _Folder) -> Iterator[tuple[FileRecord, FileContent | None]]:
        """Records of the folder's files; its subfolders are queued in folder.pending."""
        relative = self.relative()
        shown = _shown(relative)
        try:
            with os.scandir(folder.fd) as entries:  # type: ignore[arg-type]
                listing = list(entries)
        except OSError as exc:
            self.warn(self.address(shown), f"folder not readable: {exc.strerror}",
                      GapKind.UNREADABLE)
            return
        subfolders: list[tuple[bytes, Key]] = []
        depth = len(self.branch) - 1
        for entry in listing:
            raw = os.fsencode(entry.name)
            name = raw.decode("utf-8", "backslashreplace")
            path = f"{shown}/{name}"
            self.stats.entries += 1
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError as exc:
                self.warn(self.address(path), f"cannot stat: {exc.strerror}")
                continue
            if entry.is_dir(follow_symlinks=False):
                self.stats.directories += 1
                key = (st.st_dev, st.st_ino)
                if key in self.seen:
                    continue
                if depth + 1 > FOLDER_MAX_DEPTH:
                    self.warn(self.address(path),
                              f"deeper than {FOLDER_MAX_DEPTH} folders; not walked further")
                    continue
                self.seen.add(key)
                subfolders.append((raw, key))
                continue
            if not entry.is_file(follow_symlinks=False):
                self.stats.other["symbolic link" if entry.is_symlink() else "other entry"] += 1
                continue
            record = FileRecord(
                address=Address(self.source.name, FOLDER_PARTITION, path, st.st_ino),
                name=name, size=st.st_size, mtime=st.st_mtime, atime=st.st_atime,
                ctime=st.st_ctime, crtime=getattr(st, "st_birthtime", None),
            )
            if _sparse(st):
                record.facts["skipped"] = SKIP_SPARSE
                self.warn(str(record.address), f"not read: claims {st.st_size:,} bytes but "
                          f"holds {st.st_blocks * 512:,} on disk (a sparse file)")
                yield record, None
                continue
            yield record, FileContent(self.source.root, relative + b"/" + raw if relative
                                      else raw, st.st_size)
        subfolders.reverse()  # popped from the end: walked in listing order
        folder.pending = subfolders


def walk_folder(source: DirectorySource, warn: WarnFn, stats: WalkStats
                ) -> Iterator[tuple[FileRecord, FileContent | None]]:
    """Yield every regular file under the folder with its (lazily opened) content."""
    yield from _Walk(source, warn, stats).run()
