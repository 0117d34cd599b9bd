"""A BitLocker (Windows 7 layout; AES-CBC or AES-XTS) test volume written from libbde's notes.

No open tool creates BitLocker volumes, and the published test volumes are larger than the
mirrors keep; so tests build one here from "BitLocker Drive Encryption (BDE) format" (libyal,
GFDL): volume header, three FVE metadata blocks, key protectors (clear key, recovery password,
password, startup key) each wrapping the volume master key with AES-CCM, the FVEK wrapped by
the VMK, and sectors encrypted with AES-CBC (IV: the sector's byte offset, AES-ECB encrypted)
or AES-XTS (tweak: the sector number), one `cryptography` cipher per sector.
libbde, an independent reader, must then open it: that is what makes it a fair fixture.
"""

from __future__ import annotations

import hashlib
import os
import struct
import uuid
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESCCM

SECTOR = 512
MIB = 1024 * 1024
BITLOCKER_GUID = uuid.UUID("4967d63b-2e29-4ad8-8399-f6a339e3d001")
AES_CBC_128 = 0x8002
AES_CBC_256 = 0x8003
AES_XTS_128 = 0x8004
AES_XTS_256 = 0x8005
NOT_ENCRYPTED = 0x0000  # a volume BitLocker has decrypted (or is yet to encrypt)
FVEK_BYTES = {NOT_ENCRYPTED: 16, AES_CBC_128: 16, AES_CBC_256: 32, AES_XTS_128: 32,
              AES_XTS_256: 64}
AES_CCM_256 = 0x2000
STRETCH = 0x1000
FILETIME = 133_600_000_000_000_000  # 2024-05-12, a fixed creation time
HEADER_SECTORS = 16  # the first 8 KiB are moved to the volume header block
METADATA_BLOCK = 64 * 1024
DESCRIPTION = "DESKTOP-TEST C: 12/05/2024"
RECOVERY_PASSWORD = "111111-222222-333333-444444-555555-666666-000000-123453"  # noqa: S105
PASSWORD = "bitlocker test password"  # noqa: S105 - a test volume's password
IDS = {
    "clear key": uuid.UUID("11111111-2222-3333-4444-000000000000"),
    "recovery password": uuid.UUID("11111111-2222-3333-4444-000000000800"),
    "password": uuid.UUID("11111111-2222-3333-4444-000000002000"),
    "startup key": uuid.UUID("11111111-2222-3333-4444-000000000200"),
}
_PROTECTION = {"clear key": 0x0000, "startup key": 0x0200, "recovery password": 0x0800,
               "password": 0x2000}


@dataclass(frozen=True)
class BitLockerImage:
    """The encrypted volume, the plain volume it decrypts to, and a .BEK file for it."""

    path: Path
    plain: Path
    bek: Path | None
    size: int
    data_end: int  # bytes of plain file system data (metadata blocks lie beyond it)


def _entry(entry_type: int, value_type: int, data: bytes) -> bytes:
    return struct.pack("<HHHH", 8 + len(data), entry_type, value_type, 1) + data


def _key_container(method: int, key: bytes) -> bytes:
    return _entry(0, 1, struct.pack("<I", method) + key)


def _ccm(key: bytes, counter: int, plain: bytes) -> bytes:
    """An AES-CCM encrypted key value: nonce (FILETIME, counter), then MAC and ciphertext."""
    nonce = struct.pack("<QI", FILETIME, counter)
    sealed = AESCCM(key, tag_length=16).encrypt(nonce, plain, None)
    return nonce + sealed[-16:] + sealed[:-16]  # BitLocker keeps the MAC first


def _stretch(initial: bytes, salt: bytes) -> bytes:
    last = bytes(32)
    for count in range(0x100000):
        last = hashlib.sha256(last + initial + salt + struct.pack("<Q", count)).digest()
    return last


