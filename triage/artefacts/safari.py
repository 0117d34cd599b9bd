"""Safari history (macOS `~/Library/Safari/History.db`): visits, the searches in them, and the
tombstones 'Clear History' leaves."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

from triage.artefacts.base import Extractor, Origin
from triage.artefacts.record import Artefact
from triage.artefacts.sqlitedb import opened, tables
from triage.artefacts.visits import Visits
from triage.model import iso_utc

# Safari keeps Mac absolute time: seconds (a REAL) since 2001-01-01 00:00:00 UTC.
_MAC_EPOCH_OFFSET_S = 978_307_200


def mac_time(value: float | None) -> float | None:
    if value is None or value <= 0:
        return None
    return float(value) + _MAC_EPOCH_OFFSET_S


class SafariHistory(Extractor):
    name = "safari-history"
    patterns = ("*/library/safari/history.db",)
    companions = ("{name}-wal", "{name}-journal")

    def extract(self, copy: Path, origin: Origin) -> Iterator[Artefact]:
        base = {"browser": "Safari"}
        with opened(copy) as db:
            present = tables(db)
            if not {"history_items", "history_visits"} <= present:
                return
            # A visit's title is its own (history_items keeps none); a redirect's source visit
            # is still a visit the browser made, so it is listed like any other.
            yield from Visits(origin, base).records(
                (url, title, mac_time(when), count) for url, title, when, count in db.execute(
                    "SELECT i.url, v.title, v.visit_time, i.visit_count FROM history_visits v "
                    "JOIN history_items i ON i.id = v.history_item ORDER BY v.id"))
            if "history_tombstones" in present:
                yield from self._tombstones(db, origin, base)

    @staticmethod
    def _tombstones(db: sqlite3.Connection, origin: Origin, base: dict[str, str]
                    ) -> Iterator[Artefact]:
        """What "Clear History" leaves: WebKit keeps a tombstone per cleared span (or page) so
        that synced devices clear it too; its end is when the history was cleared."""
        for start, end, url in db.execute(
                "SELECT start_time, end_time, url FROM history_tombstones ORDER BY id"):
            begins, ends = mac_time(start), mac_time(end)
            span = ("all history" if begins is None
                    else f"{iso_utc(begins)} to {iso_utc(ends)}")
            what = (f"the visits to {url}" if url else f"all history up to {iso_utc(ends)}"
                    if begins is None else f"history from {span}")
            yield Artefact("browser-setting", ends, origin.address, origin.profile, {
                **base, "setting": "history cleared", "value": span, "url": url or "",
                "meaning": f"{what} was deleted in Safari (a WebKit tombstone)"})
