"""BitLocker sector decryption, many sectors per call: AES-CBC (no diffuser) and AES-XTS.

Where the CPU has AES-NI, _cpu_crypto.c decrypts a whole read in one pass. Otherwise: one
`cryptography` Cipher per 512-byte sector costs more than its AES; here a whole read is
decrypted with one call (CBC: one CBC pass, then each sector's first block put right with its IV,
the IVs themselves one ECB call; XTS: the shared xts.py, whose tweak is the sector number). Same
bytes as decrypting sector by sector (tests/layers/test_bde_sectors.py checks it, with the C
helper and without).
"""

from __future__ import annotations

import numpy as np
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from triage.layers import fast
from triage.layers.scratch import Scratch
from triage.layers.xts import XtsDecryptor

_BLOCK = 16
CBC_METHODS = {0x8002: 16, 0x8003: 32}  # method: key bytes
XTS_METHODS = {0x8004: 32, 0x8005: 64}  # the FVEK holds both XTS keys
NO_ENCRYPTION = 0x0000
METHODS = (NO_ENCRYPTION, *CBC_METHODS, *XTS_METHODS)  # the diffuser ones are libbde's


class SectorDecryptor:
    """Decrypts whole sectors of a BitLocker volume given their byte offset on the volume."""

    def __init__(self, method: int, key: bytes, sector_size: int) -> None:
        if method not in METHODS:
            raise ValueError(f"encryption method 0x{method:04x} is not decrypted here")
        self.method = method
        self.sector_size = sector_size
        self._key = key
        self._aes = algorithms.AES(key) if method in CBC_METHODS else None
        self._xts = XtsDecryptor(key, sector_size) if method in XTS_METHODS else None
        self._scratch = Scratch()

    def decrypt(self, data: bytes, offset: int) -> bytes:
        """The plain text of whole sectors `data` read at byte `offset` of the volume."""
        if len(data) % self.sector_size or offset % self.sector_size:
            raise ValueError("BitLocker decrypts whole sectors only")
        if not data or self.method == NO_ENCRYPTION:
            return data
        if self._xts is not None:  # the IV is the sector number
            return self._xts.decrypt(data, offset // self.sector_size)
        return self._cbc(data, offset)

    def _cbc(self, data: bytes, offset: int) -> bytes:
        assert self._aes is not None
        if fast.cpu_aes is not None:  # every sector in one pass, IVs included
            return fast.cpu_aes.cbc_decrypt(self._key, data, offset, self.sector_size)
        count = len(data) // self.sector_size
        ivs = self._ivs(offset, count)
        # One CBC pass over every sector with a zero IV: OpenSSL decrypts CBC blocks in
        # parallel, as fast as ECB, and XORs as it goes. Only each sector's first block is then
        # wrong: XORed with the previous sector's last cipher block, not with the sector's IV.
        out = self._scratch.bytes("cbc", len(data) + _BLOCK)
        dec = Cipher(self._aes, modes.CBC(bytes(_BLOCK))).decryptor()
        dec.update_into(data, out)
        if fast.sectors is not None:
            fast.sectors.cbc_restart(out, data, ivs, self.sector_size)
        else:
            blocks = self.sector_size // _BLOCK
            plain = out[: len(data)].view("<u8").reshape(count, blocks, 2)
            cipher = np.frombuffer(data, dtype="<u8").reshape(count, blocks, 2)
            plain[:, 0, :] ^= ivs.view("<u8").reshape(count, 2)
            plain[1:, 0, :] ^= cipher[:-1, -1, :]
        return out[: len(data)].tobytes()

    def _ivs(self, offset: int, count: int) -> np.ndarray:
        """Each sector's IV: its byte offset as a 16-byte little-endian number, AES-encrypted."""
        assert self._aes is not None
        ivs = self._scratch.bytes("ivs", count * _BLOCK + _BLOCK)
        positions = ivs[: count * _BLOCK]
        if fast.sectors is not None:
            fast.sectors.counters(positions, offset, self.sector_size, 64)
        else:
            words = positions.view("<u8").reshape(count, 2)
            words[:, 1] = 0
            words[:, 0] = np.arange(count, dtype=np.uint64) * np.uint64(self.sector_size)
            words[:, 0] += np.uint64(offset)
        enc = self._scratch.kept("ivs", lambda: Cipher(
            self._aes, modes.ECB()).encryptor())  # noqa: S305 - BitLocker's IV step
        enc.update_into(memoryview(positions), memoryview(ivs))  # in place (see xts.py)
        return positions
