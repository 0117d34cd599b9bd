"""Quick-pass benchmark (issue 23): the block quick pass and the file scan against `sha256sum`
and the open-tools chain over the household disk, page cache dropped before each, one table.

Run from the repository root as root (to drop the page cache):
    nice -n 10 python bench/quickpass_bench.py [--size-gb 2] [--files 50000] [--seeds 30]
        [--no-file-scan] [--million 1000000]

Measures side by side, in alternating rounds so load from elsewhere hits every side alike:
`sha256sum` of the image; `triage scan --quick-pass-only` (full, and `--sample 0.1`); the
file scan `triage scan --no-quick-pass`; `tsk_recover -e` + `md5deep -m`; the quick pass and
the file scan pinned to 1 and 2 cores (taskset); the sampled pass's detection over many seeds
against its stated confidence; a 1,000,000-reference block filter (open time, memory,
lookups/s); and 1 TB projections. After the file scans, the floor of any file scan with the
same answers (bench/_scan_floor.py) over the files the open tools recovered, against both
file-scan goals.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shlex
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

from _household_disk import CACHE_ROOT, HouseholdSpec, ensure_disk  # noqa: E402
from _household_runs import (  # noqa: E402
    REPO,
    SCAN_OK,
    TRIAGE,
    make_hashsets,
    missing,
    recover_and_match,
)
from _scan_floor import Floor, measure  # noqa: E402
from scan_bench import examined_sectors, machine  # noqa: E402

MIB = 1 << 20
TB = 10**12
QUICK_GOAL = 0.8  # quick pass throughput >= 0.8 x sha256sum's
SAMPLE_GOAL = 5.0  # --sample 0.1 >= 5 x faster than the full quick pass
SCAN_SHA_GOAL = 2.0  # full file scan <= 2 x sha256sum's time
SCAN_TOOLS_GOAL = 0.5  # ... and <= 0.5 x the open-tools chain's
SAMPLE = 0.1
DISKS = (("HDD", 150e6), ("SATA SSD", 500e6), ("NVMe", 2000e6))
# A 7,200 rpm disk reading 1 MiB units at random: ~8 ms to seek, ~7 ms to read at 150 MB/s.
HDD_RANDOM_UNIT_S = 0.008 + MIB / 150e6


def drop_caches() -> bool:
    """Empty the page cache so every run reads from the disk; False when not allowed."""
    done = subprocess.run("sync; echo 3 > /proc/sys/vm/drop_caches", shell=True,  # noqa: S602,S607
                          capture_output=True, check=False)
    return done.returncode == 0


def timed(cmd: list[str], cores: str | None = None, repo: Path = REPO
          ) -> tuple[float, subprocess.CompletedProcess]:
    if cores is not None:
        cmd = ["taskset", "-c", cores, *cmd]
    env = {**os.environ, "PYTHONPATH": str(repo)}
    started = time.perf_counter()
    # In the checkout's own folder: `python -m` puts the working folder first on sys.path, so
    # run from here a baseline checkout would import this one's code.
    done = subprocess.run(cmd, capture_output=True, env=env, check=False, cwd=repo)
    return time.perf_counter() - started, done


def scan(image: Path, hashsets: Path, trusted: Path, out: Path, *flags: str,
         cores: str | None = None, repo: Path = REPO) -> tuple[float, dict[str, Any]]:
    seconds, done = timed([*TRIAGE, "scan", str(image), "--hashsets", str(hashsets),
                           "--trusted-keys", str(trusted), "--out", str(out), "--json", *flags],
                          cores, repo)
    if done.returncode not in SCAN_OK:
        raise RuntimeError(f"triage scan {' '.join(flags)} failed ({done.returncode}): "
                           f"{done.stderr.decode(errors='replace').strip()[-400:]}")
    return seconds, json.loads((out / "report.json").read_text(encoding="utf-8"))


def quick_source(report: dict[str, Any]) -> dict[str, Any]:
    return report["coverage"]["quick_pass"]["sources"][0]


@dataclass
class Row:
    measure: str
    ours: str
    baseline: str
    ratio: str
    goal: str


def verdict(value: float, goal: float, higher: bool) -> str:
    met = value >= goal if higher else value <= goal
    return f"{'>=' if higher else '<='} {goal:g} {'met' if met else 'MISSED'}"


def render(rows: list[Row]) -> str:
    lines = ["| measure | ours | baseline | ratio | goal |", "|---|---|---|---|---|"]
    lines += [f"| {r.measure} | {r.ours} | {r.baseline} | {r.ratio} | {r.goal} |" for r in rows]
    return "\n".join(lines)


def detection_over_seeds(image: Path, hashsets: Path, trusted: Path, seeds: int
                         ) -> tuple[list[str], float, float]:
    """The sampled pass over many seeds (warm cache, one process): for each known file the
    full pass finds, how often a --sample 0.1 pass finds it, against 1 - (1-p)^u."""
    from triage.blocks.confidence import detection, sampled_units
    from triage.blocks.engine import Span, hash_spans
    from triage.blocks.library import load_filters
    from triage.blocks.policy import SAMPLE_UNIT
    from triage.evidence import open_source
    from triage.plan.quickpass import sample_spans

    filters = load_filters(hashsets, trusted).filters
    with open_source(str(image)) as source:
        full = hash_spans(source.read, filters, [Span(0, source.size, 0)])
        units: dict[int, set[int]] = {}
        for offset, row in zip(full.offsets.tolist(), full.rows.tolist(), strict=True):
            units.setdefault(int(filters[0].refs[row]), set()).add(offset // SAMPLE_UNIT)
        hits = {ref: 0 for ref in units}
        total_units = -(-source.size // SAMPLE_UNIT)
        for seed in range(seeds):
            spans = sample_spans([Span(0, source.size, 0)], source.size, SAMPLE, seed,
                                 SAMPLE_UNIT)
            found = hash_spans(source.read, filters, spans)
            for ref in {int(filters[0].refs[r]) for r in found.rows.tolist()}:
                hits[ref] += 1
            assert len(sampled_units(total_units, SAMPLE, seed))  # noqa: S101 - same sampler
    lines = ["| known file | units holding its blocks | stated 1-(1-p)^u | measured over "
             f"{seeds} seeds |", "|---|---|---|---|"]
    stated_sum = measured_sum = 0.0
    for ref in sorted(units):
        stated, measured = detection(SAMPLE, len(units[ref])), hits[ref] / seeds
        stated_sum += stated
        measured_sum += measured
        lines.append(f"| {filters[0].reference(ref)} | {len(units[ref])} | {stated:.3f} | "
                     f"{measured:.3f} |")
    n = max(1, len(units))
    return lines, stated_sum / n, measured_sum / n


def million_filter(count: int, per_file: int, folder: Path) -> list[str]:
    """The block filter benchmark (bench/blockfilter_bench.py) for `count` references: its table."""
    from blockfilter_bench import measure, table

    return table(measure(count, per_file, folder))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-gb", type=float, default=HouseholdSpec.size_gb)
    parser.add_argument("--files", type=int, default=HouseholdSpec.files)
    parser.add_argument("--seed", type=int, default=HouseholdSpec.seed)
    parser.add_argument("--seeds", type=int, default=30,
                        help="sampled passes for the measured detection rate (default 30)")
    parser.add_argument("--rounds", type=int, default=2,
                        help="alternating rounds of the timed runs, best taken (default 2)")
    parser.add_argument("--no-file-scan", action="store_true",
                        help="leave out the file scan and the open-tools chain (minutes)")
    parser.add_argument("--file-scan-only", action="store_true",
                        help="only `sha256sum`, the file scans and the open-tools chain")
    parser.add_argument("--baseline", type=Path,
                        help="a checkout of the code before a change: its file scans run in the "
                             "same rounds, side by side (e.g. an export of main)")
    parser.add_argument("--no-file-scaling", action="store_true",
                        help="leave out the file scan pinned to one core (slow on a busy machine)")
    parser.add_argument("--million", type=int, default=1_000_000,
                        help="references in the large filter (0: leave it out)")
    parser.add_argument("--blocks-per-file", type=int, default=40,
                        help="distinctive blocks per reference in the large filter")
    parser.add_argument("--cache", type=Path, default=CACHE_ROOT)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:  # noqa: PLR0915 - one linear measurement script
    args = parse_args(argv)
    if args.file_scan_only:
        args.million = 0
    command = shlex.join(["python", "bench/quickpass_bench.py",
                          *(sys.argv[1:] if argv is None else argv)])
    print(f"machine: {machine()}", flush=True)
    disk, _ = ensure_disk(HouseholdSpec(args.size_gb, args.files, args.seed), args.cache)
    image = disk.image
    size = image.stat().st_size
    work = Path(tempfile.mkdtemp(prefix="triage-bench-quickpass-"))
    trusted, exact, sets = make_hashsets(disk.known_dir, disk.known_md5, work)
    dropped = drop_caches()
    print(f"disk: {image} ({size / MIB:,.0f} MiB); page cache "
          f"{'dropped before each run' if dropped else 'NOT dropped (not root)'}", flush=True)
    best: dict[str, float] = {}
    reports: dict[str, dict[str, Any]] = {}

    def keep(name: str, seconds: float, report: dict[str, Any] | None = None) -> None:
        if seconds < best.get(name, float("inf")):
            best[name] = seconds
            if report is not None:
                reports[name] = report
        print(f"  {name}: {seconds:.2f} s (load {os.getloadavg()[0]:.1f})", flush=True)

    def file_scans(round_: int) -> None:
        """The file scans, before and after, and the open tools, each from a cold cache; the
        order turns round every round, so a change in load hits both sides alike."""
        sides = [("file scan", sets, REPO), ("exact-only scan", exact, REPO)]
        if args.baseline is not None:
            sides[1:1] = [("file scan before", sets, args.baseline)]
            sides.append(("exact-only scan before", exact, args.baseline))
        if round_ % 2:
            sides.reverse()
        if not args.no_file_scaling and round_ == 0:
            sides.append(("file scan 1 core", sets, REPO))
        for name, hashsets, repo in sides:
            drop_caches()
            seconds, report = scan(image, hashsets, trusted,
                                   work / f"{name.replace(' ', '-')}-{round_}", "--no-quick-pass",
                                   cores="0" if "1 core" in name else None, repo=repo)
            keep(name, seconds, report)
        if missing("tsk_recover", "md5deep") is None:
            drop_caches()
            started = time.perf_counter()
            recovered = recover_and_match(image, examined_sectors(image), disk.known_md5,
                                          work / "recovered")
            keep("open tools", time.perf_counter() - started)
            print(f"  open tools: {recovered.recovered:,} files recovered, "
                  f"{len(recovered.matches)} matches", flush=True)

    for round_ in range(args.rounds):
        print(f"round {round_ + 1}", flush=True)
        drop_caches()
        keep("sha256sum", timed(["sha256sum", str(image)])[0])
        if not args.no_file_scan:
            file_scans(round_)
        if args.file_scan_only:
            continue
        for name, flags, cores, cold in (
                ("quick", (), None, True),
                ("sampled", ("--sample", str(SAMPLE), "--sample-seed", str(round_)), None, True),
                # CPU scaling: the image warm in the page cache, so the pass is not disk-bound.
                ("warm 1 core", (), "0", False), ("warm 2 cores", (), "0,1", False)):
            if cold:
                drop_caches()
            seconds, report = scan(image, sets, trusted, work / f"{name}-{round_}",
                                   "--quick-pass-only", *flags, cores=cores)
            keep(name, seconds, report)
            keep(f"{name} pass", quick_source(report)["read_seconds"])
    rows: list[Row] = []
    notes: list[str] = []
    core_rate = 0.0
    if not args.file_scan_only:
        core_rate = quick_rows(rows, best, reports, disk, size)
    if "file scan" in best:
        rows += file_scan_rows(best, reports)
        notes.append(FILE_SCAN_SIDES)
        if (work / "recovered").is_dir():
            print("floor: timing the decode and digests of the recovered files", flush=True)
            floor = measure(image, examined_sectors(image), work / "recovered")
            rows += floor_rows(floor, best)
            notes.append(FLOOR_NOTE.format(f=floor))
    seed_lines: list[str] = []
    if not args.file_scan_only:
        seed_lines, stated, measured = detection_over_seeds(image, sets, trusted, args.seeds)
        rows.append(Row(f"`--sample 0.1` detection, mean over the known files ({args.seeds} "
                        "seeds)", f"measured {measured:.3f}", f"stated {stated:.3f}",
                        f"**{measured - stated:+.3f}**",
                        f"match within 3 sigma: "
                        f"{'met' if abs(measured - stated) <= 3 * math.sqrt(max(stated * (1 - stated), 1e-9) / args.seeds) else 'MISSED'}"))  # noqa: E501
    million = million_filter(args.million, args.blocks_per_file, work) if args.million else []
    print()
    print(render(rows))
    print()
    print("\n".join(notes))
    print()
    if million:
        print(f"Block filter, {args.million:,} references (bench/blockfilter_bench.py):")
        print("\n".join(million))
        print()
    if seed_lines:
        print("\n".join(seed_lines))
        print()
        print("\n".join(projections(core_rate, best, reports)))
        print()
    print(f"machine: {machine()}")
    print(f"command: {command}")
    return 0


def quick_rows(rows: list[Row], best: dict[str, float], reports: dict[str, dict[str, Any]],
               disk: Any, size: int) -> float:
    """The quick pass's rows; returns its per-core rate by CPU time (for the projections)."""
    sha_rate = size / best["sha256sum"]
    quick = quick_source(reports["quick"])
    quick_rate = quick["bytes_read"] / best["quick pass"]
    rows.append(Row("quick pass, MB/s (read + lookup)", f"{quick_rate / 1e6:,.0f} MB/s "
                    f"({quick['workers']} workers)", f"`sha256sum`: {sha_rate / 1e6:,.0f} MB/s",
                    f"**{quick_rate / sha_rate:.2f}**",
                    verdict(quick_rate / sha_rate, QUICK_GOAL, True)))
    rows.append(Row("quick pass, whole `triage scan --quick-pass-only`",
                    f"{best['quick']:.1f} s", f"`sha256sum`: {best['sha256sum']:.1f} s",
                    f"**{best['quick'] / best['sha256sum']:.2f}**", "- (walk, owners, report)"))
    speedup = best["quick pass"] / best["sampled pass"]
    rows.append(Row("`--sample 0.1` vs full quick pass, pass time",
                    f"{best['sampled pass']:.2f} s", f"full: {best['quick pass']:.2f} s",
                    f"**{speedup:.1f}x faster**", verdict(speedup, SAMPLE_GOAL, True)))
    rows.append(Row("`--sample 0.1` vs full, whole command", f"{best['sampled']:.1f} s",
                    f"full: {best['quick']:.1f} s", f"**{best['quick'] / best['sampled']:.1f}x**",
                    "-"))
    warm_one = quick_source(reports["warm 1 core"])
    one_rate = warm_one["bytes_read"] / best["warm 1 core pass"]
    # Per core by CPU time: what one core does when it has the core to itself.
    core_rate = warm_one["bytes_read"] / max(warm_one.get("cpu_seconds") or 0, 1e-9)
    two = quick_source(reports["warm 2 cores"])
    two_rate = two["bytes_read"] / best["warm 2 cores pass"]
    rows.append(Row("quick pass CPU scaling, page cache warm, 2 cores vs 1 (taskset)",
                    f"{two_rate / 1e6:,.0f} MB/s ({two['workers']} workers)",
                    f"1 core: {one_rate / 1e6:,.0f} MB/s", f"**{two_rate / one_rate:.2f}x**",
                    f"- (load {os.getloadavg()[0]:.1f} on 2 cores: no second core free)"))
    rows.append(Row("quick pass per core, by CPU time (read + key + lookup)",
                    f"{core_rate / 1e6:,.0f} MB/s per core", f"`sha256sum`: "
                    f"{sha_rate / 1e6:,.0f} MB/s (cold)", "-", "-"))
    found = [f for f in reports["quick"]["findings"] if f["kind"] == "block"]
    red = [f for f in found if f["severity"] in ("high", "critical")]
    planted = {(k.partition, k.path) for k in disk.known if k.member is None}
    elsewhere = [f for f in found if (f.get("partition") or {}).get("index") is not None
                 and ((f["partition"]["index"], f.get("path")) not in planted)
                 and f["detail"]["where"] != "unallocated space"]
    rows.append(Row("quick pass, planted known pictures found",
                    f"{len(red)} RED of {len(planted)} planted outside zips "
                    f"({sum(k.deleted for k in disk.known if k.member is None)} deleted)",
                    f"{len(disk.known) - len(planted)} inside zips (compressed: not on disk as "
                    "blocks)", "-", "all met" if len(red) >= len(planted) else "MISSED"))
    rows.append(Row("quick pass, hits on the disk's other files", f"{len(elsewhere)}",
                    f"{disk.files:,} files", "-", f"0 {'met' if not elsewhere else 'MISSED'}"))
    return core_rate


