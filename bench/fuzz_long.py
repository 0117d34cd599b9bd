"""The long fuzz run: >= 500 mutated variants of each fixture file system through the real scan.

Run from the repository root (as root: the NTFS and exFAT fixtures are built through mounts):

    nohup python bench/fuzz_long.py --variants 500 --save-regressions > /tmp/fuzz_long.log 2>&1 &

Each variant mutates 1-3 small spots of one metadata region (NTFS boot sector and MFT, FAT
boot sector, tables and directory entries, ext4 superblock, group descriptors, inodes and root
directory, exFAT boot sector, FAT and directory entries, MBR/EBR tables, GPT header and entries
with their CRCs usually recomputed so the table is believed) and is scanned by
`triage.pipeline.run_scan` in a watched subprocess (tests/fuzz/harness.py). Printed per target:
variants run, ok, crashes (an exception or the process dying), hangs (no answer within
--timeout), unsound (no complete report.json, or the image changed), and the slowest variant
against the unmutated image's scan time (the baseline) as a ratio. With --save-regressions every
failure is stored as a patch recipe under tests/fuzz/regressions/, which the test suite replays.
Exit status 1 when anything failed.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fixtures import build  # noqa: E402
from tests.fuzz.harness import (  # noqa: E402
    OK,
    TARGETS,
    ScanWorker,
    fuzz_target,
    run_variant,
    save_regression,
)
from tests.fuzz.mutate import PatchedCopy  # noqa: E402


def baseline_seconds(worker: ScanWorker, fixture: Path, work: Path) -> float:
    """Best of three scans of the unmutated image (the same worker, the same checks)."""
    copy = PatchedCopy(fixture, work / "baseline.img")
    try:
        times = []
        for _ in range(3):
            outcome = run_variant(worker, copy, [], work, 120.0)
            if outcome.status != OK:
                raise SystemExit(f"the unmutated {fixture.name} does not scan: {outcome.detail}")
            times.append(outcome.seconds)
        return min(times)
    finally:
        copy.path.unlink(missing_ok=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", type=int, default=500, help="variants per target")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--targets", default=",".join(TARGETS),
                        help=f"comma-separated, from: {', '.join(TARGETS)}")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds before a hang")
    parser.add_argument("--save-regressions", action="store_true",
                        help="store each failure under tests/fuzz/regressions/")
    args = parser.parse_args()
    totals = {"variants": 0, "crash": 0, "hang": 0, "unsound": 0}
    print(f"{'target':7} {'variants':>8} {'ok':>6} {'crash':>6} {'hang':>5} {'unsound':>7} "
          f"{'base s':>7} {'slowest s':>9} {'ratio':>6} {'min':>5}", flush=True)
    with tempfile.TemporaryDirectory(prefix="triage-fuzz-") as tmp:
        work = Path(tmp)
        with ScanWorker(work) as worker:
            for target in args.targets.split(","):
                fixture = build(TARGETS[target]).path
                base = baseline_seconds(worker, fixture, work)
                started = time.monotonic()
                summary = fuzz_target(target, fixture, args.variants, args.seed, work,
                                      timeout=args.timeout, worker=worker)
                c = summary.counts
                print(f"{target:7} {summary.variants:>8} {c['ok']:>6} {c['crash']:>6} "
                      f"{c['hang']:>5} {c['unsound']:>7} {base:>7.3f} {summary.slowest:>9.3f} "
                      f"{summary.slowest / max(base, 1e-3):>6.1f} "
                      f"{(time.monotonic() - started) / 60:>5.1f}", flush=True)
                slow = summary.slowest_variant
                if slow is not None and summary.slowest > 10 * base + 1:
                    print(f"  slowest: variant {slow.variant} in {slow.region}: "
                          f"{json.dumps(slow.to_json()['patches'])}", flush=True)
                for failure in summary.failures:
                    where = save_regression(failure) if args.save_regressions else "-"
                    print(f"  {failure.outcome.status} variant {failure.variant} in "
                          f"{failure.region}: {failure.outcome.detail[:1500]}\n  -> {where}",
                          flush=True)
                totals["variants"] += summary.variants
                for key in ("crash", "hang", "unsound"):
                    totals[key] += c[key]
            print(f"worker restarts: {worker.restarts}")
    print(f"TOTAL variants run {totals['variants']}, crashes {totals['crash']}, "
          f"hangs {totals['hang']}, unsound {totals['unsound']}", flush=True)
    return 1 if totals["crash"] or totals["hang"] or totals["unsound"] else 0


if __name__ == "__main__":
    sys.exit(main())
