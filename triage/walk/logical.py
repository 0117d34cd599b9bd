"""Walking a folder source with os.scandir: regular files only, symbolic links never followed."""

from __future__ import annotations

import os
from collections.abc import Iterator

from triage.evidence.directory import DirectorySource, FileContent
from triage.model import Address, FileRecord, PartitionRef
from triage.walk.fswalk import MAX_DEPTH, WalkStats, WarnFn

FOLDER_PARTITION = PartitionRef(0, 0, "folder")


def walk_folder(source: DirectorySource, warn: WarnFn, stats: WalkStats
                ) -> Iterator[tuple[FileRecord, FileContent]]:
    """Yield every regular file under the folder with its (lazily opened) content."""
    root = os.fsencode(source.root)
    stack: list[tuple[bytes, str, int]] = [(root, "", 0)]
    seen: set[tuple[int, int]] = set()
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
                if key in seen or depth + 1 > MAX_DEPTH:
                    continue  # bind mounts can loop; walk each folder once
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
            yield record, FileContent(os.fsdecode(entry.path), st.st_size)
