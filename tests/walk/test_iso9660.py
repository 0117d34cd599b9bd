"""ISO 9660 images (optical discs, Tails-like .iso files) are walked like any file system."""

from __future__ import annotations

import hashlib
import shutil
import subprocess

import pytest

from tests.demo_disk import sha256_file
from triage.pipeline import run_scan
from triage.report.listing import read_listing


@pytest.mark.skipif(shutil.which("genisoimage") is None, reason="needs genisoimage")
def test_iso9660_files_are_listed_with_their_digests(tmp_path):
    tree = tmp_path / "tree"
    (tree / "docs" / "deep").mkdir(parents=True)
    files = {"readme.txt": b"hello iso\n", "docs/deep/data.bin": bytes(range(256)) * 999,
             "empty.txt": b""}
    for name, data in files.items():
        (tree / name).write_bytes(data)
    iso = tmp_path / "disc.iso"
    subprocess.run(["genisoimage", "-quiet", "-R", "-J", "-o", str(iso), str(tree)], check=True)
    before = sha256_file(iso)
    result = run_scan([str(iso)], tmp_path / "out")
    assert sha256_file(iso) == before
    (volume,) = result.report["coverage"]["volumes"]
    assert (volume["status"], volume["fs"]) == ("examined", "iso9660")
    listed = {r["path"]: r["sha256"] for r in read_listing(tmp_path / "out" / "files.jsonl.gz")}
    for name, data in files.items():
        assert listed[f"/{name}"] == hashlib.sha256(data).hexdigest(), name
