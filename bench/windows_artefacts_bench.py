"""Benchmark of the Windows extractors: a full Prefetch folder and a large Amcache.hve, ours
against the bare libraries, and what they add to a scan.

    python bench/windows_artefacts_bench.py [--prefetch 1024] [--amcache 10000] [--files 5000]

Prefetch: Windows 10 and 11 keep at most 1,024 files; the folder holds plaso's published
Windows 10/11 files (MAM-compressed) and their Windows 8 file named for other programs
(tests/artefacts/windows_samples.py), alternately. Amcache: a hive written by hivexregedit with
`--amcache` InventoryApplicationFile entries. Baselines, side by side in the same run: libscca
opening each file and reading its name (the floor of any Prefetch reader), and regipy walking
the same Amcache keys and values. The scan row scans a folder tree holding both beside
`--files` small files, with artefacts on and off (each twice, the faster kept).
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pyscca

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _artefact_overhead import notes_tree, with_and_without  # noqa: E402

from tests.artefacts.hives import make_hive  # noqa: E402
from tests.artefacts.windows_samples import PLASO, prefetch_of  # noqa: E402
from triage.artefacts.amcache import AmcacheHive  # noqa: E402
from triage.artefacts.base import Origin  # noqa: E402
from triage.artefacts.hive import open_hive, subkeys, values  # noqa: E402
from triage.artefacts.prefetch import PrefetchFiles  # noqa: E402

GOAL_SCAN_OVERHEAD = 1.10  # issue 19: artefacts add at most 10 % to a scan
PUBLISHED = ("NOTEPAD.EXE-D8414F97.pf", "ONEDRIVE.EXE-7E152375.pf",
             "AM_DELTA_PATCH_1.443.990.0.EX-7037CF86.pf")
AMCACHE = "Windows/AppCompat/Programs/Amcache.hve"


def prefetch_folder(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True)
    paths = []
    for n in range(count):
        if n % 2:
            path = folder / f"{n:04d}-{PUBLISHED[n % 3]}"
            shutil.copyfile(PLASO / PUBLISHED[n % 3], path)
        else:
            path = folder / f"PROGRAM{n:04d}.EXE-3AE259FC.pf"
            path.write_bytes(prefetch_of(f"PROGRAM{n:04d}.EXE", dt.datetime(
                2026, 11, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=n)))
        paths.append(path)
    return paths


def amcache(target: Path, entries: int) -> Path:
    keys = {f"\\Root\\InventoryApplicationFile\\tool{n}.exe|{n:016x}": {
        "LowerCaseLongPath": f"c:\\program files\\vendor{n % 97}\\tool{n}.exe",
        "Name": f"tool{n}.exe", "FileId": f"0000{n:040x}", "Publisher": f"vendor {n % 97}",
        "Version": f"1.{n % 13}.{n % 7}"} for n in range(entries)}
    return make_hive(target, keys)


def timed(work: object) -> tuple[float, object]:
    started = time.perf_counter()
    result = work()  # type: ignore[operator]
    return time.perf_counter() - started, result


def bare_prefetch(paths: list[Path]) -> int:
    names = 0
    for path in paths:
        scca = pyscca.file()
        scca.open(str(path))
        names += bool(scca.executable_filename)
        scca.close()
    return names


def bare_amcache(path: Path) -> int:
    hive = open_hive(path)
    return sum(len(values(entry)) for entry in subkeys(hive.get_key(
        "\\Root\\InventoryApplicationFile")))


def scan_overhead(work: Path, prefetch: list[Path], hive: Path, files: int) -> tuple[float, float]:
    tree = notes_tree(work / "tree", files)
    (tree / "Windows/Prefetch").mkdir(parents=True)
    for path in prefetch:
        shutil.copyfile(path, tree / "Windows/Prefetch" / path.name)
    (tree / AMCACHE).parent.mkdir(parents=True)
    shutil.copyfile(hive, tree / AMCACHE)
    return with_and_without(tree, work)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prefetch", type=int, default=1024)
    parser.add_argument("--amcache", type=int, default=10_000)
    parser.add_argument("--files", type=int, default=5_000, help="small files beside them")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        paths = prefetch_folder(work / "Prefetch", args.prefetch)
        origin = Origin("bench", "/Windows/Prefetch/x.pf", None)
        floor_pf, _ = timed(lambda: bare_prefetch(paths))
        ours_pf, runs = timed(lambda: [r for p in paths for r in PrefetchFiles().extract(
            p, origin)])
        hive = amcache(work / "Amcache.hve", args.amcache)
        floor_am, _ = timed(lambda: bare_amcache(hive))
        ours_am, found = timed(lambda: list(AmcacheHive().extract(
            hive, Origin("bench", "/" + AMCACHE, None))))
        with_artefacts, without = scan_overhead(work, paths, hive, args.files)
    print(f"{len(runs):,} Prefetch records, {len(found):,} Amcache records\n")
    print("| measure | ours | baseline / goal | ratio |")
    print("|---|---|---|---|")
    print(f"| {args.prefetch:,} Prefetch files, files/s | {len(paths) / ours_pf:,.0f} "
          f"({ours_pf:.2f} s) | bare libscca open + name: {len(paths) / floor_pf:,.0f} "
          f"({floor_pf:.2f} s) | {ours_pf / floor_pf:.2f}x the floor |")
    print(f"| Amcache of {args.amcache:,} files, records/s | {len(found) / ours_am:,.0f} "
          f"({ours_am:.2f} s) | bare regipy walk of the same values: {floor_am:.2f} s "
          f"| {ours_am / floor_am:.2f}x the floor |")
    print(f"| scan of {args.files:,} files + that Prefetch folder and Amcache, s | "
          f"{with_artefacts:.2f} s (artefacts on) | {without:.2f} s (--no-artefacts), goal "
          f"<= {GOAL_SCAN_OVERHEAD:.2f}x | {with_artefacts / without:.2f}x |")


if __name__ == "__main__":
    main()
