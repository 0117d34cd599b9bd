"""The registered extractors, tried in registration order; a duplicate name is an error."""

from __future__ import annotations

from triage.artefacts.base import Extractor

EXTRACTORS: dict[str, Extractor] = {}


def register(extractor: Extractor) -> Extractor:
    if extractor.name in EXTRACTORS:
        raise ValueError(f"artefact extractor {extractor.name!r} is registered twice")
    EXTRACTORS[extractor.name] = extractor
    return extractor


def extractor_for(path: str) -> Extractor | None:
    """The extractor that reads the file at `path` (a path inside its volume), or None."""
    return next((e for e in EXTRACTORS.values() if e.wants(path)), None)


def companion_of(path: str) -> tuple[Extractor, str] | None:
    """(extractor, primary path) when `path` is a file read beside another (a -wal)."""
    for extractor in EXTRACTORS.values():
        primary = extractor.primary_of(path)
        if primary is not None:
            return extractor, primary
    return None
