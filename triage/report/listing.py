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

LISTING_NAME = "files.jsonl.gz"
# Level 3 compresses a listing about as well as the default while costing a third of the time.
GZIP_LEVEL = 3
# Lines are handed to zlib in blocks: one compress call per record cost ~14 µs (profiled on
# bench/scan_bench.py's 40k-file disk), a block of 256 costs a fraction of that per line.
BLOCK_LINES = 256


class ListingWriter:
    """Appends records as they finish; the file appears under its final name only when closed."""

    name = LISTING_NAME

    def __init__(self, out_dir: Path) -> None:
        self.path = out_dir / LISTING_NAME
        self._tmp = out_dir / f".{LISTING_NAME}.part"
        # mtime=0 keeps the gzip header free of the wall clock (same content, same bytes).
        self._raw = open(self._tmp, "wb")  # noqa: SIM115 - closed in close()
        self._gz = gzip.GzipFile(fileobj=self._raw, mode="wb", compresslevel=GZIP_LEVEL, mtime=0)
        self.count = 0
        self._block: list[str] = []

    def write(self, record: FileRecord) -> None:
        self._block.append(json.dumps(record.to_dict(), ensure_ascii=False, sort_keys=True,
                                      separators=(",", ":")))
        self.count += 1
        if len(self._block) >= BLOCK_LINES:
            self._flush()

    def _flush(self) -> None:
        if self._block:
            self._block.append("")  # the last line's newline
            self._gz.write("\n".join(self._block).encode("utf-8", "surrogateescape"))
            self._block = []

    def close(self) -> None:
        if self._raw.closed:
            return
        self._flush()
        self._gz.close()
        self._raw.flush()
        os.fsync(self._raw.fileno())
        self._raw.close()
        os.replace(self._tmp, self.path)


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
