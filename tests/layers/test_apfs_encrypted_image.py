"""The software-encrypted APFS fixture (apfs_encrypted_image.py) as libfsapfs reads it."""

from __future__ import annotations

import hashlib
import hmac
import stat
import struct
import uuid
from pathlib import Path
from typing import Any

import pyfsapfs
import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.keywrap import aes_key_unwrap

from tests.layers.apfs_encrypted_image import (
    ITERATIONS,
    PERSONAL_RECOVERY_KEY_UUID,
    encrypt_apfs,
    fletcher64,
    xts_encrypt,
)
from tests.layers.images import published

PASSWORD = "correct horse battery staple"  # noqa: S105 - a test volume's
RECOVERY_KEY = "K3PQ-7XW2-MZ4D-9HTB-RV6C-LN8F"
HINT = "the horse's words"


@pytest.fixture()
def plain(tmp_path: Path) -> Path:
    return published("apfs.raw", tmp_path)


@pytest.fixture()
def encrypted(plain: Path) -> Path:
    target = plain.with_name("apfs-filevault.raw")
    encrypt_apfs(plain, target, PASSWORD, hint=HINT, recovery_key=RECOVERY_KEY)
    return target


def _open(path: Path) -> tuple[Any, Any]:
    container = pyfsapfs.container()
    container.open(str(path))
    return container, container.get_volume(0)


def _contents(volume: Any) -> dict[str, tuple[str, int, str]]:
    """{path: (kind, size, SHA-256 or link target)} of every entry, extended attributes as
    "path:name" (the resource fork among them)."""
    found: dict[str, tuple[str, int, str]] = {}
    stack = [(volume.get_root_directory(), "")]
    while stack:
        directory, prefix = stack.pop()
        for entry in directory.sub_file_entries:
            path = f"{prefix}/{entry.name}"
            for attribute in entry.extended_attributes:
                data = attribute.read_buffer(attribute.size)
                found[f"{path}:{attribute.name}"] = (
                    "xattr", attribute.size, hashlib.sha256(data).hexdigest())
            if stat.S_ISDIR(entry.file_mode):
                found[path] = ("dir", 0, "")
                stack.append((entry, path))
            elif stat.S_ISLNK(entry.file_mode):
                found[path] = ("link", entry.size, entry.symbolic_link_target)
            else:
                data = entry.read_buffer(entry.size) if entry.size else b""
                assert len(data) == entry.size
                found[path] = ("file", entry.size, hashlib.sha256(data).hexdigest())
    return found


def test_volume_is_locked_without_a_secret(plain: Path, encrypted: Path) -> None:
    _, source = _open(plain)
    container, volume = _open(encrypted)
    assert not source.is_locked()
    assert volume.is_locked()
    assert not container.is_locked()  # the container keybag is software-encrypted: readable
    assert volume.name == "apfs_test"  # the volume superblock stays plain text
    assert volume.identifier == source.identifier
    with pytest.raises(OSError, match="locked"):
        volume.get_file_entry_by_identifier(2)


def test_wrong_secrets_are_refused(encrypted: Path) -> None:
    _, volume = _open(encrypted)
    volume.set_password("wrong")
    assert volume.unlock() is False
    assert volume.is_locked()
    volume.set_recovery_password("AAAA-BBBB-CCCC-DDDD-EEEE-FFFF")
    assert volume.unlock() is False
    assert volume.is_locked()


def test_password_gives_the_source_files_byte_for_byte(plain: Path, encrypted: Path) -> None:
    _, source = _open(plain)
    _, volume = _open(encrypted)
    volume.set_password(PASSWORD)
    assert volume.unlock() is True
    assert not volume.is_locked()
    expected = _contents(source)
    assert _contents(volume) == expected
    fork = expected["/a_directory/a_resourcefork:com.apple.ResourceFork"]
    assert fork[:2] == ("xattr", 17)  # kept in a data stream: an encrypted extent
    entry = volume.get_file_entry_by_path("/a_directory/another_file")
    assert entry.read_buffer(entry.size) == b"This is another file.\n"
    data = encrypted.read_bytes()
    for plain_text in (b"This is another file.", b"passwords.txt", b"My resource fork",
                       HINT.encode()):
        assert plain_text not in data


def test_recovery_key_unlocks(plain: Path, encrypted: Path) -> None:
    _, source = _open(plain)
    _, volume = _open(encrypted)
    volume.set_password("not the password")
    volume.set_recovery_password(RECOVERY_KEY)
    assert volume.unlock() is True
    assert _contents(volume) == _contents(source)


def test_libfsapfs_tries_either_secret_on_every_unlock_record(encrypted: Path) -> None:
    """libfsapfs does not tell the records apart (by their UUIDs): the recovery key given as
    the password unlocks too, so which protector opened a volume cannot be told from it."""
    _, volume = _open(encrypted)
    volume.set_password(RECOVERY_KEY)
    assert volume.unlock() is True
    _, volume = _open(encrypted)
    volume.set_recovery_password(PASSWORD)
    assert volume.unlock() is True


