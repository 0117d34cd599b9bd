"""Field-by-field differences between two folders written by tests.tools.report_identity.

    python -m tests.tools.report_diff BEFORE_DIR AFTER_DIR
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def differences(before: Any, after: Any, path: str = "") -> list[str]:
    """Every path where `after` differs from `before` (added, removed or changed)."""
    if type(before) is not type(after):
        return [f"{path}: {before!r:.120} -> {after!r:.120}"]
    if isinstance(before, dict):
        out = []
        for key in sorted(set(before) | set(after)):
            here = f"{path}.{key}"
            if key not in before:
                out.append(f"{here}: added {after[key]!r:.120}")
            elif key not in after:
                out.append(f"{here}: removed {before[key]!r:.120}")
            else:
                out.extend(differences(before[key], after[key], here))
        return out
    if isinstance(before, list):
        if len(before) != len(after):
            return [f"{path}: {len(before)} -> {len(after)} items: {after!r:.300}"]
        return [d for i, (b, a) in enumerate(zip(before, after, strict=True))
                for d in differences(b, a, f"{path}[{i}]")]
    return [] if before == after else [f"{path}: {before!r:.120} -> {after!r:.120}"]


def main() -> None:
    before, after = Path(sys.argv[1]), Path(sys.argv[2])
    for report in sorted(before.glob("*.json")):
        print(f"== {report.stem}")
        found = differences(json.loads(report.read_bytes()),
                            json.loads((after / report.name).read_bytes()))
        print("\n".join(found) if found else "(identical)")


if __name__ == "__main__":
    main()
