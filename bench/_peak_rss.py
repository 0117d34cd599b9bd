"""Peak RSS of a command's process tree, measured so the benchmark's own memory never counts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import IO

# Linux folds the memory high-water mark of a process's old image into its rusage at exec, and
# subprocess starts children with vfork, so a child of a big benchmark process reports the
# benchmark's own peak (bench/household.py holds ~2.6 GB of pictures: every scan "used" that).
# A small launcher process in between starts the command from its own small image and hands
# back the command's rusage from wait4.
_LAUNCHER = """
import json, os, subprocess, sys
proc = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(proc.pid, 0)
with open(sys.argv[1], "w") as out:
    json.dump({"status": os.waitstatus_to_exitcode(status), "maxrss_kib": usage.ru_maxrss}, out)
"""


def run_measured(args: list[str], *, env: dict[str, str] | None = None,
                 cwd: Path | None = None, stdout: int | IO[bytes] | None = None,
                 stderr: int | IO[bytes] | None = None, report: Path) -> tuple[int, float]:
    """Run `args` to the end: (exit status, peak RSS in MiB of its largest process).

    `report` is a scratch file the launcher writes the figures to.
    """
    subprocess.run([sys.executable, "-c", _LAUNCHER, str(report), *args],  # noqa: S603
                   env=env, cwd=cwd, stdout=stdout, stderr=stderr, check=False)
    figures = json.loads(report.read_text(encoding="utf-8"))
    report.unlink()
    return int(figures["status"]), figures["maxrss_kib"] / 1024

