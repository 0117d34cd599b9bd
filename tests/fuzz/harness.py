"""Run mutated fixture images through the real scan in a watched subprocess; classify each."""

from __future__ import annotations

import json
import os
import random
import select
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from triage.files import sha256_file

from .mutate import Patch, PatchedCopy, make_variant
from .regions import FINDERS

ROOT = Path(__file__).resolve().parents[2]
REGRESSIONS = Path(__file__).resolve().parent / "regressions"
# Fuzz target -> the fixture image (tests/fixtures) whose metadata it mutates.
TARGETS: dict[str, str] = {
    "ntfs": "ntfs", "fat12": "fat12", "fat16": "fat16", "fat32": "fat32", "ext4": "ext4",
    "exfat": "exfat", "mbr": "mbr_logical", "gpt": "gpt4",
}
# An unmutated fixture scans in well under a second; a variant still running after this long
# is stuck (a loop in a corrupt structure), not slow.
DEFAULT_TIMEOUT = 30.0

OK, CRASH, HANG, UNSOUND = "ok", "crash", "hang", "unsound"


@dataclass
class Outcome:
    """What happened to one variant."""

    status: str  # ok | crash (exception or process death) | hang | unsound (no report, or
    # the evidence changed)
    detail: str = ""
    seconds: float = 0.0
    exit_code: int | None = None


