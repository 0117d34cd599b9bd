"""Files beside an image file (a VHD's parent, a VMDK's extents), opened read-only on demand."""

from __future__ import annotations

import stat
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from triage.errors import EvidenceError
from triage.evidence.base import EvidenceSource
from triage.evidence.raw import RawImage


def source_context(source: EvidenceSource, stack: ExitStack) -> dict[str, Any]:
    """What layers may use to open a source: its file name and the files beside it.

    Only a regular image file has neighbours; they are opened read-only like the source, and
    closed with it (`stack`). A block device's neighbours are other devices: never opened.
    """
    path = getattr(source, "path", None)
    if not isinstance(source, RawImage) or path is None or not Path(path).is_file():
        return {"name": source.name}
    folder = Path(path).parent

    def sibling(name: str) -> RawImage | None:
        if not name or "/" in name or name in (".", ".."):
            return None
        candidate = folder / name
        try:
            if not stat.S_ISREG(candidate.lstat().st_mode):
                return None
            return stack.enter_context(RawImage(candidate))
        except (OSError, EvidenceError):
            return None

    return {"name": Path(path).name, "sibling": sibling}
