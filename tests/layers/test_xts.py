"""The batched XTS decryptor gives what `cryptography`'s XTS gives, sector by sector."""

from __future__ import annotations

import os

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from triage.layers.xts import XtsDecryptor


def _reference(key: bytes, data: bytes, first: int, sector: int, step: int) -> bytes:
    out = b""
    for n in range(len(data) // sector):
        iv = (first + n * step).to_bytes(16, "little")
        dec = Cipher(algorithms.AES(key), modes.XTS(iv)).decryptor()
        out += dec.update(data[n * sector : (n + 1) * sector]) + dec.finalize()
    return out


@pytest.mark.parametrize(("key_bytes", "sector", "step", "first"), [
    (64, 512, 1, 0), (32, 512, 1, 2**40 + 5), (64, 4096, 8, 24), (64, 4096, 1, 3)])
def test_same_as_cryptography_xts(key_bytes: int, sector: int, step: int, first: int) -> None:
    key, data = os.urandom(key_bytes), os.urandom(sector * 37)
    got = XtsDecryptor(key, sector, step).decrypt(data, first)
    assert got == _reference(key, data, first, sector, step)


def test_partial_sector_is_refused() -> None:
    with pytest.raises(ValueError, match="whole sectors"):
        XtsDecryptor(os.urandom(64)).decrypt(b"x" * 100, 0)
