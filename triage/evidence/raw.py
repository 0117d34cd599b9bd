"""Raw (dd) disk images: one file read with pread."""

from __future__ import annotations

import os
from pathlib import Path

from triage.evidence.base import Identity, ImageSource
from triage.evidence.readonly import open_readonly, pread_fully


class RawImage(ImageSource):
    """A raw image file (also the base of block devices, which read the same way)."""

    kind = "raw image"

    def __init__(self, path: Path, name: str | None = None) -> None:
        super().__init__(name or path.name)
        self.path = path
        self._fd = open_readonly(path)
        # SEEK_END works for regular files and block devices alike (st_size is 0 for devices).
        self.size = os.lseek(self._fd, 0, os.SEEK_END)

    def read(self, offset: int, length: int) -> bytes:
        if offset >= self.size or length <= 0:
            return b""
        return pread_fully(self._fd, offset, min(length, self.size - offset))

    def identity(self) -> Identity:
        first, last = self.edge_digests()
        return Identity(
            source=self.name, kind=self.kind, size=self.size,
            first_mib_sha256=first, last_mib_sha256=last,
        )

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
