"""NSRL RDS v3 (SQLite `FILE` table) and legacy NSRLFile.txt, always as a known-good set."""

from __future__ import annotations

import csv
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from triage.errors import InvalidInputError
from triage.hashdb.algorithms import WIDTHS, hex_rows_to_bytes, parse_hex
from triage.hashdb.collect import EntryCollector
from triage.hashdb.formats.registry import ImportOptions, register
from triage.hashdb.formats.textio import head_text, iter_lines
from triage.hashdb.setinfo import SetKind

SQLITE_MAGIC = b"SQLite format 3\x00"
LEGACY_HEADER = '"SHA-1","MD5"'
FETCH_ROWS = 200_000  # rows per SQLite fetch: bounded memory, numpy-sized batches
_RDS_COLUMNS = ("sha256", "sha1", "md5")


def _add_column(
    values: list, rowids: list[int], algorithm: str, sink: EntryCollector, where: str
) -> None:
    """Decode one hash column of a batch with numpy; odd values are rejected one by one."""
    hex_len = 2 * WIDTHS[algorithm]
    good = [i for i, v in enumerate(values) if isinstance(v, str) and len(v) == hex_len]
    if good:
        text = "".join(values[i] for i in good).encode("ascii", errors="replace")
        rows = np.frombuffer(text, dtype=np.uint8).reshape(len(good), hex_len)
        digests, valid = hex_rows_to_bytes(rows)
        sink.add_many(algorithm, digests[valid])
        bad = [good[i] for i in np.flatnonzero(~valid).tolist()]
    else:
        bad = []
    taken = set(good)
    bad += [i for i, v in enumerate(values) if v not in (None, "") and i not in taken]
    for i in sorted(bad):
        sink.stats.reject(
            where, f"FILE rowid {rowids[i]}", f"{algorithm} is not {hex_len} hex digits"
        )


@dataclass(frozen=True)
class Nsrl:
    name: str = "nsrl"
    description: str = "NSRL RDS v3 SQLite or legacy NSRLFile.txt (known-good)"
    priority: int | None = 10
    kind: SetKind | None = SetKind.KNOWN_GOOD

    def sniff(self, head: bytes, path: Path) -> bool:
        if head.startswith(SQLITE_MAGIC):
            return True
        return head_text(path, 256).lstrip().startswith(LEGACY_HEADER)

    def run(self, path: Path, sink: EntryCollector, options: ImportOptions) -> None:
        with path.open("rb") as handle:
            is_sqlite = handle.read(16) == SQLITE_MAGIC
        if is_sqlite:
            self._rds(path, sink)
        else:
            self._legacy(path, sink)

    @staticmethod
    def _rds(path: Path, sink: EntryCollector) -> None:
        where = str(path)
        # Read-only and immutable: SQLite writes nothing (no journal, no lock files) beside it.
        uri = f"{path.resolve().as_uri()}?mode=ro&immutable=1"
        try:
            with sqlite3.connect(uri, uri=True) as db:
                # A damaged database can hold invalid UTF-8; it is reported, never raised raw.
                db.text_factory = lambda raw: raw.decode("utf-8", "replace")
                names = {row[1].lower() for row in db.execute("PRAGMA table_info(FILE)")}
                wanted = [c for c in _RDS_COLUMNS if c in names]
                if not wanted:
                    raise InvalidInputError(
                        f"{where} has no FILE table with sha256, sha1 or md5; "
                        "is it an NSRL RDS v3 database?"
                    )
                # Columns come from the fixed _RDS_COLUMNS, never from the file.
                cursor = db.execute(f"SELECT rowid, {', '.join(wanted)} FROM FILE")  # noqa: S608
                while batch := cursor.fetchmany(FETCH_ROWS):
                    rowids = [row[0] for row in batch]
                    for offset, algorithm in enumerate(wanted, start=1):
                        values = [row[offset] for row in batch]
                        _add_column(values, rowids, algorithm, sink, where)
        except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
            raise InvalidInputError(f"{where} is not a readable SQLite database ({exc}).") from exc

    @staticmethod
    def _legacy(path: Path, sink: EntryCollector) -> None:
        where = str(path)
        header: list[str] | None = None
        for number, line in iter_lines(path):
            if not line.strip():
                continue
            try:
                fields = next(csv.reader([line]))
            except csv.Error as exc:
                sink.stats.reject(where, number, f"not a CSV row ({exc})")
                continue
            if header is None:
                header = [f.strip().lower() for f in fields]
                if "md5" not in header and "sha-1" not in header:
                    raise InvalidInputError(f"{where}:{number}: not an NSRLFile.txt header.")
                continue
            if len(fields) != len(header):
                sink.stats.reject(
                    where, number, f"{len(fields)} fields where the header has {len(header)}"
                )
                continue
            row = dict(zip(header, fields, strict=True))
            parsed = []
            for column, algorithm in (("sha-1", "sha1"), ("md5", "md5"), ("sha256", "sha256")):
                if row.get(column):
                    found = parse_hex(row[column], algorithm)
                    if found is None:
                        sink.stats.reject(where, number, f"{column.upper()} is not a hex digest")
                        break
                    parsed.append(found)
            else:
                for algorithm, digest in parsed:
                    sink.add(algorithm, digest)


NSRL = register(Nsrl())
