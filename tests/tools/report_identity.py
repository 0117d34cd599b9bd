"""Scan every cached fixture image and the demo disk; write each report.json without its
run-dependent fields, so two versions of the code can be compared byte for byte.

    PYTHONPATH=$PWD python -m tests.tools.report_identity OUT_DIR [--inputs DIR]
    diff -r BEFORE_DIR AFTER_DIR

The inputs (demo disk, signed demo hash set) are prepared once in --inputs and reused, so both
runs scan exactly the same evidence against exactly the same hash sets.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path
from typing import Any

from tests.fixtures.builders import RECIPES, build, skip_reason
from triage.demo.run import prepare_demo
from triage.pipeline import ScanOptions, run_scan
from triage.report.canonical import canonical_bytes

# Fields that differ between two runs of the same scan (clock, host, command line).
VOLATILE = ("started_utc", "finished_utc", "duration_s", "time_to_first_hit_s", "host",
            "command")


def normalise(report: dict[str, Any]) -> dict[str, Any]:
    """The report with its run-dependent fields blanked."""
    provenance = report.get("provenance", {})
    for key in VOLATILE:
        if key in provenance:
            provenance[key] = None
    for resumed in provenance.get("resumed", []):
        for key in list(resumed):
            if key.endswith("_utc"):
                resumed[key] = None
    return report


def _demo_inputs(inputs: Path) -> tuple[list[str], ScanOptions]:
    marker = inputs / "demo.json"
    if not marker.exists():
        shutil.rmtree(inputs / "demo", ignore_errors=True)
        sources, _, options = prepare_demo(inputs / "demo")
        marker.write_text(json.dumps({"sources": sources}))
    sources = json.loads(marker.read_text())["sources"]
    work = inputs / "demo"
    from triage.ruleset import PACKAGED_RULES

    return sources, ScanOptions(hashsets=work / "hashsets", trusted_keys=work / "trusted-keys",
                                rules=PACKAGED_RULES, case="DEMO-0001", officer="demo",
                                command="triage demo")


def run(out: Path, inputs: Path) -> list[str]:
    """Scan every case into `out`/<name>.json; returns the names written."""
    out.mkdir(parents=True, exist_ok=True)
    inputs.mkdir(parents=True, exist_ok=True)
    scratch = out / ".scans"
    shutil.rmtree(scratch, ignore_errors=True)
    cases: dict[str, tuple[list[str], ScanOptions]] = {}
    for name in sorted(RECIPES):
        if skip_reason(name) is None:
            cases[name] = ([str(build(name).path)], ScanOptions(command="triage scan"))
    cases["demo"] = _demo_inputs(inputs)
    written = []
    for name, (sources, options) in cases.items():
        result = run_scan(sources, scratch / name, options)
        report = normalise(json.loads((scratch / name / "report.json").read_bytes()))
        report["exit_code"] = int(result.exit_code)
        (out / f"{name}.json").write_bytes(canonical_bytes(report))
        written.append(name)
    shutil.rmtree(scratch, ignore_errors=True)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--inputs", type=Path, default=Path("/tmp/triage-report-identity"))
    args = parser.parse_args()
    for name in run(args.out, args.inputs):
        print(name)


if __name__ == "__main__":
    main()
