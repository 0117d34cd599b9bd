"""Writing output files so a crash or a full disk never leaves a half-written one in place."""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from triage.errors import OutputError

# What the kernel says when the output file system has no room left: out of blocks or inodes
# (ENOSPC), or over the user's quota (EDQUOT).
FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})


def is_full(exc: BaseException) -> bool:
    """True when `exc` says the output disk is full."""
    return isinstance(exc, OSError) and exc.errno in FULL_ERRNOS


def full_disk(path: Path | str, exc: OSError) -> OutputError:
    """The one error a full output disk gives, naming the file that did not fit."""
    error = OutputError(f"the output disk is full ({path}): free space or choose another --out; "
                        "what was written before is intact")
    error.__cause__ = exc
    return error


@contextlib.contextmanager
def full_disk_is_output_error(path: Path | str) -> Iterator[None]:
    """Turn ENOSPC/EDQUOT raised inside the block into OutputError naming `path`."""
    try:
        yield
    except OSError as exc:
        if is_full(exc):
            raise full_disk(path, exc) from exc
        raise


def _partial(path: Path) -> Path:
    return path.with_name(f".{path.name}.part")


def _discard(partial: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        partial.unlink()


@contextlib.contextmanager
def atomic_file(path: Path, mode: str = "wb", encoding: str | None = None
                ) -> Iterator[IO]:
    """A file written under a temporary name, fsynced, then renamed over `path`.

    If anything fails (a full disk raises OutputError) the temporary file is removed and
    `path` keeps its earlier content, if it had any.
    """
    partial = _partial(path)
    try:
        with full_disk_is_output_error(path):
            with open(partial, mode, encoding=encoding) as handle:  # noqa: PTH123 - mode varies
                yield handle
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(partial, path)
    except BaseException:
        _discard(partial)
        raise


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary name, fsync, then rename over `path` (see atomic_file)."""
    with atomic_file(path) as handle:
        handle.write(data)
