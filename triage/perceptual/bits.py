"""Hex form and Hamming distance of fixed-width bit strings, shared by the hash algorithms."""

from __future__ import annotations

from typing import ClassVar

import numpy as np


def parse_hex(text: str, nbits: int, label: str) -> bytes:
    """Parse a hex hash of `nbits` bits; ValueError names what was wrong and what is expected."""
    text = text.strip().lower()
    if text.startswith("0x"):
        text = text[2:]
    if len(text) != nbits // 4:
        raise ValueError(
            f"a {label} hash is {nbits // 4} hex digits, got {len(text)}: check the hash list"
        )
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise ValueError(f"{label} hash {text!r} is not hexadecimal: check the hash list") from None


def distance(a: bytes, b: bytes) -> int:
    """Hamming distance between two equal-length byte strings."""
    return (int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).bit_count()


def pack(bits: np.ndarray) -> bytes:
    """Bytes of a 0/1 array, first element as the most significant bit (imagehash's order)."""
    return np.packbits(np.asarray(bits, dtype=np.uint8).ravel()).tobytes()


def as_matrix(hexes: list[str], nbits: int, label: str) -> np.ndarray:
    """Parse hex hashes into an (n, nbits/8) uint8 matrix, the form indexes and sets store."""
    out = np.empty((len(hexes), nbits // 8), dtype=np.uint8)
    for row, text in enumerate(hexes):
        out[row] = np.frombuffer(parse_hex(text, nbits, label), dtype=np.uint8)
    return out


class BitHash:
    """What every fixed-width perceptual hash shares: hex form, Hamming distance, threshold."""

    label: ClassVar[str]  # the name used in error messages ("PDQ", "pHash")
    nbits: ClassVar[int]
    match_distance: ClassVar[int]

    @classmethod
    def parse(cls, text: str) -> bytes:
        """The hash's bytes; ValueError if `text` is not nbits/4 hex digits."""
        return parse_hex(text, cls.nbits, cls.label)

    @staticmethod
    def format(value: bytes) -> str:
        return value.hex()

    @staticmethod
    def distance(a: bytes, b: bytes) -> int:
        return distance(a, b)

    @classmethod
    def matches(cls, a: bytes, b: bytes) -> tuple[bool, int]:
        """Whether two hashes are the same picture by this hash's own threshold, and their
        distance."""
        dist = distance(a, b)
        return dist <= cls.match_distance, dist
