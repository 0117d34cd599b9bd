"""Who holds a block found on the disk: a file (allocated or deleted) or unallocated space."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from triage.model import FileRecord
from triage.walk.fswalk import WalkStats, WarnFn, walk_volume
from triage.walk.tskimage import AnyTskImage
from triage.walk.volumes import Volume

ALLOCATED = "allocated file"
DELETED = "deleted file"
UNALLOCATED = "unallocated space"
OUTSIDE = "outside any examined file system"


@dataclass(frozen=True)
class Owner:
    """Where a found block lies, as the report prints it."""

    address: str
    kind: str  # ALLOCATED | DELETED | UNALLOCATED | OUTSIDE
    record: FileRecord | None = None  # the file, when a file holds the block


def _volume_label(source: str, volume: Volume) -> str:
    return f"{source} · p{volume.index}@{volume.offset} {volume.fs_type}"


def map_owners(source: str, img: AnyTskImage, volumes: list[Volume], offsets: np.ndarray,
               warn: WarnFn) -> dict[int, Owner]:
    """The owner of each disk offset (of a 4 KiB block found by the quick pass).

    For each file system holding hits, its files are walked once (allocated and deleted
    entries, as the file scan lists them) and their data runs intersected with the hits: the
    logic of TSK's ifind, done for all hits in one walk.
    """
    owners: dict[int, Owner] = {}
    wanted_all = np.unique(offsets.astype(np.int64))
    for volume in volumes:
        inside = wanted_all[(wanted_all >= volume.offset)
                            & (wanted_all < volume.offset + volume.size)]
        if not len(inside) or volume.fs is None:
            continue
        block = int(volume.fs.info.block_size)
        fs_blocks = (inside - volume.offset) // block
        order = np.argsort(fs_blocks, kind="stable")
        fs_blocks, inside = fs_blocks[order], inside[order]
        found: dict[int, Owner] = {}
        for record, content in walk_volume(img, source, volume, warn, WalkStats()):
            if content is None:
                continue
            for start, length in content.data_runs():
                lo = np.searchsorted(fs_blocks, start)
                hi = np.searchsorted(fs_blocks, start + length)
                for i in range(lo, hi):
                    offset = int(inside[i])
                    known = found.get(offset)
                    if known is None or (known.kind == DELETED and not record.deleted):
                        found[offset] = Owner(str(record.address),
                                              DELETED if record.deleted else ALLOCATED, record)
        unallocated = Owner(f"{_volume_label(source, volume)} · unallocated space", UNALLOCATED)
        for offset in inside.tolist():
            owners[offset] = found.get(offset, unallocated)
    outside = Owner(f"{source} · outside any examined file system", OUTSIDE)
    for offset in wanted_all.tolist():
        owners.setdefault(offset, outside)
    return owners
