"""The registered extractors, tried in registration order; a duplicate name is an error."""

from __future__ import annotations

import re
from functools import cache

from triage.artefacts.base import Extractor

EXTRACTORS: dict[str, Extractor] = {}


def register(extractor: Extractor) -> Extractor:
    if extractor.name in EXTRACTORS:
        raise ValueError(f"artefact extractor {extractor.name!r} is registered twice")
    EXTRACTORS[extractor.name] = extractor
    _index.cache_clear()
    return extractor


@cache
def _index() -> tuple[re.Pattern[str], tuple[Extractor, ...], tuple[str, ...], frozenset[str]]:
    """Every extractor's patterns as one regex (group e<i> for the i-th extractor), and the
    lower-case companion suffixes and names: the scan asks about every file it lists, and
    asking each extractor in turn cost ~20 µs a file on the listing thread."""
    extractors = tuple(EXTRACTORS.values())
    # An alternation tries its branches in order, so the first extractor that matches wins,
    # as in registration order one by one.
    combined = re.compile("|".join(f"(?P<e{i}>{e.regex.pattern})"
                                   for i, e in enumerate(extractors)) or "(?!)")
    templates = [t.lower() for e in extractors for t in e.companions]
    suffixes = tuple(t.removeprefix("{name}") for t in templates if t.startswith("{name}"))
    names = frozenset(t for t in templates if not t.startswith("{name}"))
    return combined, extractors, suffixes, names


def extractor_for(path: str) -> Extractor | None:
    """The extractor that reads the file at `path` (a path inside its volume), or None."""
    combined, extractors, _, _ = _index()
    found = combined.match(path.lower())
    return None if found is None else extractors[int(found.lastgroup[1:])]  # type: ignore[index]


def companion_of(path: str) -> tuple[Extractor, str] | None:
    """(extractor, primary path) when `path` is a file read beside another (a -wal)."""
    _, extractors, suffixes, names = _index()
    name = path.rpartition("/")[2].lower()
    if not name.endswith(suffixes) and name not in names:
        return None  # no extractor's companion has this name
    for extractor in extractors:
        primary = extractor.primary_of(path)
        if primary is not None:
            return extractor, primary
    return None
