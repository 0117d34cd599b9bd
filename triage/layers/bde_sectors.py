"""BitLocker sector decryption, many sectors per call: AES-CBC (no diffuser) and AES-XTS.

One `cryptography` Cipher per 512-byte sector costs more than its AES; here a whole read is
decrypted with one ECB call (CBC: plus XORs with the shifted ciphertext and the per-sector IVs,
themselves one ECB call; XTS: the shared xts.py, whose tweak is the sector number). Same bytes as
decrypting sector by sector (tests/layers/test_bde_sectors.py checks it).
"""

from __future__ import annotations

import numpy as np
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from triage.layers.scratch import Scratch
from triage.layers.xts import XtsDecryptor

_BLOCK = 16
_PIECE = 256 * 1024  # bytes per CBC pass (the buffers stay in the CPU cache)
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
        per_piece = _PIECE // self.sector_size * self.sector_size
        view = memoryview(data)
        parts = [self._cbc_piece(view[at : at + per_piece], offset + at)
                 for at in range(0, len(data), per_piece)]
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def _cbc_piece(self, data: memoryview, offset: int) -> bytes:
        assert self._aes is not None
        count = len(data) // self.sector_size
        blocks = self.sector_size // _BLOCK
        # IV of each sector: its byte offset as a 16-byte little-endian number, AES-encrypted.
        positions = np.zeros((count, 2), dtype="<u8")
        positions[:, 0] = np.arange(count, dtype=np.uint64) * np.uint64(self.sector_size)
        positions[:, 0] += np.uint64(offset)
        enc = Cipher(self._aes, modes.ECB()).encryptor()  # noqa: S305 - BitLocker's IV step
        ivs = np.frombuffer(enc.update(positions.tobytes()), dtype="<u8")
        cipher = np.frombuffer(data, dtype="<u8").reshape(count, blocks, 2)
        # Reused: a fresh 256 KiB buffer costs page faults; update_into wants a block of room.
        out = self._scratch.bytes("cbc", len(data) + _BLOCK)
        dec = Cipher(self._aes, modes.ECB()).decryptor()  # noqa: S305 - CBC, block by block
        dec.update_into(data, out)
        plain = out[: len(data)].view("<u8").reshape(count, blocks, 2)
        # CBC: each block's plain text is its decryption XOR the block before (the IV first).
        plain[:, 1:, :] ^= cipher[:, :-1, :]
        plain[:, 0, :] ^= ivs.reshape(count, 2)
        return out[: len(data)].tobytes()
