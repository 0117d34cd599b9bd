"""Formats benchmark: the household disk scanned as VMDK, VHDX and QCOW2 against raw, and shadow
copies examined against the volume alone.

Run from the repository root:  python bench/formats_bench.py [--size-gb 0.5] [--files 10000]

1. The household disk (bench/household.py builds and caches it) is converted by `qemu-img` to
   VMDK, VHDX and QCOW2 (conversion not timed), then `triage scan` runs on each and on the raw
   image, interleaved (raw, vmdk, vhdx, qcow2, raw, ...), `--repeat` times; the table gives
   the median time of each as a ratio to raw (goal <= 1.2x) and checks that every format found
   the same known files as raw.
2. Shadow copies: plaso's published vsstest.qcow2 (an NTFS volume with 2 Volume Shadow Copies,
   tests/data/published) is scanned with the VSS layer and without it (the volume alone),
   interleaved, in this process; the table gives the ratio (goal <= 1.5x when the snapshots
   differ by < 5%) and how much of the snapshots differed.
"""

from __future__ import annotations

import argparse
import gzip
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

from _household_disk import CACHE_ROOT, HouseholdDisk, ensure_disk  # noqa: E402
from _household_plan import HouseholdSpec  # noqa: E402
from _household_runs import make_hashsets, scan  # noqa: E402
from scan_bench import machine, warm_file  # noqa: E402

MIB = 1024 * 1024
# qemu-img format -> what the scan's chain calls it.
FORMATS = {"vmdk": "vmdk", "vhdx": "vhdx", "qcow2": "qcow2"}
GOAL_FORMAT = 1.2  # issue 18: a virtual disk scans in at most 1.2x the raw disk's time
GOAL_VSS = 1.5  # issue 18: two snapshots differing by < 5% cost at most 1.5x the volume alone
VSS_IMAGE = Path(__file__).resolve().parent.parent / "tests" / "data" / "published" / \
    "vsstest.qcow2.gz"


def format_rows(disk: HouseholdDisk, work: Path, repeat: int) -> list[str]:
    image = disk.image
    trusted, exact_sets, _full = make_hashsets(disk.known_dir, disk.known_md5, work)
    files = {"raw": image}
    for fmt in FORMATS:
        target = work / f"disk.{fmt}"
        started = time.perf_counter()
        subprocess.run(["qemu-img", "convert", "-f", "raw", "-O", fmt, str(image), str(target)],
                       check=True, capture_output=True)
        print(f"converted to {fmt}: {target.stat().st_size / MIB:,.0f} MiB in "
              f"{time.perf_counter() - started:.1f} s", flush=True)
    for fmt in FORMATS:
        files[fmt] = work / f"disk.{fmt}"
    times: dict[str, list[float]] = {name: [] for name in files}
    known: dict[str, list[str]] = {}
    for turn in range(repeat):
        for name, path in files.items():
            warm_file(path)
            out = work / f"scan-{name}-{turn}"
            run = scan(path, exact_sets, trusted, out)
            times[name].append(run.seconds)
            known[name] = sorted(f["path"] for f in run.report["findings"]
                                 if f["kind"] == "exact")
            print(f"  {name:6} run {turn + 1}: {run.seconds:6.1f} s, "
                  f"{len(known[name])} known files", flush=True)
            shutil.rmtree(out, ignore_errors=True)
    raw = statistics.median(times["raw"])
    rows = ["| scan of the household disk | median s | ratio to raw | goal | same known files |",
            "| --- | ---: | ---: | ---: | --- |",
            f"| raw | {raw:.1f} | 1.00x | - | - |"]
    for fmt in FORMATS:
        ours = statistics.median(times[fmt])
        rows.append(f"| {fmt} | {ours:.1f} | {ours / raw:.2f}x | <= {GOAL_FORMAT}x "
                    f"{'met' if ours / raw <= GOAL_FORMAT else 'MISSED'} | "
                    f"{'yes' if known[fmt] == known['raw'] else 'NO'} |")
    return rows


def vss_rows(work: Path, repeat: int) -> list[str]:
    from triage.layers.registry import LAYERS
    from triage.pipeline import ScanOptions, run_scan

    image = work / "vsstest.qcow2"
    with gzip.open(VSS_IMAGE) as packed, open(image, "wb") as out:
        shutil.copyfileobj(packed, out)
    vss = LAYERS["vss"]
    times: dict[str, list[float]] = {"volume alone": [], "with 2 snapshots": []}
    report = None
    for turn in range(repeat):
        for name in times:
            if name == "volume alone":
                LAYERS.pop("vss")
            try:
                started = time.perf_counter()
                result = run_scan([str(image)], work / f"vss-{name[:4]}-{turn}", ScanOptions())
                times[name].append(time.perf_counter() - started)
            finally:
                LAYERS.setdefault("vss", vss)
            if name != "volume alone":
                report = result.report
    assert report is not None
    live, *snaps = report["coverage"]["volumes"]
    examined = sum(v.get("files", 0) for v in snaps)
    unchanged = sum(v.get("unchanged_files", 0) for v in snaps)
    share = examined / max(1, examined + unchanged)
    alone = statistics.median(times["volume alone"])
    both = statistics.median(times["with 2 snapshots"])
    return ["| shadow copies (vsstest.qcow2, NTFS, 2 snapshots) | median s | ratio | goal |",
            "| --- | ---: | ---: | ---: |",
            f"| volume alone (VSS layer off) | {alone:.2f} | 1.00x | - |",
            f"| volume + 2 snapshots | {both:.2f} | {both / alone:.2f}x | <= {GOAL_VSS}x "
            f"{'met' if both / alone <= GOAL_VSS else 'MISSED'} |",
            "",
            f"Snapshot files examined again: {examined} of {examined + unchanged} listed "
            f"({share:.0%}; the rest were identical to the live volume by meta address, size "
            f"and times, and were not read twice). Live volume: {live.get('files')} files."]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-gb", type=float, default=0.5,
                        help="household disk content (bench/household.py uses 2 GB)")
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=HouseholdSpec.seed)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cache", type=Path, default=CACHE_ROOT)
    parser.add_argument("--skip-formats", action="store_true", help="only the VSS part")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    command = shlex.join(["python", "bench/formats_bench.py", *(sys.argv[1:] if argv is None
                                                               else argv)])
    if shutil.which("qemu-img") is None and not args.skip_formats:
        print("qemu-img not found (apt-get install qemu-utils)")
        return 2
    print(f"machine: {machine()}", flush=True)
    work = Path(tempfile.mkdtemp(prefix="triage-bench-formats-"))
    try:
        tables = []
        if not args.skip_formats:
            disk, built = ensure_disk(HouseholdSpec(args.size_gb, args.files, args.seed),
                                      args.cache)
            print(f"disk: {disk.image} ({disk.image.stat().st_size / MIB:,.0f} MiB, "
                  f"{disk.files:,} files; {'built' if built else 'cached'})", flush=True)
            tables.append(format_rows(disk, work, args.repeat))
        tables.append(vss_rows(work, args.repeat))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for table in tables:
        print()
        print("\n".join(table))
    print()
    print(f"machine: {machine()}")
    print(f"command: {command}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
