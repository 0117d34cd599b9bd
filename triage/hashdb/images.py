"""Exact digests of a folder of reference pictures (the lab's `add-images`)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from triage.hashdb.collect import EntryCollector

READ_BLOCK = 1 << 20


def file_digests(path: Path) -> dict[str, bytes]:
    """MD5, SHA-1 and SHA-256 of one file in a single read."""
    hashers = {name: hashlib.new(name) for name in ("md5", "sha1", "sha256")}
    with path.open("rb") as handle:
        while block := handle.read(READ_BLOCK):
            for hasher in hashers.values():
                hasher.update(block)
    return {name: hasher.digest() for name, hasher in hashers.items()}


def add_folder(folder: Path, sink: EntryCollector, category: str | None = None) -> int:
    """Add every regular file under `folder` (symlinks not followed); returns files added."""
    added = 0
    for root, dirs, files in os.walk(folder, followlinks=False):
        dirs.sort()
        for name in sorted(files):
            path = Path(root) / name
            if path.is_symlink() or not path.is_file():
                continue
            relative = path.relative_to(folder).as_posix()
            try:
                found = file_digests(path)
            except OSError as exc:
                sink.stats.reject(str(path), None, f"cannot be read ({exc.strerror})")
                continue
            sink.add_file(found, category=category, reference=relative)
            added += 1
    return added
