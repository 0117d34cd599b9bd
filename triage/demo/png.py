"""A byte-for-byte reproducible PNG encoder (stored deflate blocks, no compressor involved)."""

from __future__ import annotations

import struct
import zlib

import numpy as np

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# zlib header for deflate with a 32 KiB window and "fastest" level; 0x7801 % 31 == 0 as
# RFC 1950 requires.
_ZLIB_HEADER = b"\x78\x01"
_STORED_MAX = 65535  # RFC 1951 section 3.2.4: LEN is a 16-bit count


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data)
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def _stored_zlib(raw: bytes) -> bytes:
    """Wrap `raw` in a zlib stream of stored blocks: the same bytes whatever zlib is installed.

    A compressor (zlib, zlib-ng, different levels or versions) may emit different bytes for
    the same input, which would change the demo's "known" digest from machine to machine.
    """
    out = bytearray(_ZLIB_HEADER)
    starts = range(0, max(len(raw), 1), _STORED_MAX)
    for start in starts:
        block = raw[start : start + _STORED_MAX]
        final = 1 if start + _STORED_MAX >= len(raw) else 0
        out += struct.pack("<BHH", final, len(block), len(block) ^ 0xFFFF) + block
    out += struct.pack(">I", zlib.adler32(raw))
    return bytes(out)


def encode_png(pixels: np.ndarray) -> bytes:
    """Encode an RGB image (height x width x 3, uint8) as an 8-bit truecolour PNG."""
    if pixels.ndim != 3 or pixels.shape[2] != 3 or pixels.dtype != np.uint8:
        raise ValueError("encode_png needs a height x width x 3 uint8 array; convert it first.")
    height, width, _ = pixels.shape
    # Filter type 0 (None) on every row: the simplest valid scanline encoding.
    rows = np.zeros((height, 1 + width * 3), dtype=np.uint8)
    rows[:, 1:] = pixels.reshape(height, width * 3)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        _SIGNATURE
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", _stored_zlib(rows.tobytes()))
        + _chunk(b"IEND", b"")
    )
