"""_cpu_crypto.c on its own: BitLocker's key stretch against hashlib, and its argument checks
(its XTS and CBC are checked against `cryptography` by test_xts.py and test_bde_sectors.py)."""

from __future__ import annotations

import hashlib
import os
import struct

import pytest

from triage.layers import bde_keys, fast

_cpu = fast.cpu_aes or fast.cpu_sha


def _stretch(initial: bytes, salt: bytes, rounds: int) -> bytes:
    last = bytes(32)
    for count in range(rounds):
        last = hashlib.sha256(last + initial + salt + struct.pack("<Q", count)).digest()
    return last


@pytest.mark.skipif(fast.cpu_sha is None, reason="_cpu_crypto not built or no SHA-NI here")
@pytest.mark.parametrize("rounds", [0, 1, 2, 3, 64, 1000])
def test_the_stretch_is_hashlibs(rounds: int) -> None:
    assert fast.cpu_sha is not None
    initial, salt = os.urandom(32), os.urandom(16)
    assert fast.cpu_sha.stretch(initial, salt, rounds) == _stretch(initial, salt, rounds)


@pytest.mark.skipif(fast.cpu_sha is None, reason="_cpu_crypto not built or no SHA-NI here")
def test_bitlockers_stretch_gives_the_same_key_either_way(monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    initial, salt = hashlib.sha256(b"x").digest(), bytes(range(16))
    fast_key = bde_keys.stretch(initial, salt)
    monkeypatch.setattr(fast, "cpu_sha", None)
    assert bde_keys.stretch(initial, salt) == fast_key
    # A damaged entry with a short salt takes the Python loop (the C one wants 16 bytes).
    assert bde_keys.stretch(initial, salt[:10]) == _stretch(initial, salt[:10], 0x100000)


@pytest.mark.skipif(_cpu is None, reason="_cpu_crypto not built, or this CPU lacks AES-NI")
def test_the_helper_checks_its_arguments() -> None:
    assert _cpu is not None
    with pytest.raises(ValueError, match="256- or 512-bit"):
        _cpu.xts_decrypt(bytes(16), bytes(512), 0, 1, 64, 512)
    with pytest.raises(ValueError, match="iv_bits"):
        _cpu.xts_decrypt(bytes(32), bytes(512), 0, 1, 65, 512)
    for length, sector in ((500, 512), (512, 500), (512, 0), (1024, -512)):
        with pytest.raises(ValueError, match="whole sectors"):
            _cpu.xts_decrypt(bytes(32), bytes(length), 0, 1, 64, sector)
        with pytest.raises(ValueError, match="whole sectors"):
            _cpu.cbc_decrypt(bytes(16), bytes(length), 0, sector)
    with pytest.raises(ValueError, match="128- or 256-bit"):
        _cpu.cbc_decrypt(bytes(24), bytes(512), 0, 512)
    with pytest.raises(ValueError, match="32 bytes and salt 16"):
        _cpu.stretch(bytes(31), bytes(16), 1)
    assert _cpu.xts_decrypt(bytes(32), b"", 0, 1, 64, 512) == b""
    assert _cpu.cbc_decrypt(bytes(16), b"", 0, 512) == b""
