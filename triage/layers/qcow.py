"""QEMU QCOW and QCOW2 images (libqcow), with a backing file found beside them."""

from __future__ import annotations

from typing import Any

from triage.layers.base import Layer, LayerError, Opened, Stream
from triage.layers.disks import base_name, disk, open_handle, parent_of
from triage.layers.registry import register

_MAGIC = b"QFI\xfb"


class QcowLayer(Layer):
    """QCOW version 1, 2 and 3 (what qemu-img writes as qcow2)."""

    name = "qcow"

    def probe(self, head: bytes, stream: Stream) -> bool:
        return head.startswith(_MAGIC)

    def open(self, stream: Stream, **context: Any) -> list[Opened]:
        handle, keep = _open_chain(stream, context.get("name", ""), context.get("sibling"), 0)
        version = int.from_bytes(stream.read(4, 4), "big")
        return [disk("qcow2" if version > 1 else "qcow", handle, handle.media_size, keep,
                     backing_files=len(keep) - 1 or None)]


def _open_chain(stream: Stream, name: str, sibling: Any,
                depth: int) -> tuple[Any, tuple[Any, ...]]:
    import pyqcow

    handle = open_handle(pyqcow.file, stream, name, "QCOW")
    if handle.is_locked():
        raise LayerError(f"QCOW image {name} is encrypted and was left locked; its contents "
                         "were not examined.", kind="encrypted")
    backing = handle.backing_filename
    if not backing:
        return handle, (handle,)
    parent = parent_of(backing, sibling, "QCOW", depth)
    if parent.read(0, 4) != _MAGIC:
        raise LayerError(f"QCOW image {name}: its backing file {base_name(backing)} is not a "
                         "QCOW image (a raw backing file cannot be combined here); examine the "
                         "backing file on its own and this image in the lab.")
    parent_handle, kept = _open_chain(parent, base_name(backing), sibling, depth + 1)
    handle.set_parent(parent_handle)
    return handle, (handle, *kept)


register(QcowLayer())
