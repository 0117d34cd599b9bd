"""How soon `--stop-on-first-red` stops: files read after the first RED, side by side for two
checkouts of triage (e.g. before and after a change) on the same small household disk.

Run from the repository root:
    python bench/stop_on_red.py [--baseline /path/to/other/checkout] [--runs 3]

The disk is tests/pipeline/household.py's (a FAT16 disk of 707 files whose known picture is
read first), built once into a temporary folder; each run is a fresh process with the named
checkout first on PYTHONPATH. Prints a markdown table of medians.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

BUILD = """
import json, sys
from pathlib import Path
from tests.pipeline.household import build_household
image, options = build_household(Path(sys.argv[1]))
print(json.dumps({"image": str(image), "hashsets": str(options.hashsets),
                  "trusted": str(options.trusted_keys)}))
"""

SCAN = """
import json, sys, time
from pathlib import Path
from triage.pipeline import ProgressSink, ScanOptions, run_scan

image, sets, trusted, out = sys.argv[1:5]
read_after = [0]
first = [None, None]  # when, and the file that gave the first RED

class Count(ProgressSink):
    def finding(self, finding):
        if first[0] is None:
            first[:] = [time.monotonic(), finding.where]
    def file_done(self, record):
        if first[0] is not None and record.sha256 is not None and str(
                record.address) != first[1]:
            read_after[0] += 1

report = run_scan([image], Path(out), ScanOptions(hashsets=Path(sets),
                  trusted_keys=Path(trusted), stop_on_first_red=True), Count()).report
print(json.dumps({"read_after_first_red": read_after[0],
                  "s_first_red_to_end": time.monotonic() - first[0],
                  "files_reached": report["coverage"]["volumes"][0]["files_reached"],
                  "files": report["coverage"]["volumes"][0]["files"]}))
"""


def _python(code: Path, script: str, *args: str) -> dict:
    env = {**os.environ, "PYTHONPATH": f"{code}{os.pathsep}{ROOT}"}
    done = subprocess.run([sys.executable, "-c", script, *args], capture_output=True,  # noqa: S603
                          text=True, check=True, env=env, cwd=code)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, help="another checkout to compare against")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="triage-stop-bench-"))
    (work / "disk").mkdir()
    disk = _python(ROOT, BUILD, str(work / "disk"))
    rows = []
    for label, code in [("this checkout", ROOT), ("baseline", args.baseline)]:
        if code is None:
            continue
        runs = [_python(code.resolve(), SCAN, disk["image"], disk["hashsets"], disk["trusted"],
                        str(work / f"{label}-{n}")) for n in range(args.runs)]
        rows.append((label, code, runs))
    print("| checkout | files read after the first RED | s from first RED to the end "
          "| files reached / planned |")
    print("|---|---|---|---|")
    for label, code, runs in rows:
        after = statistics.median(r["read_after_first_red"] for r in runs)
        seconds = statistics.median(r["s_first_red_to_end"] for r in runs)
        print(f"| {label} ({code}) | {after:.0f} | {seconds:.3f} | "
              f"{runs[0]['files_reached']} / {runs[0]['files']} |")
    if len(rows) == 2:
        new = statistics.median(r["read_after_first_red"] for r in rows[0][2])
        old = statistics.median(r["read_after_first_red"] for r in rows[1][2])
        print(f"\nfiles read after the first RED, this / baseline: {new:.0f} / {old:.0f}")


if __name__ == "__main__":
    main()
