"""What a layer is: a probe on a byte stream and an opener that offers the streams inside it."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Protocol


class Stream(Protocol):
    """Read-only random access to bytes: evidence sources, layer outputs and file contents."""

    size: int

    def read(self, offset: int, length: int) -> bytes:
        """Up to `length` bytes at `offset`; fewer only at the end of the stream."""


class LayerError(Exception):
    """A layer recognised its format but could not open it; the message is one sentence."""


@dataclass(frozen=True)
class Opened:
    """One stream a layer offers (a virtual disk's disk, a logical volume, a snapshot, a
    decrypted volume), with the label its files' addresses carry and facts for the report."""

    label: str  # one link of the address chain, e.g. "vmdk", "lvm vg0/home", "vss 2 (2026-10-03)"
    stream: Stream
    facts: dict[str, Any] = field(default_factory=dict)  # never a secret


class Layer(ABC):
    """A format that wraps other bytes. Registered once by name (see registry.register).

    `probe` looks only at the first bytes (and may read a little more from `stream`); it must
    be cheap and never raise. `open` returns the streams inside, or raises LayerError.
    """

    name: str
    #: Bytes `probe` wants to see at the start of the stream.
    probe_bytes: int = 4096

    @abstractmethod
    def probe(self, head: bytes, stream: Stream) -> bool: ...

    @abstractmethod
    def open(self, stream: Stream, **context: Any) -> list[Opened]: ...
