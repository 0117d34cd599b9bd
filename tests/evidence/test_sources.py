"""Evidence sources: raw, split raw, E01, read-only loop devices and folders read the same bytes."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.demo_disk import sha256_file
from triage.errors import EvidenceError
from triage.evidence import open_source
from triage.evidence.base import MIB
from triage.evidence.blockdev import BlockDevice
from triage.evidence.directory import DirectorySource
from triage.evidence.ewf import EwfImage
from triage.evidence.raw import RawImage
from triage.evidence.split import SplitRawImage, segments_of


def _whole(source) -> bytes:  # noqa: ANN001
    return source.read(0, source.size)


def test_raw_image_reads_every_byte_and_records_identity(demo_disk):
    data = demo_disk.image.read_bytes()
    with open_source(str(demo_disk.image)) as source:
        assert isinstance(source, RawImage)
        assert source.size == len(data)
        assert _whole(source) == data
        assert source.read(len(data) - 10, 100) == data[-10:]  # short only at the end
        assert source.read(len(data), 10) == b""
        identity = source.identity()
    assert identity.first_mib_sha256 == hashlib.sha256(data[:MIB]).hexdigest()
    assert identity.last_mib_sha256 == hashlib.sha256(data[-MIB:]).hexdigest()
    assert identity.kind == "raw image" and identity.size == len(data)


def test_split_raw_segments_read_as_one_image(demo_disk, tmp_path):
    data = demo_disk.image.read_bytes()
    third = len(data) // 3 + 7  # segment borders that fall inside sectors
    for number, start in enumerate(range(0, len(data), third), start=1):
        (tmp_path / f"disk.{number:03d}").write_bytes(data[start : start + third])
    expected_segments = -(-len(data) // third)
    assert expected_segments > 2
    assert len(segments_of(tmp_path / "disk.001")) == expected_segments
    with open_source(str(tmp_path / "disk.001")) as source:
        assert isinstance(source, SplitRawImage)
        assert source.size == len(data)
        assert _whole(source) == data
        assert source.read(third - 3, 6) == data[third - 3 : third + 3]
        assert f"{expected_segments} segments" in source.identity().kind


def test_a_single_001_file_is_read_as_a_raw_image(demo_disk, tmp_path):
    shutil.copy(demo_disk.image, tmp_path / "only.001")
    with open_source(str(tmp_path / "only.001")) as source:
        assert isinstance(source, RawImage)


@pytest.mark.skipif(shutil.which("ewfacquirestream") is None, reason="needs ewf-tools")
def test_e01_image_reads_the_same_bytes_as_the_raw_image(demo_disk, tmp_path):
    target = tmp_path / "evidence"
    with open(demo_disk.image, "rb") as stdin:
        subprocess.run(
            ["ewfacquirestream", "-q", "-t", str(target), "-C", "CASE-1", "-e", "tester",
             "-c", "none", "-S", "1048576"],  # uncompressed 1 MiB segments: several .E0n files
            stdin=stdin, check=True, capture_output=True,
        )
    segments = sorted(tmp_path.glob("evidence.E*"))
    assert len(segments) > 1
    before = [sha256_file(p) for p in segments]
    with open_source(str(tmp_path / "evidence.E01")) as source:
        assert isinstance(source, EwfImage)
        assert _whole(source) == demo_disk.image.read_bytes()
        assert f"{len(segments)} segments" in source.identity().kind
    assert [sha256_file(p) for p in segments] == before


def test_e01_that_is_not_ewf_is_a_clear_error(tmp_path):
    bogus = tmp_path / "fake.E01"
    bogus.write_bytes(b"not an expert witness file" * 100)
    with pytest.raises(EvidenceError, match="fake.E01"):
        open_source(str(bogus))


def test_missing_source_is_a_clear_error(tmp_path):
    with pytest.raises(EvidenceError, match="no such file"):
        open_source(str(tmp_path / "absent.img"))


def test_character_devices_are_refused():
    with pytest.raises(EvidenceError, match="neither a disk"):
        open_source("/dev/null")


def test_folder_source(tmp_path):
    (tmp_path / "a").mkdir()
    with open_source(str(tmp_path)) as source:
        assert isinstance(source, DirectorySource)
        assert source.identity().kind == "folder"


def _root_with_loop() -> str | None:
    if os.geteuid() != 0:
        return "needs root for loop devices"
    if shutil.which("losetup") is None or shutil.which("blockdev") is None:
        return "needs losetup and blockdev (util-linux)"
    if not Path("/dev/loop-control").exists():
        return "no loop device support here"
    return None


@contextmanager
def _loop_device(image: Path, *, read_only: bool) -> Iterator[Path]:
    """A loop device over `image` with the kernel's read-only flag set or cleared."""
    reason = _root_with_loop()
    if reason:
        pytest.skip(reason)
    try:
        device = subprocess.run(["losetup", "-f", "--show", *(["-r"] if read_only else []),
                                 str(image)],
                                check=True, capture_output=True, text=True).stdout.strip()
    except subprocess.CalledProcessError as exc:
        pytest.skip(f"losetup failed here: {exc.stderr.strip()}")
    try:
        subprocess.run(["blockdev", "--setro" if read_only else "--setrw", device], check=True)
        yield Path(device)
    finally:
        subprocess.run(["losetup", "-d", device], check=False)


