"""End-to-end scans of the demo disk: findings, listing, coverage, time budget, evidence intact."""

from __future__ import annotations

import json

import jsonschema
import pytest

from tests.demo_disk import sha256_file
from triage.demo.run import prepare_demo
from triage.errors import ExitCode, UsageError
from triage.pipeline import ScanOptions, run_scan
from triage.report.listing import read_listing
from triage.report.writer import report_schema
from triage.stages.matching import NO_HASHSETS


@pytest.fixture(scope="module")
def demo_scan(tmp_path_factory):
    work = tmp_path_factory.mktemp("demo-run")
    sources, out, options = prepare_demo(work)
    before = sha256_file(sources[0])
    result = run_scan(sources, out, options)
    assert sha256_file(sources[0]) == before, "the scan changed the evidence"
    return result


def test_demo_scan_is_red_with_every_copy_of_the_known_picture(demo_scan):
    report = demo_scan.report
    assert demo_scan.exit_code is ExitCode.FINDINGS
    assert report["verdict"]["level"] == "red"
    exact = [f for f in report["findings"] if f["kind"] == "exact"]
    assert len(exact) == 3
    assert sum(f["deleted"] for f in exact) == 1
    assert {f["hashset"] for f in exact} == {"demo-known-pictures"}
    renamed = [f for f in exact if f["path"].endswith("invoice.pdf")]
    assert len(renamed) == 1 and renamed[0]["mime"] == "image/png"
    assert report["provenance"]["time_to_first_hit_s"] is not None
    assert report["provenance"]["hashsets"][0]["trusted"] is True


def test_the_demo_shows_the_quick_pass_finding_every_copy_by_its_blocks(demo_scan):
    """The demo's lab also made a block filter: the disk is read block by block first (its
    FAT16 volumes at every offset their 512-byte clusters allow) and each copy is found."""
    report = demo_scan.report
    quick = report["coverage"]["quick_pass"]
    assert quick["status"] == "run" and quick["sources"][0]["status"] == "examined"
    blocks = sorted((f["path"], f["deleted"]) for f in report["findings"] if f["kind"] == "block")
    assert blocks == [("/Users/alex/Documents/invoice.pdf", False),
                      ("/Users/alex/Pictures/Saved/IMG_0042.png", False),
                      ("/transfer/IMG_0042 (1).png", True)]
    assert all(f["severity"] in ("high", "critical") for f in report["findings"]
               if f["kind"] == "block")


def test_report_json_on_disk_matches_the_schema_and_the_result(demo_scan):
    on_disk = json.loads((demo_scan.out_dir / "report.json").read_text("utf-8"))
    assert on_disk == demo_scan.report
    jsonschema.validate(on_disk, report_schema())


def test_listing_has_every_demo_file_with_its_digest(demo_scan, demo_disk):
    listed = {(r["partition"]["offset"], r["path"]): r
              for r in read_listing(demo_scan.out_dir / "files.jsonl.gz")}
    for expected in demo_disk.files:
        record = listed[(expected.offset, expected.path)]
        assert record["sha256"] == expected.sha256, expected.path
        assert record["size"] == expected.size
        assert record["deleted"] == expected.deleted
    coverage = demo_scan.report["coverage"]
    assert coverage["files_seen"] == len(listed)
    assert coverage["files_hashed"] == len(listed)
    assert coverage["complete"] is True
    renamed = next(r for r in listed.values() if r["path"].endswith("invoice.pdf"))
    assert renamed["ext_mismatch"] is True


def test_both_partitions_are_examined_at_their_offsets(demo_scan, demo_disk):
    volumes = demo_scan.report["coverage"]["volumes"]
    assert [(v["index"], v["status"], v["fs"]) for v in volumes] == [
        (1, "examined", "fat16"), (2, "examined", "fat16")]
    assert {v["offset"] for v in volumes} == {f.offset for f in demo_disk.files}


