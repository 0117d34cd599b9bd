"""The scan's plan: every walked file, spilled to the output folder, read back by priority."""

from __future__ import annotations

import json
import mmap
import os
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

from triage.ledger.records import VolumeCoverage
from triage.ledger.serial import to_json
from triage.model import Address, Content, FileRecord, PartitionRef
from triage.report.atomic import atomic_file, full_disk_is_output_error

# Rebuilds a planned file's content when its turn comes: (record, token) -> content. The token
# is what the walker needs besides the record (a stream's attribute id, ...); JSON-able.
Opener = Callable[[FileRecord, Any], Content]


@dataclass
class PlannedVolume:
    """A walked volume (or folder): how to reopen its files, and its coverage entry."""

    source: str
    partition: PartitionRef
    opener: Opener
    lock: Any  # held while opening (the image's TSK lock), or None
    spec: int  # which of the scan's sources it is on (its index in the command line)
    info: VolumeCoverage  # its entry in the ledger's coverage


@dataclass(slots=True)
class Entry:
    """One planned file, read back from the spill: its volume, record and reopening token."""

    volume: int
    record: FileRecord
    token: Any
    readable: bool  # False: listed only (skipped by the walk, e.g. a sparse file)
    rank: int


# What the spill keeps of each record, derived from the dataclasses so that a field added to
# FileRecord or Address is planned too; the source and partition are the volume's.
_ADDRESS_IN_VOLUME = tuple(f.name for f in fields(Address) if f.name not in ("source",
                                                                              "partition"))
_RECORD_FIELDS = tuple(f.name for f in fields(FileRecord) if f.name != "address")
# The per-entry keys and their numpy types (see Plan.__init__).
_KEYS = {"rank": np.int8, "band": np.int8, "pos": np.int64, "vol": np.int32, "size": np.int64,
         "offset": np.int64}
_TYPECODES = {np.int8: "b", np.int32: "i", np.int64: "q"}


