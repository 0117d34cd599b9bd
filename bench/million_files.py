"""A million tiny files: the scan's peak memory (goal < 500 MB) and files/s, against a naive loop.

Run from the repository root:

    python bench/million_files.py                      # quick: 50,000 files, folder source
    python bench/million_files.py --full               # 1,000,000 files (builds take minutes)
    python bench/million_files.py --full --source ext4 # the same files in an ext4 image

The files (16-48 bytes each, all different, 1,000 per folder) are built once and cached under
/tmp/triage-bench/million-<N>/: a folder, and for --source ext4 an image made with
`mkfs.ext4 -d -O inline_data` (tiny files live inside their inodes, so the image stays small).
Each side runs in its own process, and its peak RSS comes from the kernel (wait4 rusage,
through bench/_peak_rss.py so this script's own memory never counts):
  ours      `run_scan` (shipped rules, no hash sets; listing, report and manifest written)
  baseline  folder: os.walk + open + hashlib.sha256 of every file, keeping nothing;
            ext4: `fls -r -p` (the walk only, TSK's own tool)
Printed: files, seconds, files/s and peak RSS for both, and the ratios ours / baseline.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _peak_rss import run_measured  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CACHE = Path("/tmp/triage-bench")  # noqa: S108 - a benchmark cache, like bench/_images.py
PER_FOLDER = 1000
GOAL_RSS_MB = 500  # issue 9: memory must stay bounded (stream records, keep only findings)

_OURS = """
import json, sys, time
from pathlib import Path
from triage.pipeline import ScanOptions, run_scan
from triage.ruleset import PACKAGED_RULES
started = time.monotonic()
result = run_scan([sys.argv[1]], Path(sys.argv[2]), ScanOptions(rules=PACKAGED_RULES))
print(json.dumps({"files": result.report["coverage"]["files_seen"],
                  "seconds": time.monotonic() - started}))
"""

_NAIVE = """
import hashlib, json, os, sys, time
started = time.monotonic()
files = 0
for folder, _, names in os.walk(sys.argv[1]):
    for name in names:
        with open(os.path.join(folder, name), "rb") as handle:
            hashlib.sha256(handle.read()).hexdigest()
        files += 1
print(json.dumps({"files": files, "seconds": time.monotonic() - started}))
"""


def build_folder(count: int) -> Path:
    """`count` distinct tiny files in folders of PER_FOLDER, cached between runs."""
    folder = CACHE / f"million-{count}" / "files"
    done = folder.parent / "files.done"
    if done.exists():
        return folder
    if folder.exists():
        shutil.rmtree(folder)
    started = time.monotonic()
    for n in range(count):
        sub = folder / f"d{n // PER_FOLDER:05d}"
        if n % PER_FOLDER == 0:
            sub.mkdir(parents=True)
        # Distinct content per file, 16-48 bytes: every digest differs, as on a real disk.
        (sub / f"f{n:07d}.txt").write_bytes(b"tiny file %07d " % n + b"." * (n % 33))
    done.write_text(str(count))
    print(f"built {count:,} files in {time.monotonic() - started:.0f} s", file=sys.stderr)
    return folder


def build_ext4(count: int, folder: Path) -> Path:
    """The folder as an ext4 image; inline_data keeps each tiny file inside its inode."""
    image = folder.parent / "files.ext4"
    if image.exists():
        return image
    size_mb = 64 + count * 768 // (1024 * 1024) + count * 4 // 1024 // PER_FOLDER * 8
    work = image.with_suffix(".tmp")
    started = time.monotonic()
    subprocess.run(  # noqa: S603, S607 - e2fsprogs, fixed arguments
        ["mkfs.ext4", "-q", "-F", "-O", "inline_data", "-I", "256", "-N", str(count + 4096),
         "-E", "root_owner=0:0", "-d", str(folder), str(work), f"{size_mb}M"], check=True)
    os.replace(work, image)
    print(f"built the ext4 image in {time.monotonic() - started:.0f} s", file=sys.stderr)
    return image


def measure(args: list[str]) -> tuple[dict[str, float], float, str]:
    """Run one side in its own process: (its JSON line, peak RSS in MB, stdout)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryDirectory() as scratch:
        output_file = Path(scratch, "stdout")
        started = time.monotonic()
        with open(output_file, "wb") as sink:
            status, peak_mib = run_measured(args, env=env, cwd=ROOT, stdout=sink,
                                            report=Path(scratch, "rss.json"))
        wall = time.monotonic() - started
        output = output_file.read_text(encoding="utf-8", errors="replace")
    if status != 0:
        raise SystemExit(f"{args[:3]} failed with status {status}")
    lines = [line for line in output.splitlines() if line.startswith("{")]
    result = json.loads(lines[-1]) if lines else {"files": output.count("\n"), "seconds": wall}
    return result, peak_mib, output


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=50_000)
    parser.add_argument("--full", action="store_true", help="1,000,000 files")
    parser.add_argument("--source", choices=("folder", "ext4"), default="folder")
    args = parser.parse_args()
    count = 1_000_000 if args.full else args.files
    folder = build_folder(count)
    source = build_ext4(count, folder) if args.source == "ext4" else folder
    with tempfile.TemporaryDirectory(prefix="triage-million-") as tmp:
        ours, ours_rss, _ = measure([sys.executable, "-c", _OURS, str(source),
                                     str(Path(tmp) / "out")])
    if args.source == "ext4":
        base, base_rss, _ = measure(["fls", "-r", "-p", str(source)])
        base_name = "fls -r -p (walk only)"
    else:
        base, base_rss, _ = measure([sys.executable, "-c", _NAIVE, str(source)])
        base_name = "os.walk + sha256 loop"
    ours_rate = ours["files"] / ours["seconds"]
    base_rate = base["files"] / base["seconds"]
    print(f"source: {args.source}, {count:,} files ({source})")
    print(f"{'side':28} {'files':>10} {'seconds':>8} {'files/s':>9} {'peak RSS MB':>12}")
    print(f"{'triage scan':28} {ours['files']:>10,} {ours['seconds']:>8.1f} {ours_rate:>9,.0f} "
          f"{ours_rss:>12.0f}")
    print(f"{base_name:28} {base['files']:>10,} {base['seconds']:>8.1f} {base_rate:>9,.0f} "
          f"{base_rss:>12.0f}")
    print(f"ratio ours/baseline: files/s {ours_rate / base_rate:.2f}, "
          f"peak RSS {ours_rss / base_rss:.2f}; goal peak RSS < {GOAL_RSS_MB} MB: "
          f"{'met' if ours_rss < GOAL_RSS_MB else 'MISSED'}")
    return 0 if ours["files"] >= count else 1


if __name__ == "__main__":
    sys.exit(main())
