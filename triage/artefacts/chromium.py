"""Chromium-family history (Chrome, Edge, Brave, Opera, Vivaldi, Chromium): visits, searches,
downloads, from the `History` SQLite database; and a profile whose oldest visit is long after
it was made (Preferences), what clearing the history leaves."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from triage.artefacts.base import Extractor, Origin
from triage.artefacts.historygap import history_gap
from triage.artefacts.record import Artefact
from triage.artefacts.searches import search_terms
from triage.artefacts.sqlitedb import opened, tables
from triage.artefacts.visits import Visits

# Chromium keeps times as microseconds since 1601-01-01 UTC (WebKit/Windows epoch).
_EPOCH_OFFSET_S = 11_644_473_600
# A profile's Preferences is a few hundred KB; a larger one is not a settings file.
PREFERENCES_MAX = 16 * 1024 * 1024


def webkit_time(value: int | None) -> float | None:
    if not value or value <= 0:
        return None
    return value / 1_000_000 - _EPOCH_OFFSET_S


def browser_name(path: str) -> str:
    lowered = path.lower()
    for needle, name in (("/microsoft/edge", "Edge"), ("brave", "Brave"), ("opera", "Opera"),
                         ("vivaldi", "Vivaldi"), ("/chromium", "Chromium"),
                         ("chrome", "Chrome")):
        if needle in lowered:
            return name
    return "Chromium-family"


def _profile_created(preferences: Path) -> float | None:
    """When the profile was made: Preferences' profile.creation_time (WebKit microseconds,
    as text); None when the file is absent, too large for a settings file, or damaged."""
    try:
        if preferences.stat().st_size > PREFERENCES_MAX:
            return None
        profile = json.loads(preferences.read_text("utf-8", "replace")).get("profile")
        return webkit_time(int(profile["creation_time"]))
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None


class ChromiumHistory(Extractor):
    name = "chromium-history"
    patterns = (
        "*/google/chrome*/user data/*/history", "*/microsoft/edge*/user data/*/history",
        "*/bravesoftware/brave-browser*/user data/*/history", "*/opera software/*/history",
        "*/vivaldi/user data/*/history", "*/chromium/user data/*/history",
        "*/.config/google-chrome*/*/history", "*/.config/chromium/*/history",
        "*/.config/bravesoftware/brave-browser/*/history", "*/.config/microsoft-edge*/*/history",
        "*/library/application support/google/chrome/*/history",
        "*/library/application support/microsoft edge/*/history",
        "*/library/application support/bravesoftware/brave-browser/*/history",
    )
    companions = ("{name}-wal", "{name}-journal", "Preferences")

    def extract(self, copy: Path, origin: Origin) -> Iterator[Artefact]:
        browser = browser_name(origin.path)
        base = {"browser": browser}
        visits = Visits(origin, base)
        with opened(copy) as db:
            present = tables(db)
            if not {"urls", "visits"} <= present:
                return
            yield from visits.records(
                (url, title, webkit_time(when), count) for url, title, when, count in db.execute(
                    "SELECT urls.url, urls.title, visits.visit_time, urls.visit_count "
                    "FROM visits JOIN urls ON urls.id = visits.url ORDER BY visits.id"))
            if "keyword_search_terms" in present:
                for term, url, when in db.execute(
                        "SELECT k.term, u.url, u.last_visit_time FROM keyword_search_terms k "
                        "JOIN urls u ON u.id = k.url_id"):
                    if search_terms(url or "") != term:  # not already read from the url
                        yield Artefact("browser-search", webkit_time(when), origin.address,
                                       origin.profile, {**base, "terms": term, "url": url})
            if "downloads" in present:
                chain = ("(SELECT c.url FROM downloads_url_chains c WHERE c.id = d.id "
                         "ORDER BY c.chain_index DESC LIMIT 1)"
                         if "downloads_url_chains" in present else "NULL")
                query = f"SELECT d.target_path, d.start_time, d.total_bytes, {chain} FROM downloads d"  # noqa: S608, E501 - fixed text, no values
                for target, when, size, url in db.execute(query):
                    yield Artefact("browser-download", webkit_time(when), origin.address,
                                   origin.profile, {**base, "url": url or "",
                                                    "target_path": target, "bytes": size})
        gap = history_gap(visits.first, _profile_created(copy.parent / "Preferences"), origin,
                          base)
        if gap is not None:
            yield gap
