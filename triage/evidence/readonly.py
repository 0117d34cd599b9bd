"""The one place where evidence is opened: read-only, never created, never truncated."""

from __future__ import annotations

import errno
import os
from pathlib import Path

from triage.errors import EvidenceError

# O_NOATIME keeps a logical (folder) source's access times as they were; the kernel refuses it
# for files we do not own unless we are root, so it is dropped on EPERM.
_BASE_FLAGS = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)
_NOATIME = getattr(os, "O_NOATIME", 0)


def open_readonly(path: str | Path, *, follow_symlinks: bool = True) -> int:
    """Open `path` for reading only and return the file descriptor.

    Every evidence read in triage goes through a descriptor made here, so the tool never holds
    a writable handle on evidence.
    """
    flags = _BASE_FLAGS if not follow_symlinks else _BASE_FLAGS & ~getattr(os, "O_NOFOLLOW", 0)
    try:
        try:
            return os.open(path, flags | _NOATIME)
        except PermissionError:
            return os.open(path, flags)
    except FileNotFoundError as exc:
        raise EvidenceError(f"{path}: no such file or device.") from exc
    except IsADirectoryError as exc:
        raise EvidenceError(f"{path} is a folder; give it as a folder source.") from exc
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise EvidenceError(f"{path} is a symbolic link; it is not followed.") from exc
        raise EvidenceError(f"{path}: cannot open for reading ({exc.strerror}).") from exc


def pread_fully(fd: int, offset: int, length: int) -> bytes:
    """Read `length` bytes at `offset`, looping over short reads; shorter only at end of file."""
    chunks: list[bytes] = []
    while length > 0:
        chunk = os.pread(fd, length, offset)
        if not chunk:
            break
        chunks.append(chunk)
        offset += len(chunk)
        length -= len(chunk)
    return b"".join(chunks) if len(chunks) != 1 else chunks[0]
