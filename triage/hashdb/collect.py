"""Gathers imported digests in memory and compiles them to sorted, de-duplicated arrays."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from triage.hashdb.algorithms import WIDTHS
from triage.hashdb.columns import CATEGORY, COLUMNS, REFERENCE
from triage.hashdb.policy import severity_for
from triage.hashdb.setinfo import ImportStats, SetInfo

_FLUSH_EVERY = 65536  # single adds are buffered in lists and turned into arrays this often


@dataclass
class SortedDigests:
    """One algorithm's entries, sorted by digest: a uint64 key of the first 8 bytes + the rest."""

    keys: np.ndarray  # (n,) little-endian uint64 holding the big-endian first 8 bytes
    tails: np.ndarray  # (n, width - 8) uint8
    columns: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.keys)

    def digests(self) -> np.ndarray:
        """The full digests again as an (n, width) uint8 array."""
        head = self.keys.astype(">u8").view(np.uint8).reshape(-1, 8)
        return np.concatenate([head, self.tails], axis=1)


def split_digests(digests: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(keys, tails) for an (n, width) uint8 digest array."""
    digests = np.ascontiguousarray(digests, dtype=np.uint8)
    keys = digests[:, :8].copy().view(">u8").ravel().astype("<u8")
    return keys, np.ascontiguousarray(digests[:, 8:])


def _tail_words(tails: np.ndarray) -> list[np.ndarray]:
    """The tail bytes as big-endian integer columns, most significant first (for sorting)."""
    pad = (-tails.shape[1]) % 8
    if pad:
        tails = np.concatenate([tails, np.zeros((len(tails), pad), np.uint8)], axis=1)
    words = np.ascontiguousarray(tails).view(">u8")
    return [words[:, i].astype("<u8") for i in range(words.shape[1])]


class EntryCollector:
    """Receives entries from importers; `compile` sorts them and drops duplicates."""

    def __init__(self, info: SetInfo, stats: ImportStats | None = None) -> None:
        self.info = info
        self.stats = stats if stats is not None else ImportStats()
        self.categories: list[str] = []  # id = index + 1
        self._category_ids: dict[str, int] = {}
        self.references: list[str] = []
        self._reference_ids: dict[str, int] = {}
        self._chunks: dict[str, list[tuple[np.ndarray, dict[str, np.ndarray]]]] = {
            name: [] for name in WIDTHS
        }
        self._pending: dict[str, tuple[list[bytes], dict[str, list[int]]]] = {}
        self.default_category = self.category_id(info.category)
        # Algorithms that received a digest without the SHA-256 of the same file beside it
        # (every importer's add and add_many); see sha256_covers.
        self._alone: set[str] = set()
        self._present: set[str] = set()  # algorithms with at least one digest

    def add_file(self, digests: Mapping[str, bytes], *, category: str | None = None,
                 reference: str | None = None) -> None:
        """Every digest of one file (add-images, add-files): with its SHA-256 among them, the
        others are covered by it (sha256_covers)."""
        for algorithm, digest in digests.items():
            self._add(algorithm, digest, category=category, reference=reference)
        if "sha256" not in digests:
            self._alone.update(digests)

    def sha256_covers(self) -> list[str]:
        """The other algorithms every one of whose digests came with its file's SHA-256: a scan
        that computes SHA-256 finds each of their entries through it, so it need not compute
        them (MD5 and SHA-1 took 6 of the household disk scan's 64 CPU-seconds)."""
        if "sha256" not in self._present:
            return []
        return sorted(self._present - self._alone - {"sha256"})

    def category_id(self, category: str | None) -> int:
        if category is None or category == "":
            return CATEGORY.missing
        found = self._category_ids.get(category)
        if found is None:
            self.categories.append(category)
            found = self._category_ids[category] = len(self.categories)
            if found > 0xFFFF:
                raise ValueError("a hash set can hold at most 65535 distinct categories.")
        return found

    def reference_id(self, reference: str | None) -> int:
        if not reference:
            return REFERENCE.missing
        found = self._reference_ids.get(reference)
        if found is None:
            self.references.append(reference)
            found = self._reference_ids[reference] = len(self.references) - 1
        return found

    def add(
        self,
        algorithm: str,
        digest: bytes,
        *,
        category: str | None = None,
        reference: str | None = None,
        extra: Mapping[str, int] | None = None,
    ) -> None:
        """One entry; `category` None means the set's default category."""
        self._alone.add(algorithm)
        self._add(algorithm, digest, category=category, reference=reference, extra=extra)

    def _add(self, algorithm: str, digest: bytes, *, category: str | None = None,
             reference: str | None = None, extra: Mapping[str, int] | None = None) -> None:
        self._present.add(algorithm)
        digests, cols = self._pending.setdefault(algorithm, ([], {}))
        row = len(digests)
        digests.append(digest)
        values = {
            CATEGORY.name: self.category_id(category) if category else self.default_category,
            REFERENCE.name: self.reference_id(reference),
            **(extra or {}),
        }
        for name, value in values.items():
            column = cols.get(name)
            if column is None:
                column = cols[name] = [COLUMNS[name].missing] * row
            column.append(value)
        for name, column in cols.items():
            if len(column) == row:
                column.append(COLUMNS[name].missing)
        if len(digests) >= _FLUSH_EVERY:
            self._flush(algorithm)

    def add_many(
        self,
        algorithm: str,
        digests: np.ndarray,
        *,
        category: str | None = None,
        columns: dict[str, np.ndarray] | None = None,
        covered: bool = False,
    ) -> None:
        """Many entries as an (n, width) uint8 array (the fast path), with one category or
        with ready-made column arrays whose ids already belong to this collector. `covered`:
        each came with its file's SHA-256, also in this set (carried over from a version
        whose manifest says so)."""
        if len(digests) == 0:
            return
        if not covered:
            self._alone.add(algorithm)
        self._present.add(algorithm)
        if columns is None:
            cat = self.category_id(category) if category else self.default_category
            columns = {CATEGORY.name: np.full(len(digests), cat, dtype=CATEGORY.dtype)}
        self._chunks[algorithm].append((np.ascontiguousarray(digests, dtype=np.uint8), columns))

    def _flush(self, algorithm: str) -> None:
        digests, cols = self._pending.pop(algorithm, ([], {}))
        if not digests:
            return
        array = np.frombuffer(b"".join(digests), dtype=np.uint8).reshape(len(digests), -1)
        columns = {name: np.array(vals, dtype=COLUMNS[name].dtype) for name, vals in cols.items()}
        self._chunks[algorithm].append((array, columns))

    def compile(self) -> dict[str, SortedDigests]:
        """Sorted unique entries per algorithm; a duplicate keeps its most severe category."""
        for algorithm in list(self._pending):
            self._flush(algorithm)
        ranks = np.array(
            [0]
            + [
                severity_for(c, self.info.severities, self.info.default_severity).rank
                for c in self.categories
            ],
            dtype=np.int64,
        )
        out: dict[str, SortedDigests] = {}
        accepted = duplicates = 0
        for algorithm, chunks in self._chunks.items():
            if not chunks:
                continue
            merged = self._merge(chunks)
            self._chunks[algorithm] = []
            compiled, dups = _sort_unique(merged, ranks)
            out[algorithm] = compiled
            accepted += len(compiled)
            duplicates += dups
        self.stats.accepted = accepted
        self.stats.duplicates = duplicates
        return out

    @staticmethod
    def _merge(chunks: list[tuple[np.ndarray, dict[str, np.ndarray]]]) -> SortedDigests:
        names = sorted({name for _, cols in chunks for name in cols})
        keys, tails = split_digests(np.concatenate([digests for digests, _ in chunks]))
        columns = {
            name: np.concatenate(
                [cols.get(name, COLUMNS[name].empty(len(digests))) for digests, cols in chunks]
            )
            for name in names
        }
        return SortedDigests(keys, tails, columns)


def _sort_unique(entries: SortedDigests, ranks: np.ndarray) -> tuple[SortedDigests, int]:
    """Sort by digest and drop repeats, keeping per digest the row of highest severity rank."""
    keys, tails = entries.keys, entries.tails
    order = np.argsort(keys)
    sorted_keys = keys[order]
    same_key = sorted_keys[1:] == sorted_keys[:-1]
    if same_key.any():
        # Rows sharing a 64-bit prefix are nearly always repeats of one digest; only those rows
        # need the full (digest, severity, input order) sort, which is much slower than argsort.
        involved = np.zeros(len(keys), dtype=bool)
        involved[1:] |= same_key
        involved[:-1] |= same_key
        where = np.flatnonzero(involved)
        rows = order[where]
        category = entries.columns.get(CATEGORY.name)
        severity = -ranks[category[rows]] if category is not None else np.zeros(len(rows))
        sort_keys = [rows, severity, *reversed(_tail_words(tails[rows])), keys[rows]]
        order[where] = rows[np.lexsort(sort_keys)]
        sorted_keys = keys[order]
    # One opaque item per row: gathering 1-D items is much faster than gathering 2-D rows.
    sorted_tails = tails.view(np.dtype((np.void, tails.shape[1]))).ravel()[order]
    sorted_tails = sorted_tails.view(np.uint8).reshape(len(order), -1)
    repeat = np.zeros(len(order), dtype=bool)
    same = np.flatnonzero(sorted_keys[1:] == sorted_keys[:-1])
    repeat[same + 1] = (sorted_tails[same + 1] == sorted_tails[same]).all(axis=1)
    keep = ~repeat
    result = SortedDigests(
        sorted_keys[keep],
        sorted_tails[keep],
        {name: column[order][keep] for name, column in entries.columns.items()},
    )
    return result, int(repeat.sum())
