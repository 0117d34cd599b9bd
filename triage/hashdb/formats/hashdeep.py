"""hashdeep / md5deep audit files: `%%%% HASHDEEP-1.0`, a column header, `##` comments."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from triage.errors import InvalidInputError
from triage.hashdb.algorithms import WIDTHS, parse_hex
from triage.hashdb.collect import EntryCollector
from triage.hashdb.formats.registry import ImportOptions, register
from triage.hashdb.formats.textio import detect_encoding, iter_lines
from triage.hashdb.setinfo import SetKind

MAGIC = "%%%% HASHDEEP-1.0"
HEADER_PREFIX = "%%%% "
# hashdeep writes other algorithms (tiger, whirlpool, sha3) that no scan computes: ignored.
_NAMES = {"md5": "md5", "sha1": "sha1", "sha256": "sha256"}


@dataclass(frozen=True)
class Hashdeep:
    name: str = "hashdeep"
    description: str = "hashdeep audit file (%%%% HASHDEEP-1.0)"
    priority: int | None = 20
    kind: SetKind | None = None

    def sniff(self, head: bytes, path: Path) -> bool:
        codec, bom = detect_encoding(head)
        return head[bom:].decode(codec, errors="replace").startswith(MAGIC)

    def run(self, path: Path, sink: EntryCollector, options: ImportOptions) -> None:
        where = str(path)
        columns: list[str] | None = None
        for number, line in iter_lines(path):
            if number == 1:
                if line.strip() != MAGIC:
                    raise InvalidInputError(f"{where}:1: not a hashdeep file (no {MAGIC} line).")
                continue
            if line.startswith("##") or not line.strip():
                continue
            if line.startswith(HEADER_PREFIX):
                columns = [c.strip().lower() for c in line[len(HEADER_PREFIX) :].split(",")]
                if "filename" not in columns or not set(columns) & set(_NAMES):
                    raise InvalidInputError(
                        f"{where}:{number}: the column header names no md5, sha1 or sha256 "
                        "and filename; re-export with hashdeep -c md5,sha256."
                    )
                continue
            if columns is None:
                raise InvalidInputError(
                    f"{where}:{number}: a row comes before the `%%%% size,...` header line."
                )
            self._row(line, number, columns, where, sink)

    @staticmethod
    def _row(line: str, number: int, columns: list[str], where: str, sink: EntryCollector) -> None:
        # The file name is last and may itself hold commas: split only as often as needed.
        fields = line.split(",", len(columns) - 1)
        if len(fields) != len(columns):
            sink.stats.reject(
                where, number, f"{len(fields)} fields where the header has {len(columns)}"
            )
            return
        row = dict(zip(columns, fields, strict=True))
        if "size" in row and not row["size"].strip().isdigit():
            sink.stats.reject(where, number, f"size {row['size']!r} is not a number")
            return
        found = []
        for column, algorithm in _NAMES.items():
            if column in row:
                parsed = parse_hex(row[column], algorithm)
                if parsed is None:
                    width = 2 * WIDTHS[algorithm]
                    sink.stats.reject(where, number, f"{column} is not {width} hex digits")
                    return
                found.append(parsed)
        reference = os.path.basename(row["filename"].replace("\\", "/"))
        for algorithm, digest in found:
            sink.add(algorithm, digest, reference=reference or None)


HASHDEEP = register(Hashdeep())
