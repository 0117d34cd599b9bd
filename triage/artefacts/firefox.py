"""Firefox-family history (Firefox, Firefox ESR, Tor Browser, LibreWolf) from places.sqlite,
and the settings that clear or hide it (prefs.js)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

from triage.artefacts.base import Extractor, Origin
from triage.artefacts.historygap import history_gap
from triage.artefacts.record import Artefact
from triage.artefacts.sqlitedb import opened, tables
from triage.artefacts.visits import Visits

# prefs.js settings that clear history or never keep it. `sanitizeOnShutdown` alone only says
# something is cleared at exit (Firefox sets it for "delete cookies and site data" too); history
# is cleared only when `clearOnShutdown.history` (or its v2 name) is also true.
_HISTORY_CLEARED = ("privacy.clearOnShutdown.history",
                    "privacy.clearOnShutdown_v2.historyFormDataAndDownloads")
_NO_HISTORY = ("browser.privatebrowsing.autostart",)
_PREF = re.compile(r'^\s*user_pref\("([^"]+)",\s*(.+?)\);\s*$', re.MULTILINE)


def _pref_value(raw: str) -> object:
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def browser_name(path: str) -> str:
    lowered = path.lower()
    if "tor browser" in lowered or "torbrowser" in lowered or "tor-browser" in lowered:
        return "Tor Browser"
    if "librewolf" in lowered:
        return "LibreWolf"
    return "Firefox"


class FirefoxHistory(Extractor):
    name = "firefox-history"
    patterns = ("*/places.sqlite",)
    companions = ("{name}-wal", "{name}-journal", "prefs.js", "times.json")

    def extract(self, copy: Path, origin: Origin) -> Iterator[Artefact]:
        base = {"browser": browser_name(origin.path)}
        visits = Visits(origin, base)
        with opened(copy) as db:
            present = tables(db)
            if not {"moz_places", "moz_historyvisits"} <= present:
                return
            yield from visits.records(
                (url, title, when / 1_000_000 if when else None, count)
                for url, title, when, count in db.execute(
                    "SELECT p.url, p.title, v.visit_date, p.visit_count FROM moz_historyvisits v "
                    "JOIN moz_places p ON p.id = v.place_id ORDER BY v.id"))
            if "moz_inputhistory" in present:
                for typed, url, when in db.execute(
                        "SELECT i.input, p.url, p.last_visit_date FROM moz_inputhistory i "
                        "JOIN moz_places p ON p.id = i.place_id"):
                    yield Artefact("browser-search", when / 1_000_000 if when else None,
                                   origin.address, origin.profile,
                                   {**base, "terms": typed, "url": url, "typed": True})
        yield from self._settings(copy.parent, origin, base, visits.first)

    def _settings(self, folder: Path, origin: Origin, base: dict[str, str],
                  first_visit: float | None) -> Iterator[Artefact]:
        prefs = folder / "prefs.js"
        values: dict[str, object] = {}
        if prefs.is_file():
            text = prefs.read_text("utf-8", "replace")
            values = {name: _pref_value(raw) for name, raw in _PREF.findall(text)}
        for name in (*_HISTORY_CLEARED, *_NO_HISTORY):
            if values.get(name) is True and (name in _NO_HISTORY or values.get(
                    "privacy.sanitize.sanitizeOnShutdown") is True):
                yield Artefact("browser-setting", None, origin.address, origin.profile,
                               {**base, "setting": name, "value": True,
                                "meaning": "history is never kept" if name in _NO_HISTORY
                                else "history is deleted when the browser closes"})
        times = folder / "times.json"
        if first_visit is not None and times.is_file():
            try:
                created = json.loads(times.read_text("utf-8")).get("created") / 1000
            except (ValueError, TypeError, AttributeError):
                return
            gap = history_gap(first_visit, created, origin, base)
            if gap is not None:
                yield gap
