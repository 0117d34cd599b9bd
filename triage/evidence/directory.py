"""Folders as logical sources: files found with os.scandir, symbolic links never followed."""

from __future__ import annotations

import os
from pathlib import Path

from triage.evidence.base import Identity, LogicalSource
from triage.evidence.readonly import open_beneath, pread_fully


class DirectorySource(LogicalSource):
    """A folder tree examined file by file (no deleted files: there is no file system image)."""

    def __init__(self, path: Path) -> None:
        super().__init__(str(path))
        self.root = path

    def identity(self) -> Identity:
        return Identity(source=self.name, kind=self.kind, size=None)


class FileContent:
    """A regular file's bytes, found again from the folder and its relative path on first read.

    Nothing is opened until `read`, so one can be made for each of a million files and kept
    until the scan's plan reaches it; `close` releases the descriptor (a later read reopens).
    `relative` is the path under `root` as the walk saw it (bytes, or str from os.fsdecode).
    """

    __slots__ = ("root", "relative", "size", "_fd")

    def __init__(self, root: str | bytes | Path, relative: bytes | str, size: int) -> None:
        self.root = root
        self.relative = relative
        self.size = size
        self._fd: int | None = None

    @property
    def token(self) -> str:
        """The relative path as JSON-safe text; FileContent(root, token, size) reopens it."""
        rel = self.relative
        return rel if isinstance(rel, str) else os.fsdecode(rel)

    def read(self, offset: int, length: int) -> bytes:
        if self._fd is None:
            self._fd = open_beneath(self.root, os.fsencode(self.relative))
        return pread_fully(self._fd, offset, length)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
