"""The artefact benchmarks' scan-time row: a tree of small notes scanned with and without
artefact extraction, sides alternating, the faster of two runs each."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from triage.options import ScanOptions
from triage.pipeline import run_scan


def notes_tree(tree: Path, files: int) -> Path:
    """`files` small text files under a user's Documents (what an ordinary disk is mostly)."""
    for n in range(files):
        target = tree / f"Users/alex/Documents/{n % 50}/note{n}.txt"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(f"note {n}\n" * 20)
    return tree


def with_and_without(tree: Path, work: Path) -> tuple[float, float]:
    """Seconds to scan `tree` (with artefacts, without), each the faster of two runs."""
    times: dict[bool, float] = {}
    for artefacts in (False, True, False, True):
        out = work / f"out-{artefacts}-{len(times)}"
        started = time.perf_counter()
        run_scan([str(tree)], out, ScanOptions(artefacts=artefacts))
        elapsed = time.perf_counter() - started
        times[artefacts] = min(times.get(artefacts, elapsed), elapsed)
        shutil.rmtree(out)
    return times[True], times[False]
