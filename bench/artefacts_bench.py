"""Benchmark of artefact extraction: a browser history of 100,000 visits, records per second.

    python bench/artefacts_bench.py [--visits 100000]

A real Chromium profile is made headless (tests/artefacts/browsers.py), then its History is
filled to `--visits` visits through SQL, as years of browsing would. The extractor is timed
against the baseline of the same rows read by a bare sqlite3 query (the floor), side by side.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _artefact_overhead import notes_tree, with_and_without  # noqa: E402

from tests.artefacts.browsers import chromium_profile  # noqa: E402
from triage.artefacts.base import Origin  # noqa: E402
from triage.artefacts.chromium import ChromiumHistory  # noqa: E402

GOAL_RECORDS_PER_S = 50_000
GOAL_SCAN_OVERHEAD = 1.10
PATH = "/Users/alex/AppData/Local/Google/Chrome/User Data/Default/History"


def fill(history: Path, visits: int) -> None:
    with sqlite3.connect(history) as db:
        start = 13_300_000_000_000_000  # 2022 in Chromium's microseconds since 1601
        for n in range(0, visits, 1000):
            rows = [(f"https://example{i % 5000}.org/page/{i}", f"Page {i}", 1, start + i * 10**7)
                    for i in range(n, min(visits, n + 1000))]
            db.executemany("INSERT INTO urls (url, title, visit_count, last_visit_time) "
                           "VALUES (?, ?, ?, ?)", rows)
        db.execute("INSERT INTO visits (url, visit_time, from_visit, transition, segment_id, "
                   "visit_duration) SELECT id, last_visit_time, 0, 1, 0, 0 FROM urls")


def scan_overhead(folder: Path, history: Path, files: int) -> tuple[float, float]:
    """Seconds to scan a folder tree of `files` small files holding one browser profile, with
    and without artefacts (the same tree, each run twice, the faster kept)."""
    tree = notes_tree(folder / "tree", files)
    chrome = tree / Path(PATH).parent.relative_to("/")
    chrome.mkdir(parents=True)
    for part in history.parent.glob("History*"):
        shutil.copy(part, chrome / part.name)
    return with_and_without(tree, folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=100_000)
    parser.add_argument("--files", type=int, default=20_000, help="files in the scanned tree")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        history = chromium_profile(work / "profile")
        fill(history, args.visits)
        copy = work / "copy"
        copy.mkdir()
        for part in history.parent.glob("History*"):
            shutil.copy(part, copy / part.name)
        started = time.perf_counter()
        with sqlite3.connect(copy / "History") as db:
            rows = db.execute("SELECT urls.url, urls.title, visits.visit_time, urls.visit_count "
                              "FROM visits JOIN urls ON urls.id = visits.url").fetchall()
        floor = time.perf_counter() - started
        started = time.perf_counter()
        records = list(ChromiumHistory().extract(copy / "History", Origin("bench", PATH, "alex")))
        ours = time.perf_counter() - started
        small = work / "small"
        small_history = chromium_profile(small / "profile")
        with_artefacts, without = scan_overhead(work, small_history, args.files)
    rate = len(records) / ours
    print(f"{len(rows):,} visits, {len(records):,} records\n")
    print("| measure | ours | baseline / goal | ratio |")
    print("|---|---|---|---|")
    print(f"| Chromium history extraction, records/s | {rate:,.0f} | goal {GOAL_RECORDS_PER_S:,} "
          f"| {rate / GOAL_RECORDS_PER_S:.2f}x |")
    print(f"| same, against a bare sqlite3 read of the rows | {ours:.2f} s | {floor:.2f} s "
          f"| {ours / floor:.1f}x the floor |")
    print(f"| scan of a {args.files:,}-file folder tree with a browser profile, s | "
          f"{with_artefacts:.2f} s (artefacts on) | {without:.2f} s (--no-artefacts), goal "
          f"<= {GOAL_SCAN_OVERHEAD:.2f}x | {with_artefacts / without:.2f}x |")


if __name__ == "__main__":
    main()
