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
    """A layer recognised its format but could not open it; the message is one sentence.

    `kind` is the coverage gap it leaves (a ledger GapKind value): "unsupported" for a format
    that cannot be read (a VHD whose parent is missing), "encrypted" for one left locked.
    """

    def __init__(self, message: str, *, kind: str = "unsupported") -> None:
        super().__init__(message)
        self.kind = kind


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
    `open`'s context (all optional): `address` (the chain so far, for messages), `name` (the
    file name when the stream is a file), `sibling` (name -> Stream | None: a file beside it,
    for a VHD's parent or a VMDK's extents).
    """

    name: str
    #: Bytes `probe` wants to see at the start of the stream.
    probe_bytes: int = 4096
    #: False: the layer wraps the stream, whose own contents are only what `open` offers (a
    #: virtual disk, LVM, encryption). True: the stream is examined as it is and the layer
    #: offers extra views beside it (Volume Shadow Copies of an NTFS volume).
    beside: bool = False

    @abstractmethod
    def probe(self, head: bytes, stream: Stream) -> bool: ...

    @abstractmethod
    def open(self, stream: Stream, **context: Any) -> list[Opened]: ...
