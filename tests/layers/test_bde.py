"""BitLocker: a To Go stick's discovery volume is BitLocker, not FAT; a cut-off volume says so."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.layers.streams import FileStream
from triage.layers import registry
from triage.layers.bde import BitLocker
from triage.layers.encrypted import Locked
from triage.layers.encryption import ENCRYPTION_LAYERS

TO_GO_CUT = Path(__file__).parent.parent / "data" / "dfvfs" / "bdetogo_cut.raw"
TO_GO_CUT_SHA256 = "99c5cca002814e95cceb27e19b7f243bffbc232584ba816ab8731be642037f28"


def test_to_go_discovery_volume_is_identified_as_bitlocker() -> None:
    stream = FileStream(TO_GO_CUT)
    assert stream.read(3, 8) == b"MSWIN4.1"  # it does start like a FAT boot sector
    layer = registry.identify(stream)
    assert layer is not None and layer.name == "bitlocker"
    assert "bitlocker" in ENCRYPTION_LAYERS


def test_truncated_to_go_volume_stays_locked_saying_where_it_ends() -> None:
    before = hashlib.sha256(TO_GO_CUT.read_bytes()).hexdigest()
    with pytest.raises(Locked) as caught:
        BitLocker().open(FileStream(TO_GO_CUT))
    assert str(caught.value) == (
        "bitlocker volume not opened: the BitLocker metadata lies at byte 34603008, beyond the "
        "end of the 824320-byte volume (truncated)")
    assert caught.value.encryption["kind"] == "bitlocker"
    assert caught.value.encryption["state"] == "locked"
    assert hashlib.sha256(TO_GO_CUT.read_bytes()).hexdigest() == before == TO_GO_CUT_SHA256


def test_a_plain_fat_boot_sector_is_not_bitlocker() -> None:
    head = bytearray(FileStream(TO_GO_CUT).read(0, 512))
    head[0x1A8:0x1B8] = bytes(16)  # no BitLocker identifier: an ordinary FAT volume
    assert not BitLocker().probe(bytes(head), FileStream(TO_GO_CUT))
