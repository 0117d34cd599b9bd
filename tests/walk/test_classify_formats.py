"""Volumes nothing could open are named for what they are: never "unknown file system", and an
AFF4 image is an unsupported image format, never an encrypted volume (a false RED)."""

from __future__ import annotations

import pytest

from tests.layers.images import published
from triage.pipeline import ScanOptions, run_scan
from triage.walk.classify import AFF4_REASON, guess_reason


@pytest.mark.parametrize(("head", "named"), [
    (b"KDMV" + bytes(508), "VMDK"),
    (b"# Disk DescriptorFile\n" + bytes(490), "VMDK"),
    (b"vhdxfile" + bytes(504), "VHDX"),
    (b"conectix" + bytes(504), "VHD"),
    (b"QFI\xfb" + bytes(508), "QCOW2"),
    (bytes(0x40) + b"\x7f\x10\xda\xbe" + bytes(444), "VDI"),
    (b"sprs" + bytes(508), "DMG"),
    (bytes(512) + b"LABELONE" + bytes(504), "LVM2"),
    (bytes(88) + b"CS\x01\x00" + bytes(420), "Core Storage"),
])
def test_image_formats_and_volume_systems_are_named(head, named):
    reason = guess_reason(head)
    assert reason.startswith(named) and "unsupported" in reason
    assert "unknown" not in reason and "crypt" not in reason


def test_an_aff4_container_is_unsupported_not_encrypted():
    head = b"PK\x03\x04" + bytes(30) + b"container.description" + bytes(64)
    assert guess_reason(head) == AFF4_REASON
    assert guess_reason(b"PK\x03\x04" + bytes(200)) == "zip archive (not a disk image)"


def test_scanning_a_published_aff4_image_is_amber_not_red(tmp_path):
    image = published("dream.aff4", tmp_path)
    result = run_scan([str(image)], tmp_path / "out", ScanOptions())
    (volume,) = result.report["coverage"]["volumes"]
    assert (volume["status"], volume["reason"]) == ("not_examined", AFF4_REASON)
    assert result.report["verdict"]["level"] == "amber"
    assert not [f for f in result.report["findings"] if f.get("rule") == "encrypted-volume"]
