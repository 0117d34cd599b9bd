"""The small interface every evidence source implements, and its identity record."""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass
from typing import Any

MIB = 1024 * 1024


@dataclass(frozen=True)
class Identity:
    """What a source is, recorded in the report so a device can be recognised again."""

    source: str
    kind: str  # "block device" | "raw image" | "split raw image" | "E01 image" | "folder"
    size: int | None
    model: str | None = None
    serial: str | None = None
    first_mib_sha256: str | None = None
    last_mib_sha256: str | None = None
    read_only: bool | None = None  # the kernel's read-only flag, for block devices
    removable: bool | None = None  # the kernel's removable flag (USB sticks, card readers)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class EvidenceSource(ABC):
    """Anything a scan can examine. Sources are opened read-only and closed after the scan."""

    kind: str = "source"

    def __init__(self, name: str) -> None:
        self.name = name  # the user-facing name, used as the first link of every address

    @abstractmethod
    def identity(self) -> Identity: ...

    def close(self) -> None:  # noqa: B027 - optional hook; most sources hold one descriptor
        """Release what the source holds."""

    def __enter__(self) -> EvidenceSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ImageSource(EvidenceSource):
    """A byte stream holding partitions and file systems (disks and disk images)."""

    size: int

    @abstractmethod
    def read(self, offset: int, length: int) -> bytes:
        """Up to `length` bytes at `offset`; fewer only at the end of the source."""

    def edge_digests(self) -> tuple[str, str]:
        """SHA-256 of the first and the last MiB, a cheap fingerprint of the whole device."""
        first = hashlib.sha256(self.read(0, MIB)).hexdigest()
        last = hashlib.sha256(self.read(max(0, self.size - MIB), MIB)).hexdigest()
        return first, last


class LogicalSource(EvidenceSource):
    """A tree of files without a file system image (a mounted folder, a logical copy)."""

    kind = "folder"