class ScanWorker:
    """A `python -m tests.fuzz.worker` process; killed and restarted when a scan hangs or dies."""

    def __init__(self, log_dir: Path, command: list[str] | None = None) -> None:
        self._log_dir = log_dir
        self._command = command or [sys.executable, "-m", "tests.fuzz.worker"]
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None
        self.restarts = 0

    def _start(self) -> subprocess.Popen[bytes]:
        self._stderr = open(self._log_dir / f"worker-{self.restarts}.err", "w+b")  # noqa: SIM115
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self._proc = subprocess.Popen(  # noqa: S603 - our own interpreter
            self._command, cwd=ROOT, env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr)
        return self._proc

    def _stop(self) -> None:
        if self._proc is not None:
            if self._proc.poll() is None:
                os.kill(self._proc.pid, signal.SIGKILL)
            self._proc.wait()
            self._proc = None
            self.restarts += 1
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def _stderr_tail(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        return self._stderr.read().decode("utf-8", "replace")[-2000:]

    def scan(self, image: Path, out: Path, timeout: float, hashsets: Path | None = None
             ) -> tuple[str, dict[str, Any]]:
        """Scan `image` (or a folder) into `out`: (status, the worker's answer or the problem)."""
        proc = self._proc if self._proc is not None and self._proc.poll() is None else self._start()
        assert proc.stdin is not None and proc.stdout is not None  # noqa: S101 - pipes above
        started = time.monotonic()
        try:
            job = {"image": str(image), "out": str(out),
                   "hashsets": str(hashsets) if hashsets else None}
            proc.stdin.write(json.dumps(job).encode() + b"\n")
            proc.stdin.flush()
        except BrokenPipeError:
            pass
        ready, _, _ = select.select([proc.stdout], [], [], timeout)
        if not ready:
            self._stop()
            return HANG, {"error": f"no answer after {timeout:.0f} s", "seconds": timeout}
        line = proc.stdout.readline()
        if not line:
            proc.wait()
            answer = {"error": f"worker died with status {proc.returncode}",
                      "traceback": self._stderr_tail(),
                      "seconds": round(time.monotonic() - started, 3)}
            self._stop()
            return CRASH, answer
        answer = json.loads(line)
        return (OK if answer.get("ok") else CRASH), answer

    def close(self) -> None:
        if self._proc is not None and self._proc.stdin is not None:
            self._proc.stdin.close()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        self._stop()

    def __enter__(self) -> ScanWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def check_output(out: Path) -> str | None:
    """Why the scan's output is not a complete report, or None when it is."""
    try:
        report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return f"no readable report.json ({exc})"
    if "verdict" not in report or "coverage" not in report:
        return "report.json lacks a verdict or coverage"
    return None


def run_variant(worker: ScanWorker, copy: PatchedCopy, patches: list[Patch], work: Path,
                timeout: float) -> Outcome:
    """Apply `patches`, scan, check report and evidence, revert; the outcome."""
    copy.apply(patches)
    try:
        before = sha256_file(copy.path)
        with tempfile.TemporaryDirectory(dir=work, prefix="scan-") as tmp:
            status, answer = worker.scan(copy.path, Path(tmp) / "out", timeout)
            outcome = Outcome(status, answer.get("error", ""), answer.get("seconds", 0.0),
                              answer.get("exit_code"))
            if status == CRASH and answer.get("traceback"):
                outcome.detail += "\n" + answer["traceback"]
            if status == OK:
                problem = check_output(Path(tmp) / "out")
                if problem:
                    outcome.status, outcome.detail = UNSOUND, problem
        if status != HANG and sha256_file(copy.path) != before:
            outcome.status, outcome.detail = UNSOUND, "the scan changed the evidence image"
        return outcome
    finally:
        copy.revert()


@dataclass
class Failure:
    """A variant that crashed, hung or was unsound, with the recipe to reproduce it."""

    target: str
    seed: int
    variant: int
    region: str
    patches: list[Patch]
    outcome: Outcome

    def to_json(self) -> dict[str, Any]:
        return {"target": self.target, "fixture": TARGETS[self.target], "seed": self.seed,
                "variant": self.variant, "region": self.region,
                "found": f"{self.outcome.status}: {self.outcome.detail.splitlines()[0]}"
                if self.outcome.detail else self.outcome.status,
                "patches": [p.to_json() for p in self.patches]}


@dataclass
class Summary:
    """Counts of one fuzz run over one target."""

    target: str
    counts: Counter[str] = field(default_factory=Counter)
    failures: list[Failure] = field(default_factory=list)
    slowest: float = 0.0
    slowest_variant: Failure | None = None  # the recipe of the slowest variant, to look into

    @property
    def variants(self) -> int:
        return sum(self.counts.values())


def fuzz_target(target: str, fixture: Path, count: int, seed: int, work: Path, *,
                timeout: float = DEFAULT_TIMEOUT, worker: ScanWorker | None = None,
                on_outcome: Callable[[int, Outcome], None] | None = None) -> Summary:
    """Scan `count` seeded mutations of `fixture`'s metadata regions."""
    rng = random.Random(f"{target}:{seed}")  # noqa: S311 - reproducible, not secret
    summary = Summary(target)
    own = worker is None
    worker = worker or ScanWorker(work)
    copy = PatchedCopy(fixture, work / f"{target}.img")
    regions = FINDERS[target](copy.path)
    try:
        for n in range(count):
            region, patches = make_variant(rng, copy.path, regions, target)
            outcome = run_variant(worker, copy, patches, work, timeout)
            summary.counts[outcome.status] += 1
            if outcome.seconds > summary.slowest:
                summary.slowest = outcome.seconds
                summary.slowest_variant = Failure(target, seed, n, region, patches, outcome)
            if outcome.status != OK:
                summary.failures.append(Failure(target, seed, n, region, patches, outcome))
            if on_outcome is not None:
                on_outcome(n, outcome)
    finally:
        copy.path.unlink(missing_ok=True)
        if own:
            worker.close()
    return summary


def save_regression(failure: Failure, folder: Path = REGRESSIONS) -> Path:
    """Store a failure as a patch recipe (never the image) under tests/fuzz/regressions/."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{failure.target}-s{failure.seed}-v{failure.variant}.json"
    path.write_text(json.dumps(failure.to_json(), indent=1) + "\n", encoding="utf-8")
    return path


def load_regression(path: Path) -> tuple[str, list[Patch]]:
    """(target, patches) of a stored regression recipe."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return data["target"], [Patch.from_json(p) for p in data["patches"]]
