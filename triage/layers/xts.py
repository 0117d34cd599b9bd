"""AES-XTS decryption of many sectors at once (dm-crypt's plain64 or plain IV).

Where the CPU has AES-NI and _cpu_crypto.c is built, it does the whole thing in one pass.
Otherwise, on `cryptography`: one Cipher object per 512-byte sector costs more than the AES
itself, so the first tweaks of every sector are encrypted in one ECB call, the rest are derived
in bulk by the C helper (_sectors.c) or, where it is not built, numpy (x^j in one shift per
block, not j doublings), and the data goes through one more ECB call, in place. Same result as
XTS per sector (tests/layers/test_xts.py checks every path, with IEEE 1619 vectors).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from triage.layers import fast
from triage.layers.scratch import Scratch

_BLOCK = 16
# x^128 = x^7 + x^2 + x + 1 (IEEE 1619's polynomial): the bits that overflow a shift fold back
# in as over ^ over<<1 ^ over<<2 ^ over<<7, which stays inside the low word for shifts <= 56.
_ONE, _FOLDS = np.uint64(1), (np.uint64(2), np.uint64(7))
_PIECE = 256 * 1024  # bytes decrypted per pass (fits the CPU cache)
_STEP = 32  # tweaks are derived in runs of this many blocks from one base tweak


def _times_x_to(lo: np.ndarray, hi: np.ndarray, j: np.ndarray, back: np.ndarray,
                out: tuple[np.ndarray, np.ndarray], spare: tuple[np.ndarray, ...]) -> None:
    """(lo, hi) times x^j in GF(2^128) for 1 <= j <= 56 (back = 64 - j), broadcast over the
    arrays into out = (lo, hi); spare = three contiguous arrays of the broadcast shape (out
    may be strided: it is written once each)."""
    over, tmp, acc = spare
    np.right_shift(hi, back, out=over)  # the bits that pass x^128 ...
    np.left_shift(over, _ONE, out=acc)
    acc ^= over
    for fold in _FOLDS:  # ... come back as over * (x^7 + x^2 + x + 1)
        np.left_shift(over, fold, out=tmp)
        acc ^= tmp
    np.left_shift(lo, j, out=tmp)
    np.bitwise_xor(acc, tmp, out=out[0])
    np.left_shift(hi, j, out=acc)
    np.right_shift(lo, back, out=tmp)
    np.bitwise_or(acc, tmp, out=out[1])


class XtsDecryptor:
    """Decrypts whole sectors of `sector_size` bytes; `key` is the XTS double key. IVs are
    64-bit sector numbers (dm-crypt's plain64), or 32-bit ones that wrap (`plain`)."""

    def __init__(self, key: bytes, sector_size: int = 512, iv_step: int = 1,
                 iv_bits: int = 64) -> None:
        if len(key) not in (32, 64) or sector_size % _BLOCK:
            raise ValueError("XTS needs a 256- or 512-bit key and whole 16-byte blocks")
        half = len(key) // 2
        self._key = key
        self._data_key = algorithms.AES(key[:half])
        self._tweak_key = algorithms.AES(key[half:])
        self.sector_size = sector_size
        self._blocks = sector_size // _BLOCK
        self._iv_step = iv_step  # how far the IV moves from one sector to the next
        self._iv_bits = iv_bits
        self._iv_mask = np.uint64((1 << iv_bits) - 1)
        self._run = math.gcd(_STEP, self._blocks)  # a run length that divides the sector
        self._shifts = np.arange(1, self._run, dtype=np.uint64)
        self._backs = np.uint64(64) - self._shifts
        self._run_shift = np.uint64(self._run), np.uint64(64 - self._run)
        self._scratch = Scratch()  # per thread: tweaks and passes reuse their buffers

    def _tweaks(self, first_iv: int, count: int) -> np.ndarray:
        """The per-block tweaks, shape (count, blocks, 2) as little-endian 64-bit halves."""
        start = self._first_tweaks(first_iv, count)
        if fast.sectors is not None:
            table = self._scratch.bytes("tweaks", count * self.sector_size)
            fast.sectors.xts_tweaks(start, self.sector_size, table)
            return table.view("<u8").reshape(count, self._blocks, 2)
        return self._tweaks_numpy(start, count)

    def _first_tweaks(self, first_iv: int, count: int) -> np.ndarray:
        """E_K2(IV) of each sector, as (count * 2) little-endian 64-bit halves."""
        ivs = self._scratch.bytes("ivs", count * _BLOCK + _BLOCK)
        if fast.sectors is not None:
            fast.sectors.counters(ivs[: count * _BLOCK], first_iv & 0xFFFFFFFFFFFFFFFF,
                                  self._iv_step, self._iv_bits)
        else:
            words = ivs[: count * _BLOCK].view("<u8").reshape(count, 2)
            words[:, 1] = 0
            words[:, 0] = np.arange(count, dtype=np.uint64) * np.uint64(self._iv_step)
            words[:, 0] += np.uint64(first_iv & 0xFFFFFFFFFFFFFFFF)
            words[:, 0] &= self._iv_mask
        enc = self._scratch.kept("tweak", lambda: Cipher(
            self._tweak_key, modes.ECB()).encryptor())  # noqa: S305 - XTS tweak step
        enc.update_into(memoryview(ivs[: count * _BLOCK]), memoryview(ivs))
        return ivs[: count * _BLOCK].view("<u8")

    def _tweaks_numpy(self, start: np.ndarray, count: int) -> np.ndarray:
        """_tweaks without the C helper: runs of x^j shifts in numpy."""
        runs = self._blocks // self._run
        scratch = self._scratch
        tweaks = scratch.words("tweaks", (count, runs, self._run, 2))
        tweaks[:, 0, 0, :] = start.reshape(count, 2)
        for run in range(1, runs):  # each run's base tweak: the previous one times x^_run
            _times_x_to(tweaks[:, run - 1, 0, 0], tweaks[:, run - 1, 0, 1], *self._run_shift,
                        (tweaks[:, run, 0, 0], tweaks[:, run, 0, 1]),
                        tuple(scratch.words(f"base{n}", (count,)) for n in range(3)))
        if self._run > 1:
            # Shifts down the first axis and the sectors' base tweaks along the last, so that
            # numpy's inner loops run over contiguous memory; written back transposed, once.
            bases = count * runs
            shape = (self._run - 1, bases)
            spare = tuple(scratch.words(f"spare{n}", shape) for n in range(3))
            lo = np.ascontiguousarray(tweaks[:, :, 0, 0]).reshape(bases)
            hi = np.ascontiguousarray(tweaks[:, :, 0, 1]).reshape(bases)
            out_lo = tweaks[:, :, 1:, 0].reshape(bases, self._run - 1).T
            out_hi = tweaks[:, :, 1:, 1].reshape(bases, self._run - 1).T
            _times_x_to(lo, hi, self._shifts[:, None], self._backs[:, None], (out_lo, out_hi),
                        spare)
        return tweaks.reshape(count, self._blocks, 2)

    def decrypt_into(self, data: Any, first_iv: int, out: np.ndarray) -> None:
        """Plain text of whole sectors `data` into `out` (uint8, at least len(data) + 16
        bytes: the AES call wants a block of room), the first sector having IV `first_iv`."""
        if fast.cpu_aes is not None:
            out[: len(data)] = np.frombuffer(self._cpu(data, first_iv), dtype=np.uint8)
            return
        cipher = self._sectors(data)
        step = max(1, _PIECE // self.sector_size)
        for first in range(0, len(cipher), step):
            # Piece by piece: the tweaks and the data stay in the cache between the passes.
            piece = cipher[first : first + step]
            begin = first * self.sector_size
            tweaks = self._before_xor(piece, first_iv + first * self._iv_step, out[begin:])
            words = out[begin : begin + piece.nbytes].view("<u8").reshape(tweaks.shape)
            np.bitwise_xor(words, tweaks, out=words)

    def decrypt(self, data: Any, first_iv: int) -> bytes:
        """Plain text of whole sectors `data`, the first one having IV `first_iv`."""
        if fast.cpu_aes is not None:
            return self._cpu(data, first_iv)
        out = self._scratch.bytes("out", len(data) + _BLOCK)
        if fast.sectors is None or len(data) > _PIECE:
            self.decrypt_into(data, first_iv, out)
            return out[: len(data)].tobytes()
        # One piece (a chunk of ChunkCache): the last XOR writes the bytes handed back.
        tweaks = self._before_xor(self._sectors(data), first_iv, out)
        return fast.sectors.xor_bytes(out[: len(data)], tweaks)

    def _cpu(self, data: Any, first_iv: int) -> bytes:
        assert fast.cpu_aes is not None
        try:
            return fast.cpu_aes.xts_decrypt(self._key, data, first_iv & 0xFFFFFFFFFFFFFFFF,
                                            self._iv_step, self._iv_bits, self.sector_size)
        except ValueError:  # (the C message names AES; this class's callers expect XTS's)
            raise ValueError("XTS decrypts whole sectors only") from None

    def _sectors(self, data: Any) -> np.ndarray:
        """Whole sectors `data` as (sectors, blocks, 2) little-endian words (no copy)."""
        count = len(data) // self.sector_size
        if count * self.sector_size != len(data):
            raise ValueError("XTS decrypts whole sectors only")
        return np.frombuffer(data, dtype="<u8").reshape(count, self._blocks, 2)

    def _before_xor(self, cipher: np.ndarray, first_iv: int, out: np.ndarray) -> np.ndarray:
        """XTS of `cipher` into `out` but for the last XOR with the tweaks, which it returns
        (the caller XORs where the plain text goes)."""
        tweaks = self._tweaks(first_iv, len(cipher))
        size = cipher.nbytes
        np.bitwise_xor(cipher, tweaks, out=out[:size].view("<u8").reshape(tweaks.shape))
        dec = self._scratch.kept("data", lambda: Cipher(
            self._data_key, modes.ECB()).decryptor())  # noqa: S305 - XTS data step
        # In place: OpenSSL's ECB reads each block before it writes it.
        dec.update_into(memoryview(out[:size]), memoryview(out))
        return tweaks
