"""The one place where evidence is opened: read-only, never created, never truncated."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from triage.errors import EvidenceError

# O_NOATIME keeps a logical (folder) source's access times as they were; the kernel refuses it
# for files we do not own unless we are root, so it is dropped on EPERM.
_BASE_FLAGS = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)
_NOATIME = getattr(os, "O_NOATIME", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
# A regular file opened late (after the walk) might have been swapped for a FIFO, whose open
# would block for ever; O_NONBLOCK makes that open return, and changes nothing for regular files.
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)


def _open(path: str | bytes, flags: int, dir_fd: int | None = None) -> int:
    try:
        return os.open(path, flags | _NOATIME, dir_fd=dir_fd)
    except PermissionError:
        return os.open(path, flags, dir_fd=dir_fd)


def open_folder(path: str | bytes | Path) -> int:
    """Open a folder source's root (following a link the user gave) to walk it by descriptor."""
    return _open(os.fsencode(path), (_BASE_FLAGS & ~getattr(os, "O_NOFOLLOW", 0)) | _DIRECTORY)


def open_subfolder(dir_fd: int, name: bytes) -> int:
    """Open the folder `name` inside `dir_fd`, read-only, refusing a symbolic link."""
    return _open(name, _BASE_FLAGS | _DIRECTORY, dir_fd)


def open_beneath(root: str | bytes | Path, relative: bytes) -> int:
    """Open the regular file at `relative` under the folder `root`, one name at a time.

    Each step is relative to the folder opened before it, so the path may be far longer than
    PATH_MAX, and each refuses a symbolic link (O_NOFOLLOW): a link swapped in after the walk
    cannot lead the read outside the evidence. Raises OSError.
    """
    names = [name for name in relative.split(b"/") if name]
    if not names or b".." in names:
        raise OSError(errno.EINVAL, "not a path inside the folder", relative)
    fd = open_folder(root)
    try:
        for name in names[:-1]:
            child = open_subfolder(fd, name)
            os.close(fd)
            fd = child
        leaf = _open(names[-1], _BASE_FLAGS | _NONBLOCK, fd)
    finally:
        os.close(fd)
    if not stat.S_ISREG(os.fstat(leaf).st_mode):
        os.close(leaf)
        raise OSError(errno.EINVAL, "no longer a regular file", relative)
    return leaf


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
