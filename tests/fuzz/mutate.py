"""Seeded mutations of metadata regions, as small patch recipes that can be stored and replayed."""

from __future__ import annotations

import random
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

from .regions import SECTOR, Region

# Values that break parsers: zero, one, all ones, sign boundaries, a power of two near 4 GiB.
INTERESTING = (0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF, 0x80000000,
               0xFFFFFFFF, 0x100000000, 0x7FFFFFFFFFFFFFFF, 0xFFFFFFFFFFFFFFFF)
# Bytes past the last non-zero byte of a region that still get mutated (the next empty slot).
TAIL = 64


@dataclass(frozen=True, slots=True)
class Patch:
    """Bytes written over an image copy at an offset."""

    offset: int
    data: bytes

    def to_json(self) -> list[object]:
        return [self.offset, self.data.hex()]

    @classmethod
    def from_json(cls, item: list[object]) -> Patch:
        return cls(int(item[0]), bytes.fromhex(str(item[1])))  # type: ignore[call-overload]


def _read(image: Path, offset: int, length: int) -> bytes:
    with open(image, "rb") as handle:
        handle.seek(offset)
        return handle.read(length)


def _used(image: Path, region: Region) -> int:
    """Length of the region up to its last non-zero byte plus a tail (empty slots matter too)."""
    data = _read(image, region.offset, region.length)
    return min(region.length, max(len(data.rstrip(b"\0")) + TAIL, TAIL))


def _one(rng: random.Random, image: Path, region: Region) -> Patch:
    span = _used(image, region)
    kind = rng.randrange(5)
    if kind == 0:  # flip bits in one byte
        at = region.offset + rng.randrange(span)
        old = _read(image, at, 1)[0]
        return Patch(at, bytes([old ^ (1 << rng.randrange(8))]))
    if kind == 1:  # an interesting integer in an aligned little-endian field
        width = rng.choice((1, 2, 4, 8))
        at = region.offset + rng.randrange(max(1, span // width)) * width
        value = rng.choice(INTERESTING) & ((1 << (8 * width)) - 1)
        return Patch(at, value.to_bytes(width, "little"))
    if kind == 2:  # a field off by a little (counts, sizes, addresses)
        width = rng.choice((2, 4))
        at = region.offset + rng.randrange(max(1, span // width)) * width
        old = int.from_bytes(_read(image, at, width), "little")
        new = (old + rng.choice((-2, -1, 1, 2, 16, 4096))) % (1 << (8 * width))
        return Patch(at, new.to_bytes(width, "little"))
    if kind == 3:  # a run of zeros
        length = rng.randrange(4, 65)
        at = region.offset + rng.randrange(span)
        return Patch(at, bytes(min(length, region.offset + region.length - at)))
    length = rng.randrange(2, 33)  # random garbage
    at = region.offset + rng.randrange(span)
    return Patch(at, rng.randbytes(min(length, region.offset + region.length - at)))


def gpt_crc_patches(image: Path, patches: list[Patch]) -> list[Patch]:
    """Recompute the GPT entry-array and header CRCs so a mutated table is still accepted."""
    header = bytearray(_read(image, SECTOR, SECTOR))
    for patch in patches:  # see the header as patched
        for n, byte in enumerate(patch.data):
            if SECTOR <= patch.offset + n < 2 * SECTOR:
                header[patch.offset + n - SECTOR] = byte
    size = struct.unpack_from("<I", header, 12)[0]
    entries_lba, count, entry_size = struct.unpack_from("<QII", header, 72)
    if not 92 <= size <= SECTOR or count * entry_size > 1 << 20 or entries_lba > 64:
        return []  # the mutation broke the header's shape; leave the CRCs broken too
    entries = bytearray(_read(image, entries_lba * SECTOR, count * entry_size))
    for patch in patches:
        for n, byte in enumerate(patch.data):
            at = patch.offset + n - entries_lba * SECTOR
            if 0 <= at < len(entries):
                entries[at] = byte
    struct.pack_into("<I", header, 88, zlib.crc32(entries))
    struct.pack_into("<I", header, 16, 0)
    struct.pack_into("<I", header, 16, zlib.crc32(bytes(header[:size])))
    return [Patch(SECTOR + 16, bytes(header[16:20])), Patch(SECTOR + 88, bytes(header[88:92]))]


def make_variant(rng: random.Random, image: Path, regions: list[Region], target: str
                 ) -> tuple[str, list[Patch]]:
    """One to three mutations in one randomly chosen region: (region name, patches)."""
    region = rng.choice(regions)
    patches = [_one(rng, image, region) for _ in range(rng.choice((1, 1, 2, 3)))]
    if target == "gpt" and rng.random() < 0.75:
        patches += gpt_crc_patches(image, patches)
    return region.name, patches


class PatchedCopy:
    """A private copy of a fixture image that patches are applied to and reverted from."""

    def __init__(self, original: Path, copy: Path) -> None:
        self.path = copy
        with open(original, "rb") as src, open(copy, "wb") as dst:
            while chunk := src.read(1 << 20):
                dst.write(chunk)
        self._undo: list[Patch] = []

    def apply(self, patches: list[Patch]) -> None:
        with open(self.path, "r+b") as handle:
            for patch in patches:
                handle.seek(patch.offset)
                self._undo.append(Patch(patch.offset, handle.read(len(patch.data))))
                handle.seek(patch.offset)
                handle.write(patch.data)

    def revert(self) -> None:
        with open(self.path, "r+b") as handle:
            for patch in reversed(self._undo):
                handle.seek(patch.offset)
                handle.write(patch.data)
        self._undo.clear()
