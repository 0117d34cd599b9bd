"""BitLocker's fast path: every byte it reads equals libbde's reading of the same volume."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pybde
import pytest

from tests.layers.bitlocker_image import IDS, METADATA_BLOCK, BitLockerImage
from tests.layers.bitlocker_image import PASSWORD as BDE_PASSWORD
from tests.layers.bitlocker_image import RECOVERY_PASSWORD as BDE_RECOVERY
from tests.layers.encrypted_images import expected_root_sha256
from tests.layers.images import layered, listing
from tests.layers.streams import FileStream, files_sha256
from triage.layers import fast
from triage.layers.base import Stream
from triage.layers.bde import (
    ENGINE_LIBBDE,
    BitLocker,
    _metadata_facts,
    _volume_facts,
)
from triage.layers.bde_metadata import MetadataError, read_metadata
from triage.layers.encrypted import Locked, StreamFile, Unlocked
from triage.layers.secrets import PASSPHRASE, RECOVERY_PASSWORD, KeyRing, Secret

MIB = 1024 * 1024


def _whole(stream: Stream) -> bytes:
    return b"".join(stream.read(at, min(MIB, stream.size - at))
                    for at in range(0, stream.size, MIB))


def _both(path: Path, secret: Secret | None) -> tuple[Unlocked, Unlocked]:
    layer, stream = BitLocker(), FileStream(path)
    ours = layer.attempt(stream, secret)
    libbde = layer._libbde_attempt(stream, secret)
    assert ours is not None and libbde is not None
    return ours, libbde


def _same_as_libbde(volume: BitLockerImage, secret: Secret | None) -> Unlocked:
    before = hashlib.sha256(volume.path.read_bytes()).hexdigest()
    ours, libbde = _both(volume.path, secret)
    assert ours.details["engine"] == fast.aes_engine()
    assert libbde.details["engine"] == ENGINE_LIBBDE
    assert ours.stream.size == libbde.stream.size
    whole = _whole(libbde.stream)
    assert _whole(ours.stream) == whole  # every byte, metadata areas included
    # Unaligned reads across sectors and the relocated header's end give the same bytes as
    # libbde's aligned reading (libbde's own unaligned reads from inside sector 0 return the
    # byte after the range's end wrong: the scan reads it through 256 KiB aligned chunks).
    for offset, length in ((1, 700), (8191, 2), (511, 513), (3 * MIB - 5, 10)):
        assert ours.stream.read(offset, length) == whole[offset : offset + length]
    assert (ours.protector, ours.protector_id) == (libbde.protector, libbde.protector_id)
    assert hashlib.sha256(volume.path.read_bytes()).hexdigest() == before
    return ours


@pytest.mark.parametrize("name", ["clear_key", "cbc256", "xts128", "xts256", "xts128_partial",
                                  "cbc128_partial", "xts128_win10", "not_encrypted"])
def test_each_method_reads_as_libbde_reads_it(bitlocker_volume: Callable, name: str) -> None:
    volume = bitlocker_volume(name)
    ours = _same_as_libbde(volume, None)
    assert ours.stream.read(0, volume.data_end) == volume.plain.read_bytes()[: volume.data_end]
    assert files_sha256(ours.stream) == expected_root_sha256()


def test_partial_volume_keeps_metadata_as_zeros_and_the_tail_plain(bitlocker_volume: Callable
                                                                   ) -> None:
    volume = bitlocker_volume("xts128_partial")
    ours = _same_as_libbde(volume, None)
    meta = read_metadata(FileStream(volume.path))
    assert ours.stream.size == volume.size  # the header's sector count
    for at in meta.metadata_offsets:
        assert ours.stream.read(at, METADATA_BLOCK) == bytes(METADATA_BLOCK)
    raw = volume.path.read_bytes()
    tail = meta.encrypted_volume_size + METADATA_BLOCK * 2  # past the third copy
    assert ours.stream.read(tail, 4096) == raw[tail : tail + 4096]  # past the encrypted part


@pytest.mark.parametrize("name", ["protected", "xts_protected"])
def test_every_protector_kind_reads_as_libbde(bitlocker_volume: Callable, name: str) -> None:
    volume = bitlocker_volume(name)
    assert volume.bek is not None
    for secret, kind in ((Secret(RECOVERY_PASSWORD, BDE_RECOVERY, "t"), "recovery password"),
                         (Secret(PASSPHRASE, BDE_PASSWORD, "t"), "password"),
                         (Secret("startup key", str(volume.bek), "t"), "startup key")):
        ours = _same_as_libbde(volume, secret)
        assert (ours.protector, ours.protector_id) == (kind, str(IDS[kind]).upper())


def test_wrong_secret_opens_nothing_and_leaves_it_locked(bitlocker_volume: Callable) -> None:
    volume = bitlocker_volume("xts_protected")
    layer, stream = BitLocker(), FileStream(volume.path)
    wrong = "000000-000000-000000-000000-000000-000000-000000-000000"
    assert layer.attempt(stream, Secret(RECOVERY_PASSWORD, wrong, "t")) is None
    assert layer.attempt(stream, Secret(PASSPHRASE, "not the password", "t")) is None
    assert layer.attempt(stream, None) is None  # no clear key on this volume
    with pytest.raises(Locked) as caught:
        layer.open(stream, keyring=KeyRing([Secret(PASSPHRASE, "not it", "t")]))
    assert str(caught.value) == "bitlocker volume left locked: the secret given does not open it"


def test_truncated_volume_reads_what_is_there_like_libbde(bitlocker_volume: Callable,
                                                          tmp_path: Path) -> None:
    """The metadata is whole, the last sectors of the (header-sized) volume are cut off."""
    volume = bitlocker_volume("cbc128_partial")
    cut = tmp_path / "cut.img"
    cut.write_bytes(volume.path.read_bytes()[: volume.size - 300 * 1024 - 512 * 3])
    ours, libbde = _both(cut, None)
    assert ours.details["engine"] == fast.aes_engine()
    ours_bytes, libbde_bytes = _whole(ours.stream), _whole(libbde.stream)
    # libbde stops at the first 4 KiB piece it cannot read; ours at the first missing sector.
    assert len(libbde_bytes) <= len(ours_bytes) < ours.stream.size
    assert ours_bytes[: len(libbde_bytes)] == libbde_bytes
    assert len(ours_bytes) == cut.stat().st_size  # every whole sector that is there
    assert ours.stream.read(ours.stream.size - 512, 512) == b""


def _damage(volume: BitLockerImage, tmp_path: Path, copies: tuple[int, ...]) -> Path:
    data = bytearray(volume.path.read_bytes())
    meta = read_metadata(FileStream(volume.path))
    for copy in copies:
        at = meta.metadata_offsets[copy - 1]
        data[at : at + 8] = b"-DAMAGE-"
    damaged = tmp_path / "damaged.img"
    damaged.write_bytes(bytes(data))
    return damaged


def test_damaged_first_metadata_copy_opens_with_the_next_and_says_so(
        bitlocker_volume: Callable, tmp_path: Path) -> None:
    volume = bitlocker_volume("xts128")
    damaged = _damage(volume, tmp_path, (1,))
    layer = BitLocker()
    facts = layer.facts(FileStream(damaged))  # libbde refuses it: the facts are ours
    problem = ("BitLocker metadata copy 1: no '-FVE-FS-' signature; copy 2 was used instead")
    assert facts["problems"] == [problem]
    assert facts["key_protectors"] == [{"kind": "clear key",
                                        "id": str(IDS["clear key"]).upper()}]
    [opened] = layer.open(FileStream(damaged))
    assert opened.facts["encryption"]["engine"] == fast.aes_engine()
    assert opened.facts["encryption"]["problems"] == [problem]
    assert files_sha256(opened.stream) == expected_root_sha256()
    # Walked: the problem is a line of the report, and the volume is examined.
    with layered(damaged) as (volumes, sink):
        (reached,) = volumes
        assert reached.examined and reached.volume.fs_type == "ntfs"
        assert listing(reached)["/gradient.jpg"] == expected_root_sha256()["/gradient.jpg"]
        assert ("damaged.img", "volume", problem) in sink.warnings


def test_all_metadata_copies_damaged_is_locked_with_one_sentence(
        bitlocker_volume: Callable, tmp_path: Path) -> None:
    damaged = _damage(bitlocker_volume("xts128"), tmp_path, (1, 2, 3))
    with pytest.raises(MetadataError) as caught:
        read_metadata(FileStream(damaged))
    assert str(caught.value).startswith("none of the three BitLocker metadata copies can be "
                                        "read (copy 1: no '-FVE-FS-' signature; copy 2:")
    with pytest.raises(Locked) as locked:
        BitLocker().open(FileStream(damaged))
    assert str(locked.value).startswith("bitlocker volume not opened: libbde cannot read")


def test_facts_from_our_metadata_reading_equal_libbdes(bitlocker_volume: Callable) -> None:
    volume = bitlocker_volume("protected")
    handle = FileStream(volume.path)
    libbde = pybde.volume()
    libbde.open_file_object(StreamFile(handle))
    try:
        assert _metadata_facts(read_metadata(handle)) == _volume_facts(libbde)
    finally:
        libbde.close()
