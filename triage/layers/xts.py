"""AES-XTS decryption of many sectors at once (dm-crypt's plain64 IV), on `cryptography`.

One Cipher object per 512-byte sector costs more than the AES itself; here the tweaks of every
sector are encrypted in one ECB call, multiplied out with numpy, and the data goes through one
more ECB call. Same result as XTS per sector (tests/layers/test_xts.py checks it).
"""

from __future__ import annotations

import numpy as np
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

_BLOCK = 16
_GF_REDUCTION = 0x87  # x^128 + x^7 + x^2 + x + 1, the XTS polynomial (IEEE 1619)


class XtsDecryptor:
    """Decrypts whole sectors of `sector_size` bytes; `key` is the XTS double key."""

    def __init__(self, key: bytes, sector_size: int = 512, iv_step: int = 1) -> None:
        if len(key) not in (32, 64) or sector_size % _BLOCK:
            raise ValueError("XTS needs a 256- or 512-bit key and whole 16-byte blocks")
        half = len(key) // 2
        self._data_key = algorithms.AES(key[:half])
        self._tweak_key = algorithms.AES(key[half:])
        self.sector_size = sector_size
        self._blocks = sector_size // _BLOCK
        self._iv_step = iv_step  # how far the IV moves from one sector to the next

    def _tweaks(self, first_iv: int, count: int) -> np.ndarray:
        """The per-block tweaks, shape (count, blocks, 2) as little-endian 64-bit halves."""
        ivs = np.zeros((count, 2), dtype="<u8")
        ivs[:, 0] = np.arange(count, dtype=np.uint64) * np.uint64(self._iv_step) + np.uint64(
            first_iv)
        enc = Cipher(self._tweak_key, modes.ECB()).encryptor()  # noqa: S305 - XTS tweak step
        start = np.frombuffer(enc.update(ivs.tobytes()) + enc.finalize(), dtype="<u8")
        tweaks = np.empty((count, self._blocks, 2), dtype="<u8")
        tweaks[:, 0, :] = start.reshape(count, 2)
        one, top, poly = np.uint64(1), np.uint64(63), np.uint64(_GF_REDUCTION)
        for block in range(1, self._blocks):  # each tweak is the previous one times x
            lo, hi = tweaks[:, block - 1, 0], tweaks[:, block - 1, 1]
            tweaks[:, block, 1] = (hi << one) | (lo >> top)
            tweaks[:, block, 0] = (lo << one) ^ ((hi >> top) * poly)
        return tweaks

    def decrypt(self, data: bytes, first_iv: int) -> bytes:
        """Plain text of whole sectors `data`, the first one having IV `first_iv`."""
        count = len(data) // self.sector_size
        if count * self.sector_size != len(data):
            raise ValueError("XTS decrypts whole sectors only")
        if not count:
            return b""
        tweaks = self._tweaks(first_iv, count)
        mixed = np.bitwise_xor(np.frombuffer(data, dtype="<u8").reshape(tweaks.shape), tweaks)
        out = bytearray(len(data) + _BLOCK - 1)  # update_into wants one block of room
        dec = Cipher(self._data_key, modes.ECB()).decryptor()  # noqa: S305 - XTS data step
        dec.update_into(memoryview(mixed).cast("B"), out)
        plain = np.frombuffer(out, dtype="<u8", count=len(data) // 8).reshape(tweaks.shape)
        np.bitwise_xor(plain, tweaks, out=plain)
        return bytes(memoryview(out)[: len(data)])
