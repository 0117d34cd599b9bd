"""BitLocker's batched sector decryption equals `cryptography` used one sector at a time."""

from __future__ import annotations

import os

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from triage.layers.bde_sectors import SectorDecryptor

# Every test here runs twice: with the C helper and with the numpy fallback (conftest.py).
pytestmark = pytest.mark.usefixtures("sector_engine")


def _per_sector(method: int, key: bytes, data: bytes, offset: int, sector: int) -> bytes:
    """The plain way: one Cipher per sector, BitLocker's IVs (libbde's notes)."""
    out = b""
    for at in range(0, len(data), sector):
        position = offset + at
        if method in (0x8004, 0x8005):
            mode: modes.Mode = modes.XTS((position // sector).to_bytes(16, "little"))
        else:
            ecb = Cipher(algorithms.AES(key), modes.ECB()).encryptor()  # noqa: S305
            mode = modes.CBC(ecb.update(position.to_bytes(16, "little")))
        dec = Cipher(algorithms.AES(key), mode).decryptor()
        out += dec.update(data[at : at + sector]) + dec.finalize()
    return out


@pytest.mark.parametrize(("method", "key_bytes"), [(0x8002, 16), (0x8003, 32), (0x8004, 32),
                                                   (0x8005, 64)])
@pytest.mark.parametrize("sector", [512, 4096])
def test_batched_equals_per_sector(method: int, key_bytes: int, sector: int) -> None:
    key = os.urandom(key_bytes)
    data = os.urandom(sector * 37)
    offset = sector * 1_000_003  # past 4 GiB: the IV's upper bytes matter
    ours = SectorDecryptor(method, key, sector).decrypt(data, offset)
    assert ours == _per_sector(method, key, data, offset, sector)
    assert len(ours) == len(data) and ours != data


@pytest.mark.parametrize("method", [0x8002, 0x8004])
@pytest.mark.parametrize("kind", [bytearray, memoryview])
def test_bytes_like_reads_and_one_sector(method: int, kind: type) -> None:
    key = os.urandom(16 if method == 0x8002 else 32)
    decryptor = SectorDecryptor(method, key, 512)
    for count in (1, 2, 600):  # one sector (no previous one), and more than 256 KiB
        data = os.urandom(512 * count)
        assert decryptor.decrypt(kind(data), 512 * 7) == _per_sector(method, key, data,
                                                                     512 * 7, 512)


def test_no_encryption_passes_sectors_through_and_odd_requests_are_refused() -> None:
    data = os.urandom(1024)
    assert SectorDecryptor(0x0000, b"", 512).decrypt(data, 512) == data
    decryptor = SectorDecryptor(0x8002, bytes(16), 512)
    assert decryptor.decrypt(b"", 0) == b""
    with pytest.raises(ValueError, match="whole sectors"):
        decryptor.decrypt(data[:100], 0)
    with pytest.raises(ValueError, match="whole sectors"):
        decryptor.decrypt(data, 100)
    with pytest.raises(ValueError, match="0x8000 is not decrypted here"):
        SectorDecryptor(0x8000, bytes(64), 512)  # the Elephant diffuser: libbde's
