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
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _store_cpu import CpuMeter, CpuSplit  # noqa: E402
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
from triage.store.writers import (  # noqa: E402
    STRATEGIES,
    ReportRows,
    strategy_for,
    write_batch,
)

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


def ingest_rate(store: Store, folders: list[Path], trusted: Path, workers: int,
                strategy: str | None) -> tuple[float, CpuSplit]:
    """Reports per second through the same path as `triage store ingest --workers N`, and
    the CPU it took (this process records, the workers verify, the server stores)."""
    with CpuMeter(store) as cpu:
        started = time.perf_counter()
        with ProcessPoolExecutor(workers) as pool:
            for outcome in record_many(store, pool.map(prepare, folders,
                                                       [trusted] * len(folders), chunksize=16),
                                       strategy=strategy):
                assert outcome.outcome == "ingested", outcome.message
        elapsed = time.perf_counter() - started
    return len(folders) / elapsed, cpu


def fill(store: Store, start: int, total: int, per_report: int, seed: int) -> None:
    """Add visits start..total-1 as rows (no folders): the store's size for the queries."""
    rng = random.Random(seed)
    strategy = strategy_for(store.engine.dialect.name)
    batch = 500
    for first in range(start, total, batch):
        rows = []
        for i in range(first, min(total, first + batch)):
            # b"": the synthetic reports are plain text (nothing for storable() to change).
            facts = visit_facts(synthetic_report(i, per_report, rng), b"")
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


def run_backend(new_store: Callable[[str], tuple[str, Path | None]], folders: list[Path],
                trusted: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Ingest into a fresh store per strategy (the baseline first), then time the queries
    on the store of the chosen strategy filled to --reports visits."""
    rates: dict[str, tuple[float, CpuSplit]] = {}
    url, sqlite_path = new_store("triage")
    store = open_store(url)
    try:
        chosen = strategy_for(store.engine.dialect.name, args.strategy).name
        if args.baseline_strategy not in ("none", chosen):
            base_store = open_store(new_store("triage_baseline")[0])
            try:
                rates[args.baseline_strategy] = ingest_rate(
                    base_store, folders, trusted, args.workers, args.baseline_strategy)
            finally:
                base_store.close()
        rates[chosen] = ingest_rate(store, folders, trusted, args.workers, chosen)
        fill(store, len(folders), args.reports, args.findings, args.seed)
        with store.engine.begin() as connection:
            connection.execute(text("ANALYZE"))
        median_ms, summary_ms = time_queries(store, args.reports)
        per_report = size_bytes(store, sqlite_path) / args.reports
    finally:
        store.close()
    return {"strategy": chosen, "rates": rates, "new_since_ms": median_ms,
            "summary_ms": summary_ms, "bytes_per_report": per_report}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--findings", type=int, default=100, help="findings per report")
    parser.add_argument("--ingest-sample", type=int, default=2000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--workers", type=int, default=2, help="verifying processes")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--strategy", choices=sorted(STRATEGIES), default=None,
                        help="how rows are written (default: each back end's own)")
    parser.add_argument("--baseline-strategy", choices=[*sorted(STRATEGIES), "none"],
                        default="executemany",
                        help="also ingest the sample this way into a fresh store, side by side")
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
            results["sqlite"] = run_backend(
                lambda name: (store_url(str(work / f"{name}.sqlite")),
                              work / f"{name}.sqlite"), folders, trusted, args)
        if args.backend in ("postgresql", "both"):
            with postgres.cluster() as cluster:
                results["postgresql"] = run_backend(
                    lambda name: (cluster.url() if name == postgres.DATABASE
                                  else cluster.create_database(name), None),
                    folders, trusted, args)
    print(f"{args.reports:,} reports, {args.reports * args.findings:,} findings; ingest "
          f"measured on {args.ingest_sample:,} signed folders with {args.workers} verifying "
          f"process(es); load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} at the "
          "end\n")
    print_table(results, review_rate, args)


def _cell(value: float, goal: float | None, unit: str = "") -> str:
    return f"{value:,.1f}{unit}" if goal is None else f"{value:,.1f}{unit} ({value / goal:.2f}x)"


def print_table(results: dict[str, dict[str, Any]], review_rate: float,
                args: argparse.Namespace) -> None:
    """One row a measure, one column a back end, the goal beside them."""
    names = list(results)
    rows: list[tuple[str, list[str], str]] = []
    ours = {n: results[n]["rates"][results[n]["strategy"]] for n in names}
    rows.append(("ingest, reports/s (verify + record; ratio to the goal)",
                 [f"**{ours[n][0]:,.0f}** ({ours[n][0] / GOALS[f'ingest {n}']:.2f}x, "
                  f"{results[n]['strategy']})" for n in names],
                 " / ".join(f"≥ {GOALS[f'ingest {n}']:,.0f}" for n in names)))
    if args.baseline_strategy != "none":
        cells = []
        for n in names:
            base = results[n]["rates"].get(args.baseline_strategy)
            cells.append("same path" if base is None else
                         f"{base[0]:,.0f} (ours {ours[n][0] / base[0]:.2f}x)")
        rows.append((f"ingest by {args.baseline_strategy} (the old path), reports/s", cells,
                     "–"))
    rows.append((f"ingest vs `triage review DIR` re-verifying ({review_rate:,.0f}/s)",
                 [f"{ours[n][0] / review_rate:.2f}x" for n in names], "–"))
    for strategy in dict.fromkeys(s for n in names for s in results[n]["rates"]):
        cells = []
        for n in names:
            measured = results[n]["rates"].get(strategy)
            if measured is None:
                cells.append("–")
                continue
            ms = measured[1].per_report_ms(args.ingest_sample)
            cells.append(f"{ms['workers']:.2f} / {ms['main']:.2f} / {ms['server']:.2f}")
        rows.append((f"CPU ms per report, {strategy}: verifying workers / recording "
                     "process / server", cells, "–"))
    cores = os.cpu_count() or 1
    cells = []
    for n in names:
        ms = ours[n][1].per_report_ms(args.ingest_sample)
        bound = cores * 1000 / sum(ms.values())
        cells.append(f"{bound:,.0f} ({bound / GOALS[f'ingest {n}']:.2f}x)")
    rows.append((f"CPU bound: reports/s if the {cores} cores were the ingest's alone "
                 "(cores / CPU per report; a ceiling, not a measurement)", cells,
                 " / ".join(f"≥ {GOALS[f'ingest {n}']:,.0f}" for n in names)))
    rows.append(("new since the last complete visit, one person, median of 50, ms",
                 [_cell(results[n]["new_since_ms"], GOALS["new-since ms"]) for n in names],
                 f"< {GOALS['new-since ms']:.0f}"))
    rows.append(("force-wide summary (visits by verdict per month), ms",
                 [_cell(results[n]["summary_ms"], GOALS["summary ms"]) for n in names],
                 f"< {GOALS['summary ms']:.0f}"))
    rows.append((f"store size per report ({args.findings} findings), KB",
                 [f"{results[n]['bytes_per_report'] / 1000:.1f}" for n in names], "–"))
    label = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
    print(f"| measure | {' | '.join(label[n] for n in names)} | goal |")
    print(f"|---|{'---|' * len(names)}---|")
    for measure, cells, goal in rows:
        print(f"| {measure} | {' | '.join(cells)} | {goal} |")


if __name__ == "__main__":
    main()
