"""Check the report of the VM boot test: the known picture on every disk, every disk read-only."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

# What provenance.boot must say after each of the boot test's modes.
EXPECTED_BOOT = {
    "secure": {"mode": "uefi", "secure_boot": True, "lockdown": "integrity",
               "efivars": "read-only"},
    "uefi": {"mode": "uefi", "secure_boot": False, "lockdown": "none", "efivars": "read-only"},
    "bios": {"mode": "bios", "secure_boot": False, "lockdown": "none", "efivars": None},
}


def boot_problems(report: dict, mode: str) -> list[str]:
    """How the report's boot facts differ from the way the VM booted."""
    boot = report.get("provenance", {}).get("boot")
    if not isinstance(boot, dict):
        return ["the report records no boot facts (provenance.boot)"]
    found = [f"provenance.boot.{key} is {boot.get(key)!r}, expected {want!r}"
             for key, want in EXPECTED_BOOT[mode].items() if boot.get(key) != want]
    if mode == "secure" and not str(boot.get("sbat_level") or "").startswith("sbat,1,"):
        found.append(f"provenance.boot.sbat_level is {boot.get('sbat_level')!r}, expected "
                     "shim's level (sbat,1,...)")
    return found


def problems(report: dict, known_sha256: str, boot: str | None = None) -> list[str]:
    """What the boot test's report gets wrong (empty when it passes)."""
    found: list[str] = boot_problems(report, boot) if boot else []
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
    parser.add_argument("--boot", choices=sorted(EXPECTED_BOOT),
                        help="how the VM booted: the report's provenance.boot must say so")
    args = parser.parse_args()
    reports = sorted(args.reports.glob("*/report.json"))
    if len(reports) != 1:
        print(f"expected one report under {args.reports}, found {len(reports)}")
        return 1
    report = json.loads(reports[0].read_text(encoding="utf-8"))
    issues = problems(report, args.known_sha256, args.boot)
    for issue in issues:
        print(f"  {issue}")
    if not issues:
        evidence = report["provenance"]["evidence"]
        print(f"    report {reports[0].parent.name}: verdict red, known picture on "
              + ", ".join(f"{e['source']} (read_only={e['read_only']})" for e in evidence))
        if args.boot:
            print(f"    boot facts: {json.dumps(report['provenance']['boot'], sort_keys=True)}")
    return 1 if issues else 0


if __name__ == "__main__":
    sys.exit(main())
