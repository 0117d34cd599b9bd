"""VMware VMDK virtual disks (libvmdk): monolithic, split and multi-extent, with parents."""

from __future__ import annotations

from typing import Any

from triage.layers.base import Layer, LayerError, Opened, Stream
from triage.layers.disks import base_name, disk, open_handle, parent_of
from triage.layers.registry import register
from triage.layers.streams import StreamFile

_SPARSE = (b"KDMV", b"COWD")  # hosted sparse extent; ESX sparse extent
_DESCRIPTOR = b"# Disk DescriptorFile"


class VmdkLayer(Layer):
    """A VMDK: a sparse extent holding its descriptor, or a descriptor naming its extents."""

    name = "vmdk"

    def probe(self, head: bytes, stream: Stream) -> bool:
        return head.startswith(_SPARSE) or head.lstrip(b"\xef\xbb\xbf").startswith(_DESCRIPTOR)

    def open(self, stream: Stream, **context: Any) -> list[Opened]:
        handle, keep = _open_chain(stream, context.get("name", ""), context.get("sibling"), 0)
        return [disk("vmdk", handle, handle.media_size, keep,
                     extents=handle.number_of_extents, parents=len(keep) // 2 - 1 or None)]


def _open_chain(stream: Stream, name: str, sibling: Any,
                depth: int) -> tuple[Any, tuple[Any, ...]]:
    import pyvmdk

    handle = open_handle(pyvmdk.handle, stream, name, "VMDK")
    files = []
    for index in range(handle.number_of_extents):
        extent_name = base_name(handle.get_extent_descriptor(index).filename or "")
        if extent_name == name or (not extent_name and handle.number_of_extents == 1):
            files.append(StreamFile(stream, name))  # the descriptor is inside this extent
            continue
        found = sibling(extent_name) if sibling is not None else None
        if found is None:
            raise LayerError(f"VMDK {name}: its extent {extent_name} is not beside it, so its "
                             "contents cannot be read; copy every extent file next to it and "
                             "scan again.")
        files.append(StreamFile(found, extent_name))
    try:
        handle.open_extent_data_files_as_file_objects(files)
    except OSError as exc:
        raise LayerError(f"VMDK {name}: its extent files could not be opened "
                         f"({str(exc).strip().splitlines()[-1]}).") from exc
    kept: tuple[Any, ...] = (handle, files)
    parent_name = handle.parent_filename
    if parent_name:
        parent = parent_of(parent_name, sibling, "VMDK", depth)
        parent_handle, parent_kept = _open_chain(parent, base_name(parent_name), sibling,
                                                 depth + 1)
        handle.set_parent(parent_handle)
        kept = (*kept, *parent_kept)
    return handle, kept


register(VmdkLayer())
