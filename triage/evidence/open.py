"""Choosing the right evidence source for what the user named on the command line."""

from __future__ import annotations

import re
import stat
from pathlib import Path

from triage.errors import EvidenceError
from triage.evidence.base import EvidenceSource
from triage.evidence.blockdev import BlockDevice
from triage.evidence.directory import DirectorySource
from triage.evidence.ewf import EwfImage
from triage.evidence.raw import RawImage
from triage.evidence.split import SplitRawImage, first_segment

_EWF = re.compile(r"\.(e01|ex01|s01|l01)$", re.IGNORECASE)


def open_source(spec: str) -> EvidenceSource:
    """Open a block device, an image (raw, split raw, E01) or a folder, read-only."""
    path = Path(spec)
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError as exc:
        raise EvidenceError(f"{spec}: no such file, folder or device.") from exc
    except OSError as exc:
        raise EvidenceError(f"{spec}: cannot be examined ({exc.strerror}).") from exc
    if stat.S_ISLNK(mode):
        # A link named on the command line is the user's choice; resolve it once, here.
        path = path.resolve()
        mode = path.stat().st_mode
    if stat.S_ISDIR(mode):
        return DirectorySource(path)
    if stat.S_ISBLK(mode):
        return BlockDevice(path)
    if not stat.S_ISREG(mode):
        raise EvidenceError(f"{spec} is neither a disk, an image file nor a folder.")
    if _EWF.search(path.name):
        return EwfImage(path)
    first = first_segment(path)
    if first is not None:
        return SplitRawImage(first)
    return RawImage(path)
