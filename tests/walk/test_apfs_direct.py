"""An unlocked APFS volume's file data decrypted by our own XTS (walk/apfs_direct.py): the key
found again in the key bags, the same bytes libfsapfs gives, and libfsapfs kept where an extent
does not check out."""

from __future__ import annotations

import hashlib
import os
import threading
import uuid
from pathlib import Path
from typing import Any

import pyfsapfs
import pytest

from tests.layers.apfs_encrypted_image import encrypt_apfs
from tests.layers.apfs_large_file import grow_first_file
from tests.layers.images import published
from tests.layers.streams import FileStream
from tests.pipeline.test_unlock_scan import _assert_no_secret
from triage.layers import fast
from triage.layers.kdf_limits import MAX_PBKDF2_ITERATIONS
from triage.layers.secrets import PASSPHRASE, KeyRing, Secret
from triage.pipeline import ScanOptions, run_scan
from triage.report.listing import read_listing
from triage.walk.apfs import ApfsContent
from triage.walk.apfs_direct import MIN_SIZE, DirectReader
from triage.walk.apfs_keybag import key_bags

PASSWORD = "correct horse battery staple"  # noqa: S105 - the test volumes'
RECOVERY_KEY = "K3PQ-7XW2-MZ4D-9HTB-RV6C-LN8F"
CONTENT = os.urandom(3 * 1024 * 1024 + 123)  # not a whole number of blocks or sectors


@pytest.fixture(scope="module")
def volumes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """dfvfs's APFS container with its first file grown to CONTENT, encrypted: once as a
    fresh extent (tweak = its place), once as data moved since (another tweak)."""
    folder = tmp_path_factory.mktemp("apfs-direct")
    plain = published("apfs.raw", folder)
    made: dict[str, Any] = {}
    for name, crypto_id in (("fresh", 0), ("moved", 5)):
        big = folder / f"{name}-plain.raw"
        made["oid"] = grow_first_file(plain, big, CONTENT, crypto_id)
        made[name] = folder / f"{name}.raw"
        encrypt_apfs(big, made[name], PASSWORD, recovery_key=RECOVERY_KEY)
    return made


def _opened(image: Path, secret: str = PASSWORD) -> tuple[Any, Any]:
    container = pyfsapfs.container()
    container.open(str(image))
    volume = container.get_volume(0)
    volume.set_password(secret)
    assert volume.unlock()
    return container, volume


def _key(image: Path, secret: str, limit: int = MAX_PBKDF2_ITERATIONS) -> bytes | None:
    _, volume = _opened(image)
    return key_bags(FileStream(image).read, uuid.UUID(volume.identifier).bytes).volume_key(
        secret, limit)


def test_the_volume_key_comes_from_the_password_or_the_recovery_key(volumes: dict[str, Any]
                                                                     ) -> None:
    image = volumes["fresh"]
    key = _key(image, PASSWORD)
    assert key is not None and len(key) == 32
    assert _key(image, RECOVERY_KEY) == key
    assert _key(image, "not the password") is None
    assert _key(image, PASSWORD, limit=1000) is None  # the volume asks for 2,000 rounds


