"""Building a block filter at the lab: distinctive block digests of every reference file."""

from __future__ import annotations

import os
from array import array
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from triage.blocks.digest import block_digests
from triage.blocks.policy import BLOCK_SIZE, MAX_BLOCKS_PER_FILE, RED_MIN_BLOCKS
from triage.blocks.probative import Dropped, classify
from triage.blocks.spill import Spill

# Reference files are read this much at a time (a video can be larger than memory allows).
PIECE = 16 << 20


@dataclass
class BuildStats:
    """What went into a filter and what was left out, by reason (written to its manifest)."""

    files: int = 0
    bytes: int = 0
    blocks: int = 0  # whole 4 KiB blocks hashed
    tail_bytes: int = 0  # bytes of partial last blocks, never hashed (they share a cluster)
    kept: int = 0
    dropped: Counter[str] = field(default_factory=Counter)
    capped_files: int = 0  # files that had more distinctive blocks than the per-file limit
    weak_files: int = 0  # files with fewer than RED_MIN_BLOCKS kept: an AMBER lead at most
    empty_files: int = 0  # files with no distinctive block at all: the quick pass cannot see them
    unreadable: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"files": self.files, "bytes": self.bytes, "blocks": self.blocks,
                "tail_bytes": self.tail_bytes, "kept": self.kept,
                "dropped": dict(sorted(self.dropped.items())),
                "capped_files": self.capped_files, "weak_files": self.weak_files,
                "empty_files": self.empty_files, "unreadable": len(self.unreadable)}

    def summary(self) -> str:
        dropped = ", ".join(f"{n:,} {why}" for why, n in sorted(self.dropped.items()) if n)
        return (f"{self.files:,} files, {self.blocks:,} blocks, {self.kept:,} distinctive kept"
                + (f"; dropped: {dropped}" if dropped else "")
                + (f"; {self.capped_files:,} files capped at their limit"
                   if self.capped_files else "")
                + (f"; {self.weak_files:,} files with fewer than {RED_MIN_BLOCKS} distinctive "
                   "blocks (AMBER at most)" if self.weak_files else "")
                + (f"; {self.empty_files:,} files with none (not findable by blocks)"
                   if self.empty_files else ""))


@dataclass(frozen=True)
class Compiled:
    """A filter's rows in memory, sorted by key, ready to write (small sets and tests)."""

    keys: np.ndarray  # uint64, sorted, unique
    confirms: np.ndarray  # uint64, same order
    refs: np.ndarray  # uint32: which reference file
    blocks: np.ndarray  # uint32: block number inside it (offset / 4096)
    ref_kept: np.ndarray  # uint32 per reference: distinctive blocks kept
    ref_sizes: np.ndarray  # uint64 per reference: file size
    ref_categories: np.ndarray  # uint16 per reference: 1-based index into categories, 0 none

    @property
    def count_bound(self) -> int:
        return len(self.keys)

    def parts(self) -> Iterator[Part]:
        yield self.keys, self.confirms, self.refs, self.blocks


Part = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # keys, confirms, refs, blocks