def recovery_key(password: str, salt: bytes) -> bytes:
    """The key a recovery password stretches to (libbde's notes, "Recovery key")."""
    raw = b"".join(struct.pack("<H", int(group) // 11) for group in password.split("-"))
    return _stretch(hashlib.sha256(raw).digest(), salt)


def user_key(password: str, salt: bytes) -> bytes:
    """The key a password stretches to (libbde's notes, "User key")."""
    once = hashlib.sha256(password.encode("utf-16-le")).digest()
    return _stretch(hashlib.sha256(once).digest(), salt)


def _vmk_entry(kind: str, vmk: bytes, counter: int, wrapping_key: bytes,
               extra: list[bytes]) -> bytes:
    props = b"".join(extra) + _entry(0, 5, _ccm(wrapping_key, counter,
                                                 _key_container(AES_CCM_256, vmk)))
    head = IDS[kind].bytes_le + struct.pack("<QHH", FILETIME, 0, _PROTECTION[kind])
    return _entry(2, 8, head + props)


def _metadata_block(offsets: tuple[int, int, int], header_at: int, size: int,
                    volume_id: uuid.UUID, entries: bytes, method: int) -> bytes:
    metadata = struct.pack("<IIII", 48 + len(entries), 1, 48, 48 + len(entries))
    metadata += volume_id.bytes_le + struct.pack("<IIQ", 10, method, FILETIME) + entries
    header = b"-FVE-FS-" + struct.pack("<HHHHQII", 0, 2, 4, 4, size, 0, HEADER_SECTORS)
    header += struct.pack("<QQQQ", *offsets, header_at)
    return (header + metadata).ljust(METADATA_BLOCK, b"\0")


def _volume_header(offsets: tuple[int, int, int], sectors: int) -> bytes:
    sector = bytearray(SECTOR)
    sector[0:3], sector[3:11] = b"\xeb\x58\x90", b"-FVE-FS-"
    struct.pack_into("<HBHBHHBHHHI", sector, 11, SECTOR, 8, 0, 0, 0, 0, 0xF8, 0, 0x3F, 0xFF, 0)
    struct.pack_into("<I", sector, 32, sectors)  # 0: libbde takes the size from NTFS
    sector[160:176] = BITLOCKER_GUID.bytes_le
    struct.pack_into("<QQQ", sector, 176, *offsets)
    sector[510:512] = b"\x55\xaa"
    return bytes(sector)


def _encrypt_sectors(fvek: bytes, data: bytes, offset: int, method: int = AES_CBC_128,
                     encrypted_end: int | None = None) -> bytes:
    """Sectors encrypted one by one; those at or past `encrypted_end` are left plain."""
    xts = method in (AES_XTS_128, AES_XTS_256)
    # The CBC IV step (an XTS key is two keys, too long for plain AES).
    ecb = None if xts else Cipher(algorithms.AES(fvek), modes.ECB()).encryptor()  # noqa: S305
    out = bytearray()
    for at in range(0, len(data), SECTOR):
        sector = data[at : at + SECTOR]
        if method == NOT_ENCRYPTED or (encrypted_end is not None and offset + at >= encrypted_end):
            out += sector
            continue
        if ecb is None:
            mode: modes.Mode = modes.XTS(((offset + at) // SECTOR).to_bytes(16, "little"))
        else:
            mode = modes.CBC(ecb.update((offset + at).to_bytes(16, "little")))
        enc = Cipher(algorithms.AES(fvek), mode).encryptor()
        out += enc.update(sector) + enc.finalize()
    return bytes(out)


def make_bitlocker(folder: Path, plain_fs: Path, name: str, protectors: tuple[str, ...],
                   size: int = 16 * MIB, method: int = AES_CBC_128,
                   encrypted_size: int | None = None, count_sectors: bool = False,
                   header_entry: bool = True) -> BitLockerImage:
    """Encrypt `plain_fs` (a file system image smaller than size - 4 MiB) into a BitLocker
    volume with the given key protectors.

    `encrypted_size`: only the volume's first bytes are encrypted (a volume being decrypted);
    `count_sectors`: the BitLocker header states the sector count (the whole volume, metadata
    included, is then the unlocked volume); `header_entry`: False leaves out the volume header
    block entry, as later Windows 10 does (its size is then the header sector count's)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = os.urandom
    fvek, vmk = rng(FVEK_BYTES[method]), rng(32)
    data = plain_fs.read_bytes()
    data_end = len(data)
    assert data_end <= size - 4 * MIB, "the file system must leave room for the metadata"
    offsets = (size - 4 * MIB, size - 3 * MIB, size - 2 * MIB)
    header_at = size - MIB
    entries = _entry(7, 2, (DESCRIPTION + "\0").encode("utf-16-le"))
    bek_key = rng(32)
    counter = 1
    for kind in protectors:
        counter += 1
        if kind == "clear key":
            clear = rng(32)
            entries += _vmk_entry(kind, vmk, counter, clear,
                                  [_entry(0, 1, struct.pack("<I", AES_CCM_256) + clear)])
        elif kind == "startup key":
            entries += _vmk_entry(kind, vmk, counter, bek_key, [])
        else:
            salt = rng(16)
            key = (recovery_key(RECOVERY_PASSWORD, salt) if kind == "recovery password"
                   else user_key(PASSWORD, salt))
            counter += 1
            stretch = _entry(0, 3, struct.pack("<I", STRETCH) + salt + _entry(
                0, 5, _ccm(key, counter, _key_container(STRETCH, rng(32)))))
            entries += _vmk_entry(kind, vmk, counter + 100, key, [stretch])
    counter += 1
    entries += _entry(3, 5, _ccm(vmk, counter, _key_container(method, fvek)))
    if header_entry:
        entries += _entry(15, 15, struct.pack("<QQ", header_at, HEADER_SECTORS * SECTOR))
    volume_id = uuid.UUID("0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9")

    plain = data.ljust(size, b"\0")
    (folder / f"{name}.plain").write_bytes(plain)
    encrypted_end = size if encrypted_size is None else encrypted_size
    image = bytearray(_encrypt_sectors(fvek, plain, 0, method, encrypted_end))
    head_len = HEADER_SECTORS * SECTOR
    image[header_at : header_at + head_len] = _encrypt_sectors(
        fvek, plain[:head_len], header_at, method, encrypted_end)
    image[0:SECTOR] = _volume_header(offsets, size // SECTOR if count_sectors else 0)
    for at in offsets:
        image[at : at + METADATA_BLOCK] = _metadata_block(offsets, header_at, encrypted_end,
                                                          volume_id, entries, method)
    path = folder / f"{name}.img"
    path.write_bytes(bytes(image))
    bek = None
    if "startup key" in protectors:
        external = IDS["startup key"].bytes_le + struct.pack("<Q", FILETIME) + _entry(
            0, 1, struct.pack("<I", AES_CCM_256) + bek_key)
        body = _entry(6, 9, external)
        bek_data = struct.pack("<IIII", 48 + len(body), 1, 48, 48 + len(body))
        bek_data += IDS["startup key"].bytes_le + struct.pack("<IIQ", 1, AES_CCM_256, FILETIME)
        bek = folder / f"{name}-bek" / f"{str(IDS['startup key']).upper()}.BEK"
        bek.parent.mkdir(exist_ok=True)  # one per volume: each has its own key
        bek.write_bytes(bek_data + body)
    return BitLockerImage(path, folder / f"{name}.plain", bek, size, data_end)