def test_without_hash_sets_a_scan_cannot_be_green(demo_disk, tmp_path):
    result = run_scan([str(demo_disk.image)], tmp_path / "out")
    assert result.exit_code is ExitCode.FINDINGS
    assert result.report["verdict"] == {"level": "amber", "reasons": [NO_HASHSETS]}
    assert result.report["findings"] == []


@pytest.fixture()
def clean_folder(tmp_path):
    folder = tmp_path / "clean"
    folder.mkdir()
    (folder / "letter.txt").write_text("nothing to see")
    return folder


def test_trusted_sets_full_coverage_and_no_hits_is_green(clean_folder, tmp_path):
    _, _, options = prepare_demo(tmp_path / "demo")
    result = run_scan([str(clean_folder)], tmp_path / "out", options)
    assert result.exit_code is ExitCode.OK
    assert result.report["verdict"]["level"] == "green"


def test_a_spent_time_budget_gives_an_honest_partial_report(demo_disk, tmp_path):
    result = run_scan([str(demo_disk.image)], tmp_path / "out",
                      ScanOptions(time_budget_min=1e-9))
    report = result.report
    assert report["coverage"]["time_budget"] == {"minutes": 1e-9, "reached": True}
    assert report["coverage"]["complete"] is False
    assert report["verdict"]["level"] == "amber"
    assert any("time budget" in reason for reason in report["verdict"]["reasons"])
    skipped = [v for v in report["coverage"]["volumes"] if v["status"] == "not_examined"]
    assert skipped and all(v["reason"] == "time budget reached" for v in skipped)
    jsonschema.validate(report, report_schema())


def test_an_existing_report_is_never_overwritten(demo_disk, tmp_path):
    run_scan([str(demo_disk.image)], tmp_path / "out")
    with pytest.raises(UsageError, match="already holds a report"):
        run_scan([str(demo_disk.image)], tmp_path / "out")


def test_several_sources_in_one_scan(demo_disk, tmp_path):
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "note.txt").write_text("hello")
    result = run_scan([str(demo_disk.image), str(folder), str(tmp_path / "absent.img")],
                      tmp_path / "out")
    evidence = result.report["provenance"]["evidence"]
    assert [e["kind"] for e in evidence] == ["raw image", "folder"]
    assert result.report["coverage"]["not_examined"][0]["what"] == "source"
    assert result.report["verdict"]["level"] == "amber"  # one source could not be opened
    assert result.exit_code is ExitCode.FINDINGS


def test_the_excluded_boot_stick_is_listed_but_is_not_a_gap(clean_folder, tmp_path):
    _, _, options = prepare_demo(tmp_path / "demo")
    options.excluded = [{"source": "/dev/sdz", "reason": "the triage system itself"}]
    result = run_scan([str(clean_folder)], tmp_path / "out", options)
    assert result.report["coverage"]["not_examined"] == [
        {"source": "/dev/sdz", "what": "triage system", "kind": "excluded", "offset": 0,
         "size": None, "reason": "the triage system itself"}]
    assert result.report["verdict"]["level"] == "green"


def test_thumbnails_only_when_asked_and_greyscale_blurred(tmp_path):
    import base64
    import io
    import re

    from PIL import Image

    sources, out, options = prepare_demo(tmp_path / "demo")
    plain = run_scan(sources, tmp_path / "plain", options)
    assert "<img" not in (plain.out_dir / "report.html").read_text("utf-8")
    options.thumbnails = True
    result = run_scan(sources, out, options)
    html = (result.out_dir / "report.html").read_text("utf-8")
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', html)
    flagged_pictures = {f["address"] for f in result.report["findings"]
                        if (f.get("mime") or "").startswith("image/")}
    assert len(flagged_pictures) >= 3 and len(images) >= len(flagged_pictures)
    thumb = Image.open(io.BytesIO(base64.b64decode(images[0])))
    assert thumb.mode == "L" and max(thumb.size) <= 128
