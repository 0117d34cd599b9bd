"""Split raw images (image.001, image.002, ...): segments read as one byte stream."""

from __future__ import annotations

import bisect
import os
import re
from pathlib import Path

from triage.errors import EvidenceError
from triage.evidence.base import Identity, ImageSource
from triage.evidence.readonly import open_readonly, pread_fully

_SEGMENT = re.compile(r"^(?P<stem>.*)\.(?P<num>\d{3,})$")


def first_segment(path: Path) -> Path | None:
    """The first segment of the split image `path` belongs to, or None when it is not one.

    Tools number segments from .000 (dd | split -d, FTK) or from .001; whichever one the user
    names, the image starts at the lowest number present, so the whole evidence is read and its
    size recorded (naming image.000 used to open that one segment as if it were the disk).
    """
    match = _SEGMENT.match(path.name)
    if not match:
        return None
    stem, width, number = match["stem"], len(match["num"]), int(match["num"])
    while number > 0 and path.with_name(f"{stem}.{number - 1:0{width}d}").is_file():
        number -= 1
    first = path.with_name(f"{stem}.{number:0{width}d}")
    return first if number <= 1 and len(segments_of(first)) > 1 else None


def segments_of(first: Path) -> list[Path]:
    """All consecutive segments starting at `first` (which must end in .001 or similar)."""
    match = _SEGMENT.match(first.name)
    if not match:
        raise EvidenceError(f"{first} does not end in a segment number such as .001.")
    stem, width, number = match["stem"], len(match["num"]), int(match["num"])
    paths = []
    while True:
        path = first.with_name(f"{stem}.{number:0{width}d}")
        if not path.exists():
            break
        paths.append(path)
        number += 1
    return paths


class SplitRawImage(ImageSource):
    """Consecutive raw segments presented as one image."""

    kind = "split raw image"

    def __init__(self, first: Path) -> None:
        super().__init__(first.name)
        self.paths = segments_of(first)
        self._fds = [open_readonly(p) for p in self.paths]
        self._starts: list[int] = []
        total = 0
        for fd in self._fds:
            self._starts.append(total)
            total += os.fstat(fd).st_size
        self.size = total

    def read(self, offset: int, length: int) -> bytes:
        out: list[bytes] = []
        end = min(self.size, offset + length)
        while offset < end:
            index = bisect.bisect_right(self._starts, offset) - 1
            seg_end = self._starts[index + 1] if index + 1 < len(self._starts) else self.size
            chunk = pread_fully(self._fds[index], offset - self._starts[index],
                                min(end, seg_end) - offset)
            if not chunk:
                break
            out.append(chunk)
            offset += len(chunk)
        return b"".join(out)

    def identity(self) -> Identity:
        first, last = self.edge_digests()
        return Identity(source=self.name, kind=f"{self.kind} ({len(self.paths)} segments)",
                        size=self.size, first_mib_sha256=first, last_mib_sha256=last)

    def close(self) -> None:
        for fd in self._fds:
            os.close(fd)
        self._fds = []