FILE_SCAN_SIDES = """What each side of the file-scan rows does (the open-tools goal compares them):
- `triage scan --no-quick-pass` with the full sets (exact digests + perceptual set, as
  `hashset add-images` makes them): walks NTFS, ext4 and FAT32 (allocated and deleted), types
  every file (libmagic), computes the SHA-256 of every file (MD5 and SHA-1 only of flagged
  files: the set's SHA-256 entries cover its others) and looks it up, decodes every picture
  and computes pHash + PDQ (8 orientations, regions) and matches them, looks inside zips,
  PDFs and videos, lists every file and writes a signed report. A baseline checkout before
  the digests change computes all three of every file.
- the exact-only scan: the same command with only the MD5 list `md5deep -m` gets (no
  perceptual set): what `household.py`'s "exact matching" row measures (page cache warm
  there, dropped here).
- `tsk_recover -e` per partition (writes every allocated and deleted file out to disk),
  then `md5deep -r -m known.md5` (MD5 of every file written, compared with the list): no
  typing, no pictures, no archives, no report; misses the known picture inside the zip.
Before ("before" rows, `--baseline`): the same commands run with the baseline checkout."""


def file_scan_rows(best: dict[str, float], reports: dict[str, dict[str, Any]]) -> list[Row]:
    """The file scan (after and, with --baseline, before) against `sha256sum` and the tools."""
    rows: list[Row] = []
    sha = best["sha256sum"]
    tools = best.get("open tools")
    for name, label in (("file scan", "full file scan (`--no-quick-pass`, full sets)"),
                        ("file scan before", "... before (baseline checkout)"),
                        ("exact-only scan", "file scan, exact MD5 set only"),
                        ("exact-only scan before", "... before (baseline checkout)")):
        if name not in best:
            continue
        ours = best[name]
        files = reports[name]["coverage"].get("files_seen", 0)
        rows.append(Row(f"{label}, s vs `sha256sum`", f"{ours:.1f} s ({files:,} files)",
                        f"`sha256sum`: {sha:.1f} s", f"**{ours / sha:.2f}**",
                        verdict(ours / sha, SCAN_SHA_GOAL, False) if name == "file scan"
                        else "-"))
        if tools is not None:
            rows.append(Row(f"{label}, s vs open-tools chain", f"{ours:.1f} s",
                            f"`tsk_recover -e` + `md5deep -m`: {tools:.1f} s",
                            f"**{ours / tools:.2f}**",
                            verdict(ours / tools, SCAN_TOOLS_GOAL, False)
                            if name == "file scan" else "-"))
    for name in ("file scan", "exact-only scan"):
        if f"{name} before" in best:
            rows.append(Row(f"{name}: speed-up of this checkout over the baseline",
                            f"{best[name]:.1f} s", f"before: {best[name + ' before']:.1f} s",
                            f"**{best[name + ' before'] / best[name]:.2f}x**", "-"))
    if "file scan 1 core" in best:
        rows.append(Row("file scan scaling, 2 cores vs 1 (taskset)",
                        f"{best['file scan']:.1f} s",
                        f"1 core: {best['file scan 1 core']:.1f} s",
                        f"**{best['file scan 1 core'] / best['file scan']:.2f}x**", "-"))
    return rows