def test_a_kek_wrapped_with_a_128_bit_key_is_unwrapped_too(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    """A volume migrated from Core Storage wraps its KEK with the first 16 bytes of the
    password's PBKDF2 output (Joe Sylve's APFS notes); the VEK is the same 32 bytes."""
    from tests.layers import apfs_encrypted_image as writer

    real, calls = writer.aes_key_wrap, []

    def wrap(key: bytes, plain: bytes) -> bytes:  # the first wrap is the password's KEK
        calls.append(key)
        return real(key[:16] if len(calls) == 1 else key, plain)

    monkeypatch.setattr(writer, "aes_key_wrap", wrap)
    image = tmp_path / "legacy.raw"
    encrypt_apfs(published("apfs.raw", tmp_path), image, PASSWORD)
    monkeypatch.undo()
    container = pyfsapfs.container()
    container.open(str(image))
    volume_uuid = uuid.UUID(container.get_volume(0).identifier).bytes
    bags = key_bags(FileStream(image).read, volume_uuid)
    key = bags.volume_key(PASSWORD, MAX_PBKDF2_ITERATIONS)
    assert key is not None and len(key) == 32
    assert bags.volume_key("wrong", MAX_PBKDF2_ITERATIONS) is None


def _direct(volumes: dict[str, Any], name: str) -> tuple[DirectReader, Any, threading.RLock]:
    """Our reader of volume `name`, and its grown file's libfsapfs entry (with its container,
    which must outlive it)."""
    image = volumes[name]
    key = _key(image, PASSWORD)
    assert key is not None
    container, volume = _opened(image)
    entry = volume.get_file_entry_by_identifier(volumes["oid"])
    return DirectReader(FileStream(image), key), (container, entry), threading.RLock()


def test_direct_reads_give_the_bytes_libfsapfs_gives(volumes: dict[str, Any]) -> None:
    direct, (_container, entry), lock = _direct(volumes, "fresh")
    layout = direct.layout(entry, len(CONTENT), lock)
    assert layout is not None and layout.runs[0][0] == 0
    size = len(CONTENT)
    for offset, length in [(0, 1), (0, size), (511, 1000), (4095, 8193), (size - 10, 100),
                           (1 << 20, 1 << 20), (size, 5)]:
        want = CONTENT[offset : offset + length]
        assert direct.read(layout, offset, min(length, size - offset)) == want
        if want:
            assert bytes(entry.read_buffer_at_offset(len(want), offset)) == want


def test_a_moved_extent_is_read_through_libfsapfs(volumes: dict[str, Any]) -> None:
    direct, (_container, entry), lock = _direct(volumes, "moved")
    assert direct.layout(entry, len(CONTENT), lock) is None  # its first sector did not check out
    content = ApfsContent(entry, len(CONTENT), lock, direct)
    assert content.read(0, len(CONTENT)) == CONTENT


def test_small_files_and_other_layouts_are_left_to_libfsapfs(volumes: dict[str, Any]) -> None:
    direct, (_container, entry), lock = _direct(volumes, "fresh")
    assert direct.layout(entry, MIN_SIZE - 1, lock) is None
    size = len(CONTENT)
    assert direct.layout(entry, size, lock) is not None
    assert direct.layout(entry, size + 5000, lock) is None  # extents cover less than the file
    assert direct.layout(entry, size - 70_000, lock) is None  # far more than its last block

    class Shifted:
        """The same file as if its one extent were listed as two with a block missing."""

        number_of_extents = 2

        def get_extent(self, index: int) -> tuple[int, int, int]:
            physical, length, flags = entry.get_extent(0)
            half = length // 2 - length // 2 % 4096
            return ((physical, half, flags) if index == 0 else
                    (physical + half + 4096, length - half, flags))

        def read_buffer_at_offset(self, length: int, offset: int) -> bytes:
            return entry.read_buffer_at_offset(length, offset)

    assert direct.layout(Shifted(), size, lock) is None


def _scan(image: Path, out: Path) -> tuple[Any, dict[str, str]]:
    result = run_scan([str(image)], out, ScanOptions(keyring=KeyRing([
        Secret(PASSPHRASE, PASSWORD, "unlock file 1, line 1")])))
    digests = {r["path"]: r.get("sha256") for r in read_listing(out / "files.jsonl.gz")}
    return result, digests


@pytest.mark.parametrize("name", ["fresh", "moved"])
def test_a_scan_hashes_the_grown_file_right_either_way(volumes: dict[str, Any], tmp_path: Path,
                                                       name: str) -> None:
    image = volumes[name]
    before = hashlib.sha256(image.read_bytes()).hexdigest()
    result, digests = _scan(image, tmp_path / "out")
    assert digests["/a_directory/a_file"] == hashlib.sha256(CONTENT).hexdigest()
    [volume] = result.report["coverage"]["volumes"]
    assert volume["status"] == "examined"
    assert volume["encryption"]["engine"] == f"libfsapfs; file data: {fast.aes_engine()}"
    _assert_no_secret(tmp_path / "out", PASSWORD)
    assert hashlib.sha256(image.read_bytes()).hexdigest() == before


def test_a_container_cut_inside_the_grown_file(volumes: dict[str, Any], tmp_path: Path) -> None:
    """The evidence ends half-way through the file: no digest of bytes that are not there,
    and the bytes not read are a gap of the report (a short read, as libfsapfs's error)."""
    cut = tmp_path / "cut.raw"
    data = volumes["fresh"].read_bytes()
    cut.write_bytes(data[: len(data) - len(CONTENT) // 2])
    result, digests = _scan(cut, tmp_path / "out")
    assert digests["/a_directory/a_file"] is None
    assert result.report["coverage"]["volumes"][0]["status"] == "examined"
    [gap] = [g for g in result.report["coverage"]["not_examined"] if g["what"] == "file"]
    assert gap["address"].endswith("/a_directory/a_file · inode 17")
    assert gap["kind"] == "unreadable" and gap["reason"].startswith("content ended at byte ")
    assert gap["offset"] + gap["size"] == len(CONTENT)


def test_the_key_bags_are_found_through_the_newest_superblock(volumes: dict[str, Any],
                                                              tmp_path: Path) -> None:
    """Block 0 older than the checkpoint area's copy (as on a used Mac): the newest one says
    where the key bags are. (The checkpoint area's base was read 4 bytes early once, so only
    block 0 was ever looked at.)"""
    import struct

    from tests.layers.apfs_encrypted_image import ITERATIONS, fletcher64

    data = bytearray(volumes["fresh"].read_bytes())
    block0 = memoryview(data)[:4096]
    struct.pack_into("<Q", block0, 16, struct.unpack_from("<Q", block0, 16)[0] - 1)  # xid
    struct.pack_into("<QQ", block0, 1296, 0, 0)  # no key bag (nx_keylocker)
    struct.pack_into("<Q", block0, 0, fletcher64(block0))
    del block0
    stale = tmp_path / "stale.raw"
    stale.write_bytes(bytes(data))
    volume_uuid = uuid.UUID(_opened(volumes["fresh"])[1].identifier).bytes
    bags = key_bags(FileStream(stale).read, volume_uuid)
    assert bags.pbkdf2_costs() == [ITERATIONS, ITERATIONS]
    assert bags.volume_key(PASSWORD, MAX_PBKDF2_ITERATIONS) == _key(volumes["fresh"], PASSWORD)
