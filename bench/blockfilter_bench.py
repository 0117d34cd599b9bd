"""Block filter benchmark (issue 23): a 1,000,000-reference filter built, opened and probed, each
phase in a fresh process (its peak RSS its own), against numpy searchsorted over the sorted keys.

Run from the repository root (as root, to drop the page cache before opening):
    nice -n 10 python bench/blockfilter_bench.py [--references 1000000] [--blocks-per-file 40]

Synthetic references: each has 25% more distinctive blocks than the per-file limit (random
64-bit keys and confirmations, as a compressed picture's blocks give), so the streamed build
(triage/blocks/build.py: spill, merge, cap) runs as at the lab, minus the hashing. The probe
asks 4,000,000 blocks of which 1% are known, in 4 MiB chunks of 1,024 keys as the quick pass
does (the Bloom word per chunk, the key table for many chunks' candidates: pending.py), and in
one batch; the baseline asks the same in the same batches of the format-1 layout's core,
np.searchsorted of the sorted queries over the sorted 64-bit keys. Lookups are counted per
CPU-second of the probing process, so other users' load on the machine counts as little as it
can.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

import numpy as np  # noqa: E402
from _peak_rss import run_measured  # noqa: E402

MIB = 1 << 20
OPEN_GOAL_S, MEMORY_GOAL_MB, LOOKUP_GOAL = 1.0, 500, 50e6
QUERIES, KNOWN_SHARE, CHUNK = 4_000_000, 0.01, 1024
EXTRA = 1.25  # distinctive blocks per reference, as a multiple of the per-file limit
BATCH_REFS = 10_000  # references generated at a time
SEED = 23


def _generated(references: int, per_file: int) -> Any:
    """(first reference, keys, confirms) per batch: the same stream in every phase."""
    rng = np.random.default_rng(SEED)
    width = int(per_file * EXTRA)
    for first in range(0, references, BATCH_REFS):
        count = min(BATCH_REFS, references - first)
        yield (first, rng.integers(0, 2**64, (count, width), dtype=np.uint64),
               rng.integers(0, 2**64, (count, width), dtype=np.uint64))


def _kept_columns(per_file: int) -> np.ndarray:
    """The blocks the per-file limit keeps of each reference (spread evenly: build.py)."""
    width = int(per_file * EXTRA)
    return np.linspace(0, width - 1, per_file).round().astype(int)


def _status() -> dict[str, int]:
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmHWM", "VmRSS", "RssAnon", "RssFile"):
            fields[name] = int(value.split()[0]) // 1024
    return fields


def phase_build(folder: Path, references: int, per_file: int) -> dict[str, Any]:
    from triage.blocks.build import FilterBuilder
    from triage.blocks.store import write_filter

    started = time.perf_counter()
    builder = FilterBuilder(max_per_file=per_file, spill_dir=folder)
    numbers = np.arange(int(per_file * EXTRA), dtype=np.uint32)
    sample_rng = np.random.default_rng(SEED + 1)
    kept_cols = _kept_columns(per_file)
    samples = []
    for first, keys, confirms in _generated(references, per_file):
        for i in range(len(keys)):
            builder.add_digests(f"ref{first + i:07d}.jpg", keys[i], confirms[i], numbers,
                                200_000, "A")
        rows = sample_rng.integers(0, len(keys), max(1, int(QUERIES * KNOWN_SHARE
                                                            * len(keys) / references)))
        cols = kept_cols[sample_rng.integers(0, len(kept_cols), len(rows))]
        samples.append(keys[rows, cols])
    added = time.perf_counter() - started
    path = write_filter(folder / "million", name="million", version="1", source="synthetic",
                        compiled=builder.compile(), references=builder.references,
                        categories=builder.categories, stats=builder.stats, replace=True)
    np.save(folder / "present.npy", np.concatenate(samples))
    return {"build_s": time.perf_counter() - started, "add_s": added,
            "disk_mib": sum(p.stat().st_size for p in path.iterdir()) / MIB,
            "stats": builder.stats.to_dict(), "status": _status()}


def _queries(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(SEED + 2)
    queries = rng.integers(0, 2**64, QUERIES, dtype=np.uint64)
    present = np.load(folder / "present.npy")
    where = rng.choice(QUERIES, len(present), replace=False)
    queries[where] = present
    return queries, where


def _per_cpu_second(lookup: Any, queries: np.ndarray, rounds: int = 3) -> float:
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        lookup(queries)
        best = min(best, time.process_time() - started)
    return len(queries) / best


def phase_probe(folder: Path) -> dict[str, Any]:
    started = time.perf_counter()
    from triage.blocks.digest import block_digests
    from triage.blocks.filter import BlockFilter
    from triage.blocks.pending import HELD_BLOCKS

    blocks = BlockFilter.open(folder / "million")
    opened = time.perf_counter() - started
    queries, where = _queries(folder)

    def chunked(q: np.ndarray) -> int:
        # As the quick pass: the Bloom word per chunk, the key table for HELD_BLOCKS at once.
        held: list[np.ndarray] = []
        count = found = 0
        for start in range(0, len(q), CHUNK):
            part = q[start:start + CHUNK]
            cand = blocks.candidates(part)
            if len(cand):
                held.append(part[cand])
                count += len(cand)
                if count >= HELD_BLOCKS:
                    found += len(blocks.table_rows(np.concatenate(held))[0])
                    held, count = [], 0
        if held:
            found += len(blocks.table_rows(np.concatenate(held))[0])
        return found

    found_chunked = chunked(queries)
    found_batch = len(np.unique(blocks.find_keys(queries)[0]))
    chunk_rate = _per_cpu_second(chunked, queries)
    batch_rate = _per_cpu_second(blocks.find_keys, queries)
    unknown = np.ones(QUERIES, dtype=bool)
    unknown[where] = False
    candidates = np.zeros(QUERIES, dtype=bool)
    candidates[blocks.candidates(queries)] = True
    measured_rate = float(candidates[unknown].mean())
    del unknown, candidates  # the bench's own arrays: not the filter's memory
    # Unknown real blocks (random content, as a compressed picture's), confirmed on SHA-256,
    # in 4 MiB chunks as the quick pass reads them.
    rng = np.random.default_rng(SEED + 3)
    real_blocks, false_hits, real_candidates = 0, 0, 0
    for _ in range(64):
        data = rng.integers(0, 256, 4 << 20, dtype=np.uint8).tobytes()
        keys, confirms = block_digests(data)
        real_blocks += len(keys)
        real_candidates += len(blocks.candidates(keys))
        false_hits += int((blocks.find(keys, confirms) >= 0).sum())
    return {"open_s": opened, "known": len(where), "found_chunked": found_chunked,
            "found_batch": found_batch, "chunk_rate": chunk_rate, "batch_rate": batch_rate,
            "stated": blocks.false_hits, "measured_candidate_rate": measured_rate,
            "real_blocks": real_blocks, "real_candidates": real_candidates,
            "false_hits": false_hits, "status": _status()}


def phase_baseline(folder: Path, references: int, per_file: int) -> dict[str, Any]:
    cols = _kept_columns(per_file)
    keys = np.sort(np.concatenate([k[:, cols].ravel() for _, k, _ in
                                   _generated(references, per_file)]))
    queries, _ = _queries(folder)

    def search(q: np.ndarray) -> int:
        # Queries sorted first, as format 1 did: the search then walks the table in order.
        q = np.sort(q)
        pos = np.searchsorted(keys, q).clip(0, len(keys) - 1)
        return int((keys[pos] == q).sum())

    def chunked(q: np.ndarray) -> int:
        return sum(search(q[s:s + CHUNK]) for s in range(0, len(q), CHUNK))

    return {"found": chunked(queries), "chunk_rate": _per_cpu_second(chunked, queries),
            "batch_rate": _per_cpu_second(search, queries), "status": _status()}


def _drop_caches() -> bool:
    done = subprocess.run("sync; echo 3 > /proc/sys/vm/drop_caches", shell=True,  # noqa: S602,S607
                          check=False, capture_output=True)
    return done.returncode == 0


def _run_phase(name: str, folder: Path, args: list[str]) -> tuple[dict[str, Any], float]:
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent.parent))
    status, peak = run_measured([sys.executable, __file__, "--phase", name, "--folder",
                                 str(folder), *args], env=env, report=folder / "rss.json")
    if status != 0:
        raise SystemExit(f"phase {name} failed with status {status}")
    return json.loads((folder / f"{name}.json").read_text()), peak


def measure(references: int, per_file: int, folder: Path) -> dict[str, Any]:
    """Every phase in its own process; the figures the table shows."""
    args = ["--references", str(references), "--blocks-per-file", str(per_file)]
    build, build_peak = _run_phase("build", folder, args)
    dropped = _drop_caches()
    probe, probe_peak = _run_phase("probe", folder, args)
    baseline, baseline_peak = _run_phase("baseline", folder, args)
    return {"build": build, "build_peak": build_peak, "probe": probe, "probe_peak": probe_peak,
            "baseline": baseline, "baseline_peak": baseline_peak, "cache_dropped": dropped,
            "references": references, "per_file": per_file}


def _verdict(value: float, goal: float, higher: bool) -> str:
    return "met" if (value >= goal if higher else value < goal) else "MISSED"


def table(r: dict[str, Any]) -> list[str]:
    """The side-by-side table (markdown) of a `measure` result."""
    build, probe, base = r["build"], r["probe"], r["baseline"]
    stats = build["stats"]
    mb = 1e6 / MIB  # MiB per MB
    rows = [
        ("| measure | ours | baseline (searchsorted, sorted keys) | ratio | goal |"),
        ("|---|---|---|---|---|"),
        (f"| filter: {r['references']:,} references, {stats['kept']:,} blocks kept "
         f"(limit {r['per_file']}/file: {stats['capped_files']:,} files capped, "
         f"{stats['dropped'].get('over the per-file limit', 0):,} blocks over it), "
         f"{build['disk_mib']:,.0f} MiB on disk | built in {build['build_s']:.0f} s | - | - | - |"),
        (f"| open (page cache {'dropped' if r['cache_dropped'] else 'NOT dropped'}) | "
         f"{probe['open_s']:.3f} s | - | - | < {OPEN_GOAL_S:.0f} s "
         f"{_verdict(probe['open_s'], OPEN_GOAL_S, False)} |"),
        (f"| peak RSS while looking up (mapped file pages {probe['status']['RssFile']} MiB + "
         f"anonymous {probe['status']['RssAnon']} MiB at the end) | {r['probe_peak']:,.0f} MiB | "
         f"{r['baseline_peak']:,.0f} MiB | {r['probe_peak'] / r['baseline_peak']:.2f} | "
         f"< {MEMORY_GOAL_MB} MB ({MEMORY_GOAL_MB * mb:.0f} MiB) "
         f"{_verdict(r['probe_peak'], MEMORY_GOAL_MB * mb, False)} |"),
        (f"| peak RSS while building (streamed) | {r['build_peak']:,.0f} MiB | - | - | "
         f"< {MEMORY_GOAL_MB} MB {_verdict(r['build_peak'], MEMORY_GOAL_MB * mb, False)} |"),
        (f"| lookups per CPU-second, one core, 4 MiB chunks of {CHUNK:,} keys "
         f"({KNOWN_SHARE:.0%} known) | {probe['chunk_rate'] / 1e6:.1f} M | "
         f"{base['chunk_rate'] / 1e6:.1f} M | **{probe['chunk_rate'] / base['chunk_rate']:.2f}x** "
         f"| >= {LOOKUP_GOAL / 1e6:.0f} M {_verdict(probe['chunk_rate'], LOOKUP_GOAL, True)} |"),
        (f"| ... in one batch of {QUERIES:,} keys | {probe['batch_rate'] / 1e6:.1f} M | "
         f"{base['batch_rate'] / 1e6:.1f} M | **{probe['batch_rate'] / base['batch_rate']:.2f}x** "
         f"| >= {LOOKUP_GOAL / 1e6:.0f} M {_verdict(probe['batch_rate'], LOOKUP_GOAL, True)} |"),
        (f"| known blocks found (of {probe['known']:,}) | {probe['found_batch']:,} "
         f"(chunked: {probe['found_chunked']:,} rows) | {base['found']:,} | - | all |"),
        (f"| unknown blocks passing the Bloom filter | measured "
         f"{probe['measured_candidate_rate']:.5f} | stated {probe['stated']['candidate']:.5f} | "
         f"{probe['measured_candidate_rate'] / probe['stated']['candidate']:.3f} | - |"),
        (f"| false hits after the key table and SHA-256 over {probe['real_blocks']:,} unknown "
         f"real blocks ({probe['real_candidates']:,} Bloom candidates) | {probe['false_hits']} | "
         f"stated {probe['stated']['confirmed']:.1e} per block | - | 0 |"),
    ]
    return rows


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--references", type=int, default=1_000_000)
    parser.add_argument("--blocks-per-file", type=int, default=40)
    parser.add_argument("--folder", type=Path, default=None,
                        help="scratch folder (default: a new temporary one, removed after)")
    parser.add_argument("--phase", choices=("build", "probe", "baseline"), default=None,
                        help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.phase:
        folder = args.folder
        if args.phase == "build":
            result = phase_build(folder, args.references, args.blocks_per_file)
        elif args.phase == "probe":
            result = phase_probe(folder)
        else:
            result = phase_baseline(folder, args.references, args.blocks_per_file)
        (folder / f"{args.phase}.json").write_text(json.dumps(result))
        return 0
    with tempfile.TemporaryDirectory(prefix="blockfilter-bench-", dir=args.folder) as scratch:
        result = measure(args.references, args.blocks_per_file, Path(scratch))
    print("\n".join(table(result)))
    print()
    print(f"command: {' '.join([Path(sys.argv[0]).name, *(argv or sys.argv[1:])])}")
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
