"""Hostile ext4 images (made with mkfs.ext4 -d and debugfs): loops, deep trees, forged entries."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.hostile.conftest import warnings_for
from triage.report.listing import read_listing
from triage.walk.fswalk import MAX_DEPTH, SKIP_IMPLAUSIBLE_SIZE, SKIP_SPARSE, SPARSE_MIN_SIZE

pytestmark = pytest.mark.skipif(not (shutil.which("mkfs.ext4") and shutil.which("debugfs")),
                                reason="needs e2fsprogs (mkfs.ext4, debugfs)")


def _run(args: list[str], stdin: bytes | None = None) -> None:
    subprocess.run(args, input=stdin, capture_output=True, check=True)  # noqa: S603


def _ext4(image: Path, source: Path, size_mib: int) -> None:
    _run(["mkfs.ext4", "-q", "-F", "-E", "root_owner=0:0", "-d", str(source), str(image),
          f"{size_mib}M"])


def _debugfs(image: Path, commands: list[str]) -> None:
    _run(["debugfs", "-w", "-f", "-", str(image)], "\n".join(commands).encode() + b"\n")


def _listing(report: dict) -> dict[str, dict]:
    return {r["path"]: r for r in read_listing(Path(report["_out"]) / "files.jsonl.gz")}


def test_loop_forged_name_and_giant_size_in_an_ext4_image(watched_scan, tmp_path):
    source = tmp_path / "src"
    (source / "a").mkdir(parents=True)
    (source / "a" / "file.txt").write_bytes(b"hello\n")
    (source / "slashXname.txt").write_bytes(b"x\n")
    (tmp_path / "big.txt").write_bytes(b"ten billion\n")
    image = tmp_path / "hostile.img"
    _ext4(image, source, 16)
    _debugfs(image, [
        "ln / /a/rootlink",  # a hard link to the root: a directory cycle
        f"write {tmp_path / 'big.txt'} big.mp4",
        "sif big.mp4 size 10000000000",  # a 10-billion-byte claim on a 16 MiB volume
    ])
    data = bytearray(image.read_bytes())
    at = data.find(b"slashXname.txt")
    data[at + 5] = ord("/")  # a path separator inside one directory entry's name
    image.write_bytes(bytes(data))
    report = watched_scan(image, timeout=60)
    listed = _listing(report)
    assert sorted(listed) == ["/a/file.txt", "/big.mp4", "/slash\\x2fname.txt"]
    assert listed["/big.mp4"]["size"] == 10_000_000_000
    assert listed["/big.mp4"].get("sha256") is None
    assert report["coverage"]["files_skipped"] == {SKIP_IMPLAUSIBLE_SIZE: 1}
    assert any("10,000,000,000 bytes" in m for m in warnings_for(report, "/big.mp4"))


def test_a_10000_level_tree_in_an_ext4_image_stops_at_max_depth(watched_scan, tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    (tmp_path / "note.txt").write_bytes(b"at level 100\n")
    image = tmp_path / "deep.img"
    _ext4(image, source, 64)  # 16,384 inodes: room for 10,000 folders
    commands = []
    for level in range(1, 10_001):
        commands += ["mkdir d", "cd d"]
        if level in (100, 10_000):
            commands.append(f"write {tmp_path / 'note.txt'} at{level}.txt")
    _debugfs(image, commands)
    report = watched_scan(image, timeout=120)
    listed = _listing(report)
    assert "/d" * 100 + "/at100.txt" in listed
    assert not any(p.endswith("/at10000.txt") for p in listed)
    assert any(f"deeper than {MAX_DEPTH} folders" in w["message"] for w in report["warnings"])
    assert report["verdict"]["level"] == "amber"


def test_a_sparse_giant_on_a_large_volume_is_skipped_a_real_large_file_hashed(watched_scan,
                                                                              tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    with open(source / "huge.mp4", "wb") as handle:
        handle.truncate(12 * 1024**3)  # fits the 16 GiB volume, so only its holes betray it
    real = bytes(range(1, 256)) * (SPARSE_MIN_SIZE // 255 + 1)  # allocated, just over the bar
    (source / "real.bin").write_bytes(real)
    image = tmp_path / "large.img"  # a sparse 16 GiB image file: a few MiB on disk
    _run(["mkfs.ext4", "-q", "-F", "-b", "4096", "-O", "^has_journal", "-E",
          "lazy_itable_init=1,root_owner=0:0", "-d", str(source), str(image), "16G"])
    # Without the hole check the scan hashes 12 GiB of zeros (minutes): the watch fails it.
    report = watched_scan(image, timeout=60)
    listed = _listing(report)
    assert listed["/huge.mp4"].get("sha256") is None
    assert listed["/real.bin"]["sha256"] == hashlib.sha256(real).hexdigest()
    assert report["coverage"]["files_skipped"] == {SKIP_SPARSE: 1}
    assert any("12,884,901,888 bytes" in m for m in warnings_for(report, "/huge.mp4"))
