"""Snapshots against their live volume: only what differs is examined again."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

# (meta address, stream) -> (size, mtime, ctime, crtime, path) of an allocated live file.
Seen = dict[tuple[int | None, str | None], tuple[Any, ...]]
# Inside a snapshot, Windows' shadow copy storage files (the differential area, named by
# snapshot GUID + the VSS identifier) hold the very blocks the snapshots are rebuilt from;
# they are examined as the snapshots themselves, so reading them again inside each snapshot
# (hundreds of MB each) would only repeat that work.
SHADOW_STORAGE = re.compile(r"^/System Volume Information/\{[0-9a-f-]{36}\}"
                            r"\{3808876b-c176-4e48-b7ae-04046e6cc752\}$", re.IGNORECASE)
SKIP_SHADOW_STORAGE = "shadow copy storage (its contents are examined as the snapshots)"


def _key(record: Any) -> tuple[int | None, str | None]:
    return (record.address.meta_addr, record.address.stream)


def _signature(record: Any) -> tuple[Any, ...]:
    return (record.size, record.mtime, record.ctime, record.crtime, record.address.path)


def remember(records: Iterator[tuple[Any, Any]], seen: Seen) -> Iterator[tuple[Any, Any]]:
    """Pass the live volume's records on, noting each allocated one.

    Deleted live files are not noted: their blocks may since have been reused, while the
    snapshot still holds the old contents, so the snapshot's copy is examined too.
    """
    for record, content in records:
        if not record.deleted:
            seen[_key(record)] = _signature(record)
        yield record, content


def only_changed(records: Iterator[tuple[Any, Any]], seen: Seen, label: str,
                 counts: dict[str, int]) -> Iterator[tuple[Any, Any]]:
    """A snapshot's records that are not already in the live volume unchanged.

    Same meta address, size, times and path means the same file (NTFS changes a time on
    every write and rename), so its bytes are not read twice; `counts["unchanged"]` says how
    many were left out that way.
    """
    for record, content in records:
        if seen.get(_key(record)) == _signature(record):
            counts["unchanged"] = counts.get("unchanged", 0) + 1
            continue
        record.facts["snapshot"] = label
        if content is not None and SHADOW_STORAGE.match(record.address.path):
            record.facts["skipped"] = SKIP_SHADOW_STORAGE
            content = None
        yield record, content


def records_of(reached: Any, seen: dict[tuple[str, int, int], Seen], warn: Any, stats: Any,
               counts: dict[str, int]) -> Iterator[tuple[Any, Any]]:
    """A reached volume's walk: a live volume with snapshots noted, a snapshot diffed."""
    records = reached.walk(warn, stats)
    if reached.has_snapshots:
        return remember(records, seen.setdefault(reached.key, {}))
    if reached.snapshot_of is not None:
        label = str(reached.facts.get("snapshot", reached.layers[-1]))
        return only_changed(records, seen.get(reached.snapshot_of, {}), label, counts)
    return records
