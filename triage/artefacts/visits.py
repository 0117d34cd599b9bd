"""The visit loop every browser shares: a browser-visit record per visit, a browser-search
record when the page is a results page, and the oldest visit seen (for the history gap)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from triage.artefacts.base import Origin
from triage.artefacts.record import Artefact
from triage.artefacts.searches import url_facts


class Visits:
    """Records from (url, title, POSIX seconds or None, visit count) rows of one profile."""

    def __init__(self, origin: Origin, base: dict[str, Any]) -> None:
        self.origin = origin
        self.base = base
        self.first: float | None = None  # the oldest visit time seen so far

    def records(self, rows: Iterable[tuple[Any, Any, float | None, Any]]) -> Iterator[Artefact]:
        origin, base = self.origin, self.base
        for url, title, seconds, count in rows:
            if seconds is not None and (self.first is None or seconds < self.first):
                self.first = seconds
            host, terms = url_facts(url or "")
            yield Artefact("browser-visit", seconds, origin.address, origin.profile,
                           {**base, "url": url, "host": host, "title": title or "",
                            "visit_count": count})
            if terms:
                yield Artefact("browser-search", seconds, origin.address, origin.profile,
                               {**base, "terms": terms, "url": url})
