"""Safari's History.db: plaso's published database, and one written with WebKit's schema whose
latest visits are still in its -wal (read from a copy, never in place)."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import shutil
import sqlite3
from pathlib import Path

import pytest

from triage.artefacts.base import ExtractError, Origin
from triage.artefacts.safari import SafariHistory, mac_time

DATA = Path(__file__).resolve().parents[1] / "data" / "published"
PATH = "/Users/alex/Library/Safari/History.db"
# WebKit's own table definitions, as in plaso's published History.db (Safari 11).
SCHEMA = """
CREATE TABLE history_items (id INTEGER PRIMARY KEY AUTOINCREMENT,url TEXT NOT NULL UNIQUE,
 domain_expansion TEXT NULL,visit_count INTEGER NOT NULL,daily_visit_counts BLOB NOT NULL,
 weekly_visit_counts BLOB NULL,autocomplete_triggers BLOB NULL,
 should_recompute_derived_visit_counts INTEGER NOT NULL,visit_count_score INTEGER NOT NULL);
CREATE TABLE history_visits (id INTEGER PRIMARY KEY AUTOINCREMENT,history_item INTEGER NOT NULL
 REFERENCES history_items(id) ON DELETE CASCADE,visit_time REAL NOT NULL,title TEXT NULL,
 load_successful BOOLEAN NOT NULL DEFAULT 1,http_non_get BOOLEAN NOT NULL DEFAULT 0,
 synthesized BOOLEAN NOT NULL DEFAULT 0,redirect_source INTEGER NULL UNIQUE,
 redirect_destination INTEGER NULL UNIQUE,origin INTEGER NOT NULL DEFAULT 0,
 generation INTEGER NOT NULL DEFAULT 0,attributes INTEGER NOT NULL DEFAULT 0,
 score INTEGER NOT NULL DEFAULT 0);
"""


def _mac(when: dt.datetime) -> float:
    return (when - dt.datetime(2001, 1, 1, tzinfo=dt.UTC)).total_seconds()


def test_plasos_published_history(tmp_path: Path) -> None:
    copy = tmp_path / "History.db"
    copy.write_bytes(gzip.decompress((DATA / "safari-History.db.gz").read_bytes()))
    assert hashlib.sha256(copy.read_bytes()).hexdigest() == (
        "2e87d99d0bc7765e523ee1250828e82fb350780c0c28020db6bb0b0ce8d3f351")
    assert SafariHistory().wants(PATH) and not SafariHistory().wants("/Users/a/History.db")
    assert SafariHistory().primary_of(PATH + "-wal") == PATH
    records = list(SafariHistory().extract(copy, Origin("src", PATH, "alex")))
    found = [a for a in records if a.kind == "browser-visit"]
    assert len(found) == 25  # plaso's own test counts 25 visits in this file
    facebook = [a for a in found if a.fields["url"] == "http://facebook.com/"]
    # plaso's test: the second visit, 2017-11-09T21:24:28.829571Z, untitled, visit count 2
    assert facebook[0].fields == {"browser": "Safari", "url": "http://facebook.com/",
                                  "host": "facebook.com", "title": "", "visit_count": 2}
    assert dt.datetime.fromtimestamp(facebook[0].time, dt.UTC).isoformat() == (
        "2017-11-09T21:24:28.829571+00:00")
    assert all(a.profile == "alex" for a in records)
    # Six tombstones: spans cleared ("Clear History"), one of them everything up to its end.
    cleared = [a for a in records if a.kind == "browser-setting"]
    assert len(records) == 31 and len(cleared) == 6
    assert {a.fields["setting"] for a in cleared} == {"history cleared"}
    assert cleared[0].fields["value"] == "2017-11-07T18:30:20Z to 2017-11-07T19:30:20Z"
    everything = cleared[2]
    assert everything.fields["value"] == "all history"
    assert everything.fields["meaning"] == ("all history up to 2017-11-07T23:27:23.583456Z was "
                                            "deleted in Safari (a WebKit tombstone)")
    assert everything.time == 978_307_200 + 531790043.583456


def test_visits_still_in_the_wal_are_read_from_the_copy(tmp_path: Path) -> None:
    live = tmp_path / "live"
    live.mkdir()
    db = sqlite3.connect(live / "History.db")
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA wal_autocheckpoint=0")
    db.executescript(SCHEMA)
    when = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)
    db.execute("INSERT INTO history_items VALUES (1, 'https://www.google.com/search?q=tor+"
               "browser+download', NULL, 1, x'', NULL, NULL, 0, 1)")
    db.execute("INSERT INTO history_visits (history_item, visit_time, title) VALUES "
               "(1, ?, 'tor browser download - Google Search')", (_mac(when),))
    db.commit()  # left in History.db-wal: the connection stays open, nothing checkpoints
    copy = tmp_path / "copy"
    copy.mkdir()
    for part in live.glob("History.db*"):
        shutil.copy(part, copy / part.name)
    db.close()
    assert (copy / "History.db-wal").stat().st_size > 0
    found = list(SafariHistory().extract(copy / "History.db", Origin("src", PATH, "alex")))
    assert [a.kind for a in found] == ["browser-visit", "browser-search"]
    assert found[1].fields["terms"] == "tor browser download"
    assert found[0].time == when.timestamp()
    assert found[0].fields["title"] == "tor browser download - Google Search"


def test_mac_time_and_a_damaged_database(tmp_path: Path) -> None:
    assert mac_time(0) is None and mac_time(None) is None
    assert mac_time(1.5) == 978_307_201.5
    bad = tmp_path / "History.db"
    bad.write_bytes(b"SQLite format 3\0" + b"\xff" * 4000)
    with pytest.raises(ExtractError, match="damaged or locked database"):
        list(SafariHistory().extract(bad, Origin("a", PATH, None)))
