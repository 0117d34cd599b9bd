"""Resume finds a virtual disk's volumes again through the same layers (chain, index, offset)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from tests.layers.images import convert
from tests.pipeline.household import LAYOUT
from tests.pipeline.test_resume import _done_so_far, _kill_when, household  # noqa: F401
from triage.cli import cli
from triage.files import sha256_file
from triage.report.listing import read_listing


def test_a_killed_scan_of_a_qcow2_disk_resumes_through_its_layers(household, tmp_path):  # noqa: F811
    raw, options = household
    image = convert(raw, "qcow2", tmp_path / "household.qcow2")
    before = sha256_file(image)
    out = tmp_path / "out"
    _kill_when(image, options, out, "slow", lambda o: _done_so_far(o) >= 100)
    assert not (out / "report.json").exists()

    result = CliRunner().invoke(cli, ["scan", "--resume", str(out), "--json"])
    assert result.exit_code == 10, result.output
    report = json.loads(result.stdout)
    assert sha256_file(image) == before
    assert report["coverage"]["complete"] is True
    assert {v["source"] for v in report["coverage"]["volumes"]} == {"household.qcow2 · qcow2"}
    rows = read_listing(out / "files.jsonl.gz")
    assert sorted(r["path"] for r in rows) == sorted(LAYOUT)
    assert all(r["address"].startswith("household.qcow2 · qcow2 · ") for r in rows)
    exact = [f for f in report["findings"] if f["kind"] == "exact"]
    assert [f["path"] for f in exact] == ["/Users/alice/Pictures/holiday/known.jpg"]
