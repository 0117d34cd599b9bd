"""The exact-digest algorithms hash sets use: names, widths and hex parsing."""

from __future__ import annotations

import numpy as np

# Digest width in bytes per algorithm; the order is the order bundles list them in.
WIDTHS: dict[str, int] = {"md5": 16, "sha1": 20, "sha256": 32}
BY_HEX_LENGTH: dict[int, str] = {2 * width: name for name, width in WIDTHS.items()}

# Every byte maps to its nibble value, or 255 when it is not a hex digit (vectorised parsing).
HEX_LUT = np.full(256, 255, dtype=np.uint8)
for _value, _char in enumerate(b"0123456789abcdef"):
    HEX_LUT[_char] = _value
for _value, _char in enumerate(b"ABCDEF", start=10):
    HEX_LUT[_char] = _value


def parse_hex(text: str, algorithm: str | None = None) -> tuple[str, bytes] | None:
    """(algorithm, digest) for a hex string of a known width, or None when it is not one."""
    text = text.strip()
    name = BY_HEX_LENGTH.get(len(text))
    if name is None or (algorithm is not None and name != algorithm):
        return None
    try:
        return name, bytes.fromhex(text)
    except ValueError:
        return None


# Every pair of characters (read as one native uint16) maps to its byte value, or 0xFFFF when
# either is not a hex digit: one table lookup per output byte instead of two plus a shift.
_PAIRS = np.arange(65536, dtype=np.uint16).view(np.uint8).reshape(-1, 2)
_HI, _LO = HEX_LUT[_PAIRS[:, 0]].astype(np.uint16), HEX_LUT[_PAIRS[:, 1]].astype(np.uint16)
HEX_PAIR_LUT = np.where((_HI == 255) | (_LO == 255), 0xFFFF, (_HI << 4) | _LO).astype(np.uint16)


def hex_rows_to_bytes(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Decode an (n, 2w) array of hex characters into (n, w) bytes and a per-row 'valid' mask."""
    pairs = HEX_PAIR_LUT[np.ascontiguousarray(rows, dtype=np.uint8).view(np.uint16)]
    valid = (pairs < 256).all(axis=1)
    return pairs.astype(np.uint8), valid
