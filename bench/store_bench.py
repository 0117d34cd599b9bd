"""Benchmark of the reports store: verified ingest rate, per-person and force-wide queries.

    python bench/store_bench.py                       # 100,000 reports, 100 findings each
    python bench/store_bench.py --reports 10000 --backend sqlite

Ingest is measured on `--ingest-sample` real signed report folders (verified like any ingest),
against the baseline of `triage review DIR` re-verifying the same folders. The store is then
filled to `--reports` visits (rows written directly, without signing, to save hours) and the
supervisors' queries are timed on it. Nothing is asserted; ratios are printed against goals.
"""

from __future__ import annotations

import argparse
import gzip
import random
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text  # noqa: E402

from tests.store import postgres  # noqa: E402
from triage import keys  # noqa: E402
from triage.report.canonical import canonical_bytes  # noqa: E402
from triage.report.manifest import write_manifest  # noqa: E402
from triage.report.review import review_reports  # noqa: E402
from triage.report.sign import SIGNER, make_entry, write_signatures  # noqa: E402
from triage.store import open_store, store_url  # noqa: E402
from triage.store.engine import Store  # noqa: E402
from triage.store.facts import visit_facts  # noqa: E402
from triage.store.ingest import prepare, record_many  # noqa: E402
from triage.store.queries import new_since, summary_by_month  # noqa: E402
from triage.store.writers import ReportRows, strategy_for, write_batch  # noqa: E402

GOALS = {"ingest sqlite": 200.0, "ingest postgresql": 500.0, "new-since ms": 50.0,
         "summary ms": 1000.0}
VISITS_PER_PERSON = 5
SHAS = [f"{i:064x}" for i in range(5000)]


def synthetic_report(i: int, per_report: int, rng: random.Random) -> dict[str, Any]:
    """A report.json of visit `i`: a person, a month, a device, `per_report` findings."""
    month = 1 + i % 12
    person = f"P-{i // VISITS_PER_PERSON:06d}"
    budget = rng.random() < 0.15  # some visits run out of time
    found = [{"kind": "exact", "severity": "high", "title": "Known file",
              "hashset": "caid-2026", "sha256": rng.choice(SHAS), "source": "disk.img",
              "path": f"/Users/p/Pictures/{rng.randrange(10**6)}.jpg",
              "address": f"disk.img · p1@1048576 ntfs · /Users/p/{j}.jpg"}
             for j in range(per_report)]
    return {
        "schema": "triage-report/1",
        "verdict": {"level": "red" if found else "green", "reasons": []},
        "findings": found,
        "coverage": {"complete": not budget, "volumes": [], "not_examined": [],
                     "time_budget": {"minutes": 20, "reached": budget}, "stopped_early": None},
        "provenance": {"tool": {"name": "triage", "version": "0.1.0"},
                       "started_utc": f"2026-{month:02d}-{1 + i % 28:02d}T{i % 24:02d}:00:00Z",
                       "finished_utc": f"2026-{month:02d}-{1 + i % 28:02d}T{i % 24:02d}:20:00Z",
                       "case": f"C-{i}", "officer": f"PC {i % 400}", "subject": person,
                       "evidence": [{"source": "disk.img", "size": 10**12, "model": "ACME",
                                     "serial": f"SN-{i // VISITS_PER_PERSON}"}]},
    }


def write_signed(folder: Path, report: dict[str, Any], key: keys.SigningKey) -> None:
    """A real sealed report folder (report.json, listing, manifest, signature; no exports)."""
    folder.mkdir(parents=True)
    (folder / "report.json").write_bytes(canonical_bytes(report))
    with open(folder / "files.jsonl.gz", "wb") as raw, gzip.GzipFile(
            fileobj=raw, mode="wb", mtime=0):
        pass  # an empty listing: the store never reads it
    manifest = write_manifest(folder, "0.1.0")
    write_signatures(folder, [make_entry(key, role=SIGNER, manifest=manifest,
                                         tool_version="0.1.0", previous=None)])


def ingest_rate(store: Store, folders: list[Path], trusted: Path, workers: int) -> float:
    """Reports per second through the same path as `triage store ingest --workers N`."""
    started = time.perf_counter()
    with ProcessPoolExecutor(workers) as pool:
        for outcome in record_many(store, pool.map(prepare, folders, [trusted] * len(folders),
                                                   chunksize=16)):
            assert outcome.outcome == "ingested", outcome.message
    return len(folders) / (time.perf_counter() - started)


