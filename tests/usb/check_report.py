"""Check the report of the VM boot test: the known picture on every disk, every disk read-only."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def problems(report: dict, known_sha256: str) -> list[str]:
    """What the boot test's report gets wrong (empty when it passes)."""
    found: list[str] = []
    evidence = report.get("provenance", {}).get("evidence") or []
    sources = [e.get("source", "") for e in evidence]
    if len(evidence) != 2:
        found.append(f"expected 2 evidence disks, the report names {sources}")
    if not any(s.startswith("/dev/nvme") for s in sources):
        found.append(f"no NVMe disk among the evidence {sources}")
    for item in evidence:
        if item.get("read_only") is not True:
            found.append(f"{item.get('source')} is not recorded read-only "
                         f"(read_only={item.get('read_only')!r})")
        if item.get("kind") != "block device":
            found.append(f"{item.get('source')} was scanned as {item.get('kind')!r}, not a disk")
    hits = {f.get("source") for f in report.get("findings", [])
            if f.get("kind") == "exact" and f.get("sha256") == known_sha256}
    for source in sources:
        if source not in hits:
            found.append(f"the known picture was not found on {source}")
    level = report.get("verdict", {}).get("level")
    if level != "red":
        found.append(f"verdict is {level!r}, expected 'red' (known picture on both disks)")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("reports", type=Path, help="the data partition's reports/ folder")
    parser.add_argument("--known-sha256", required=True)
    args = parser.parse_args()
    reports = sorted(args.reports.glob("*/report.json"))
    if len(reports) != 1:
        print(f"expected one report under {args.reports}, found {len(reports)}")
        return 1
    report = json.loads(reports[0].read_text(encoding="utf-8"))
    issues = problems(report, args.known_sha256)
    for issue in issues:
        print(f"  {issue}")
    if not issues:
        evidence = report["provenance"]["evidence"]
        print(f"    report {reports[0].parent.name}: verdict red, known picture on "
              + ", ".join(f"{e['source']} (read_only={e['read_only']})" for e in evidence))
    return 1 if issues else 0


if __name__ == "__main__":
    sys.exit(main())
