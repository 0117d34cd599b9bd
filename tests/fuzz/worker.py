"""The fuzz worker: scans the images it is sent, one JSON line in, one JSON line out.

Run as `python -m tests.fuzz.worker` by the harness, which kills it when a scan hangs and
restarts it when it dies, so one bad variant never stops (or hangs) the run.
"""

from __future__ import annotations

import json
import resource
import sys
import time
import traceback
from pathlib import Path

from triage.pipeline import ScanOptions, run_scan
from triage.ruleset import PACKAGED_RULES

# A scan of a 75 MB fixture needs far less; a variant that makes the scan allocate more than
# this is a finding (MemoryError), not a reason to take the machine down.
MEMORY_LIMIT = 2 << 30


def main() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    # The shipped rule pack runs on every real scan, so it runs over every variant too.
    for line in sys.stdin:
        job = json.loads(line)
        started = time.monotonic()
        try:
            hashsets = Path(job["hashsets"]) if job.get("hashsets") else None
            options = ScanOptions(workers=2, rules=PACKAGED_RULES, hashsets=hashsets)
            result = run_scan([job["image"]], Path(job["out"]), options)
            answer = {"ok": True, "exit_code": int(result.exit_code),
                      "warnings": len(result.report.get("warnings", []))}
        except BaseException as exc:  # noqa: BLE001 - every escape is what the fuzzer looks for
            answer = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:500],
                      "traceback": traceback.format_exc()[-4000:]}
        answer["seconds"] = round(time.monotonic() - started, 3)
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
