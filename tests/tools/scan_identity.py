"""Compare two scans' output folders: every listed file (type, digests, facts) and every finding.

    python -m tests.tools.scan_identity BEFORE_OUT AFTER_OUT

Speed work on the file scan must not change what it reports. This reads both folders'
files.jsonl.gz (records keyed by address, compared field by field; key order ignored) and the
findings and problems of report.json (as multisets: their order follows which worker finished
first), and prints every difference; exit 1 if there is any. Times, durations and the report's
own identity (output folder, signatures) are left out: they differ between any two runs.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from tests.tools.report_diff import differences
from triage.report.listing import read_listing

# Report fields that describe the run rather than the evidence.
RUN_FIELDS = ("started_utc", "finished_utc", "duration_s", "elapsed_s", "time_to_first_hit_s",
              "cpu_seconds", "read_seconds", "out_dir", "host", "command")


def listing(folder: Path) -> dict[str, dict[str, Any]]:
    """The listing's records by address (an address appears once per scan)."""
    return {record["address"]: record for record in read_listing(folder / "files.jsonl.gz")}


# A damaged PDF's reason names a Python object (a known wart): its address differs per run.
_OBJECT_AT = re.compile(r" at 0x[0-9a-f]+>")


def _strip(value: Any) -> Any:
    if isinstance(value, str):
        return _OBJECT_AT.sub(" at 0x...>", value)
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in RUN_FIELDS}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def _multiset(items: list[Any]) -> Counter[str]:
    return Counter(json.dumps(_strip(item), sort_keys=True) for item in items)


def compare(before: Path, after: Path) -> list[str]:
    """Every difference between the two scans' listings, findings and problems."""
    out: list[str] = []
    old, new = listing(before), listing(after)
    for address in sorted(set(old) | set(new)):
        if address not in new:
            out.append(f"listing {address}: removed")
        elif address not in old:
            out.append(f"listing {address}: added")
        else:
            out.extend(f"listing {address}{d}" for d in differences(old[address], new[address]))
    reports = [json.loads((f / "report.json").read_text(encoding="utf-8")) for f in (before, after)]
    for key in ("findings", "warnings"):
        gone = _multiset(reports[0].get(key, [])) - _multiset(reports[1].get(key, []))
        came = _multiset(reports[1].get(key, [])) - _multiset(reports[0].get(key, []))
        out += [f"{key}: only before: {item:.300}" for item in gone.elements()]
        out += [f"{key}: only after: {item:.300}" for item in came.elements()]
    for key in ("verdict", "coverage"):
        out.extend(f"report.{key}{d}" for d in differences(_strip(reports[0].get(key)),
                                                           _strip(reports[1].get(key))))
    return out


def main(argv: list[str] | None = None) -> int:
    before, after = (Path(a) for a in (argv if argv is not None else sys.argv[1:]))
    found = compare(before, after)
    files = len(listing(after))
    for line in found:
        print(line)
    print(f"{files:,} files compared: "
          f"{'identical' if not found else f'{len(found)} differences'}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