def _pieces(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while piece := handle.read(PIECE):
            yield piece


class FilterBuilder:
    """Collects the blocks of reference files (spilled to disk, see spill.py); `compile` keeps
    the distinctive ones. Memory: one reference file's block digests plus ~24 MiB of buffer."""

    def __init__(self, *, max_per_file: int = MAX_BLOCKS_PER_FILE,
                 known_good: np.ndarray | None = None, spill_dir: Path | None = None) -> None:
        if max_per_file < 1:
            raise ValueError("max_per_file must be at least 1.")
        self.max_per_file = max_per_file
        self.known_good = known_good  # sorted unique uint64 keys, or None
        self.stats = BuildStats()
        self.references: list[str] = []
        self.categories: list[str] = []
        self._sizes = array("Q")  # 8 bytes a reference (a list of ints takes 36)
        self._category: list[int] = []
        self.spill = Spill(spill_dir)

    def add_pieces(self, pieces: Iterator[bytes], reference: str,
                   category: str | None = None) -> None:
        """Add one reference file given as consecutive pieces (each a multiple of 4 KiB but the
        last)."""
        parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        size = 0
        block = 0
        tail = 0
        for piece in pieces:
            size += len(piece)
            whole = len(piece) // BLOCK_SIZE
            if whole:
                arr = np.frombuffer(piece, dtype=np.uint8, count=whole * BLOCK_SIZE)
                reasons = classify(arr.reshape(whole, BLOCK_SIZE))
                keep = np.array([r is None for r in reasons], dtype=bool)
                self.stats.dropped.update(str(r) for r in reasons if r is not None)
                keys, confirms = block_digests(piece)
                numbers = np.arange(block, block + whole, dtype=np.uint32)
                parts.append((keys[keep], confirms[keep], numbers[keep]))
                block += whole
            tail += len(piece) % BLOCK_SIZE
        if parts:
            keys, confirms, numbers = (np.concatenate(p) for p in zip(*parts, strict=True))
        else:
            keys = confirms = np.zeros(0, dtype=np.uint64)
            numbers = np.zeros(0, dtype=np.uint32)
        self.add_digests(reference, keys, confirms, numbers, size, category)
        self.stats.tail_bytes += tail
        self.stats.blocks += block

    def add_digests(self, reference: str, keys: np.ndarray, confirms: np.ndarray,
                    numbers: np.ndarray, size: int, category: str | None = None) -> None:
        """Add one reference file by the digests of its probative blocks (block `numbers`, in
        file order): capped here and spilled; shared and known-good blocks go at the merge."""
        ref = len(self.references)
        keep = self._cap(keys)
        self.spill.add(keys[keep], confirms[keep], np.full(int(keep.sum()), ref, np.uint32),
                       numbers[keep])
        self.references.append(reference)
        self._sizes.append(size)
        self._category.append(self._category_index(category))
        self.stats.files += 1
        self.stats.bytes += size

    def add_file(self, path: Path, reference: str, category: str | None = None) -> bool:
        """Add a reference file; False (and counted) when it cannot be read."""
        try:
            self.add_pieces(_pieces(path), reference, category)
        except OSError as exc:
            self.stats.unreadable.append(f"{path}: cannot be read ({exc.strerror})")
            return False
        return True

    def _category_index(self, category: str | None) -> int:
        if not category:
            return 0
        if category not in self.categories:
            self.categories.append(category)
        return self.categories.index(category) + 1

    def _cap(self, keys: np.ndarray) -> np.ndarray:
        """At most max_per_file different blocks of a file, spread evenly over it (chosen among
        each block's first copy in the file; every copy of a block not chosen is dropped). The
        cap comes before the shared-block rule, so that memory stays bounded: a capped file may
        keep fewer than the limit when chosen blocks are shared; the statistics count it."""
        keep = np.ones(len(keys), dtype=bool)
        if len(keys) <= self.max_per_file:
            return keep
        _, first = np.unique(keys, return_index=True)
        over = len(first) - self.max_per_file
        if over <= 0:
            return keep
        first.sort()
        chosen = first[np.linspace(0, len(first) - 1, self.max_per_file).round().astype(int)]
        keep = np.isin(keys, keys[chosen])
        self.stats.dropped[str(Dropped.CAPPED)] += over
        self.stats.dropped[str(Dropped.REPEATED)] += int((~keep).sum()) - over
        self.stats.capped_files += 1
        return keep

    def compile(self) -> SpilledBuild:
        """The filter's rows, merged from the spill one key range at a time as it is written."""
        return SpilledBuild(self)

    def merge(self, rows: np.ndarray) -> Part:
        """One partition's kept rows, sorted by key: shared, repeated and known-good dropped."""
        rows = rows[np.lexsort((rows["block"], rows["ref"], rows["key"]))]
        keys, confirms, refs, blocks = rows["key"], rows["confirm"], rows["ref"], rows["block"]
        keep = self._distinct(keys, refs)
        if self.known_good is not None and len(self.known_good) and len(keys):
            pos = np.searchsorted(self.known_good, keys).clip(0, len(self.known_good) - 1)
            good = (self.known_good[pos] == keys) & keep
            self.stats.dropped[str(Dropped.KNOWN_GOOD)] += int(good.sum())
            keep &= ~good
        return keys[keep], confirms[keep], refs[keep], blocks[keep]

    def _distinct(self, keys: np.ndarray, refs: np.ndarray) -> np.ndarray:
        """Keep a key only when one reference file holds it (its first copy there)."""
        n = len(keys)
        if n == 0:
            return np.zeros(0, dtype=bool)
        starts = np.r_[True, keys[1:] != keys[:-1]]
        group = np.cumsum(starts) - 1
        first_ref = refs[starts][group]
        mixed = np.zeros(int(group[-1]) + 1, dtype=bool)
        np.logical_or.at(mixed, group, refs != first_ref)
        shared = mixed[group]
        repeated = ~starts & ~shared
        self.stats.dropped[str(Dropped.SHARED)] += int(shared.sum())
        self.stats.dropped[str(Dropped.REPEATED)] += int(repeated.sum())
        return starts & ~shared


class SpilledBuild:
    """A builder's rows, merged partition by partition as they are written; `ref_kept` and the
    statistics are final once `parts()` has run to the end."""

    def __init__(self, builder: FilterBuilder) -> None:
        self._builder = builder
        self.count_bound = builder.spill.rows  # before shared blocks go: sizes the tables
        self.ref_sizes = np.frombuffer(builder._sizes, dtype=np.uint64).astype("<u8")
        self.ref_categories = np.array(builder._category, dtype="<u2")
        self._kept = np.zeros(len(builder.references), dtype=np.int64)

    @property
    def ref_kept(self) -> np.ndarray:
        return self._kept.astype("<u4")

    def parts(self) -> Iterator[Part]:
        builder = self._builder
        try:
            for rows in builder.spill.partitions():
                part = builder.merge(rows)
                self._kept += np.bincount(part[2], minlength=len(self._kept))
                yield part
        finally:
            builder.spill.close()
        stats = builder.stats
        stats.kept = int(self._kept.sum())
        stats.weak_files = int(((self._kept > 0) & (self._kept < RED_MIN_BLOCKS)).sum())
        stats.empty_files = int((self._kept == 0).sum())


def walk_files(folder: Path) -> Iterator[tuple[Path, str]]:
    """(path, reference) of every regular file under `folder`, sorted, links not followed."""
    for root, dirs, files in os.walk(folder, followlinks=False):
        dirs.sort()
        for name in sorted(files):
            path = Path(root) / name
            if path.is_symlink() or not path.is_file():
                continue
            yield path, path.relative_to(folder).as_posix()


def known_good_keys(folders: list[Path]) -> np.ndarray:
    """Sorted unique keys of every 4 KiB block of every file under `folders` (no filtering:
    any block the known-good corpus holds is not distinctive)."""
    parts = []
    for folder in folders:
        for path, _ in walk_files(folder):
            try:
                for piece in _pieces(path):
                    parts.append(block_digests(piece)[0])
            except OSError:
                continue  # an unreadable system file only means fewer blocks are ruled out
    if not parts:
        return np.zeros(0, dtype=np.uint64)
    keys = np.sort(np.concatenate(parts))
    return keys[np.r_[True, keys[1:] != keys[:-1]]]  # unique (np.unique is far slower here)
