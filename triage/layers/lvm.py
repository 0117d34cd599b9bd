"""Linux LVM2 (libvslvm): each logical volume of a volume group as a stream of its own."""

from __future__ import annotations

from typing import Any

from triage.layers.base import Layer, LayerError, Opened, Stream
from triage.layers.disks import short_error
from triage.layers.registry import register
from triage.layers.streams import HandleStream, StreamFile

_LABEL = b"LABELONE"  # in one of the first four sectors of a physical volume


class LvmLayer(Layer):
    """A physical volume; its volume group's logical volumes are what is walked."""

    name = "lvm"
    probe_bytes = 2048

    def probe(self, head: bytes, stream: Stream) -> bool:
        return any(head[n * 512 : n * 512 + 8] == _LABEL for n in range(4))

    def open(self, stream: Stream, **context: Any) -> list[Opened]:
        import pyvslvm

        name = context.get("address", "")
        handle = pyvslvm.handle()
        pv = StreamFile(stream)
        try:
            handle.open_file_object(pv)
            handle.open_physical_volume_files_as_file_objects([pv])
            group = handle.get_volume_group()
        except OSError as exc:
            raise LayerError(f"LVM physical volume {name} could not be opened "
                             f"({short_error(exc)}); a volume group spread over several disks "
                             "needs them all.") from exc
        if group.number_of_physical_volumes > 1:
            raise LayerError(f"LVM volume group {group.name} spans "
                             f"{group.number_of_physical_volumes} physical volumes; only "
                             "single-disk groups are opened here, examine it in the lab.")
        out = []
        for lv in group.logical_volumes:
            out.append(Opened(f"lvm {group.name}/{lv.name}", HandleStream(lv, lv.size,
                                                                          (handle, pv)),
                              {"volume_group": group.name, "logical_volume": lv.name}))
        return out


register(LvmLayer())
