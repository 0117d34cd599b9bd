"""A volume Windows made (dfvfs's BitLocker To Go test volume): our metadata and key reading."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pybde
import pytest

from tests.layers.streams import FileStream
from triage.layers.bde import ENGINE_LIBBDE, BitLocker, _metadata_facts, _volume_facts
from triage.layers.bde_keys import unlock
from triage.layers.bde_metadata import read_metadata
from triage.layers.encrypted import StreamFile
from triage.layers.secrets import PASSPHRASE, Secret

# Its header and three metadata copies, the rest zeroed (tests/data/dfvfs/README.md).
PACKED = Path(__file__).parent.parent / "data" / "dfvfs" / "bdetogo_metadata.raw.gz"
PASSWORD_ID = "035B3BAB-3B23-46E0-8A98-7291970802C6"  # noqa: S105 - a protector ID
RECOVERY_ID = "CDE2032F-723E-4607-B916-B489B5EB6AB7"


@pytest.fixture(scope="module")
def to_go(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bdetogo") / "bdetogo.raw"
    with gzip.open(PACKED) as packed, path.open("wb") as out:
        shutil.copyfileobj(packed, out)
    return path


def test_metadata_of_a_windows_volume(to_go: Path) -> None:
    meta = read_metadata(FileStream(to_go))
    assert (meta.layout, meta.bytes_per_sector, meta.copy, meta.problems) == (
        "to go", 512, 1, [])
    assert meta.metadata_offsets == (34603008, 45438976, 56274944)
    assert meta.method == 0x8000  # AES-128-CBC with the Elephant diffuser (Windows 7)
    assert meta.description == "TESTBOX1 H: 6/2/2014"
    assert [(p.kind, p.id) for p in meta.protectors] == [("password", PASSWORD_ID),
                                                        ("recovery password", RECOVERY_ID)]
    assert meta.volume_header_offset == 34670592 and meta.volume_header_size == 5331456


def test_our_facts_equal_libbdes_on_a_windows_volume(to_go: Path) -> None:
    stream = FileStream(to_go)
    volume = pybde.volume()
    volume.open_file_object(StreamFile(stream))
    try:
        assert _metadata_facts(read_metadata(stream)) == _volume_facts(volume)
    finally:
        volume.close()


def test_password_opens_the_vmk_and_fvek_with_their_mac_checked(to_go: Path) -> None:
    meta = read_metadata(FileStream(to_go))
    keys = unlock(meta.protectors, meta.fvek, meta.method, Secret(PASSPHRASE, "bde-TEST", "t"))
    assert keys is not None
    assert (keys.protector, keys.protector_id, len(keys.fvek)) == ("password", PASSWORD_ID, 64)
    assert unlock(meta.protectors, meta.fvek, meta.method,
                  Secret(PASSPHRASE, "bde-test", "t")) is None
    assert unlock(meta.protectors, meta.fvek, meta.method, None) is None  # no clear key


def test_the_diffuser_is_left_to_libbde_and_the_facts_say_so(to_go: Path) -> None:
    unlocked = BitLocker().attempt(FileStream(to_go), Secret(PASSPHRASE, "bde-TEST", "t"))
    assert unlocked is not None
    assert unlocked.details == {
        "engine": ENGINE_LIBBDE,
        "engine_reason": "encryption method 0x8000 is decrypted by libbde"}
    assert (unlocked.protector, unlocked.protector_id) == ("password", PASSWORD_ID)
    assert unlocked.stream.size == 67108864
