"""Volume Shadow Copies (libvshadow): each snapshot of an NTFS volume, beside the volume."""

from __future__ import annotations

import datetime as dt
from typing import Any

from triage.layers.base import Layer, LayerError, Opened, Stream
from triage.layers.disks import short_error
from triage.layers.registry import register
from triage.layers.streams import HandleStream, StreamFile

_NTFS = b"NTFS    "
# The shadow copy volume header sits at this offset of the volume it belongs to.
_VSS_HEADER = 0x1E00
_VSS_IDENTIFIER = bytes.fromhex("6b87083876c1484eb7ae04046e6cc752")


class VssLayer(Layer):
    """The snapshots Windows keeps of an NTFS volume (restore points, "previous versions")."""

    name = "vss"
    beside = True

    def probe(self, head: bytes, stream: Stream) -> bool:
        return head[3:11] == _NTFS and stream.read(_VSS_HEADER, 16) == _VSS_IDENTIFIER

    def open(self, stream: Stream, **context: Any) -> list[Opened]:
        import pyvshadow

        volume = pyvshadow.volume()
        file = StreamFile(stream)
        try:
            volume.open_file_object(file)
            stores = [volume.get_store(n) for n in range(volume.number_of_stores)]
        except OSError as exc:
            raise LayerError(f"the shadow copies of {context.get('address', 'this volume')} "
                             f"could not be read ({short_error(exc)}).") from exc
        out = []
        for number, store in enumerate(stores, start=1):
            created = store.creation_time.replace(tzinfo=dt.UTC)
            when = created.strftime("%Y-%m-%d %H:%M:%S UTC")
            out.append(Opened(f"vss {number} ({created:%Y-%m-%d %H:%M})",
                              HandleStream(store, store.volume_size, (volume, file)),
                              {"snapshot": f"shadow copy {number} of {when}",
                               "shadow_copy": number, "created": created.isoformat(),
                               "identifier": str(store.identifier)}))
        return out


register(VssLayer())
