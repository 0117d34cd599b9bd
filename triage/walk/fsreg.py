"""File systems The Sleuth Kit lacks (APFS), each walked by its own registered walker."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import Any

from triage.layers.base import Stream

# Probes read this much of a volume's start.
PROBE_BYTES = 4096


class FsWalker(ABC):
    """A file system format: a probe, and the volumes (walk.reached.Reached) it holds."""

    name: str

    @abstractmethod
    def probe(self, head: bytes, stream: Stream) -> bool: ...

    @abstractmethod
    def reach(self, stream: Stream, chain: str, layers: tuple[str, ...], volume: Any,
              sink: Any, context: dict[str, Any] | None = None) -> Iterator[Any]:
        """Every volume inside `stream` (a Reached each), opened or named with its reason;
        `context` is the layers' (its `keyring` unlocks encrypted volumes)."""


FS_WALKERS: dict[str, FsWalker] = {}


def register(walker: FsWalker) -> FsWalker:
    """Add a file system walker; registering a name twice is a bug."""
    if walker.name in FS_WALKERS:
        raise ValueError(f"file system walker {walker.name!r} is registered twice")
    FS_WALKERS[walker.name] = walker
    return walker


def identify_fs(stream: Stream) -> FsWalker | None:
    """The first registered walker whose probe accepts `stream`, or None."""
    if not FS_WALKERS:
        return None
    try:
        head = stream.read(0, min(PROBE_BYTES, stream.size))
    except OSError:
        return None
    for walker in FS_WALKERS.values():
        try:
            if walker.probe(head, stream):
                return walker
        except Exception:  # noqa: BLE001, S112 - a probe must never stop the walk
            continue
    return None
