"""Small Stream helpers for layer tests: a file read-only, and a file system's files by path."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytsk3

from triage.layers.base import Stream
from triage.walk.tskimage import TskImage


class FileStream:
    """A file opened read-only as a Stream."""

    def __init__(self, path: Path, size: int | None = None) -> None:
        self._handle = path.open("rb")
        self.size = path.stat().st_size if size is None else size

    def read(self, offset: int, length: int) -> bytes:
        self._handle.seek(offset)
        return self._handle.read(max(0, min(length, self.size - offset)))


def files_sha256(stream: Stream) -> dict[str, str]:
    """SHA-256 of every regular file in the file system on `stream`, by path (via libtsk)."""
    fs = pytsk3.FS_Info(TskImage(stream))  # type: ignore[arg-type]
    out: dict[str, str] = {}

    def walk(directory: pytsk3.Directory, prefix: str) -> None:
        for entry in directory:
            name = entry.info.name.name.decode("utf-8")
            meta = entry.info.meta
            if name in (".", "..") or meta is None or name == "lost+found" or (
                    name.startswith("$")):  # NTFS's own files
                continue
            if meta.type == pytsk3.TSK_FS_META_TYPE_DIR:
                walk(entry.as_directory(), f"{prefix}/{name}")
            elif meta.type == pytsk3.TSK_FS_META_TYPE_REG:
                data = entry.read_random(0, meta.size) if meta.size else b""
                out[f"{prefix}/{name}"] = hashlib.sha256(data).hexdigest()

    walk(fs.open_dir("/"), "")
    return out
