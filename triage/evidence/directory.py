"""Folders as logical sources: files found with os.scandir, symbolic links never followed."""

from __future__ import annotations

import os
from pathlib import Path

from triage.evidence.base import Identity, LogicalSource
from triage.evidence.readonly import open_readonly, pread_fully


class DirectorySource(LogicalSource):
    """A folder tree examined file by file (no deleted files: there is no file system image)."""

    def __init__(self, path: Path) -> None:
        super().__init__(str(path))
        self.root = path

    def identity(self) -> Identity:
        return Identity(source=self.name, kind=self.kind, size=None)


class FileContent:
    """A regular file's bytes, opened read-only on first use and closed by `close`."""

    def __init__(self, path: str, size: int) -> None:
        self.path = path
        self.size = size
        self._fd: int | None = None

    def read(self, offset: int, length: int) -> bytes:
        if self._fd is None:
            self._fd = open_readonly(self.path, follow_symlinks=False)
        return pread_fully(self._fd, offset, length)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
