"""The registry of hash-set input formats and detection of a file's format by its content."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from triage.errors import InvalidInputError
from triage.hashdb.collect import EntryCollector
from triage.hashdb.setinfo import SetKind


@dataclass(frozen=True)
class ImportOptions:
    """Per-run choices some formats use."""

    algorithm: str | None = None  # force one algorithm (md5sum / sha1sum / sha256sum lists)
    category_map: dict[str, str] | None = None  # numeric category -> legal category (CAID)
    columns: dict[str, str] = field(default_factory=dict)  # CSV: role -> header name


class Importer(Protocol):
    """One input format: can it read this file, and read it into a collector."""

    name: str
    description: str
    priority: int | None  # detection order, lowest first; None: only when named with --format
    kind: SetKind | None  # the kind of set this format always makes (NSRL: known-good)

    def sniff(self, head: bytes, path: Path) -> bool:
        """True when the first bytes of `path` look like this format."""

    def run(self, path: Path, sink: EntryCollector, options: ImportOptions) -> None:
        """Stream `path` into `sink`, rejecting malformed rows into `sink.stats`."""


IMPORTERS: dict[str, Importer] = {}


def register(importer: Importer) -> Importer:
    """Add a format; a duplicate name is an error."""
    if importer.name in IMPORTERS:
        raise ValueError(f"hash-set format {importer.name!r} is already registered.")
    IMPORTERS[importer.name] = importer
    return importer


def get(name: str) -> Importer:
    try:
        return IMPORTERS[name]
    except KeyError:
        known = ", ".join(sorted(IMPORTERS))
        raise InvalidInputError(f"unknown hash-set format {name!r}; use one of: {known}.") from None


def detect(path: Path) -> Importer:
    """The format of `path` judged from its first bytes."""
    try:
        with path.open("rb") as handle:
            head = handle.read(8192)
    except OSError as exc:
        raise InvalidInputError(f"cannot read {path}: {exc.strerror}.") from exc
    # Binary magic first, loose text formats last; a priority of None is never guessed.
    candidates = [imp for imp in IMPORTERS.values() if imp.priority is not None]
    for importer in sorted(candidates, key=lambda imp: imp.priority or 0):
        if importer.sniff(head, path):
            return importer
    raise InvalidInputError(f"{path}: the format could not be recognised; name it with --format.")
