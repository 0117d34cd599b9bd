"""Microsoft VHD and VHDX virtual disks (libvhdi), differencing disks with their parents."""

from __future__ import annotations

from typing import Any

from triage.layers.base import Layer, LayerError, Opened, Stream
from triage.layers.disks import disk, open_handle, parent_of
from triage.layers.registry import register

_VHDX = b"vhdxfile"
_VHD_FOOTER = b"conectix"


class VhdiLayer(Layer):
    """VHD (fixed, dynamic, differencing) and VHDX, as Hyper-V and Windows backup write them."""

    name = "vhd"

    def probe(self, head: bytes, stream: Stream) -> bool:
        if head.startswith((_VHDX, _VHD_FOOTER)):
            return True
        # A fixed VHD is a raw disk with a 512-byte footer at its very end.
        return stream.size >= 1024 and stream.read(stream.size - 512, 8) == _VHD_FOOTER

    def open(self, stream: Stream, **context: Any) -> list[Opened]:
        import pyvhdi

        handle, chain = _open_chain(pyvhdi, stream, context.get("name", ""),
                                    context.get("sibling"), 0)
        version = "vhdx" if stream.read(0, 8) == _VHDX else "vhd"
        kind = {pyvhdi.disk_types.FIXED: "fixed", pyvhdi.disk_types.DYNAMIC: "dynamic",
                pyvhdi.disk_types.DIFFERENTIAL: "differencing"}.get(handle.disk_type)
        return [disk(version, handle, handle.media_size, chain, type=kind,
                     parents=len(chain) - 1 or None)]


def _open_chain(pyvhdi: Any, stream: Stream, name: str, sibling: Any,
                depth: int) -> tuple[Any, tuple[Any, ...]]:
    """The handle of `stream` with every parent set; the handles to keep alive with it."""
    handle = open_handle(pyvhdi.file, stream, name, "VHD")
    if handle.disk_type != pyvhdi.disk_types.DIFFERENTIAL:
        return handle, (handle,)
    parent_name = handle.parent_filename
    parent = parent_of(parent_name, sibling, "VHD", depth)
    parent_handle, kept = _open_chain(pyvhdi, parent, parent_name or "", sibling, depth + 1)
    try:
        handle.set_parent(parent_handle)
    except OSError as exc:
        raise LayerError(f"VHD differencing disk: its parent {parent_name} does not match it "
                         "(another disk of the same name?); not opened.") from exc
    return handle, (handle, *kept)


register(VhdiLayer())
