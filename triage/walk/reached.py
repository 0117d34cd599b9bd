"""A volume the layered walk arrived at, and the sink it records gaps and problems through."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from triage.ledger.records import GapKind
from triage.model import PartitionRef
from triage.walk.fswalk import WalkStats, WarnFn, reopen, walk_volume
from triage.walk.tskimage import AnyTskImage
from triage.walk.usage import used_bytes
from triage.walk.volumes import Volume


class Sink(Protocol):
    """Where the walk records what it could not examine and what went wrong: the scan's
    triage.ledger.Ledger (these are its methods), or a stand-in inside a container."""

    def problem(self, address: str, stage: str, message: str) -> Any: ...

    def gap(self, kind: GapKind, address: str, reason: str, *, size: int | None = None,
            offset: int | None = None, what: str = "") -> Any: ...


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

    def coverage(self) -> dict[str, Any]:
        """The facts of its coverage entry (triage.ledger.VolumeCoverage's fields)."""
        volume = self.volume
        facts = {key: value for key, value in self.facts.items() if key != "encryption"}
        return {"source": self.source, "index": volume.index, "offset": volume.offset,
                "size": volume.size, "description": volume.description, "fs": volume.fs_type,
                "layers": [*self.layers, volume.fs_type], "layer_facts": facts or None,
                "encryption": self.facts.get("encryption")}

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


