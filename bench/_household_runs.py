"""The household benchmark's runs: the `triage` command line and the examiner's open tools."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _peak_rss import run_measured

REPO = Path(__file__).resolve().parent.parent
# The checkout's own command line (what `triage` runs), so the numbers describe this code and
# not whichever version is installed.
TRIAGE = [sys.executable, "-m", "triage.cli"]
# Exit codes of a scan that worked: 0 nothing found, 10 findings (triage/errors.py ExitCode).
SCAN_OK = (0, 10)
# The Debian package each baseline tool comes from, for the line a missing tool gets.
PACKAGES = {"fls": "sleuthkit", "tsk_recover": "sleuthkit", "md5deep": "hashdeep",
            "hashdeep": "hashdeep"}


def missing(*tools: str) -> str | None:
    """'fls (apt install sleuthkit)' for the first tool not on PATH, or None."""
    for tool in tools:
        if shutil.which(tool) is None:
            return f"`{tool}` not found (apt-get install {PACKAGES.get(tool, tool)})"
    return None


def triage(*args: str) -> str:
    """Run a triage command of this checkout; raise with its last error line if it fails."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)}
    proc = subprocess.run([*TRIAGE, *args], capture_output=True, env=env, check=False)
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RuntimeError(f"triage {' '.join(args[:2])} failed ({proc.returncode}): "
                           f"{err[-1] if err else 'no message'}")
    return proc.stdout.decode("utf-8", "replace")


def make_hashsets(known_dir: Path, known_md5: Path, work: Path) -> tuple[Path, Path, Path]:
    """Sign the known pictures into hash sets as a lab would (README, lab section).

    Returns (trusted keys, exact-only sets from the md5 list md5deep also gets, exact +
    perceptual sets from the pictures themselves).
    """
    keys = work / "keys"
    keys.mkdir()
    triage("keys", "init", "bench-lab", "--dir", str(keys))
    trusted = work / "trusted"
    trusted.mkdir()
    shutil.copy(keys / "bench-lab.pub", trusted / "bench-lab.pub")
    exact, full = work / "hashsets-exact", work / "hashsets-full"
    exact.mkdir()
    full.mkdir()
    key = str(keys / "bench-lab.key")
    triage("hashset", "import", str(known_md5), "--name", "household-md5", "--format",
           "md5sum", "--category", "A", "--sign", key, "--into", str(exact))
    triage("hashset", "add-images", str(known_dir), "--name", "household-known", "--category",
           "A", "--sign", key, "--into", str(full))
    return trusted, exact, full


@dataclass
class ScanRun:
    """One `triage scan` process: wall time, peak RSS of its largest process, its report."""

    seconds: float
    peak_rss_mib: float
    report: dict[str, Any]

    def exact_paths(self) -> list[str]:
        return [_where(f) for f in self.report["findings"] if f["kind"] == "exact"]

    def perceptual_paths(self) -> list[str]:
        return [_where(f) for f in self.report["findings"] if f["kind"] == "perceptual"]


def _where(finding: dict[str, Any]) -> str:
    part = finding.get("partition") or {}
    return f"p{part.get('index')}:{finding.get('path')}"


def scan(image: Path, hashsets: Path, trusted: Path, out: Path, *extra: str) -> ScanRun:
    """`triage scan IMAGE --hashsets --trusted-keys --out --json [EXTRA...]`, timed as a black
    box (`extra`: more sources or options, e.g. `--no-artefacts`).

    The peak RSS is that of the largest process in the scan's tree (the scan or one of its
    picture workers), measured apart from this benchmark's own memory (see _peak_rss).
    """
    cmd = [*TRIAGE, "scan", str(image), "--hashsets", str(hashsets), "--trusted-keys",
           str(trusted), "--out", str(out), "--json", *extra]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    log = out.with_name(out.name + ".log")
    with open(log, "wb") as sink:
        started = time.perf_counter()
        status, peak_mib = run_measured(cmd, env=env, stdout=subprocess.DEVNULL, stderr=sink,
                                        report=out.with_name(out.name + ".rss.json"))
        seconds = time.perf_counter() - started
    if status not in SCAN_OK:
        tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        raise RuntimeError(f"triage scan failed ({status}): "
                           f"{tail[-1] if tail else 'no message'}")
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return ScanRun(seconds, peak_mib, report)


@dataclass
class RecoverRun:
    """`tsk_recover -e` of every partition, then `md5deep -r -m known.md5` over the files."""

    seconds: float
    recovered: int
    matches: list[str]  # md5deep's matching files, relative to the recovery folder


def recover_and_match(image: Path, sectors: list[int], known_md5: Path, dest: Path
                      ) -> RecoverRun:
    """The chain an examiner builds from open tools: extract everything, then match."""
    if dest.exists():
        shutil.rmtree(dest)
    started = time.perf_counter()
    recovered = 0
    for sector in sectors:
        out = subprocess.run(["tsk_recover", "-e", "-o", str(sector), str(image),
                              str(dest / f"s{sector}")], capture_output=True, check=True).stdout
        for line in out.decode("utf-8", "replace").splitlines():
            if line.startswith("Files Recovered:"):
                recovered += int(line.split(":")[1])
    found = subprocess.run(["md5deep", "-r", "-m", str(known_md5), str(dest)],
                           capture_output=True, check=False)
    seconds = time.perf_counter() - started
    if found.returncode not in (0, 1):  # 1: nothing matched
        raise RuntimeError(f"md5deep failed: {found.stderr.decode(errors='replace').strip()}")
    lines = found.stdout.decode("utf-8", "surrogateescape").splitlines()
    return RecoverRun(seconds, recovered,
                      [str(Path(p).relative_to(dest)) for p in lines if p.strip()])