FLOOR_NOTE = """The floor (bench/_scan_floor.py): CPU-seconds, in one process, of the parts no scan
with the same answers can skip, over the {f.files:,} files (`{f.bytes:,}` bytes) `tsk_recover -e`
wrote: `fls -r -p` listing {f.listing_cpu:.1f} s, SHA-256 of every file {f.sha256_cpu:.1f} s,
decoding the {f.pictures:,} pictures as the hashes read them {f.decode_cpu:.1f} s (our whole
per-picture hashing, decode included: {f.hashing_cpu:.1f} s), divided by the cores. Zip
members, videos, PDFs, typing and the report are left out, so a real scan needs more."""


def floor_rows(floor: Floor, best: dict[str, float]) -> list[Row]:
    """The floor against the two file-scan goals: a goal under it is out of reach here."""
    cores = len(os.sched_getaffinity(0))
    least = floor.seconds(cores)
    rows = [Row(f"floor of any full file scan on {cores} cores (listing + SHA-256 + picture "
                "decode), s vs `sha256sum`", f"{least:.1f} s",
                f"`sha256sum`: {best['sha256sum']:.1f} s",
                f"**{least / best['sha256sum']:.2f}**",
                "goal reachable" if least / best["sha256sum"] <= SCAN_SHA_GOAL
                else "goal out of reach")]
    if "open tools" in best:
        rows.append(Row("... floor vs the open-tools chain", f"{least:.1f} s",
                        f"chain: {best['open tools']:.1f} s",
                        f"**{least / best['open tools']:.2f}**",
                        "goal reachable" if least / best["open tools"] <= SCAN_TOOLS_GOAL
                        else "goal out of reach"))
    rows.append(Row("... floor with our perceptual hashing in place of the decode",
                    f"{floor.with_hashing(cores):.1f} s", f"floor: {least:.1f} s",
                    f"**{floor.with_hashing(cores) / least:.2f}**", "-"))
    rows.append(Row("full file scan over its floor", f"{best['file scan']:.1f} s",
                    f"floor: {least:.1f} s", f"**{best['file scan'] / least:.2f}**", "-"))
    return rows