def test_each_password_opens_only_its_image(plain: Path, encrypted: Path) -> None:
    other = plain.with_name("apfs-other.raw")
    encrypt_apfs(plain, other, "another password")
    assert other.read_bytes() != encrypted.read_bytes()
    for path, right, wrong in ((other, "another password", PASSWORD),
                               (encrypted, PASSWORD, "another password")):
        _, volume = _open(path)
        volume.set_password(wrong)
        assert volume.unlock() is False
        volume.set_password(right)
        assert volume.unlock() is True
    _, volume = _open(other)
    volume.set_recovery_password(RECOVERY_KEY)  # no recovery key was set for this one
    assert volume.unlock() is False


def _decrypt(raw: bytes, key: bytes, sector: int) -> bytes:
    """AES-XTS decryption with `key` as both halves (OpenSSL allows that when decrypting),
    512-byte units, the first one's tweak `sector`."""
    out = b""
    for offset in range(0, len(raw), 512):
        tweak = (sector + offset // 512).to_bytes(16, "little")
        decryptor = Cipher(algorithms.AES(key * 2), modes.XTS(tweak)).decryptor()
        out += decryptor.update(raw[offset : offset + 512]) + decryptor.finalize()
    return out


def _keybag(block: bytes, kind: bytes) -> list[tuple[uuid.UUID, int, bytes]]:
    assert struct.unpack_from("<Q", block)[0] == fletcher64(block)
    assert block[24:28] == kind[::-1]  # the type reads "keys" / "recs" as a little-endian word
    version, count, size = struct.unpack_from("<HHI", block, 32)
    assert version == 2 and size <= len(block) - 48
    entries, offset = [], 48
    for _ in range(count):
        tag, length = struct.unpack_from("<HH", block, offset + 16)
        entries.append((uuid.UUID(bytes=block[offset : offset + 16]), tag,
                        block[offset + 24 : offset + 24 + length]))
        offset += -(-(24 + length) // 16) * 16
    return entries


def _elements(data: bytes) -> dict[int, bytes]:
    """{tag: value} of a DER-like sequence; the value of tag -tag is its whole element."""
    found: dict[int, bytes] = {}
    offset = 0
    while offset < len(data):
        tag, length, start = data[offset], data[offset + 1], offset + 2
        if length == 0x81:
            length, start = data[offset + 2], offset + 3
        found[tag], found[-tag] = data[start : start + length], data[offset : start + length]
        offset = start + length
    return found


def _unwrap_blob(blob: bytes) -> dict[int, bytes]:
    """The 0xa3 fields of a key blob, its HMAC checked the way apfs-fuse checks it."""
    outer = _elements(_elements(blob)[0x30])
    key = hashlib.sha256(bytes.fromhex("011620171505") + outer[0x82]).digest()
    assert hmac.compare_digest(outer[0x81], hmac.new(key, outer[-0xA3], "sha256").digest())
    return _elements(outer[0xA3])


def test_keybags_are_laid_out_as_macos_writes_them(encrypted: Path) -> None:
    _, volume = _open(encrypted)
    volume_id = uuid.UUID(volume.identifier)
    data = encrypted.read_bytes()
    block_size = struct.unpack_from("<I", data, 36)[0]
    container_id = data[72:88]
    start, count = struct.unpack_from("<QQ", data, 1296)  # nx_keylocker
    assert count == 1 and struct.unpack_from("<Q", data, 1264)[0] & 0x4  # NX_CRYPTO_SW
    def block(number: int, key: bytes) -> bytes:
        raw = data[number * block_size : (number + 1) * block_size]
        return _decrypt(raw, key, number * block_size // 512)

    container_bag = _keybag(block(start, container_id), b"keys")
    assert [(entry, tag) for entry, tag, _ in container_bag] == [(volume_id, 2), (volume_id, 3)]
    volume_bag_block, blocks = struct.unpack_from("<QQ", container_bag[1][2])
    assert blocks == 1
    volume_bag = _keybag(block(volume_bag_block, volume_id.bytes), b"recs")
    assert [(entry, tag) for entry, tag, _ in volume_bag] == [
        (volume_id, 3), (PERSONAL_RECOVERY_KEY_UUID, 3), (volume_id, 4)]
    assert volume_bag[2][2] == HINT.encode()  # libfsapfs has no call for the hint
    kek_fields = _unwrap_blob(volume_bag[0][2])
    assert int.from_bytes(kek_fields[0x84], "big") == ITERATIONS
    wrapping = hashlib.pbkdf2_hmac("sha256", PASSWORD.encode(), kek_fields[0x85], ITERATIONS, 32)
    kek = aes_key_unwrap(wrapping, kek_fields[0x83])
    vek_fields = _unwrap_blob(container_bag[0][2])
    assert uuid.UUID(bytes=vek_fields[0x81]) == volume_id
    assert len(aes_key_unwrap(kek, vek_fields[0x83])) == 32


def test_equal_key_halves_encrypt_as_xts() -> None:
    key = bytes(range(16))
    data = bytes(range(256)) * 8
    assert _decrypt(xts_encrypt(key * 2, data, 12), key, 12) == data
