"""pytsk3's view of our read-only sources: TSK reads through our descriptors, never its own."""

from __future__ import annotations

import threading

import pytsk3

from triage.evidence.base import ImageSource
from triage.evidence.raw import RawImage
from triage.layers.base import Stream

# The Sleuth Kit is not promised to be safe when two threads read one image; every call into
# it for a given source goes through this source's lock (see TskLock users in walk/fswalk.py).


class TskImage(pytsk3.Img_Info):
    """An Img_Info whose reads are served by an ImageSource or a layer's stream (so no second
    open of evidence)."""

    def __init__(self, source: Stream) -> None:
        self._source = source
        self.lock = threading.RLock()
        # url="" stops pytsk3 opening anything itself; TSK_IMG_TYPE_EXTERNAL routes reads here.
        super().__init__(url="", type=pytsk3.TSK_IMG_TYPE_EXTERNAL)

    def read(self, offset: int, size: int) -> bytes:
        data = self._source.read(offset, size)
        if len(data) < size:
            # TSK treats a short read as an error; past the end of a truncated image we hand
            # back zeros so the walk goes on, and the walker records the truncation.
            data += b"\0" * (size - len(data))
        return data

    def get_size(self) -> int:
        return self._source.size

    def close(self) -> None:
        """The source owns the descriptor; nothing to close here."""


class NativeTskImage(pytsk3.Img_Info):
    """A raw image file or block device read by libtsk's own raw reader, without a Python hop.

    libtsk's raw image layer opens the path with O_RDONLY and has no write path at all, so this
    keeps evidence read-only; it saves a Python call per sector-sized read (about 10% of a walk).
    Past the end of a truncated image libtsk reports a read error instead of padding with zeros,
    so damaged areas show up as read errors rather than as made-up content.
    """

    def __init__(self, source: RawImage) -> None:
        self._source = source
        self.lock = threading.RLock()
        super().__init__(url=str(source.path))


AnyTskImage = TskImage | NativeTskImage


def open_tsk_image(source: ImageSource) -> AnyTskImage:
    """libtsk's view of `source`: native for raw files and devices, our reads for the rest."""
    if isinstance(source, RawImage):
        return NativeTskImage(source)
    return TskImage(source)


def read_safely(img: AnyTskImage, offset: int, length: int) -> bytes:
    """Bytes for a best guess (volume signatures): what can be read, b"" where nothing can."""
    try:
        return img.read(offset, max(0, min(length, img.get_size() - offset)))
    except OSError:
        return b""
