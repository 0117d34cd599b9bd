"""macOS disk images (libmodi): UDIF .dmg (compressed or not) and .sparseimage."""

from __future__ import annotations

from typing import Any

from triage.layers.base import Layer, Opened, Stream
from triage.layers.disks import disk, open_handle
from triage.layers.registry import register

_UDIF_TRAILER = b"koly"  # the last 512 bytes of a UDIF image
_SPARSE = b"sprs"  # the first bytes of a sparse image


class ModiLayer(Layer):
    """A macOS disk image; a sparse bundle is a folder of band files, not one stream."""

    name = "dmg"

    def probe(self, head: bytes, stream: Stream) -> bool:
        if head.startswith(_SPARSE):
            return True
        return stream.size >= 512 and stream.read(stream.size - 512, 4) == _UDIF_TRAILER

    def open(self, stream: Stream, **context: Any) -> list[Opened]:
        import pymodi

        handle = open_handle(pymodi.handle, stream, context.get("name", ""), "DMG")
        kind = "sparse image" if stream.read(0, 4) == _SPARSE else "udif"
        return [disk("dmg", handle, handle.media_size, (handle,), type=kind)]


register(ModiLayer())
