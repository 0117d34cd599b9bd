"""Hostile folder sources: sparse giants, zero-byte files, evil names, deep trees, loops."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import subprocess
import xml.etree.ElementTree as ET  # noqa: S405 - parses our own output, to prove it is valid
from pathlib import Path

import pytest

from tests.hostile.conftest import warnings_for
from triage.report.listing import read_listing
from triage.walk.fswalk import MAX_DEPTH, SKIP_SPARSE, SPARSE_MIN_SIZE
from triage.walk.logical import FOLDER_MAX_DEPTH

EVIL_NAMES = [
    b"bell\x07tab\tnl\nesc\x1b[31mred.jpg",
    b"bad\xff\xfeutf8.jpg",
    b"<script>alert(1)<\\script>.jpg",
    b'"><img src=x onerror=alert(2)>.png',
    b"..\xe2\x80\xae gpj.exe",  # right-to-left override hides the real extension
    b"...",
    b"back\\slash\\..\\..\\etc.txt",
]


def _listing(report: dict) -> dict[str, dict]:
    return {r["path"]: r for r in read_listing(Path(report["_out"]) / "files.jsonl.gz")}


def test_sparse_files_claiming_terabytes_are_skipped_with_a_warning(watched_scan, tmp_path):
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    for name, size in [("2T.bin", 2 * 1024**4), ("ten-billion.mp4", 10_000_000_000)]:
        with open(evidence / name, "wb") as handle:
            handle.truncate(size)
    (evidence / "real.txt").write_bytes(b"x" * 1000)
    (evidence / "large.bin").write_bytes(b"y" * SPARSE_MIN_SIZE)  # large, but all on disk
    # A hang here means a sparse file was read: hashing 2 TiB of zeros takes an hour.
    report = watched_scan(evidence, timeout=60)
    listed = _listing(report)
    assert listed["/2T.bin"]["size"] == 2 * 1024**4
    assert listed["/2T.bin"].get("sha256") is None
    assert listed["/real.txt"]["sha256"] == hashlib.sha256(b"x" * 1000).hexdigest()
    assert listed["/large.bin"]["sha256"] == hashlib.sha256(b"y" * SPARSE_MIN_SIZE).hexdigest()
    assert report["coverage"]["files_skipped"] == {SKIP_SPARSE: 2}
    assert any("2,199,023,255,552 bytes" in m for m in warnings_for(report, "/2T.bin"))
    assert warnings_for(report, "/ten-billion.mp4")
    assert report["verdict"]["level"] == "amber"


def test_zero_byte_files_are_hashed(watched_scan, tmp_path):
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    for name in ("empty.jpg", "empty.png", "empty"):
        (evidence / name).write_bytes(b"")
    listed = _listing(watched_scan(evidence))
    assert {r["sha256"] for r in listed.values()} == {hashlib.sha256(b"").hexdigest()}
    assert len(listed) == 3


def test_evil_names_are_shown_safely_in_every_output(watched_scan, tmp_path):
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    root = os.fsencode(evidence)
    for n, name in enumerate(EVIL_NAMES):
        with open(os.path.join(root, name), "wb") as handle:
            handle.write(b"known content %d" % n)
    sets = tmp_path / "sets"
    sets.mkdir()
    (sets / "known.sha256").write_text("".join(
        f"{hashlib.sha256(b'known content %d' % n).hexdigest()}  k{n}\n"
        for n in range(len(EVIL_NAMES))))
    report = watched_scan(evidence, sets)
    out = Path(report["_out"])
    paths = sorted(f["path"] for f in report["findings"] if f["kind"] == "exact")
    assert len(paths) == len(EVIL_NAMES)  # every file found, whatever its name
    assert "/bad\\xff\\xfeutf8.jpg" in paths  # invalid UTF-8 visible byte for byte
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;\\script&gt;.jpg" in page
    assert "\x1b" not in page and "\x07" not in page  # no terminal escapes reach the page
    ET.parse(out / "report.dfxml")  # noqa: S314 - control characters must not break the XML
    json.loads((out / "report.case.jsonld").read_text(encoding="utf-8"))
    with gzip.open(out / "files.jsonl.gz", "rt", encoding="utf-8") as listing:
        assert sum(1 for _ in listing) >= len(EVIL_NAMES)


def test_a_4000_character_path_is_walked(watched_scan, tmp_path):
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    budget = 4000 - len(os.fsencode(evidence))  # the whole path stays within PATH_MAX
    parts = ["p" * 200] * (budget // 201)
    folder = evidence.joinpath(*parts)
    folder.mkdir(parents=True)
    (folder / "deep.txt").write_bytes(b"deep")
    listed = _listing(watched_scan(evidence))
    [path] = listed
    assert len(path) >= 3800 and path.endswith("/deep.txt")
    assert listed[path]["sha256"] == hashlib.sha256(b"deep").hexdigest()


def _deep_folder(root: Path, levels: int, files_at: tuple[int, ...]) -> None:
    """`levels` nested folders named d, built relative to open descriptors (no PATH_MAX)."""
    fd = os.open(root, os.O_RDONLY)
    try:
        for level in range(levels):
            os.mkdir("d", dir_fd=fd)
            child = os.open("d", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = child
            if level + 1 in files_at:
                out = os.open(f"at{level + 1}.txt", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
                os.write(out, b"%d" % level)
                os.close(out)
    finally:
        os.close(fd)


def remove_deep_folder(root: Path) -> None:
    """Remove a tree of nested d folders level by level (shutil.rmtree recurses too deep)."""
    top, spare = root / "d", root / "d-next"
    while top.is_dir():
        for entry in os.scandir(top):
            if not entry.is_dir(follow_symlinks=False):
                os.unlink(entry.path)
        has_child = (top / "d").is_dir()
        if has_child:
            os.rename(top / "d", spare)
        os.rmdir(top)
        if has_child:
            os.rename(spare, top)


def test_a_10000_level_folder_tree_is_examined_to_the_bottom(watched_scan, tmp_path):
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    try:
        _deep_folder(evidence, 10_000, (5, 1000, 9_999))
        report = watched_scan(evidence, timeout=120)
    finally:
        remove_deep_folder(evidence)
    listed = _listing(report)
    assert "/d/d/d/d/d/at5.txt" in listed
    # Folders are opened by descriptor, one level at a time: a 20,000-byte path (five times
    # PATH_MAX) is walked, and the file at the bottom is read and hashed.
    [bottom] = [p for p in listed if p.endswith("/at9999.txt")]
    assert bottom == "/d" * 9_999 + "/at9999.txt"
    assert listed[bottom]["sha256"] == hashlib.sha256(b"9998").hexdigest()
    assert listed["/d" * 1000 + "/at1000.txt"]["sha256"] == hashlib.sha256(b"999").hexdigest()
    assert [w for w in report["warnings"] if w["stage"] == "walk"] == []
    assert report["coverage"]["files_hashed"] == 3


def _bind(source: Path, target: Path) -> bool:
    done = subprocess.run(["mount", "--bind", str(source), str(target)],  # noqa: S603, S607
                          capture_output=True, check=False)
    return done.returncode == 0


def _umount(target: Path) -> None:
    subprocess.run(["umount", "-l", str(target)], capture_output=True, check=False)  # noqa: S603, S607


def test_a_bind_mount_loop_is_walked_once(watched_scan, tmp_path):
    evidence = tmp_path / "evidence"
    (evidence / "a" / "loop").mkdir(parents=True)
    (evidence / "a" / "file.txt").write_bytes(b"once")
    (evidence / "top.txt").write_bytes(b"top")
    if not _bind(evidence, evidence / "a" / "loop"):
        pytest.skip("bind mounts need root")
    try:
        report = watched_scan(evidence)
    finally:
        _umount(evidence / "a" / "loop")
    # Not again as /a/loop/top.txt or /a/loop/a/file.txt: the root itself is the loop's target.
    assert sorted(_listing(report)) == ["/a/file.txt", "/top.txt"]


def test_max_depth_is_far_deeper_than_real_trees():
    assert MAX_DEPTH >= 1024
    assert FOLDER_MAX_DEPTH >= 10 * 10_000
