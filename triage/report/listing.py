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

    def write(self, record: FileRecord) -> None:
        line = json.dumps(record.to_dict(), ensure_ascii=False, sort_keys=True,
                          separators=(",", ":"))
        self._gz.write(line.encode("utf-8", "surrogateescape") + b"\n")
        self.count += 1

    def close(self) -> None:
        if self._raw.closed:
            return
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
