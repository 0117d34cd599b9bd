"""The household benchmark's artefact row: the same scan with and without `--no-artefacts`.

The household disk holds a family's files but no browser histories or hives (its build is
shared by other benchmarks and cached), so the family's browser profiles come as a second
source, a folder laid out like the PC's user folders: a Chromium History made by the real
browser headless and filled to `FAMILY_VISITS` visits through SQL (as years of browsing
would), plaso's published Safari History.db and a recently-used.xbel written by GLib. Both
runs scan the same two sources; only extraction differs.
"""

from __future__ import annotations

import gzip
import resource
import shutil
from dataclasses import dataclass
from pathlib import Path

from _household_runs import ScanRun, scan

REPO = Path(__file__).resolve().parent.parent
GOAL = 1.10  # issue 19: artefact extraction adds <= 10% to the household scan's time
FAMILY_VISITS = 20_000
CHROME = "Users/alex/AppData/Local/Google/Chrome/User Data/Default"


def family_profiles(folder: Path, visits: int = FAMILY_VISITS) -> Path:
    """The family's browser profiles and recent-files list, as a folder source."""
    from artefacts_bench import fill  # the 100,000-visit benchmark's own filler

    from tests.artefacts.browsers import chromium_profile
    from tests.artefacts.xbel_files import write_xbel

    made = folder / "made"
    history = chromium_profile(made)
    fill(history, visits)
    chrome = folder / "profiles" / CHROME
    chrome.mkdir(parents=True)
    for part in history.parent.glob("History*"):
        shutil.copy(part, chrome / part.name)
    safari = folder / "profiles/Users/sam/Library/Safari/History.db"
    safari.parent.mkdir(parents=True)
    safari.write_bytes(gzip.decompress(
        (REPO / "tests/data/published/safari-History.db.gz").read_bytes()))
    xbel = folder / "profiles/home/jo/.local/share/recently-used.xbel"
    xbel.parent.mkdir(parents=True)
    write_xbel(xbel, [{"uri": f"file:///home/jo/Documents/letter{n}.odt",
                       "mime": "application/vnd.oasis.opendocument.text",
                       "added": 1_700_000_000 + n, "visited": 1_700_000_000 + n,
                       "apps": [("LibreOffice", "soffice %u", 1, 1_700_000_000 + n)]}
                      for n in range(200)])
    shutil.rmtree(made)
    return folder / "profiles"


def _children_cpu_s() -> float:
    """CPU seconds (user + system) of every finished child so far: a scan's own processes,
    picture workers included (each waits for its children), plus its tiny launcher."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True)
class Overhead:
    """Best wall and CPU seconds of each side, and the records the artefact side extracted."""

    wall_on: float
    wall_off: float
    cpu_on: float
    cpu_off: float
    records: int


def overhead(image: Path, profiles: Path, hashsets: Path, trusted: Path, work: Path,
             repeat: int) -> Overhead:
    """Both sides `repeat` times, alternating so that load changes on the machine fall on
    both alike; wall time and CPU time (the steadier of the two on a shared machine)."""
    wall: dict[bool, float] = {}
    cpu: dict[bool, float] = {}
    records = 0
    for n in range(repeat):
        for artefacts in (False, True):
            out = work / f"scan-artefacts-{artefacts}-{n}"
            extra = (str(profiles),) if artefacts else (str(profiles), "--no-artefacts")
            before = _children_cpu_s()
            run: ScanRun = scan(image, hashsets, trusted, out, *extra)
            used = _children_cpu_s() - before
            wall[artefacts] = min(wall.get(artefacts, run.seconds), run.seconds)
            cpu[artefacts] = min(cpu.get(artefacts, used), used)
            if artefacts:
                records = int((run.report.get("artefacts") or {}).get("records", 0))
            shutil.rmtree(out, ignore_errors=True)
    return Overhead(wall[True], wall[False], cpu[True], cpu[False], records)
