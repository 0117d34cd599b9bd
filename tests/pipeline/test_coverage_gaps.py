"""Issue 15 item 1: coverage is never claimed complete when it is not. A truncated image, a
partition running past the end of the image, unreadable folders and unreadable sectors are
typed gaps with the bytes concerned, and the verdict is never GREEN then."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.builders import build, skip_reason
from triage.pipeline import ScanOptions, run_scan

ROOT = Path(__file__).resolve().parents[2]


def _gaps(report: dict, kind: str) -> list[dict]:
    return [g for g in report["coverage"]["not_examined"] if g.get("kind") == kind]


@pytest.mark.parametrize("name", ["ext4", "fat32"])
def test_a_truncated_bare_file_system_is_a_truncated_gap_with_its_bytes(name, tmp_path):
    if skip_reason(name):
        pytest.skip(skip_reason(name))
    cut = tmp_path / "cut.img"
    shutil.copyfile(build(name).path, cut)
    full = cut.stat().st_size
    os.truncate(cut, full * 6 // 10)
    report = run_scan([str(cut)], tmp_path / "out", ScanOptions()).report
    (gap,) = _gaps(report, "truncated")
    assert gap["offset"] == full * 6 // 10 and 0 < gap["size"] <= full - gap["offset"]
    assert report["coverage"]["complete"] is False
    assert report["verdict"]["level"] != "green"
    assert any("past the end of the image" in r for r in report["verdict"]["reasons"])
    html = (tmp_path / "out" / "report.html").read_text()
    assert "Coverage is NOT complete." in html and "Coverage is complete." not in html


def test_a_partition_past_the_end_of_the_image_is_a_truncated_gap(fixture_images, tmp_path):
    if skip_reason("gpt4_truncated"):
        pytest.skip(skip_reason("gpt4_truncated"))
    image = fixture_images("gpt4_truncated")
    report = run_scan([str(image.path)], tmp_path / "out", ScanOptions()).report
    size = image.path.stat().st_size
    gaps = _gaps(report, "truncated")
    # The third partition runs past the end; the fourth starts beyond it.
    assert [g["offset"] for g in gaps] == [size, image.partition(4).offset]
    assert gaps[0]["size"] == image.partition(3).offset + image.partition(3).size - size
    assert report["coverage"]["complete"] is False


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None,
                    reason="needs root and setpriv to drop the permission-bypass capabilities")
def test_an_unreadable_subfolder_of_a_folder_source_is_a_gap(tmp_path):
    evidence = tmp_path / "evidence"
    (evidence / "private").mkdir(parents=True)
    (evidence / "private" / "a.jpg").write_bytes(b"\xff\xd8\xff" + b"x" * 100)
    (evidence / "open.txt").write_text("hello")
    (evidence / "private").chmod(0)
    try:
        # Root reads any folder; without CAP_DAC_OVERRIDE/READ_SEARCH it is held to the mode
        # bits like anyone, so the folder is really unreadable to the scan.
        done = subprocess.run(  # noqa: S603 - our own interpreter and module
            ["setpriv", "--inh-caps=-dac_override,-dac_read_search",
             "--bounding-set=-dac_override,-dac_read_search", sys.executable, "-m",
             "triage.cli", "scan", str(evidence), "--out", str(tmp_path / "out"), "--json"],
            capture_output=True, text=True, timeout=120, cwd=ROOT, check=False,
            env={**os.environ, "PYTHONPATH": str(ROOT)})
    finally:
        (evidence / "private").chmod(0o755)
    assert done.returncode == 10, done.stderr
    report = json.loads(done.stdout)
    (gap,) = _gaps(report, "unreadable")
    assert gap["address"].endswith("/private") and "not readable" in gap["reason"]
    assert report["coverage"]["complete"] is False
    assert any("could not be read" in r for r in report["verdict"]["reasons"])


def test_unreadable_sectors_of_a_file_are_a_gap_with_the_bytes_not_read(tmp_path):
    """A read that fails part-way (a bad sector) leaves the rest of the file as a gap."""
    from triage.ledger import GapKind, Ledger
    from triage.model import Address, FileRecord
    from triage.stages.matching import Matchers
    from triage.stages.process import process_file

    class BadSector:
        size = 1 << 20

        def read(self, offset: int, length: int) -> bytes:
            if offset >= 65536:
                raise OSError(5, "Input/output error")
            return b"\0" * min(length, 65536 - offset)

    record = FileRecord(Address("disk.img", None, "/f.bin"), "f.bin", BadSector.size)
    _, _, _, problems = process_file(record, BadSector(), Matchers())
    ledger = Ledger()
    for problem in problems:
        ledger.add_problem(problem)
    (gap,) = ledger.gaps
    assert gap.kind is GapKind.UNREADABLE and gap.offset == 65536
    assert gap.size == BadSector.size - 65536
