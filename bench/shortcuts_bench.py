"""Benchmark of shortcut (LNK) and jump-list extraction, records per second, and what reading
them adds to a scan.

    python bench/shortcuts_bench.py [--shortcuts 5000] [--jump-lists 500] [--files 5000]

Shortcuts are written from [MS-SHLLINK] (tests/artefacts/lnkwriter.py), jump lists are plaso's
published Explorer list (tests/data/plaso). Baselines, side by side in the same run: the same
bytes parsed by a bare `LnkParse3.lnk_file` (no damage handling, no records), and the same jump
lists opened by olefile with every stream read (the container's floor). The scan row scans a
folder tree holding the shortcuts and jump lists, artefacts on against `--no-artefacts`.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import LnkParse3  # noqa: E402
import olefile  # noqa: E402
from _artefact_overhead import with_and_without  # noqa: E402

from tests.artefacts.jumplists import EXPLORER  # noqa: E402
from tests.artefacts.lnkwriter import DRIVE_REMOVABLE, shortcut  # noqa: E402
from triage.artefacts.base import Origin  # noqa: E402
from triage.artefacts.jumplist import JumpLists  # noqa: E402
from triage.artefacts.lnk import ShortcutFiles  # noqa: E402

RECENT = "Users/alex/AppData/Roaming/Microsoft/Windows/Recent"
GOAL_SCAN_OVERHEAD = 1.10  # issue 19: artefacts add at most 10 % to a scan


def make_tree(root: Path, shortcuts: int, jump_lists: int, files: int) -> list[Path]:
    """A profile with `shortcuts` Recent shortcuts, `jump_lists` jump lists and `files` notes."""
    links = []
    for n in range(shortcuts):
        link = root / RECENT / f"photo{n}.jpg.lnk"
        link.parent.mkdir(parents=True, exist_ok=True)
        link.write_bytes(shortcut(f"E:\\Photos\\{n % 40}\\photo{n}.jpg",
                                  drive_type=DRIVE_REMOVABLE if n % 3 else 3, size=n))
        links.append(link)
    for n in range(jump_lists):
        jump = root / RECENT / "AutomaticDestinations" / f"{n:016x}.automaticDestinations-ms"
        jump.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(EXPLORER, jump)
        links.append(jump)
    for n in range(files):
        note = root / f"Users/alex/Documents/{n % 50}/note{n}.txt"
        note.parent.mkdir(parents=True, exist_ok=True)
        note.write_text(f"note {n}\n" * 20)
    return links


def extraction(links: list[Path], root: Path) -> tuple[int, float, float]:
    """(records, seconds ours, seconds baseline) over the same files."""
    shortcuts, jumps = ShortcutFiles(), JumpLists()
    started = time.perf_counter()
    records = 0
    for path in links:
        inside = "/" + str(path.relative_to(root))
        extractor = jumps if inside.endswith("-ms") else shortcuts
        records += sum(1 for _ in extractor.extract(path, Origin("bench", inside, "alex")))
    ours = time.perf_counter() - started
    started = time.perf_counter()
    for path in links:
        if path.name.endswith("-ms"):
            with olefile.OleFileIO(str(path)) as ole:
                for stream in ole.listdir():
                    ole.openstream(stream).read()
        else:
            LnkParse3.lnk_file(indata=path.read_bytes()).get_json()
    return records, ours, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shortcuts", type=int, default=5000)
    parser.add_argument("--jump-lists", type=int, default=500)
    parser.add_argument("--files", type=int, default=5000, help="other files in the tree")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        root = work / "tree"
        links = make_tree(root, args.shortcuts, args.jump_lists, args.files)
        records, ours, floor = extraction(links, root)
        with_artefacts, without = with_and_without(root, work)
    print(f"{args.shortcuts:,} shortcuts, {args.jump_lists:,} jump lists, {records:,} records\n")
    print("| measure | ours | baseline / goal | ratio |")
    print("|---|---|---|---|")
    print(f"| shortcut and jump-list extraction, records/s | {records / ours:,.0f} | bare "
          f"LnkParse3 + olefile reads {records / floor:,.0f} | {floor / ours:.2f}x |")
    print(f"| scan of a tree of {len(links) + args.files:,} files with them, s | "
          f"{with_artefacts:.2f} s (artefacts on) | {without:.2f} s (--no-artefacts), goal "
          f"<= {GOAL_SCAN_OVERHEAD:.2f}x | {with_artefacts / without:.2f}x |")


if __name__ == "__main__":
    main()
