"""A volume the layered walk arrived at, and the sink it records gaps and problems through."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from triage.model import PartitionRef
from triage.walk.fswalk import WalkStats, WarnFn, reopen, walk_volume
from triage.walk.tskimage import AnyTskImage
from triage.walk.usage import used_bytes
from triage.walk.volumes import Volume


class Sink(Protocol):
    """Where the walk records what it could not examine and what went wrong (the ledger)."""

    def warn(self, address: str, stage: str, message: str) -> None: ...

    def gap(self, kind: str, source: str, what: str, reason: str, *, size: int | None = None,
            offset: int | None = None) -> None: ...


@dataclass
class Reached:
    """One volume the walk arrived at: examined when `volume.fs` is open, else with a reason."""

    source: str  # the address chain down to the volume system ("disk.vmdk · vmdk")
    layers: tuple[str, ...]  # every layer passed, outermost first, partitions included
    img: AnyTskImage | None
    volume: Volume
    scheme: str = "none"  # the volume system the volume came from ("gpt", "dos", "none")
    facts: dict[str, Any] = field(default_factory=dict)  # layer facts for the report
    snapshot_of: tuple[str, int, int] | None = None  # the live volume's key, for a snapshot
    has_snapshots: bool = False

    @property
    def key(self) -> tuple[str, int, int]:
        """What finds this volume again on resume: its chain, index and offset."""
        return (self.source, self.volume.index, self.volume.offset)

    @property
    def examined(self) -> bool:
        return self.volume.fs is not None

    @property
    def lock(self) -> Any:
        return None if self.img is None else self.img.lock

    def info(self) -> dict[str, Any]:
        """The coverage entry (the report's coverage.volumes[] item)."""
        out = self.volume.to_dict(self.source)
        out["layers"] = [*self.layers, self.volume.fs_type]
        others = {key: value for key, value in self.facts.items() if key != "encryption"}
        if others:
            out["layer_facts"] = others
        encryption = self.facts.get("encryption")
        if encryption is not None:
            # Locked or unlocked, an encrypted volume is a fact rules look at (no-encryption).
            out["encryption"] = encryption
        return out

    def walk(self, warn: WarnFn, stats: WalkStats) -> Iterator[tuple[Any, Any]]:
        assert self.img is not None  # noqa: S101 - TSK volumes have an image
        return walk_volume(self.img, self.source, self.volume, warn, stats)

    def opener(self) -> Callable[[Any, Any], Any]:
        img, fs = self.img, self.volume.fs
        return lambda record, token: reopen(img, fs, record.address.meta_addr, record.size,
                                            token)

    def partition(self) -> PartitionRef:
        return PartitionRef(self.volume.index, self.volume.offset, self.volume.fs_type)

    def used_bytes(self) -> int | None:
        assert self.img is not None  # noqa: S101
        return used_bytes(self.img, self.volume.fs, self.volume.fs_type, self.volume.offset)

    def geometry(self) -> tuple[int, int] | None:
        """(block size, offset) for ordering reads by disk position."""
        fs = self.volume.fs
        return None if fs is None else (fs.info.block_size, self.volume.offset)


