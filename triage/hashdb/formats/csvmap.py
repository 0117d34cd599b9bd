"""Plain CSV with a header row: columns are found by name or mapped with --column ROLE=HEADER."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from triage.errors import InvalidInputError
from triage.hashdb.algorithms import WIDTHS, parse_hex
from triage.hashdb.collect import EntryCollector
from triage.hashdb.formats.registry import ImportOptions, register
from triage.hashdb.formats.textio import detect_encoding, head_text
from triage.hashdb.setinfo import SetKind

ROLES = ("md5", "sha1", "sha256", "category", "reference")
# Header names recognised without a mapping (lower case, spaces and dashes removed).
_ALIASES = {
    "md5": "md5",
    "md5hash": "md5",
    "sha1": "sha1",
    "sha1hash": "sha1",
    "sha256": "sha256",
    "sha256hash": "sha256",
    "category": "category",
    "cat": "category",
    "reference": "reference",
    "filename": "reference",
    "name": "reference",
    "mediaid": "reference",
    "file": "reference",
}
_DELIMITERS = ",;\t|"


def _normal(header: str) -> str:
    return header.strip().lower().replace(" ", "").replace("-", "").replace("_", "")


def resolve_columns(header: list[str], mapping: dict[str, str], where: str) -> dict[str, int]:
    """Role -> column index, from the explicit mapping first, then from known header names."""
    unknown = sorted(set(mapping) - set(ROLES))
    if unknown:
        raise InvalidInputError(
            f"--column role {unknown[0]!r} is unknown; use one of {', '.join(ROLES)}."
        )
    found: dict[str, int] = {}
    for role, name in mapping.items():
        matches = [i for i, h in enumerate(header) if h.strip() == name]
        if not matches:
            raise InvalidInputError(
                f"{where}:1: no column named {name!r} for {role}; the header has "
                f"{', '.join(h.strip() for h in header)}."
            )
        found[role] = matches[0]
    for index, name in enumerate(header):
        role = _ALIASES.get(_normal(name))
        if role is not None and role not in found and index not in found.values():
            found[role] = index
    if not set(found) & set(WIDTHS):
        raise InvalidInputError(
            f"{where}:1: no md5, sha1 or sha256 column; name one with --column md5=HEADER."
        )
    return found


@dataclass(frozen=True)
class CsvMap:
    name: str = "csv"
    description: str = "CSV with a header row (--column ROLE=HEADER maps other names)"
    priority: int | None = 60
    kind: SetKind | None = None

    def sniff(self, head: bytes, path: Path) -> bool:
        first = head_text(path, 2048).splitlines()[:1]
        if not first:
            return False
        for delimiter in _DELIMITERS:
            names = [_normal(n).strip('"') for n in first[0].split(delimiter)]
            if len(names) > 1 and any(_ALIASES.get(n) in WIDTHS for n in names):
                return True
        return False

    def run(self, path: Path, sink: EntryCollector, options: ImportOptions) -> None:
        where = str(path)
        with path.open("rb") as raw:
            codec, bom = detect_encoding(raw.read(4096))
            raw.seek(bom)
            text = io.TextIOWrapper(raw, encoding=codec, errors="replace", newline="")
            first = text.readline()
            delimiter = max(_DELIMITERS, key=first.count)
            reader = csv.reader(_chain(first, text), delimiter=delimiter)
            try:
                header = next(reader)
            except StopIteration:
                raise InvalidInputError(f"{where} is empty; export the CSV again.") from None
            columns = resolve_columns(header, options.columns, where)
            try:
                for fields in reader:
                    self._row(fields, reader.line_num, columns, where, sink)
            except csv.Error as exc:
                raise InvalidInputError(f"{where}:{reader.line_num}: {exc}; fix the CSV.") from exc

    @staticmethod
    def _row(
        fields: list[str], number: int, columns: dict[str, int], where: str, sink: EntryCollector
    ) -> None:
        if not any(f.strip() for f in fields):
            return
        if max(columns.values()) >= len(fields):
            sink.stats.reject(where, number, f"only {len(fields)} fields")
            return
        parsed = []
        for algorithm in WIDTHS:
            if algorithm in columns and fields[columns[algorithm]].strip():
                found = parse_hex(fields[columns[algorithm]], algorithm)
                if found is None:
                    sink.stats.reject(
                        where, number, f"{algorithm} is not {2 * WIDTHS[algorithm]} hex digits"
                    )
                    return
                parsed.append(found)
        if not parsed:
            sink.stats.reject(where, number, "no hash in the row")
            return
        category = fields[columns["category"]].strip() if "category" in columns else None
        reference = fields[columns["reference"]].strip() if "reference" in columns else None
        for algorithm, digest in parsed:
            sink.add(algorithm, digest, category=category or None, reference=reference or None)


def _chain(first: str, rest: io.TextIOWrapper):
    yield first
    yield from rest


CSV = register(CsvMap())
