"""False alarms of a rule pack on clean systems, per rule, against a baseline pack side by side.

Run from the repository root:
    python bench/rules_false_alarms.py [--baseline REV | --baseline-dir DIR] [--systems ...]

The clean corpus is the one tests/clean_systems scans: a stock Windows 11 profile (built in a
temporary folder) and stock Debian 12 GNOME desktop and server trees (mmdebstrap, from the
fixture cache; built there first if missing, which takes minutes and needs root and network).
Each tree is scanned with the real scan (`run_scan`, trusted hash set, containers on) once with
the shipped pack and once with the baseline pack (by default the pack of the commit before issue
22). A false alarm is a rule finding whose severity makes the verdict AMBER or RED
(`RULE_VERDICTS`): on a clean system every one is false. The table gives, per rule, the false
alarms on each system and the rate per 10,000 files examined; the last lines give the verdicts.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.clean_systems import debian, windows11  # noqa: E402
from tests.clean_systems.scanning import alarms, scan, trusted_lab  # noqa: E402
from triage.pipeline import ScanOptions  # noqa: E402
from triage.ruleset import PACKAGED_RULES  # noqa: E402

# The last commit before issue 22 changed the pack (rules version 1 everywhere).
BASELINE_REV = "6956da6"


def export_pack(rev: str, into: Path) -> Path:
    """The rule pack as it was at git revision `rev`, written into `into`."""
    into.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "triage/data/rules"],
                             capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into / "triage" / "data" / "rules"


def trees(names: list[str], work: Path) -> dict[str, Path]:
    out = {}
    for name in names:
        if name == "windows11":
            out[name] = windows11.build(work / "windows11")
        else:
            built = debian.cached(name) or debian.build(name)
            print(f"{name}: {built.files:,} files, built in {built.seconds:.0f} s "
                  f"({built.mode} mode)", flush=True)
            out[name] = built.root
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline", default=BASELINE_REV, help="git revision of the baseline")
    parser.add_argument("--baseline-dir", type=Path, help="a baseline pack folder instead")
    parser.add_argument("--systems", nargs="+", default=["windows11", *sorted(debian.SYSTEMS)],
                        choices=["windows11", *sorted(debian.SYSTEMS)])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rules-fa-") as tmp:
        work = Path(tmp)
        baseline = args.baseline_dir or export_pack(args.baseline, work / "baseline")
        lab = trusted_lab(work)
        packs = {"ours": PACKAGED_RULES, "baseline": baseline}
        systems = trees(args.systems, work)
        counts: dict[str, dict[str, Counter[str]]] = {p: {} for p in packs}
        files: dict[str, int] = {}
        verdicts: dict[tuple[str, str], str] = {}
        for system, root in systems.items():
            for pack, folder in packs.items():
                options = ScanOptions(hashsets=lab.hashsets, trusted_keys=lab.trusted_keys,
                                      rules=folder)
                start = time.monotonic()
                report = scan(root, work / f"out-{system}-{pack}", options)
                seconds = time.monotonic() - start
                files[system] = report["coverage"]["files_seen"]
                counts[pack][system] = Counter(h.rule for h in alarms(report))
                verdicts[(system, pack)] = report["verdict"]["level"]
                print(f"scanned {system} with the {pack} pack: {files[system]:,} files in "
                      f"{seconds:.0f} s, verdict {verdicts[(system, pack)].upper()}", flush=True)
        _table(counts, files, list(systems))
        print()
        for system in systems:
            print(f"verdict {system}: ours {verdicts[(system, 'ours')].upper()}, "
                  f"baseline {verdicts[(system, 'baseline')].upper()}")
    return 0


def _table(counts: dict[str, dict[str, Counter[str]]], files: dict[str, int],
           systems: list[str]) -> None:
    rules = sorted({r for pack in counts.values() for c in pack.values() for r in c})
    total_files = sum(files.values())
    head = " | ".join(f"{s} ours / base" for s in systems)
    print(f"\n| rule | {head} | per 10k files ours / base |")
    print("|---|" + "---|" * (len(systems) + 1))
    for rule in rules or ["(none)"]:
        cells = [f"{counts['ours'][s][rule]} / {counts['baseline'][s][rule]}" for s in systems]
        ours = sum(counts["ours"][s][rule] for s in systems)
        base = sum(counts["baseline"][s][rule] for s in systems)
        rate = f"{ours * 1e4 / total_files:.2f} / {base * 1e4 / total_files:.2f}"
        print(f"| {rule} | " + " | ".join(cells) + f" | {rate} |")
    ours = sum(sum(c.values()) for c in counts["ours"].values())
    base = sum(sum(c.values()) for c in counts["baseline"].values())
    print("| all rules | " + " | ".join(
        f"{sum(counts['ours'][s].values())} / {sum(counts['baseline'][s].values())}"
        for s in systems) + f" | {ours * 1e4 / total_files:.2f} / "
        f"{base * 1e4 / total_files:.2f} |")
    print("files examined: " + ", ".join(f"{s} {files[s]:,}" for s in systems))


if __name__ == "__main__":
    sys.exit(main())
