"""VirtualBox VDI disk images: a small reader of the documented header and block map.

No maintained VDI reader is on PyPI (checked 2026-12); the format is simple: a 512-byte
header, a table of 32-bit block numbers, then the blocks. Layout from VirtualBox's
src/VBox/Storage/VDICore.h (VDIHEADER1), checked against images `qemu-img convert -O vdi`
writes (tests/layers/test_formats.py).
"""

from __future__ import annotations

import struct
from typing import Any

from triage.layers.base import Layer, LayerError, Opened, Stream
from triage.layers.registry import register

_SIGNATURE = 0xBEDA107F
_VERSION_1 = 0x00010000  # major 1; the minor half (1 on every image VirtualBox writes) is free
_NORMAL, _FIXED, _UNDO, _DIFF = 1, 2, 3, 4
_FREE = 0xFFFFFFFF  # block never written: reads as zeros
_ZERO = 0xFFFFFFFE  # block discarded: reads as zeros
# Blocks beyond this count (64 TiB at the usual 1 MiB block) would make the block map alone
# 256 MiB: a damaged or crafted header, not a real image.
MAX_BLOCKS = 1 << 26


class VdiLayer(Layer):
    """VirtualBox's native disk format (normal/dynamic and fixed images)."""

    name = "vdi"

    def probe(self, head: bytes, stream: Stream) -> bool:
        return len(head) >= 0x48 and struct.unpack_from("<I", head, 0x40)[0] == _SIGNATURE

    def open(self, stream: Stream, **context: Any) -> list[Opened]:
        name = context.get("name") or "image"
        header = stream.read(0, 0x1C8)
        if len(header) < 0x1C8:
            raise LayerError(f"VDI image {name} is cut short inside its header; not opened.")
        version, _size, image_type = struct.unpack_from("<III", header, 0x44)
        if version & 0xFFFF0000 != _VERSION_1:
            raise LayerError(f"VDI image {name} has header version {version >> 16}."
                             f"{version & 0xFFFF}, which this reader does not know; not opened.")
        if image_type in (_UNDO, _DIFF):
            raise LayerError(f"VDI image {name} is a differencing image (a VirtualBox snapshot) "
                             "whose parent is found by UUID; not opened (examine the base "
                             "image and its snapshots in the lab).")
        off_blocks, off_data = struct.unpack_from("<II", header, 0x154)
        disk_size, block_size, block_extra, blocks = struct.unpack_from("<QIII", header, 0x170)
        if not block_size or blocks > MAX_BLOCKS or blocks * block_size < disk_size:
            raise LayerError(f"VDI image {name} has a damaged header (block size {block_size}, "
                             f"{blocks} blocks for {disk_size} bytes); not opened.")
        table = stream.read(off_blocks, 4 * blocks)
        if len(table) < 4 * blocks:
            raise LayerError(f"VDI image {name} is cut short inside its block map; not opened.")
        facts = {"type": {_NORMAL: "dynamic", _FIXED: "fixed"}.get(image_type, str(image_type))}
        return [Opened("vdi", VdiDisk(stream, struct.unpack(f"<{blocks}I", table), off_data,
                                      block_size, block_extra, disk_size), facts)]


class VdiDisk:
    """The disk inside a VDI: each block found through the block map, unwritten ones zeros."""

    def __init__(self, stream: Stream, blocks: tuple[int, ...], data: int, block_size: int,
                 block_extra: int, size: int) -> None:
        self._stream = stream
        self._blocks = blocks
        self._data = data
        self._block = block_size
        self._stride = block_size + block_extra
        self._extra = block_extra
        self.size = size

    def read(self, offset: int, length: int) -> bytes:
        length = min(length, self.size - offset)
        if offset < 0 or length <= 0:
            return b""
        out = bytearray()
        while length > 0:
            index, within = divmod(offset, self._block)
            take = min(length, self._block - within)
            entry = self._blocks[index]
            if entry in (_FREE, _ZERO):
                out += bytes(take)
            else:
                at = self._data + entry * self._stride + self._extra + within
                chunk = self._stream.read(at, take)
                # A block map pointing past the end of a truncated image reads as zeros, like
                # TskImage does for a truncated raw image.
                out += chunk + bytes(take - len(chunk))
            offset += take
            length -= take
        return bytes(out)


register(VdiLayer())
