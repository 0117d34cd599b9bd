"""Walking a folder source with os.scandir: regular files only, symbolic links never followed."""

from __future__ import annotations

import os
from collections.abc import Iterator

from triage.evidence.directory import DirectorySource, FileContent
from triage.model import Address, FileRecord, PartitionRef
from triage.walk.fswalk import MAX_DEPTH, SKIP_SPARSE, SPARSE_MIN_SIZE, WalkStats, WarnFn

FOLDER_PARTITION = PartitionRef(0, 0, "folder")


def _sparse(st: os.stat_result) -> bool:
    """Too large to read blindly, and less than half of it on disk (see SPARSE_MIN_SIZE)."""
    return st.st_size >= SPARSE_MIN_SIZE and st.st_blocks * 512 < st.st_size // 2


def walk_folder(source: DirectorySource, warn: WarnFn, stats: WalkStats
                ) -> Iterator[tuple[FileRecord, FileContent | None]]:
    """Yield every regular file under the folder with its (lazily opened) content."""
    root = os.fsencode(source.root)
    stack: list[tuple[bytes, str, int]] = [(root, "", 0)]
    try:
        top = os.stat(root, follow_symlinks=False)
        seen: set[tuple[int, int]] = {(top.st_dev, top.st_ino)}  # a bind mount of the root
    except OSError:
        seen = set()
    while stack:
        real, shown, depth = stack.pop()
        try:
            with os.scandir(real) as entries:
                listing = list(entries)
        except OSError as exc:
            warn(str(Address(source.name, FOLDER_PARTITION, shown or "/")),
                 f"folder not readable: {exc.strerror}")
            continue
        for entry in listing:
            name = entry.name.decode("utf-8", "backslashreplace")
            path = f"{shown}/{name}"
            stats.entries += 1
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError as exc:
                warn(str(Address(source.name, FOLDER_PARTITION, path)),
                     f"cannot stat: {exc.strerror}")
                continue
            if entry.is_dir(follow_symlinks=False):
                stats.directories += 1
                key = (st.st_dev, st.st_ino)
                if key in seen:
                    continue  # bind mounts can loop; walk each folder once
                if depth + 1 > MAX_DEPTH:
                    warn(str(Address(source.name, FOLDER_PARTITION, path)),
                         f"deeper than {MAX_DEPTH} folders; not walked further")
                    continue
                seen.add(key)
                stack.append((entry.path, path, depth + 1))
                continue
            if not entry.is_file(follow_symlinks=False):
                stats.other["symbolic link" if entry.is_symlink() else "other entry"] += 1
                continue
            record = FileRecord(
                address=Address(source.name, FOLDER_PARTITION, path, st.st_ino),
                name=name, size=st.st_size, mtime=st.st_mtime, atime=st.st_atime,
                ctime=st.st_ctime,
                crtime=getattr(st, "st_birthtime", None),
            )
            if _sparse(st):
                record.facts["skipped"] = SKIP_SPARSE
                warn(str(record.address), f"not read: claims {st.st_size:,} bytes but holds "
                     f"{st.st_blocks * 512:,} on disk (a sparse file)")
                yield record, None
                continue
            yield record, FileContent(os.fsdecode(entry.path), st.st_size)
