"""pytsk3's view of our read-only sources: TSK reads through our descriptors, never its own."""

from __future__ import annotations

import threading

import pytsk3

from triage.evidence.base import ImageSource

# The Sleuth Kit is not promised to be safe when two threads read one image; every call into
# it for a given source goes through this source's lock (see TskLock users in walk/fswalk.py).


class TskImage(pytsk3.Img_Info):
    """An Img_Info whose reads are served by an ImageSource (so no second open of evidence)."""

    def __init__(self, source: ImageSource) -> None:
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
