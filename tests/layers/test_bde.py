"""BitLocker: a To Go stick's discovery volume is BitLocker, not FAT; a cut-off volume says so."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.layers.bitlocker_image import DESCRIPTION, IDS, BitLockerImage
from tests.layers.bitlocker_image import PASSWORD as BDE_PASSWORD
from tests.layers.bitlocker_image import RECOVERY_PASSWORD as BDE_RECOVERY
from tests.layers.encrypted_images import expected_root_sha256
from tests.layers.streams import FileStream, files_sha256
from triage.layers import registry
from triage.layers.base import Opened
from triage.layers.bde import USED_SPACE_ONLY_LIMIT, BitLocker
from triage.layers.encrypted import Locked
from triage.layers.encryption import ENCRYPTION_LAYERS
from triage.layers.secrets import (
    PASSPHRASE,
    RECOVERY_PASSWORD,
    STARTUP_KEY,
    KeyRing,
    Secret,
    load_unlock_file,
)

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


# --- a BitLocker volume built by tests/layers/bitlocker_image.py, read by libbde -----------

def _ring(*secrets: Secret) -> KeyRing:
    return KeyRing(list(secrets))


def _opened(volume: BitLockerImage, *secrets: Secret) -> Opened:
    stream = FileStream(volume.path)
    layer = registry.identify(stream)
    assert layer is not None and layer.name == "bitlocker"
    [opened] = layer.open(stream, keyring=_ring(*secrets))
    return opened


def _check_files(volume: BitLockerImage, opened: Opened) -> None:
    # libbde's own reading is the plain volume we encrypted, byte for byte ...
    plain = volume.plain.read_bytes()[: volume.data_end]
    assert opened.stream.read(0, volume.data_end) == plain
    # ... and the files on it have the SHA-256 of the pictures put in.
    assert files_sha256(opened.stream) == expected_root_sha256()


def test_clear_key_opens_without_any_secret(bitlocker_volume: Callable) -> None:
    volume = bitlocker_volume("clear_key")
    before = hashlib.sha256(volume.path.read_bytes()).hexdigest()
    opened = _opened(volume)
    assert opened.label == f"bitlocker (unlocked: clear key, ID {str(IDS['clear key']).upper()})"
    encryption = opened.facts["encryption"]
    assert (encryption["state"], encryption["protector"]) == ("unlocked", "clear key")
    assert encryption["facts"]["description"] == DESCRIPTION
    assert encryption["facts"]["method"] == "aes-128-cbc"
    assert encryption["limits"] == [USED_SPACE_ONLY_LIMIT]
    _check_files(volume, opened)
    assert hashlib.sha256(volume.path.read_bytes()).hexdigest() == before


@pytest.mark.parametrize(("secret", "protector"), [
    (Secret(RECOVERY_PASSWORD, BDE_RECOVERY, "test"), "recovery password"),
    (Secret(PASSPHRASE, BDE_PASSWORD, "test"), "password"),
])
def test_recovery_password_and_password_open_it(bitlocker_volume: Callable, secret: Secret,
                                                protector: str) -> None:
    volume = bitlocker_volume("protected")
    opened = _opened(volume, secret)
    encryption = opened.facts["encryption"]
    assert encryption["protector"] == protector
    assert encryption["protector_id"] == str(IDS[protector]).upper()
    _check_files(volume, opened)


def test_bek_startup_key_file_opens_it(bitlocker_volume: Callable, tmp_path: Path) -> None:
    volume = bitlocker_volume("protected")
    assert volume.bek is not None
    [secret] = load_unlock_file(volume.bek, 1)
    assert secret.kind == STARTUP_KEY
    opened = _opened(volume, secret)
    assert opened.facts["encryption"]["protector"] == "startup key"
    assert opened.facts["encryption"]["protector_id"] == str(IDS["startup key"]).upper()
    _check_files(volume, opened)


def test_wrong_and_no_secret_leave_it_locked_with_the_key_ids(bitlocker_volume: Callable
                                                              ) -> None:
    volume = bitlocker_volume("protected")
    stream = FileStream(volume.path)
    with pytest.raises(Locked) as wrong:
        BitLocker().open(stream, keyring=_ring(
            Secret(RECOVERY_PASSWORD, "000000-000000-000000-000000-000000-000000-000000-000000",
                   "t")))
    assert str(wrong.value) == "bitlocker volume left locked: the secret given does not open it"
    with pytest.raises(Locked) as none:
        BitLocker().open(stream)
    assert str(none.value) == "bitlocker volume left locked: no secret was given for it"
    facts = none.value.encryption["facts"]
    assert {(p["kind"], p["id"]) for p in facts["key_protectors"]} == {
        (kind, str(IDS[kind]).upper()) for kind in ("recovery password", "password",
                                                    "startup key")}
    assert facts["description"] == DESCRIPTION
    assert facts["to_go"] is False


def test_truncated_bitlocker_volume_is_locked_saying_so(bitlocker_volume: Callable,
                                                        tmp_path: Path) -> None:
    volume = bitlocker_volume("clear_key")
    cut = tmp_path / "cut.img"
    cut.write_bytes(volume.path.read_bytes()[: volume.data_end // 2])
    with pytest.raises(Locked) as caught:
        BitLocker().open(FileStream(cut))
    assert "beyond the end" in str(caught.value) and "(truncated)" in str(caught.value)


def test_a_secret_is_not_tried_where_no_protector_of_its_kind_exists(
        bitlocker_volume: Callable) -> None:
    """A clear-key-only volume: a recovery password would cost seconds and cannot help."""
    layer = BitLocker()
    facts = layer.facts(FileStream(bitlocker_volume("clear_key").path))
    assert not layer.fits(Secret(RECOVERY_PASSWORD, BDE_RECOVERY, "t"), facts)
    protected = layer.facts(FileStream(bitlocker_volume("protected").path))
    assert layer.fits(Secret(RECOVERY_PASSWORD, BDE_RECOVERY, "t"), protected)
    assert layer.fits(Secret(PASSPHRASE, "x", "t"), protected)
