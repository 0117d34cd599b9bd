"""The quick pass from the command line: the lab's add-files, the scan's flags, the report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.blocks.conftest import QuickDisk
from triage.errors import ExitCode
from triage.files import sha256_file
from triage.plan.quickpass import NO_FILTERS, SKIPPED


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run([sys.executable, "-m", "triage.cli", *args], capture_output=True,
                          text=True, timeout=300, check=False, env=env)


def scan(disk: QuickDisk, out: Path, *flags: str, hashsets: Path | None = None
         ) -> tuple[subprocess.CompletedProcess[str], dict]:
    done = run("scan", str(disk.image), "--hashsets", str(hashsets or disk.hashsets),
               "--trusted-keys", str(disk.trusted), "--out", str(out), "--json", *flags)
    return done, json.loads(done.stdout) if done.stdout.strip() else {}


def test_quick_pass_only_is_red_and_reads_no_file(quick_disk: QuickDisk, tmp_path: Path) -> None:
    done, report = scan(quick_disk, tmp_path / "out", "--quick-pass-only")
    assert done.returncode == ExitCode.FINDINGS, done.stderr
    assert report["verdict"]["level"] == "red"
    assert {f["kind"] for f in report["findings"]} == {"block"}
    assert len(report["findings"]) == len(quick_disk.placed)
    assert report["coverage"]["files_hashed"] == 0
    assert report["coverage"]["stopped_early"]["reason"] == (
        "ran the quick pass only (--quick-pass-only)")
    quick = report["coverage"]["quick_pass"]
    assert quick["status"] == "run" and quick["confidence"] is None
    assert quick["filters"][0]["trusted"] is True
    assert sha256_file(quick_disk.image) == quick_disk.sha256


def test_no_quick_pass_and_no_filters_say_so(quick_disk: QuickDisk, tmp_path: Path) -> None:
    done, report = scan(quick_disk, tmp_path / "skip", "--no-quick-pass")
    assert done.returncode == ExitCode.FINDINGS, done.stderr
    assert report["coverage"]["quick_pass"]["reason"] == SKIPPED
    assert not [f for f in report["findings"] if f["kind"] == "block"]
    empty = tmp_path / "empty"
    empty.mkdir()
    done, report = scan(quick_disk, tmp_path / "none", hashsets=empty)
    assert report["coverage"]["quick_pass"] == {
        "status": "not_run", "reason": NO_FILTERS, "sources": [], "filters": [],
        "confidence": None, "rule": report["coverage"]["quick_pass"]["rule"]}


def test_contradicting_flags_are_a_usage_error(quick_disk: QuickDisk, tmp_path: Path) -> None:
    done, _ = scan(quick_disk, tmp_path / "out", "--quick-pass-only", "--no-quick-pass")
    assert done.returncode == ExitCode.USAGE
    assert "contradict each other" in done.stderr
    done, _ = scan(quick_disk, tmp_path / "out", "--sample", "1.5")
    assert done.returncode == ExitCode.USAGE


def test_sampled_scan_states_its_confidence(quick_disk: QuickDisk, tmp_path: Path) -> None:
    done, report = scan(quick_disk, tmp_path / "out", "--quick-pass-only", "--sample", "0.5",
                        "--sample-seed", "4")
    assert done.returncode in (ExitCode.OK, ExitCode.FINDINGS), done.stderr
    quick = report["coverage"]["quick_pass"]
    assert quick["sample"] == {"fraction": 0.5, "seed": 4, "unit": 1 << 20}
    assert quick["confidence"]["by_size"][0]["smallest_in_set"] is True
    assert "would be found with probability >= 50.0%" in quick["confidence"]["text"]


def test_add_files_builds_a_signed_block_filter(quick_disk: QuickDisk, tmp_path: Path) -> None:
    key = tmp_path / "lab.key"
    key.write_bytes((quick_disk.trusted.parent / "keys" / "lab.key").read_bytes())
    done = run("hashset", "add-files", str(quick_disk.known), "--name", "docs", "--category",
               "B", "--into", str(tmp_path / "sets"), "--sign", str(key),
               "--max-blocks-per-file", "8")
    assert done.returncode == 0, done.stderr
    assert "block filter" in done.stdout and "7 files" in done.stdout
    assert "capped at their limit" in done.stdout
    manifest = json.loads((tmp_path / "sets" / "blocks" / "docs" / "manifest.json").read_text())
    assert manifest["counts"] == {"blocks": 7 * 8, "references": 7}
    assert (tmp_path / "sets" / "blocks" / "docs" / "signature.json").is_file()
    assert (tmp_path / "sets" / "docs.hashset" / "manifest.json").is_file()


def test_summary_line_says_what_the_quick_pass_read() -> None:
    from triage.console import quick_pass_line

    assert quick_pass_line({"status": "not_run", "reason": SKIPPED}) == (
        "Quick pass: not run (--no-quick-pass).")
    assert quick_pass_line({"status": "not_run", "reason": NO_FILTERS}) == (
        "Quick pass: no block filters among the hash sets, so deleted, unallocated and "
        "reformatted space was not searched for known files.")
    quick = {"status": "run", "sources": [{"bytes_covered": 3 << 30}],
             "confidence": {"text": "Sampling 10% of the disk ..."}}
    assert quick_pass_line(quick) == (
        "Quick pass: 3.2 GB of 1 disk read block by block. Sampling 10% of the disk ...")
    # A 10 MB disk whose FAT volumes have 512-byte clusters is read at 8 offsets: the line
    # gives the disk's size, not a read larger than the disk.
    small = {"status": "run", "confidence": None,
             "sources": [{"size": 10_485_760, "bytes_covered": 76_546_048}]}
    assert quick_pass_line(small) == (
        "Quick pass: 1 disk (10.5 MB) read block by block, volumes with small clusters once "
        "per offset their files can start at (76.5 MB in all).")
