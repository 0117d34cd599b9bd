"""Benchmark of hash-set import, bundle opening and batch lookup against naive baselines.

Prints rates side by side with ratios; nothing here is asserted. `--scale 1` uses the sizes of
issue 3 (10M-line md5sum import, 50M-hash bundle); the default 0.1 finishes in about a minute.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from triage.hashdb.build import write_bundle  # noqa: E402
from triage.hashdb.bundle import Bundle  # noqa: E402
from triage.hashdb.collect import EntryCollector  # noqa: E402
from triage.hashdb.importing import collect, import_files  # noqa: E402
from triage.hashdb.setinfo import SetInfo  # noqa: E402

FULL_IMPORT_LINES = 10_000_000
FULL_BUNDLE_HASHES = 50_000_000
FULL_LOOKUP_SET = 10_000_000
LOOKUP_BATCH = 1_000_000
SQLITE_QUERIES = 100_000


def rss() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) * 1024
    return 0


def timed(label: str, func, *args, **kwargs):
    start = time.perf_counter()
    result = func(*args, **kwargs)
    return result, time.perf_counter() - start


def row(label: str, count: int, seconds: float, baseline: float | None = None) -> float:
    rate = count / seconds if seconds else float("inf")
    ratio = f"{rate / baseline:8.1f}x" if baseline else "   (base)"
    print(f"  {label:<46} {rate:>14,.0f}/s  {seconds:8.2f} s  {ratio}")
    return rate


def random_md5(count: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (count, 16), dtype=np.uint8)


def write_md5sum(path: Path, digests: np.ndarray) -> None:
    with path.open("w") as handle:
        for start in range(0, len(digests), 1_000_000):
            block = digests[start : start + 1_000_000]
            handle.write(
                "".join(
                    f"{bytes(d).hex()}  image_{start + i:09d}.jpg\n" for i, d in enumerate(block)
                )
            )


def naive_import(path: Path) -> set[bytes]:
    """What a straightforward Python importer does: one line at a time into a set."""
    found = set()
    with path.open() as handle:
        for line in handle:
            line = line.strip()
            if line and not line.startswith("#"):
                found.add(bytes.fromhex(line.split(None, 1)[0]))
    return found


def sqlite_import(path: Path, db_path: Path) -> None:
    with sqlite3.connect(db_path) as db:
        db.execute("CREATE TABLE h (md5 BLOB PRIMARY KEY) WITHOUT ROWID")
        with path.open() as handle:
            db.executemany(
                "INSERT OR IGNORE INTO h VALUES (?)",
                ((bytes.fromhex(line[:32]),) for line in handle if line.strip()),
            )
    db.close()


def bench_import(work: Path, lines: int) -> None:
    print(f"\n[import] md5sum text file, {lines:,} lines")
    text = work / "set.md5"
    write_md5sum(text, random_md5(lines, 1))
    print(f"  file size {text.stat().st_size / 1e6:,.0f} MB")
    _, naive_s = timed("naive", naive_import, text)
    base = row("naive Python loop into a set (baseline)", lines, naive_s)
    _, sql_s = timed("sqlite", sqlite_import, text, work / "import.sqlite")
    row("SQLite executemany into an indexed table", lines, sql_s, base)
    done, parse_s = timed("parse", collect, [text], SetInfo("bench"), fmt="md5sum")
    assert done.stats.accepted == lines
    row("triage parse + sort + de-duplicate (in memory)", lines, parse_s, base)
    del done
    (_, stats), ours_s = timed(
        "ours", import_files, [text], SetInfo("bench"), work / "out", fmt="md5sum"
    )
    assert stats.accepted == lines
    row("triage import -> bundle on disk (end to end)", lines, ours_s, base)
    print("  (a commercial lab tool quotes 5,000-10,000 hashes/s for the same job)")


def build_bundle(work: Path, count: int) -> tuple[Path, np.ndarray]:
    digests = random_md5(count, 2)
    sink = EntryCollector(SetInfo("big"))
    sink.add_many("md5", digests)
    compiled = sink.compile()
    target = write_bundle(
        work / "big" / "big.hashset",
        SetInfo("big"),
        compiled,
        categories=[],
        references=[],
        stats=sink.stats,
        inputs=[],
    )
    return target, digests


_OPEN_PROBE = """
import json, sys, time
from pathlib import Path
import numpy as np
from triage.hashdb.bundle import Bundle
from triage.hashdb.library import HashSetLibrary

def memory():
    fields = {}
    for line in open("/proc/self/status"):
        name, _, value = line.partition(":")
        if name in ("VmRSS", "RssAnon", "RssFile"):
            fields[name] = int(value.split()[0]) * 1024
    return fields

out = {"before": memory()}
start = time.perf_counter()
bundle = Bundle.open(Path(sys.argv[1]))
out["open_s"] = time.perf_counter() - start
out["open"] = memory()
rng = np.random.default_rng(3)
for q in rng.integers(0, 256, (10_000, 16), dtype=np.uint8):
    bundle.find("md5", q.reshape(1, 16))
