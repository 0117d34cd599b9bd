"""Browser profiles made by the real browsers in Debian, run headless on local pages.

Each browser visits pages served from a temporary folder (file:// URLs: no network), then is
closed so it writes its history; what a headless browser cannot do (type into the address
bar, search an engine) is added afterwards through SQL, as a person's browsing would have.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FIREFOX = shutil.which("firefox-esr") or shutil.which("firefox")

PAGES = {"holiday.html": "Holiday photos", "forum.html": "A local forum page"}
SEARCH_URL = "https://www.google.com/search?q=how+to+wipe+a+laptop"
TYPED_TERMS = "veracrypt download"
# Chromium counts time in microseconds since 1601; this is 2026-11-20 12:00:00 UTC.
SEARCH_TIME_WEBKIT = (1_795_176_000 + 11_644_473_600) * 1_000_000


def _pages(folder: Path) -> list[str]:
    urls = []
    for name, title in PAGES.items():
        page = folder / name
        page.write_text(f"<html><head><title>{title}</title></head><body>{title}</body></html>")
        urls.append(page.as_uri())
    return urls


def chromium_profile(target: Path) -> Path:
    """A Chromium user-data folder that visited the local pages; returns its History file."""
    assert CHROMIUM is not None
    with tempfile.TemporaryDirectory() as pages:
        for url in _pages(Path(pages)):
            subprocess.run(  # noqa: S603 - fixed arguments, our own pages
                [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", f"--user-data-dir={target}", "--dump-dom", url],
                capture_output=True, timeout=120, check=True)
    history = target / "Default" / "History"
    with sqlite3.connect(history) as db:
        # What typing a search into the address bar leaves: the results page and the words.
        url_id = db.execute(
            "INSERT INTO urls (url, title, visit_count, typed_count, last_visit_time, hidden) "
            "VALUES (?, ?, 1, 1, ?, 0)", (SEARCH_URL, "how to wipe a laptop - Google Search",
                                          SEARCH_TIME_WEBKIT)).lastrowid
        db.execute("INSERT INTO visits (url, visit_time, from_visit, transition, segment_id, "
                   "visit_duration) VALUES (?, ?, 0, 1, 0, 0)", (url_id, SEARCH_TIME_WEBKIT))
        # The keyword id names the search engine in "Web Data"; 2 is Google's in a new profile.
        db.execute("INSERT INTO keyword_search_terms (keyword_id, url_id, term, normalized_term)"
                   " VALUES (2, ?, ?, ?)", (url_id, TYPED_TERMS, TYPED_TERMS))
    return history


def firefox_profile(target: Path) -> Path:
    """A Firefox profile folder that visited the local pages; returns its places.sqlite."""
    assert FIREFOX is not None
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as pages:
        for url in _pages(Path(pages)):
            subprocess.run(  # noqa: S603 - fixed arguments, our own pages
                [FIREFOX, "--headless", "--no-remote", "--profile", str(target),
                 "--screenshot", str(Path(pages) / "shot.png"), url],
                capture_output=True, timeout=180, check=True)
    return target / "places.sqlite"