class Plan:
    """Records are spilled as JSON lines; only five integers per file stay in memory.

    A million files cost about 40 MB of keys here instead of ~300 MB of Python records, which
    keeps the scan inside issue 9's memory bound; the spill lives in the output folder and is
    deleted when the scan ends (it is also what `--resume` continues from).
    """

    FILE = "plan.jsonl"
    KEYS = "keys.npz"

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self._spill = open(folder / self.FILE, "w+b")  # noqa: SIM115 - lives as long as the plan
        self._map: mmap.mmap | None = None
        self._at = 0
        self.volumes: list[PlannedVolume] = []
        # Sort keys and offsets, one value per entry, in walk order.
        self._rank = array("b")
        self._band = array("b")
        self._pos = array("q")
        self._vol = array("i")
        self._size = array("q")  # bytes to read (0 when listed only)
        self._offset = array("q")

    def __len__(self) -> int:
        return len(self._offset)

    def add_volume(self, volume: PlannedVolume) -> int:
        self.volumes.append(volume)
        return len(self.volumes) - 1

    def add(self, volume: int, record: FileRecord, token: Any, readable: bool,
            rank: tuple[int, int], position: int | None) -> None:
        """Append one walked file; `position` is its first byte on disk when known."""
        a = record.address
        line = json.dumps([volume, [getattr(a, name) for name in _ADDRESS_IN_VOLUME],
                           [to_json(getattr(record, name)) for name in _RECORD_FIELDS],
                           token, readable, rank[0]], separators=(",", ":")).encode()
        self._offset.append(self._at)
        with full_disk_is_output_error(self.folder / self.FILE):
            self._spill.write(line + b"\n")
        self._at += len(line) + 1
        self._rank.append(rank[0])
        self._band.append(rank[1])
        # Unknown positions sort first within their band, in walk order (directory order,
        # which on these file systems roughly follows allocation).
        self._pos.append(-1 if position is None else position)
        self._vol.append(volume)
        self._size.append(record.size if readable else 0)

    def order(self) -> np.ndarray:
        """Entry indices in reading order: class, then size band, then disk position, volume."""
        with full_disk_is_output_error(self.folder / self.FILE):
            self._spill.flush()
        keys = (np.frombuffer(self._pos, dtype=np.int64),
                np.frombuffer(self._vol, dtype=np.int32),
                np.frombuffer(self._band, dtype=np.int8),
                np.frombuffer(self._rank, dtype=np.int8))
        # lexsort is stable, so equal keys keep walk order; the last key is the primary one.
        return np.lexsort((np.arange(len(self)), keys[1], keys[0], keys[2], keys[3]))

    def entry(self, index: int) -> Entry:
        # The line is sliced out of a map of the spill. A buffered seek and readline cost ~30 us
        # a file on the thread that also lists every result (cProfile of the household scan),
        # and a pread, like any system call, hands the GIL to a worker and waits to get it
        # back. A line added since the map was made maps the spill again.
        start = self._offset[index]
        end = self._offset[index + 1] if index + 1 < len(self._offset) else self._at
        if self._map is None or end > len(self._map):
            self._remap()
        assert self._map is not None  # noqa: S101 - an entry exists, so the spill is not empty
        vol, address, values, token, readable, rank = json.loads(self._map[start:end])
        volume = self.volumes[vol]
        record = FileRecord(
            Address(volume.source, volume.partition, **dict(zip(_ADDRESS_IN_VOLUME, address,
                                                               strict=True))),
            **dict(zip(_RECORD_FIELDS, values, strict=True)))
        return Entry(vol, record, token, readable, rank)

    def _remap(self) -> None:
        """Map the spill as written so far (flushed first); left unmapped while it is empty."""
        with full_disk_is_output_error(self.folder / self.FILE):
            self._spill.flush()
        if self._map is not None:
            self._map.close()
            self._map = None
        if self._at:
            self._map = mmap.mmap(self._spill.fileno(), 0, access=mmap.ACCESS_READ)

    def entries(self, indices: np.ndarray) -> Iterator[Entry]:
        for index in indices:
            yield self.entry(int(index))

    def totals(self, indices: np.ndarray | None = None) -> dict[tuple[int, int], list[int]]:
        """{(volume, class): [files, bytes to read]} over `indices` (all entries if None)."""
        vol = np.frombuffer(self._vol, dtype=np.int32)
        rank = np.frombuffer(self._rank, dtype=np.int8)
        size = np.frombuffer(self._size, dtype=np.int64)
        if indices is not None:
            vol, rank, size = vol[indices], rank[indices], size[indices]
        out: dict[tuple[int, int], list[int]] = {}
        if not len(vol):
            return out
        key = vol.astype(np.int64) * 256 + rank
        uniq, inverse = np.unique(key, return_inverse=True)
        files = np.bincount(inverse)
        sizes = np.bincount(inverse, weights=size.astype(np.float64))
        for k, n, b in zip(uniq.tolist(), files.tolist(), sizes.tolist(), strict=True):
            out[(k // 256, k % 256)] = [n, int(b)]
        return out

    def save(self) -> None:
        """Make the plan durable (spill and keys), so a killed scan can resume from it."""
        keys = self.folder / self.KEYS
        with full_disk_is_output_error(self.folder / self.FILE):
            self._spill.flush()
            os.fsync(self._spill.fileno())
        with atomic_file(keys) as handle:
            np.savez(handle, **{name: np.frombuffer(getattr(self, f"_{name}"), dtype=dtype)
                                for name, dtype in _KEYS.items()})

    @classmethod
    def load(cls, folder: Path) -> Plan:
        """The plan a killed scan saved (its volumes are attached again by the caller)."""
        plan = cls.__new__(cls)
        plan.folder = folder
        plan.volumes = []
        with np.load(folder / cls.KEYS) as saved:
            for name, dtype in _KEYS.items():
                values = array(_TYPECODES[dtype])
                values.frombytes(saved[name].astype(dtype).tobytes())
                setattr(plan, f"_{name}", values)
        plan._spill = open(folder / cls.FILE, "r+b")  # noqa: SIM115 - lives as long as the plan
        plan._map = None
        plan._at = plan._spill.seek(0, os.SEEK_END)
        return plan

    def close(self) -> None:
        if self._map is not None:
            self._map.close()
            self._map = None
        self._spill.close()

    def remove(self) -> None:
        self.close()
        try:
            for name in (self.FILE, self.KEYS):
                (self.folder / name).unlink(missing_ok=True)
            self.folder.rmdir()
        except OSError:
            pass  # best effort: a leftover spill is harmless and inside the output folder
