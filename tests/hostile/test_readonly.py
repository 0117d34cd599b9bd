"""Read-only, proved: a write-protected loop device scans, and a scan writes only under --out."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fuzz.harness import sha256_file
from triage.errors import ExitCode
from triage.pipeline import run_scan

ROOT = Path(__file__).resolve().parents[2]


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, check=False)  # noqa: S603


@pytest.fixture()
def readonly_loop(fixture_images, tmp_path):
    """The fat16 fixture on a loop device the kernel itself refuses to write."""
    if os.geteuid() != 0 or not shutil.which("losetup") or not shutil.which("blockdev"):
        pytest.skip("needs root, losetup and blockdev")
    image = tmp_path / "disk.img"
    shutil.copyfile(fixture_images("fat16").path, image)
    attached = _run(["losetup", "--find", "--show", "--read-only", str(image)])
    if attached.returncode != 0:
        pytest.skip(f"no loop device: {attached.stderr.strip()}")
    device = attached.stdout.strip()
    try:
        assert _run(["blockdev", "--setro", device]).returncode == 0
        assert _run(["blockdev", "--getro", device]).stdout.strip() == "1"
        yield Path(device), image
    finally:
        _run(["losetup", "--detach", device])


def test_a_blockdev_setro_loop_device_scans(readonly_loop, tmp_path):
    device, image = readonly_loop
    before = sha256_file(image)
    result = run_scan([str(device)], tmp_path / "out")
    assert result.exit_code is ExitCode.FINDINGS  # AMBER: no hash sets; but examined
    [volume] = result.report["coverage"]["volumes"]
    assert volume["status"] == "examined" and volume["files"] > 0
    [evidence] = result.report["provenance"]["evidence"]
    assert evidence["kind"] == "block device" and evidence["read_only"] is True
    assert sha256_file(image) == before


def _snapshot(folder: Path) -> dict[str, tuple[int, int, str]]:
    """Every entry under `folder` with its size, mtime and (for files) SHA-256."""
    seen = {}
    for path in sorted(folder.rglob("*")):
        st = path.lstat()
        digest = sha256_file(path) if path.is_file() and not path.is_symlink() else ""
        seen[str(path.relative_to(folder))] = (st.st_size, st.st_mtime_ns, digest)
    return seen


def test_a_scan_with_read_only_source_and_cwd_writes_only_under_out(fixture_images, tmp_path):
    if os.geteuid() != 0:
        pytest.skip("a read-only bind mount needs root (chmod does not stop root)")
    area = tmp_path / "area"
    (area / "evidence" / "sub").mkdir(parents=True)
    (area / "evidence" / "sub" / "photo.jpg").write_bytes(b"\xff\xd8\xff" + b"x" * 5000)
    (area / "home").mkdir()
    (area / "tmp").mkdir()
    shutil.copyfile(fixture_images("ext4").path, area / "disk.img")
    mounted = _run(["mount", "--bind", str(area), str(area)])
    if mounted.returncode != 0:
        pytest.skip(f"bind mount refused: {mounted.stderr.strip()}")
    try:
        assert _run(["mount", "-o", "remount,bind,ro", str(area)]).returncode == 0
        before = _snapshot(area)
        out = tmp_path / "out"
        env = {**os.environ, "HOME": str(area / "home"), "TMPDIR": str(area / "tmp"),
               "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1",
               "XDG_CACHE_HOME": str(area / "home" / ".cache")}
        env.pop("TRIAGE_DATA", None)
        done = subprocess.run(  # noqa: S603 - our own interpreter and CLI
            [sys.executable, "-m", "triage.cli", "scan", str(area / "evidence"),
             str(area / "disk.img"), "--out", str(out), "--case", "RO-1"],
            cwd=area, env=env, capture_output=True, text=True, timeout=300, check=False)
        assert done.returncode == ExitCode.FINDINGS, done.stderr[-2000:]
        assert (out / "report.json").is_file()
        assert _snapshot(area) == before  # the source, cwd, HOME and TMPDIR: not a byte
    finally:
        _run(["umount", str(area)])
