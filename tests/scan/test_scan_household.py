"""The whole scan with the shipped rule pack over a disk laid out like a household PC."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.demo_disk import sha256_file
from tests.ruleset.test_pack import CLEAN, EXPECTED, SUSPECT
from triage.pipeline import ScanOptions, run_scan
from triage.ruleset import PACKAGED_RULES


def _ext4_disk(root: Path, files: dict[str, bytes], image: Path) -> Path:
    if shutil.which("mkfs.ext4") is None:
        pytest.skip("needs mkfs.ext4 (e2fsprogs)")
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    subprocess.run(["mkfs.ext4", "-q", "-F", "-d", str(root), str(image), "64M"], check=True)
    return image


def _rule_findings(image: Path, out: Path) -> set[tuple[str, str]]:
    before = sha256_file(image)
    result = run_scan([str(image)], out, ScanOptions(rules=PACKAGED_RULES))
    assert sha256_file(image) == before
    return {(f["rule"], f.get("path", "")) for f in result.report["findings"]
            if f["kind"] == "rule"}


def test_household_pc_disk_raises_exactly_the_expected_rule_findings(tmp_path):
    image = _ext4_disk(tmp_path / "tree", {**CLEAN, **SUSPECT}, tmp_path / "pc.img")
    assert _rule_findings(image, tmp_path / "out") == EXPECTED


def test_clean_household_pc_disk_raises_no_rule_finding(tmp_path):
    image = _ext4_disk(tmp_path / "tree", CLEAN, tmp_path / "clean.img")
    assert _rule_findings(image, tmp_path / "out") == set()
