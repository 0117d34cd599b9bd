"""The batched XTS decryptor gives what `cryptography`'s XTS gives, sector by sector."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from triage.layers import fast
from triage.layers.xts import XtsDecryptor

# Every test here runs twice: with the C helper and with the numpy fallback (conftest.py).
pytestmark = pytest.mark.usefixtures("sector_engine")


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


@pytest.mark.parametrize("sector", [512, 4096])
def test_partial_sector_is_refused(sector: int) -> None:
    for length in (100, sector + 16, sector - 16):
        with pytest.raises(ValueError, match="whole sectors"):
            XtsDecryptor(os.urandom(64), sector).decrypt(b"x" * length, 0)


def _uint8(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype=np.uint8)


@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview, _uint8])
def test_any_bytes_like_buffer(kind: Callable[[bytes], Any]) -> None:
    key, data = os.urandom(64), os.urandom(512 * 20)
    got = XtsDecryptor(key).decrypt(kind(data), 9)
    assert got == _reference(key, data, 9, 512, 1)


def test_empty_and_multi_piece_reads() -> None:
    key = os.urandom(64)
    xts = XtsDecryptor(key)
    assert xts.decrypt(b"", 5) == b""
    data = os.urandom(512 * 1100)  # past one 256 KiB piece: the piece-by-piece path
    assert xts.decrypt(data, 5) == _reference(key, data, 5, 512, 1)


def test_decrypt_into_a_numpy_buffer_past_a_slice() -> None:
    # SegmentStream decrypts piece after piece into one buffer, from a memoryview slice.
    key, data = os.urandom(64), os.urandom(4096 * 6)
    out = np.zeros(len(data) + 4096 + 16, dtype=np.uint8)
    XtsDecryptor(key, 4096, 8).decrypt_into(memoryview(data)[4096:], 8, out[4096:])
    assert out[4096 : len(data)].tobytes() == _reference(key, data[4096:], 8, 4096, 8)
    assert not out[:4096].any()


# IEEE 1619-2007 annex B: XTS-AES-128 vectors 1-3 (32-byte data units), key = Key1 || Key2.
IEEE_1619 = [
    ("00" * 16 + "00" * 16, 0, "00" * 32,
     "917cf69ebd68b2ec9b9fe9a3eadda692cd43d2f59598ed858c02c2652fbf922e"),
    ("11" * 16 + "22" * 16, 0x3333333333, "44" * 32,
     "c454185e6a16936e39334038acef838bfb186fff7480adc4289382ecd6d394f0"),
    ("fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0" + "22" * 16, 0x3333333333, "44" * 32,
     "af85336b597afc1a900b2eb21ec949d292df4c047e0b21532186a5971a227a89"),
]


@pytest.mark.parametrize(("key", "unit", "plain", "cipher"), IEEE_1619)
def test_ieee_1619_vectors(key: str, unit: int, plain: str, cipher: str) -> None:
    data = bytes.fromhex(cipher)
    assert XtsDecryptor(bytes.fromhex(key), len(data)).decrypt(data, unit).hex() == plain


def test_ieee_1619_vector_4_a_512_byte_unit() -> None:
    # Vector 4: Key1 = e, Key2 = pi digits, data unit 0, plain text 00..ff twice; its published
    # cipher text starts with the 32 bytes below (the rest made by `cryptography` here).
    key = bytes.fromhex("27182818284590452353602874713526" "31415926535897932384626433832795")
    plain = bytes(range(256)) * 2
    cipher = Cipher(algorithms.AES(key), modes.XTS(bytes(16))).encryptor().update(plain)
    assert cipher[:32].hex() == (
        "27a7479befa1d476489f308cd4cfa6e2a96e4bbe3208ff25287dd3819616e89c")
    assert XtsDecryptor(key, 512).decrypt(cipher, 0) == plain


@pytest.mark.parametrize("sector", [16, 48, 1024, 2048, 768])
def test_sector_sizes_whose_blocks_are_not_one_run(sector: int) -> None:
    key, data = os.urandom(64), os.urandom(sector * 9)
    got = XtsDecryptor(key, sector).decrypt(data, 2**63 - 3)
    assert got == _reference(key, data, 2**63 - 3, sector, 1)


def test_many_pieces_give_what_one_sector_at_a_time_gives() -> None:
    # More than one 256 KiB piece, and IVs that cross 2^32 (plain64, not 32-bit plain).
    key, data = os.urandom(64), os.urandom(512 * 1500)
    first = 2**32 - 700
    got = XtsDecryptor(key).decrypt(data, first)
    assert got == _reference(key, data, first, 512, 1)


def test_plain_iv_is_32_bits_and_wraps() -> None:
    # dm-crypt's `plain` IV is the sector number's low 32 bits (plain64 keeps all 64).
    key, data = os.urandom(64), os.urandom(512 * 10)
    first = 2**32 - 5
    got = XtsDecryptor(key, 512, 1, iv_bits=32).decrypt(data, first)
    want = b"".join(_reference(key, data[n * 512 : (n + 1) * 512], (first + n) % 2**32, 512, 1)
                    for n in range(10))
    assert got == want
    assert got != XtsDecryptor(key).decrypt(data, first)


def test_two_threads_at_once_give_right_answers() -> None:
    # The C helper runs without the GIL: both threads are inside it at the same time.
    key = os.urandom(64)
    xts = XtsDecryptor(key, 4096, 8)
    pieces = [os.urandom(4096 * 256) for _ in range(2)]
    want = [_reference(key, p, 80, 4096, 8) for p in pieces]
    start, got = threading.Barrier(2), [b"", b""]

    def work(n: int) -> None:
        start.wait()
        for _ in range(20):
            result = xts.decrypt(pieces[n], 80)
            if result != want[n]:
                got[n] = result
                return
        got[n] = want[n]

    threads = [threading.Thread(target=work, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert got == want


def test_threads_decrypting_with_one_decryptor_do_not_share_buffers() -> None:
    from concurrent.futures import ThreadPoolExecutor

    key = os.urandom(64)
    xts = XtsDecryptor(key)
    pieces = [os.urandom(512 * 600) for _ in range(8)]
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda p: xts.decrypt(p, 7), pieces * 3))
    assert got == [_reference(key, p, 7, 512, 1) for p in pieces] * 3


def test_the_c_helper_checks_its_arguments(sector_engine: str) -> None:
    if sector_engine != "c":
        pytest.skip("C helper only")
    sectors = fast.sectors
    assert sectors is not None
    table = bytearray(1024)
    with pytest.raises(ValueError, match="whole sectors"):
        sectors.xts_tweaks(bytes(32), 500, table)
    with pytest.raises(ValueError, match="too short"):
        sectors.xts_tweaks(bytes(16), 512, table)  # two sectors, one first tweak
    with pytest.raises(TypeError):
        sectors.xts_tweaks(bytes(32), 512, bytes(1024))  # read-only table
    with pytest.raises(ValueError, match="multiple of 16"):
        sectors.counters(bytearray(20), 0, 1, 64)
    with pytest.raises(ValueError, match="bits"):
        sectors.counters(bytearray(16), 0, 1, 65)
    with pytest.raises(ValueError, match="whole sectors"):
        sectors.cbc_restart(bytearray(512), bytes(500), bytes(16), 512)
    with pytest.raises(ValueError, match="too short"):
        sectors.cbc_restart(bytearray(16), bytes(512), bytes(16), 512)
    with pytest.raises(ValueError, match="shorter"):
        sectors.xor_bytes(bytes(32), bytes(16))
    assert sectors.xor_bytes(b"\x0f" * 19, b"\xf0" * 20) == b"\xff" * 19  # odd lengths too
    counters = bytearray(48)
    sectors.counters(counters, 2**32 - 2, 1, 32)  # dm-crypt's plain: wraps at 2^32
    assert [int.from_bytes(counters[n : n + 16], "little") for n in (0, 16, 32)] == [
        2**32 - 2, 2**32 - 1, 0]
