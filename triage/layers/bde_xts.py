"""AES-XTS over many sectors in a few numpy passes: every tweak of a read in one broadcast.

Per sector n, block j: tweak = E_K2(n) * x^j in GF(2^128). The E_K2(n) of all sectors are one
ECB call; x^j for j < 57 is one shift with the overflow folded back (x^128 = x^7+x^2+x+1), so
all the tweaks of a read are a handful of array operations (not one pass per block), and the
data is one XOR, one ECB call and one XOR. Every pass writes into buffers kept per thread: on
this VM a fresh 128 KiB+ array costs more in page faults than the AES over it. Same bytes as
`cryptography`'s XTS one sector at a time (tests/layers/test_bde_sectors.py). Usable by any
format whose tweak is the sector number.
"""

from __future__ import annotations

import math
import threading

import numpy as np
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

_BLOCK = 16
_RUN = 32  # blocks whose tweaks come from one base tweak in one broadcast (x^j, j < 57)
PIECE = 256 * 1024  # bytes per pass: the scratch buffers' size


class Scratch(threading.local):
    """Buffers reused by every pass of one thread (never shared between threads)."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self.out = bytearray(PIECE + _BLOCK)  # update_into wants one block of room

    def get(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        size = math.prod(shape)
        array = self.arrays.get(name)
        if array is None or array.size < size:
            array = self.arrays[name] = np.empty(size, dtype="<u8")
        return array[:size].reshape(shape)


def times_x_into(lo: np.ndarray, hi: np.ndarray, shift: np.ndarray, back: np.ndarray,
                 out: tuple[np.ndarray, np.ndarray], spare: tuple[np.ndarray, np.ndarray]
                 ) -> None:
    """(lo, hi) times x^shift (1 <= shift <= 56; back = 64 - shift), broadcast into `out`."""
    out_lo, out_hi = out
    over, tmp = spare
    np.right_shift(hi, back, out=over)  # the bits that pass x^128 ...
    np.left_shift(over, np.uint64(1), out=tmp)
    np.bitwise_xor(over, tmp, out=out_lo)
    for fold in (2, 7):  # ... come back as over * (x^7 + x^2 + x + 1)
        np.left_shift(over, np.uint64(fold), out=tmp)
        out_lo ^= tmp
    np.left_shift(lo, shift, out=tmp)
    out_lo ^= tmp
    np.left_shift(hi, shift, out=out_hi)
    np.right_shift(lo, back, out=tmp)
    out_hi |= tmp


class SectorXts:
    """Decrypts whole sectors with AES-XTS; the tweak of a sector is its number."""

    def __init__(self, key: bytes, sector_size: int = 512) -> None:
        if len(key) not in (32, 64) or sector_size % _BLOCK or sector_size > PIECE:
            raise ValueError("XTS needs a 256- or 512-bit key and whole 16-byte blocks")
        half = len(key) // 2
        self._data_key = algorithms.AES(key[:half])
        self._tweak_key = algorithms.AES(key[half:])
        self.sector_size = sector_size
        blocks = sector_size // _BLOCK
        self._run = math.gcd(_RUN, blocks)
        self._runs = blocks // self._run
        self._shift = np.arange(1, self._run, dtype=np.uint64).reshape(-1, 1)
        self._back = np.uint64(64) - self._shift
        self._scratch = Scratch()

    def _tweaks(self, first: int, count: int) -> np.ndarray:
        """Every block's tweak, shape (count, runs, run, 2): little-endian 64-bit halves."""
        scratch, runs, run = self._scratch, self._runs, self._run
        numbers = np.zeros((count, 2), dtype="<u8")
        numbers[:, 0] = np.arange(first, first + count, dtype=np.uint64)
        enc = Cipher(self._tweak_key, modes.ECB()).encryptor()  # noqa: S305 - the tweak step
        tweaks = scratch.get("tweaks", (count, runs, run, 2))
        tweaks[:, 0, 0, :] = np.frombuffer(enc.update(numbers.tobytes()),
                                           dtype="<u8").reshape(count, 2)
        base = (scratch.get("base_lo", (count, runs)), scratch.get("base_hi", (count, runs)))
        base[0][:, 0], base[1][:, 0] = tweaks[:, 0, 0, 0], tweaks[:, 0, 0, 1]
        step, back = np.uint64(run), np.uint64(64 - run)
        for r in range(1, runs):  # 4096-byte sectors: each run's base is the last one's x^32
            times_x_into(base[0][:, r - 1], base[1][:, r - 1], step, back,
                         (base[0][:, r], base[1][:, r]),
                         (scratch.get("o1", (count,)), scratch.get("t1", (count,))))
        if run > 1:
            # Shifts down the first axis, sectors along the last: numpy's inner loops then run
            # over contiguous memory (the other way round is several times slower).
            shape = (run - 1, count * runs)
            out = (scratch.get("lo", shape), scratch.get("hi", shape))
            times_x_into(base[0].reshape(-1), base[1].reshape(-1), self._shift, self._back,
                         out, (scratch.get("over", shape), scratch.get("tmp", shape)))
            by_run = tweaks.reshape(count * runs, run, 2)  # a view: no copy
            by_run[:, 1:, 0], by_run[:, 1:, 1] = out[0].T, out[1].T
        tweaks[:, 1:, 0, 0], tweaks[:, 1:, 0, 1] = base[0][:, 1:], base[1][:, 1:]
        return tweaks

    def decrypt(self, data: bytes, first: int) -> bytes:
        """Plain text of whole sectors `data`, the first one being sector number `first`."""
        if len(data) % self.sector_size:
            raise ValueError("XTS decrypts whole sectors only")
        per_piece = PIECE // self.sector_size
        parts = []
        view = memoryview(data)
        for at in range(0, len(data), per_piece * self.sector_size):
            piece = view[at : at + per_piece * self.sector_size]
            parts.append(self._piece(piece, first + at // self.sector_size))
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def _piece(self, data: memoryview, first: int) -> bytes:
        count = len(data) // self.sector_size
        tweaks = self._tweaks(first, count)
        mixed = self._scratch.get("mixed", tweaks.shape)
        np.bitwise_xor(np.frombuffer(data, dtype="<u8").reshape(tweaks.shape), tweaks,
                       out=mixed)
        out = self._scratch.out
        dec = Cipher(self._data_key, modes.ECB()).decryptor()  # noqa: S305 - XTS data step
        dec.update_into(memoryview(mixed).cast("B"), out)
        plain = np.frombuffer(out, dtype="<u8", count=len(data) // 8).reshape(tweaks.shape)
        np.bitwise_xor(plain, tweaks, out=plain)
        return bytes(memoryview(out)[: len(data)])
