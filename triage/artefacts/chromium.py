"""Chromium-family history (Chrome, Edge, Brave, Opera, Vivaldi, Chromium): visits, searches,
downloads, from the `History` SQLite database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from triage.artefacts.base import Extractor, Origin
from triage.artefacts.record import Artefact
from triage.artefacts.searches import search_terms, url_facts
from triage.artefacts.sqlitedb import opened, tables

# Chromium keeps times as microseconds since 1601-01-01 UTC (WebKit/Windows epoch).
_EPOCH_OFFSET_S = 11_644_473_600


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
    companions = ("{name}-wal", "{name}-journal")

    def extract(self, copy: Path, origin: Origin) -> Iterator[Artefact]:
        browser = browser_name(origin.path)
        base = {"browser": browser}
        with opened(copy) as db:
            present = tables(db)
            if not {"urls", "visits"} <= present:
                return
            for url, title, when, count in db.execute(
                    "SELECT urls.url, urls.title, visits.visit_time, urls.visit_count "
                    "FROM visits JOIN urls ON urls.id = visits.url ORDER BY visits.id"):
                host, terms = url_facts(url or "")
                yield Artefact("browser-visit", webkit_time(when), origin.address,
                               origin.profile, {**base, "url": url, "host": host,
                                                "title": title or "", "visit_count": count})
                if terms:
                    yield Artefact("browser-search", webkit_time(when), origin.address,
                                   origin.profile, {**base, "terms": terms, "url": url})
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
