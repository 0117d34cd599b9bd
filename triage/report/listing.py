"""The full file listing beside the report: gzip'd JSON lines, one record per line, streamed."""

from __future__ import annotations

import gzip
import json
import os
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from triage.errors import InvalidInputError
from triage.model import FileRecord
from triage.report.atomic import full_disk, full_disk_is_output_error, is_full

LISTING_NAME = "files.jsonl.gz"
# Level 3 compresses a listing about as well as the default while costing a third of the time.
GZIP_LEVEL = 3
# Lines are handed to zlib in blocks: one compress call per record cost ~14 µs (profiled on
# bench/scan_bench.py's 40k-file disk), a block of 256 costs a fraction of that per line.
# Each block is a complete gzip member (gzip files may be concatenated, RFC 1952 2.2), so the
# file is a valid listing after every block: a full disk or a crash loses at most one block.
BLOCK_LINES = 256


class ListingWriter:
    """Appends records as they finish; the file appears under its final name only when closed.

    A full output disk raises OutputError: the torn block is cut off and the records of every
    complete block are left readable as files.jsonl.gz (`written` of them, in order).
    """

    name = LISTING_NAME

    def __init__(self, out_dir: Path, resume: list[int] | None = None) -> None:
        """A new listing, or with `resume` ([bytes, records] from `checkpoint`) the listing of
        an interrupted scan, cut back to that point and continued."""
        self.path = out_dir / LISTING_NAME
        self._tmp = out_dir / f".{LISTING_NAME}.part"
        size, records = resume or (0, 0)
        if resume is not None and not self._tmp.exists() and self.path.exists():
            os.replace(self.path, self._tmp)  # a full disk had closed it early
        flags = os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC | (0 if resume else os.O_TRUNC)
        with full_disk_is_output_error(self.path):
            self._fd: int | None = os.open(self._tmp, flags, 0o644)
            if resume is not None:
                if os.fstat(self._fd).st_size < size:
                    os.close(self._fd)
                    raise InvalidInputError(f"{self._tmp} is shorter than its checkpoint says; "
                                            "start a new scan instead.")
                os.ftruncate(self._fd, size)  # records after the checkpoint are redone
                os.lseek(self._fd, size, os.SEEK_SET)
        self.count = records  # records handed to write()
        self.written = records  # records in complete blocks on disk
        self._size = size  # bytes of complete blocks on disk
        self._block: list[str] = []
        self._full: OSError | None = None  # why the disk refused a block, once it has

    def write(self, record: FileRecord) -> None:
        if self._full is not None:
            raise full_disk(self.path, self._full)
        self._block.append(json.dumps(record.to_dict(), ensure_ascii=False, sort_keys=True,
                                      separators=(",", ":")))
        self.count += 1
        if len(self._block) >= BLOCK_LINES:
            self._flush()

    def _flush(self) -> None:
        if not self._block or self._fd is None:
            return
        text = "\n".join(self._block) + "\n"
        # mtime=0 keeps each member's header free of the wall clock (same content, same bytes).
        member = gzip.compress(text.encode("utf-8", "surrogateescape"), GZIP_LEVEL, mtime=0)
        try:
            view = memoryview(member)
            while view:
                view = view[os.write(self._fd, view):]
        except OSError as exc:
            if is_full(exc):
                self._give_up(exc)
            raise
        self._size += len(member)
        self.written += len(self._block)
        self._block = []

    def checkpoint(self) -> list[int]:
        """Write out every record so far and make it durable: [bytes, records] for `resume`."""
        self._flush()
        if self._fd is not None:
            with full_disk_is_output_error(self.path):
                os.fsync(self._fd)
        return [self._size, self.written]

    def _give_up(self, exc: OSError) -> None:
        """Cut the torn block off, keep the complete ones under the final name, raise."""
        fd, self._fd = self._fd, None
        assert fd is not None  # noqa: S101 - only reached from _flush, which checked it
        self._full = exc
        try:
            os.ftruncate(fd, self._size)  # freeing blocks needs no space
            if self._size == 0:
                os.pwrite(fd, _EMPTY, 0)  # a header and trailer: a few bytes fit where 0 did
            os.fsync(fd)
            os.replace(self._tmp, self.path)
        except OSError:
            self._tmp.unlink(missing_ok=True)  # not even that fits: no half listing is left
        finally:
            os.close(fd)
        self._block = []
        raise full_disk(self.path, exc) from exc

    def close(self) -> None:
        if self._fd is None:
            return
        if self.count == 0:
            self._write_empty()
        self._flush()
        fd, self._fd = self._fd, None
        try:
            os.fsync(fd)
        except OSError as exc:
            os.close(fd)
            if is_full(exc):
                raise full_disk(self.path, exc) from exc
            raise
        os.close(fd)
        os.replace(self._tmp, self.path)

    def _write_empty(self) -> None:
        """An empty listing is still a gzip file (zcat and gzip -t accept it)."""
        assert self._fd is not None  # noqa: S101 - close() checked it
        try:
            os.write(self._fd, _EMPTY)
        except OSError as exc:
            if is_full(exc):
                self._give_up(exc)
            raise
        self._size = len(_EMPTY)


_EMPTY = gzip.compress(b"", GZIP_LEVEL, mtime=0)


def iter_listing(path: Path) -> Iterator[dict[str, Any]]:
    """The file records of files.jsonl.gz, one dict per line, streamed."""
    try:
        with gzip.open(path, "rt", encoding="utf-8", errors="surrogateescape") as handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except ValueError as exc:
                    raise InvalidInputError(
                        f"{path}:{number}: not a JSON file record; re-run the scan to rebuild it."
                    ) from exc
                if isinstance(record, dict):
                    yield record
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
        raise InvalidInputError(
            f"cannot read the file listing {path} ({exc}); re-run the scan to rebuild it."
        ) from exc


def read_listing(path: Path) -> list[dict[str, Any]]:
    """All records of a listing (for tests and small reports; large ones should stream)."""
    return list(iter_listing(path))
