"""The registered extractors, tried in registration order; a duplicate name is an error."""

from __future__ import annotations

import re
from functools import cache
from typing import NamedTuple

from triage.artefacts.base import Extractor

EXTRACTORS: dict[str, Extractor] = {}


def register(extractor: Extractor) -> Extractor:
    if extractor.name in EXTRACTORS:
        raise ValueError(f"artefact extractor {extractor.name!r} is registered twice")
    EXTRACTORS[extractor.name] = extractor
    _index.cache_clear()
    return extractor


# Glob characters: a pattern's literal tail is what follows the last of them.
_WILDCARDS = re.compile(r"[*?\[\]]")


class _Index(NamedTuple):
    combined: re.Pattern[str]
    extractors: tuple[Extractor, ...]
    suffixes: tuple[str, ...]  # companion names that follow the primary's name
    names: frozenset[str]  # companion names of their own
    tails: tuple[str, ...]  # every pattern's literal end: a path ending otherwise matches none


@cache
def _index() -> _Index:
    """Every extractor's patterns as one regex (group e<i> for the i-th extractor), the
    lower-case companion suffixes and names, and the patterns' literal tails: the scan asks
    about every file it lists, and asking each extractor in turn cost ~20 µs a file on the
    listing thread. Even as one regex, each `*/` branch scans the path again (32 µs a file,
    1.6 s of the household scan's listing thread under py-spy); most paths end in none of
    the tails and are turned away by one `str.endswith`."""
    extractors = tuple(EXTRACTORS.values())
    # An alternation tries its branches in order, so the first extractor that matches wins,
    # as in registration order one by one.
    combined = re.compile("|".join(f"(?P<e{i}>{e.regex.pattern})"
                                   for i, e in enumerate(extractors)) or "(?!)")
    templates = [t.lower() for e in extractors for t in e.companions]
    suffixes = tuple(t.removeprefix("{name}") for t in templates if t.startswith("{name}"))
    names = frozenset(t for t in templates if not t.startswith("{name}"))
    # A pattern ending in a wildcard has the empty tail, which every path ends with.
    tails = tuple({_WILDCARDS.split(p.lower())[-1] for e in extractors for p in e.patterns})
    return _Index(combined, extractors, suffixes, names, tails)


def extractor_for(path: str) -> Extractor | None:
    """The extractor that reads the file at `path` (a path inside its volume), or None."""
    index = _index()
    lower = path.lower()
    if not lower.endswith(index.tails):
        return None
    found = index.combined.match(lower)
    return None if found is None else index.extractors[int(found.lastgroup[1:])]  # type: ignore[index]


def companion_of(path: str) -> tuple[Extractor, str] | None:
    """(extractor, primary path) when `path` is a file read beside another (a -wal)."""
    index = _index()
    name = path.rpartition("/")[2].lower()
    if not name.endswith(index.suffixes) and name not in index.names:
        return None  # no extractor's companion has this name
    for extractor in index.extractors:
        primary = extractor.primary_of(path)
        if primary is not None:
            return extractor, primary
    return None