@pytest.fixture()
def readonly_loop(demo_disk):
    with _loop_device(demo_disk.image, read_only=True) as device:
        yield device


def test_read_only_block_device(readonly_loop, demo_disk):
    with open_source(str(readonly_loop)) as source:
        assert isinstance(source, BlockDevice)
        assert _whole(source) == demo_disk.image.read_bytes()
        identity = source.identity()
    assert identity.read_only is True
    assert identity.kind == "block device"
    assert identity.size == demo_disk.image.stat().st_size


@pytest.fixture()
def writable_loop(demo_disk, tmp_path):
    copy = tmp_path / "disk.img"  # a copy: a writable device must never be the shared fixture
    copy.write_bytes(demo_disk.image.read_bytes())
    with _loop_device(copy, read_only=False) as device:
        yield device


def test_a_writable_evidence_device_is_reported_and_rules_out_green(writable_loop, tmp_path):
    from triage.pipeline import run_scan

    before = sha256_file(writable_loop)
    result = run_scan([str(writable_loop)], tmp_path / "out")
    assert sha256_file(writable_loop) == before
    assert result.report["coverage"]["writable_devices"] == [str(writable_loop)]
    assert result.report["provenance"]["evidence"][0]["read_only"] is False
    assert any("not write-protected" in r for r in result.report["verdict"]["reasons"])
    assert any("is writable" in w["message"] for w in result.report["warnings"])


def test_a_read_only_device_scans_without_that_warning(readonly_loop, tmp_path):
    from triage.pipeline import run_scan

    result = run_scan([str(readonly_loop)], tmp_path / "out")
    assert result.report["coverage"]["writable_devices"] == []
    assert result.report["provenance"]["evidence"][0]["read_only"] is True


@pytest.mark.parametrize("named", ["disk.000", "disk.001", "disk.002"])
def test_a_split_image_numbered_from_000_is_read_whole(demo_disk, tmp_path, named):
    data = demo_disk.image.read_bytes()
    third = len(data) // 3 + 7
    for number, start in enumerate(range(0, len(data), third)):
        (tmp_path / f"disk.{number:03d}").write_bytes(data[start : start + third])
    with open_source(str(tmp_path / named)) as source:
        assert isinstance(source, SplitRawImage)
        assert source.paths[0].name == "disk.000"
        identity = source.identity()
        assert identity.size == len(data)  # the whole evidence, not one segment
        assert identity.last_mib_sha256 == hashlib.sha256(data[-MIB:]).hexdigest()
        assert _whole(source) == data
