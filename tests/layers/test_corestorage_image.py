"""A FileVault 2 (Core Storage) image built by corestorage_image opens and unlocks in libfvde."""

from __future__ import annotations

import hashlib
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pyfvde
import pytest

from tests.layers.corestorage_image import hfs_like_payload, make_filevault
from triage.layers.encrypted import Unlocked
from triage.layers.fvde import FileVault
from triage.layers.secrets import PASSPHRASE, RECOVERY_PASSWORD, Secret

PASSWORD = "correct horse"  # noqa: S105 - a test fixture's password
RECOVERY = "35AJ-AC98-TI1H-N4M3-HDUQ-UQFG"
PAYLOAD = hfs_like_payload(1024 * 1024)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _image(tmp_path: Path, **options: Any) -> Path:
    target = tmp_path / "filevault.img"
    make_filevault(target, PAYLOAD, PASSWORD, recovery_password=RECOVERY, **options)
    return target


def _logical(path: Path) -> tuple[Any, Any, Any]:
    """Opens the image the way triage.layers.fvde does; returns (volume, group, logical)."""
    handle = path.open("rb")
    volume = pyfvde.volume()
    volume.open_file_object(handle)
    volume.open_physical_volume_files_as_file_objects([handle])
    group = volume.get_volume_group()
    assert group.get_number_of_logical_volumes() == 1
    return volume, group, group.get_logical_volume(0)


def test_locked_without_a_secret_but_names_readable(tmp_path: Path) -> None:
    path = _image(tmp_path, volume_group_name="Evidence LVG", volume_name="Macintosh HD")
    assert path.stat().st_size < 2 * 1024 * 1024
    head = path.read_bytes()[:512]
    assert FileVault().probe(head, None)  # type: ignore[arg-type]
    volume, group, logical = _logical(path)
    assert logical.is_locked()
    # Both names live in metadata encrypted with keys from the physical volume header only.
    assert group.get_name() == "Evidence LVG"
    assert logical.get_name() == "Macintosh HD"
    assert logical.get_size() == len(PAYLOAD)
    uuid.UUID(str(logical.get_identifier()))
    with pytest.raises(OSError, match="volume is locked"):
        logical.read_buffer_at_offset(512, 0)
    volume.close()


def test_wrong_password_is_refused(tmp_path: Path) -> None:
    volume, _, logical = _logical(_image(tmp_path))
    logical.set_password("wrong horse")
    assert logical.unlock() is False  # libfvde says False, it raises nothing
    assert logical.is_locked()
    logical.set_recovery_password("AAAA-BBBB-CCCC-DDDD-EEEE-FFFF")
    assert logical.unlock() is False
    volume.close()


def test_right_password_gives_back_the_payload(tmp_path: Path) -> None:
    volume, _, logical = _logical(_image(tmp_path))
    logical.set_password("wrong horse")
    assert not logical.unlock()
    logical.set_password(PASSWORD)  # a later password replaces the wrong one
    assert logical.unlock() is True
    assert not logical.is_locked()
    assert _sha(logical.read_buffer_at_offset(logical.get_size(), 0)) == _sha(PAYLOAD)
    assert logical.read_buffer_at_offset(4096, 300 * 1024) == PAYLOAD[300 * 1024:304 * 1024]
    volume.close()


def test_recovery_password_unlocks(tmp_path: Path) -> None:
    volume, _, logical = _logical(_image(tmp_path))
    logical.set_recovery_password(RECOVERY)
    assert logical.unlock() is True
    assert _sha(logical.read_buffer_at_offset(logical.get_size(), 0)) == _sha(PAYLOAD)
    volume.close()


def test_without_recovery_password_only_the_password_unlocks(tmp_path: Path) -> None:
    target = tmp_path / "one-user.img"
    make_filevault(target, PAYLOAD, PASSWORD)
    volume, _, logical = _logical(target)
    logical.set_recovery_password(RECOVERY)
    assert logical.unlock() is False
    logical.set_password(PASSWORD)
    assert logical.unlock() is True
    volume.close()


def test_truncated_data_unlocks_but_cannot_be_read_whole(tmp_path: Path) -> None:
    path = _image(tmp_path)
    path.write_bytes(path.read_bytes()[:512 * 1024])  # metadata whole, half the data gone
    volume, _, logical = _logical(path)
    logical.set_password(PASSWORD)
    assert logical.unlock() is True
    assert logical.read_buffer_at_offset(4096, 0) == PAYLOAD[:4096]
    with pytest.raises(OSError, match="unable to read"):
        logical.read_buffer_at_offset(logical.get_size(), 0)
    volume.close()


def test_truncated_metadata_does_not_open(tmp_path: Path) -> None:
    path = _image(tmp_path)
    path.write_bytes(path.read_bytes()[:80 * 1024])  # inside the encrypted metadata
    with pytest.raises(OSError, match="encrypted metadata"):
        _logical(path)


def test_payload_must_look_like_hfs(tmp_path: Path) -> None:
    fat = tmp_path / "fat.img"
    try:
        subprocess.run(["mkfs.vfat", "-C", str(fat), "1024"], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("mkfs.vfat is not available")
    # libfvde checks an unlock by the HFS+ signature at byte 1024: FAT would never unlock.
    with pytest.raises(ValueError, match="HFS"):
        make_filevault(tmp_path / "fv.img", fat.read_bytes(), PASSWORD)
    with pytest.raises(ValueError, match="512-byte"):
        make_filevault(tmp_path / "fv.img", PAYLOAD[:1500], PASSWORD)


class _FileStream:
    def __init__(self, data: bytes) -> None:
        self.data, self.size = data, len(data)

    def read(self, offset: int, length: int) -> bytes:
        return self.data[offset:offset + max(0, length)]


@pytest.mark.parametrize(("kind", "value"), [(PASSPHRASE, PASSWORD),
                                             (RECOVERY_PASSWORD, RECOVERY)])
def test_triage_filevault_layer_unlocks(tmp_path: Path, kind: str, value: str) -> None:
    stream = _FileStream(_image(tmp_path, volume_group_name="G", volume_name="V").read_bytes())
    layer = FileVault()
    facts = layer.facts(stream)
    assert facts["volume_group"] == "G"
    assert [lv["name"] for lv in facts["logical_volumes"]] == ["V"]
    assert layer.attempt(stream, None) is None
    assert layer.attempt(stream, Secret(PASSPHRASE, "wrong horse")) is None
    unlocked = layer.attempt(stream, Secret(kind, value))
    assert isinstance(unlocked, Unlocked)
    assert unlocked.stream.size == len(PAYLOAD)
    assert _sha(unlocked.stream.read(0, unlocked.stream.size)) == _sha(PAYLOAD)