def projections(core_rate: float, best: dict[str, float], reports: dict[str, dict[str, Any]]
                ) -> list[str]:
    """1 TB on 2, 4 and 8 cores: rate(n) = min(disk, n x the per-core rate by CPU time)."""
    lines = [f"1 TB projections (quick pass: {core_rate / 1e6:,.0f} MB/s per core by CPU time):",
             "",
             "| disk | cores | full quick pass | `--sample 0.1` | file scan (500 GB of files) |",
             "|---|---|---|---|---|"]
    file_core = None
    if "file scan 1 core" in best:
        file_core = reports["file scan"]["coverage"]["bytes_hashed"] / best["file scan 1 core"]
    elif "file scan" in best:  # not measured on one core: half the 2-core scan's rate
        file_core = reports["file scan"]["coverage"]["bytes_hashed"] / best["file scan"] / 2
    for name, speed in DISKS:
        for cores in (2, 4, 8):
            rate = min(speed, core_rate * cores)
            # Sampled: 10% of the disk in 1 MiB units at random; a spinning disk seeks for each.
            unit_rate = MIB / HDD_RANDOM_UNIT_S if name == "HDD" else speed
            sampled = SAMPLE * TB / min(unit_rate, rate) / 60
            file_text = "-" if file_core is None else \
                f"{TB * 0.5 / min(speed, file_core * cores) / 60:,.0f} min"
            lines.append(f"| {name} {speed / 1e6:,.0f} MB/s | {cores} | {TB / rate / 60:,.0f} min"
                         f" | {sampled:,.0f} min | {file_text} |")
    lines += ["", "Assumptions: the quick pass reads every byte once, sequentially, and its "
              "workers share nothing but the page cache, so n cores hash n times one core's "
              "bytes per CPU second (the 2-core wall-time ratio above cannot show it on a "
              "machine whose two cores are already busy); `--sample` reads 10% in 1 MiB units "
              "(on a hard disk each costs a seek, ~15 ms); file scan: a disk holding 500 GB of "
              "files like the household disk's, at the one-core scan's bytes hashed per second "
              "times the cores (an upper bound: the walk is one thread)."]
    return lines


if __name__ == "__main__":
    sys.exit(main())