def fill(store: Store, start: int, total: int, per_report: int, seed: int) -> None:
    """Add visits start..total-1 as rows (no folders): the store's size for the queries."""
    rng = random.Random(seed)
    strategy = strategy_for(store.engine.dialect.name)
    batch = 500
    for first in range(start, total, batch):
        rows = []
        for i in range(first, min(total, first + batch)):
            facts = visit_facts(synthetic_report(i, per_report, rng))
            row = {**facts.visit, "report_sha256": f"{i:064x}", "folder_sha256": "0" * 64,
                   "folder": f"/nowhere/{i}", "status": "verified", "accepted_untrusted": False,
                   "signer": "bench", "countersigned": i % 3 == 0, "countersigners": "[]"}
            rows.append(ReportRows(row, facts.devices, facts.findings))
        with store.engine.begin() as connection:
            write_batch(connection, rows, strategy)


def time_queries(store: Store, reports_total: int) -> tuple[float, float]:
    people = [f"P-{n:06d}" for n in random.Random(1).sample(
        range(reports_total // VISITS_PER_PERSON), 50)]
    new_since(store, people[0])  # warm the cache
    times = []
    for person in people:
        started = time.perf_counter()
        new_since(store, person)
        times.append((time.perf_counter() - started) * 1000)
    started = time.perf_counter()
    summary_by_month(store)
    return statistics.median(times), (time.perf_counter() - started) * 1000


def size_bytes(store: Store, path: Path | None) -> int:
    if path is not None:
        return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    with store.engine.connect() as connection:
        return int(connection.execute(text("SELECT pg_database_size(current_database())"))
                   .scalar())


def run_backend(name: str, url: str, sqlite_path: Path | None, folders: list[Path],
                trusted: Path, args: argparse.Namespace) -> dict[str, float]:
    store = open_store(url)
    try:
        workers = args.workers
        rate = ingest_rate(store, folders, trusted, workers)
        fill(store, len(folders), args.reports, args.findings, args.seed)
        with store.engine.begin() as connection:
            connection.execute(text("ANALYZE"))
        median_ms, summary_ms = time_queries(store, args.reports)
        per_report = size_bytes(store, sqlite_path) / args.reports
    finally:
        store.close()
    return {"ingest": rate, "workers": workers, "new_since_ms": median_ms,
            "summary_ms": summary_ms, "bytes_per_report": per_report}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--findings", type=int, default=100, help="findings per report")
    parser.add_argument("--ingest-sample", type=int, default=2000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--workers", type=int, default=2, help="verifying processes")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="store-bench-") as tmp:
        work = Path(tmp)
        key = keys.generate(work / "keys", "stick")
        trusted = work / "trusted"
        trusted.mkdir()
        (trusted / "stick.pub").write_bytes((work / "keys" / "stick.pub").read_bytes())
        rng = random.Random(args.seed)
        folders = []
        for i in range(args.ingest_sample):
            folder = work / "reports" / f"r{i:06d}"
            write_signed(folder, synthetic_report(i, args.findings, rng), key)
            folders.append(folder)
        started = time.perf_counter()
        review_reports(work / "reports", trusted)
        review_rate = len(folders) / (time.perf_counter() - started)
        results = {}
        if args.backend in ("sqlite", "both"):
            path = work / "store.sqlite"
            results["sqlite"] = run_backend("sqlite", store_url(str(path)), path, folders,
                                            trusted, args)
        if args.backend in ("postgresql", "both"):
            with postgres.cluster() as cluster:
                results["postgresql"] = run_backend("postgresql", cluster.url(), None,
                                                    folders, trusted, args)
    print(f"{args.reports:,} reports, {args.reports * args.findings:,} findings; ingest "
          f"measured on {args.ingest_sample:,} signed folders\n")
    print("| measure | back end | ours | baseline / goal | ratio |")
    print("|---|---|---|---|---|")
    for name, r in results.items():
        goal = GOALS[f"ingest {name}"]
        print(f"| ingest, reports/s ({int(r['workers'])} worker(s)) | {name} | {r['ingest']:,.0f} "
              f"| goal {goal:,.0f} | {r['ingest'] / goal:.2f}x |")
        print(f"| ingest vs `triage review DIR` re-verifying | {name} | {r['ingest']:,.0f} "
              f"| {review_rate:,.0f} reports/s | {r['ingest'] / review_rate:.2f}x |")
        print(f"| new since last complete visit, one person (median of 50), ms | {name} | "
              f"{r['new_since_ms']:.1f} | goal < {GOALS['new-since ms']:.0f} | "
              f"{r['new_since_ms'] / GOALS['new-since ms']:.2f} of goal |")
        print(f"| force-wide summary (visits by verdict per month), ms | {name} | "
              f"{r['summary_ms']:.0f} | goal < {GOALS['summary ms']:.0f} | "
              f"{r['summary_ms'] / GOALS['summary ms']:.2f} of goal |")
        print(f"| store size per report, bytes | {name} | {r['bytes_per_report']:,.0f} | - | - |")


if __name__ == "__main__":
    main()
