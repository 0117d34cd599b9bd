"""What the virtual disk layers share: opening a libyal image with its parents beside it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from triage.layers.base import LayerError, Opened, Stream
from triage.layers.streams import HandleStream, StreamFile

# A differencing disk's chain of parents is followed this far (VHD, VMDK, QCOW2 all allow
# chains; a longer one is a crafted loop).
MAX_PARENTS = 16

Sibling = Callable[[str], Stream | None]
# The labels virtual disk layers give the disk they open (the first link of its chain).
VIRTUAL_DISKS = frozenset({"dmg", "qcow", "qcow2", "vdi", "vhd", "vhdx", "vmdk"})


def base_name(path: str) -> str:
    """The file name of a parent path as Windows, macOS or Linux wrote it."""
    return path.replace("\\", "/").rsplit("/", 1)[-1]


def open_handle(factory: Callable[[], Any], stream: Stream, name: str, fmt: str) -> Any:
    """A libyal handle opened on `stream` through a read-only file object."""
    handle = factory()
    try:
        handle.open_file_object(StreamFile(stream, name))
    except OSError as exc:
        raise LayerError(f"{fmt} image {name or ''} could not be opened ({short_error(exc)})."
                         .replace("  ", " ")) from exc
    return handle


def parent_of(parent_path: str | None, sibling: Sibling | None, fmt: str,
              depth: int) -> Stream:
    """The stream of a differencing image's parent, found beside it; a missing one is a gap."""
    name = base_name(parent_path or "")
    if depth >= MAX_PARENTS:
        raise LayerError(f"{fmt} differencing disk: more than {MAX_PARENTS} parents; not opened "
                         "(a safety limit).")
    found = sibling(name) if (sibling is not None and name) else None
    if found is None:
        raise LayerError(f"{fmt} differencing disk: its parent {name or '(unnamed)'} is not "
                         "beside it, so its contents cannot be read; copy the parent next to it "
                         "and scan again.")
    return found


def disk(label: str, handle: Any, size: int, keep: tuple[Any, ...], **facts: Any) -> Opened:
    """The one stream a virtual disk offers: its disk, read through the handle."""
    return Opened(label, HandleStream(handle, size, keep), {k: v for k, v in facts.items()
                                                             if v is not None})


def short_error(exc: BaseException) -> str:
    """libyal's error text is a call stack ("fn: what. fn2: why."); its first clause says it."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    first = text.split(". ")[0].rstrip(".")
    return first.split(": ", 1)[-1]
