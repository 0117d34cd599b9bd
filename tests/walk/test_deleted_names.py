"""Deleted names whose metadata is gone (fls: "r/- * 0") are listed, as fls lists them."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.fixtures.reference import fls
from triage.files import sha256_file
from triage.pipeline import ScanOptions, run_scan
from triage.report.listing import read_listing

needs_tools = pytest.mark.skipif(
    not all(shutil.which(t) for t in ("mkfs.ext4", "debugfs", "fls")),
    reason="needs e2fsprogs (mkfs.ext4, debugfs) and sleuthkit (fls)")


def _ext4_with_a_bare_deleted_name(tmp_path: Path) -> Path:
    """ext4 holding /Pictures/a.jpg and the bare deleted name /Pictures/b.jpg.

    debugfs unlinks b.jpg the way the kernel does (a.jpg's entry absorbs it); the kernel also
    zeroes a deleted entry's inode number when it is first in its block, which is patched in
    here so that only the name survives: fls then shows "r/- * 0: Pictures/b.jpg".
    """
    tree = tmp_path / "tree" / "Pictures"
    tree.mkdir(parents=True)
    (tree / "a.jpg").write_bytes(b"kept picture")
    (tree / "b.jpg").write_bytes(b"deleted picture")
    image = tmp_path / "ext4.img"
    subprocess.run(["truncate", "-s", "4M", str(image)], check=True)
    subprocess.run(["mkfs.ext4", "-q", "-b", "1024", "-d", str(tmp_path / "tree"), str(image)],
                   check=True, capture_output=True)
    subprocess.run(["debugfs", "-w", "-R", "unlink /Pictures/b.jpg", str(image)], check=True,
                   capture_output=True)
    data = bytearray(image.read_bytes())
    entry = data.index(b"b.jpg") - 8  # inode (4 bytes), rec_len (2), name_len (1), type (1)
    data[entry:entry + 4] = bytes(4)
    image.write_bytes(bytes(data))
    return image


@needs_tools
def test_a_deleted_name_without_metadata_is_listed_like_fls(tmp_path):
    image = _ext4_with_a_bare_deleted_name(tmp_path)
    bare = [e for e in fls(image) if e.deleted and e.inode == 0]
    assert [(e.path, e.name_type, e.meta_type) for e in bare] == [("/Pictures/b.jpg", "r", "-")]
    before = sha256_file(image)
    result = run_scan([str(image)], tmp_path / "out", ScanOptions())
    assert sha256_file(image) == before
    listed = {r["path"]: r for r in read_listing(tmp_path / "out" / "files.jsonl.gz")}
    assert listed["/Pictures/b.jpg"]["deleted"] is True
    assert listed["/Pictures/b.jpg"]["size"] == 0
    assert listed["/Pictures/a.jpg"]["deleted"] is False
    coverage = result.report["coverage"]
    assert coverage["files_skipped"] == {
        "deleted name whose metadata is gone (only the name is left)": 1}
    assert "deleted name without metadata" not in coverage["other_entries"]
