"""What an extractor is: the files it reads (by path) and the records it gets from a copy."""

from __future__ import annotations

import fnmatch
import re
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from triage.artefacts.record import Artefact


class ExtractError(Exception):
    """A file could not be read as this extractor's format; one sentence, the records so far
    are kept."""


@dataclass(frozen=True)
class Origin:
    """Where a copied file came from: its chained address and the profile it belongs to."""

    address: str
    path: str  # its path inside its volume ('/Users/alex/AppData/...')
    profile: str | None
    # The file's own last-modified time (POSIX seconds) when its file system keeps one: a
    # shortcut in Recent is rewritten each time its target is opened.
    modified: float | None = None


class Extractor(ABC):
    """A registered reader of one kind of artefact file (a browser's history, a hive...).

    `patterns` are case-insensitive globs over the file's path in its volume; `companions`
    are suffixes of files copied beside it (SQLite's -wal and -journal, a hive's .LOG1/.LOG2)
    so the extractor sees the database as the program last left it.
    """

    name: str
    patterns: tuple[str, ...]
    companions: tuple[str, ...] = ()

    def __init__(self) -> None:
        self._regex = re.compile("|".join(f"(?:{fnmatch.translate(p.lower())})"
                                          for p in self.patterns))

    @property
    def regex(self) -> re.Pattern[str]:
        """The patterns as one case-insensitive regex over a lower-cased path."""
        return self._regex

    def wants(self, path: str) -> bool:
        return self._regex.match(path.lower()) is not None

    def primary_of(self, path: str) -> str | None:
        """The path of the file this one accompanies ('/…/History' for '/…/History-wal').

        A fixed companion name ('prefs.js') accompanies the primary named by the last part of
        a pattern in the same folder ('*/places.sqlite').
        """
        folder, _, name = path.rpartition("/")
        for template in self.companions:
            if template.startswith("{name}"):
                suffix = template.removeprefix("{name}")
                if name.lower().endswith(suffix.lower()) and len(name) > len(suffix):
                    primary = path[: len(path) - len(suffix)]
                    if self.wants(primary):
                        return primary
            elif name.lower() == template.lower():
                for pattern in self.patterns:
                    candidate = f"{folder}/{pattern.rpartition('/')[2]}"
                    if "*" not in candidate.rpartition("/")[2] and self.wants(candidate):
                        return candidate
        return None

    @abstractmethod
    def extract(self, copy: Path, origin: Origin) -> Iterator[Artefact]:
        """Records from `copy` (a private copy in the output folder); raise ExtractError for a
        file that is not what it should be, after yielding what could be read."""
