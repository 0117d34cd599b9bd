"""Black-box scans of bad input: encrypted-looking volumes, truncation, corrupt tables, junk."""

from __future__ import annotations

import pytest

from tests.fixtures import sha256_file
from tests.scan.scanning import scan as run_fixture_scan

# How a scanner's reason must read for each unreadable volume the fixture builds.
REASON_WORDS = {"bitlocker": "bitlocker", "luks": "luks", "entropy": "entropy"}


def test_encrypted_looking_volumes_are_listed_not_examined_with_reasons(scanned):
    scan = scanned("gpt_encrypted")
    for part in scan.image.partitions:
        volume = scan.volume_at(part.offset)
        if part.unreadable is None:
            assert (volume["status"], volume["fs"]) == ("examined", part.fs)
            continue
        assert volume["status"] == "not_examined", volume
        assert REASON_WORDS[part.unreadable] in volume["reason"].lower(), volume
        assert volume["size"] == part.size
        assert not scan.in_partition(part.offset)
    assert scan.report["verdict"]["level"] != "green"
    assert scan.exit_code == 10  # ExitCode.FINDINGS: finished, with gaps
    found = scan.by_path(scan.image.partition(1).offset)
    for expected in scan.image.files_in(1):
        assert found[expected.path]["sha256"] == expected.sha256
    scan.assert_unchanged()


def test_truncated_image_gives_partial_result_and_warnings(scanned):
    scan = scanned("gpt4_truncated")
    assert scan.report["warnings"], "a truncated image must leave a warning"
    for index in (1, 2):
        part = scan.image.partition(index)
        found = scan.by_path(part.offset)
        for expected in scan.image.files_in(index):
            assert found[expected.path]["sha256"] == expected.sha256, expected.path
    fourth = scan.image.partition(4)
    assert scan.volume_at(fourth.offset)["status"] == "not_examined"
    assert scan.report["verdict"]["level"] != "green"
    assert scan.exit_code == 10
    scan.assert_unchanged()


def test_corrupt_partition_table_gives_a_result_with_warnings(scanned):
    scan = scanned("mbr_corrupt")
    assert scan.report["warnings"] or scan.report["coverage"]["not_examined"]
    assert scan.report["verdict"]["level"] != "green"
    assert scan.exit_code in (3, 10)  # EVIDENCE (nothing examined) or FINDINGS (gaps)
    scan.assert_unchanged()


def test_corrupt_partition_table_still_yields_the_good_partition(scanned):
    """The MBR's second entry points past the end; its first still holds a good FAT16."""
    scan = scanned("mbr_corrupt")
    assert any("partition table is damaged" in w["message"] for w in scan.report["warnings"])
    bad = [v for v in scan.report["coverage"]["volumes"] if v["index"] == 2]
    assert bad and bad[0]["status"] == "not_examined"
    assert scan.report["verdict"]["level"] == "amber"
    part = scan.image.partition(1)
    found = scan.by_path(part.offset)
    for expected in scan.image.files_in(1):
        assert expected.path in found, f"{expected.path} not found at {part.offset}"
        assert found[expected.path]["sha256"] == expected.sha256
    scan.assert_unchanged()


def test_not_a_disk_image_is_evidence_error_or_nothing_examined(fixture_images, tmp_path):
    pytest.importorskip("triage.pipeline", reason="the scanner (triage.pipeline) is not built yet")
    from triage.errors import EvidenceError, ExitCode

    image = fixture_images("not_a_disk")
    before = sha256_file(image.path)
    try:
        scan = run_fixture_scan(image, tmp_path / "out")
    except EvidenceError as exc:
        message = str(exc)
        assert message and "\n" not in message and "Traceback" not in message
    else:
        assert scan.exit_code == ExitCode.EVIDENCE or not any(
            v["status"] == "examined" for v in scan.report["coverage"]["volumes"])
        assert scan.report["verdict"]["level"] != "green"
        assert scan.records == []
    assert sha256_file(image.path) == before