out["scan"] = memory()
queries = rng.integers(0, 256, (int(sys.argv[2]), 16), dtype=np.uint8)
bundle.find("md5", queries)
del queries
out["batch"] = memory()
start = time.perf_counter()
HashSetLibrary.load(Path(sys.argv[1]).parent, check_content=False)
out["library_load_s"] = time.perf_counter() - start
print(json.dumps(out))
"""


CACHE_STATES = {
    "cold": "bundle evicted first, as on a freshly plugged stick",
    "warm": "bundle just written, its pages cached as large folios the kernel maps whole",
}


def evict_from_cache(bundle: Path) -> None:
    """Drop this bundle's own pages from the page cache (no other file is touched)."""
    for path in bundle.iterdir():
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def bench_open(work: Path, count: int) -> None:
    print(f"\n[open] MD5 bundle with {count:,} hashes")
    (target, _), build_s = timed("build", build_bundle, work, count)
    size = sum(p.stat().st_size for p in target.iterdir())
    print(f"  built in {build_s:.1f} s, {size / 1e6:,.0f} MB on disk")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    for state in ("cold", "warm"):
        if state == "cold":
            evict_from_cache(target)
        probe = subprocess.run(
            [sys.executable, "-c", _OPEN_PROBE, str(target), str(LOOKUP_BATCH)],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        result = json.loads(probe.stdout)
        print(f"  {state} page cache ({CACHE_STATES[state]})")
        print(f"    open time                       {result['open_s'] * 1000:8.1f} ms")
        print(f"    library load (no content check) {result['library_load_s'] * 1000:8.1f} ms")
        print("    resident memory (MB)                      total   anonymous   file-backed")
        for key, label in (
            ("before", "python + numpy + triage imported"),
            ("open", "after open"),
            ("scan", "after 10,000 one-at-a-time lookups"),
            ("batch", f"after a batch of {LOOKUP_BATCH:,} lookups"),
        ):
            mem = result[key]
            print(
                f"      {label:<38} {mem['VmRSS'] / 1e6:6.0f}  {mem['RssAnon'] / 1e6:10.0f}"
                f"  {mem['RssFile'] / 1e6:12.0f}"
            )
    bundle = Bundle.open(target)
    _, check_s = timed("check", bundle.check_files)
    print(
        f"  full content check (SHA-256 of every file): {check_s:.2f} s "
        f"({size / 1e6 / check_s:,.0f} MB/s)"
    )


def bench_lookup(work: Path, count: int) -> None:
    print(f"\n[lookup] {count:,} MD5 hashes, batches of {LOOKUP_BATCH:,} (half hits)")
    digests = random_md5(count, 4)
    sink = EntryCollector(SetInfo("lk"))
    sink.add_many("md5", digests)
    target = write_bundle(
        work / "lk" / "lk.hashset",
        SetInfo("lk"),
        sink.compile(),
        categories=[],
        references=[],
        stats=sink.stats,
        inputs=[],
    )
    bundle = Bundle.open(target)
    half = LOOKUP_BATCH // 2
    queries = np.concatenate([digests[:half], random_md5(LOOKUP_BATCH - half, 5)])
    np.random.default_rng(6).shuffle(queries)
    as_bytes = [bytes(q) for q in queries]

    before = rss()
    as_set = {bytes(d) for d in digests}
    set_bytes = rss() - before
    hits, set_s = timed("set", lambda: sum(1 for q in as_bytes if q in as_set))
    base = row("Python set of bytes (baseline)", LOOKUP_BATCH, set_s)
    assert hits == half

    db_path = work / "lk.sqlite"
    with sqlite3.connect(db_path) as db:
        db.execute("CREATE TABLE h (md5 BLOB PRIMARY KEY) WITHOUT ROWID")
        db.executemany("INSERT INTO h VALUES (?)", ((bytes(d),) for d in digests))
    db.close()
    sample = as_bytes[:SQLITE_QUERIES]  # SQLite is slow enough that a sample gives its rate
    with sqlite3.connect(db_path) as db:
        query = "SELECT 1 FROM h WHERE md5 = ?"
        _, sql_s = timed(
            "sqlite", lambda: sum(1 for q in sample if db.execute(query, (q,)).fetchone())
        )
    db.close()
    row("SQLite indexed table, one query per hash", len(sample), sql_s, base)

    rows, ours_s = timed("ours", bundle.find, "md5", queries)
    assert int((rows >= 0).sum()) == half
    row("triage bundle, numpy batch (memory-mapped)", LOOKUP_BATCH, ours_s, base)
    single = as_bytes[:20_000]
    arrays = [np.frombuffer(q, np.uint8).reshape(1, 16) for q in single]
    _, one_s = timed("one", lambda: [bundle.find("md5", a) for a in arrays])
    row("triage bundle, one call per hash (scan path)", len(single), one_s, base)
    print(
        f"  memory for the data: Python set {set_bytes / 1e6:,.0f} MB resident; bundle "
        f"{count * 16 / 1e6:,.0f} MB mapped and paged in on demand"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--scale",
        type=float,
        default=0.1,
        help="fraction of the issue's sizes (1 = 10M import, 50M bundle)",
    )
    parser.add_argument("--work", type=Path, help="scratch folder (default: a temporary one)")
    parser.add_argument("--only", choices=["import", "open", "lookup"], help="run one part")
    args = parser.parse_args()
    lines = max(10_000, int(FULL_IMPORT_LINES * args.scale))
    bundle_size = max(10_000, int(FULL_BUNDLE_HASHES * args.scale))
    lookup_size = max(LOOKUP_BATCH, int(FULL_LOOKUP_SET * args.scale))
    print(
        f"hashdb benchmark, scale {args.scale} ({dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M}Z, "
        f"{os.cpu_count()} CPUs, numpy {np.__version__})"
    )
    with tempfile.TemporaryDirectory(dir=args.work) as scratch:
        work = Path(scratch)
        if args.only in (None, "import"):
            bench_import(work, lines)
        if args.only in (None, "open"):
            bench_open(work, bundle_size)
        if args.only in (None, "lookup"):
            bench_lookup(work, lookup_size)


if __name__ == "__main__":
    main()
