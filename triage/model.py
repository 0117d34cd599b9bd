"""The records every stage shares: file addresses, file records and findings."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol


class Severity(StrEnum):
    """How much a finding weighs in the verdict; ordered from least to most serious."""

    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_ORDER.index(self)


_SEVERITY_ORDER = list(Severity)


class Verdict(StrEnum):
    """The one word an officer reads first."""

    GREEN = "green"  # everything reachable was examined and nothing was found
    AMBER = "amber"  # something needs a look, or something could not be examined
    RED = "red"  # a known indicator or a serious rule finding


@dataclass(frozen=True, slots=True)
class PartitionRef:
    """Where a file system sits inside its source."""

    index: int  # 0 for a bare file system or a logical (directory) source
    offset: int  # bytes from the start of the source
    fs: str  # "ntfs", "fat32", "ext4", "dir", ...

    def label(self) -> str:
        return f"p{self.index}@{self.offset} {self.fs}"


@dataclass(frozen=True, slots=True)
class Address:
    """A file's stable, printable chain: source -> partition -> path -> meta address -> member.

    The string form (``str(address)``) is the one used for equality in reports and warnings.
    """

    source: str
    partition: PartitionRef | None = None
    path: str = ""
    meta_addr: int | None = None
    stream: str | None = None  # NTFS alternate data stream name
    member: str | None = None  # path inside an archive, '!'-chained for nesting

    def full_path(self) -> str:
        path = self.path
        if self.stream:
            path = f"{path}:{self.stream}"
        if self.member:
            path = f"{path}!{self.member}"
        return path

    def __str__(self) -> str:
        parts = [self.source]
        if self.partition is not None:
            parts.append(self.partition.label())
        if self.path or self.member:
            parts.append(self.full_path())
        if self.meta_addr is not None:
            parts.append(f"inode {self.meta_addr}")
        return " · ".join(parts)


class Content(Protocol):
    """Read access to one file's bytes; implemented by each evidence kind and container."""

    size: int

    def read(self, offset: int, length: int) -> bytes:
        """Return up to `length` bytes from `offset`; fewer only at the end of the content."""


def utc_text(when: dt.datetime | None = None) -> str:
    """An aware time (default: now) as ISO 8601 UTC to the second with a 'Z', as reports,
    manifests and journals write it."""
    when = when or dt.datetime.now(dt.UTC)
    return when.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def iso_utc(timestamp: float | None) -> str | None:
    """Render a POSIX timestamp as ISO 8601 UTC with a 'Z', or None when unknown."""
    if timestamp is None:
        return None
    try:
        when = dt.datetime.fromtimestamp(timestamp, tz=dt.UTC)
    except (OverflowError, OSError, ValueError):
        return None  # corrupt metadata can claim a time no calendar holds
    return when.isoformat().replace("+00:00", "Z")


@dataclass(slots=True)
class FileRecord:
    """One file (allocated or deleted) and the facts stages have learned about it."""

    address: Address
    name: str
    size: int
    deleted: bool = False
    # MACB times as POSIX seconds, UTC; None where the file system does not keep one.
    mtime: float | None = None
    atime: float | None = None
    ctime: float | None = None
    crtime: float | None = None
    # Facts added by stages.
    mime: str | None = None
    ext_mismatch: bool | None = None
    md5: str | None = None
    sha1: str | None = None
    sha256: str | None = None
    bytes_hashed: int = 0
    facts: dict[str, Any] = field(default_factory=dict)  # later stages (perceptual, ...)

    @property
    def extension(self) -> str:
        """Lower-case extension without the dot, or '' when the name has none."""
        stem, dot, ext = self.name.rpartition(".")
        return ext.lower() if dot and stem else ""

    def to_dict(self) -> dict[str, Any]:
        """The record as written to the file listing (files.jsonl.gz)."""
        part = self.address.partition
        out: dict[str, Any] = {
            "address": str(self.address),
            "source": self.address.source,
            "partition": None
            if part is None
            else {"index": part.index, "offset": part.offset, "fs": part.fs},
            "path": self.address.full_path(),
            "meta_addr": self.address.meta_addr,
            "name": self.name,
            "size": self.size,
            "deleted": self.deleted,
            "mtime": iso_utc(self.mtime),
            "atime": iso_utc(self.atime),
            "ctime": iso_utc(self.ctime),
            "crtime": iso_utc(self.crtime),
            "mime": self.mime,
            "ext_mismatch": self.ext_mismatch,
            "md5": self.md5,
            "sha1": self.sha1,
            "sha256": self.sha256,
        }
        if self.facts:
            out["facts"] = self.facts
        return out


@dataclass(frozen=True, slots=True)
class Finding:
    """Something worth an officer's attention, tied to a file (or a volume) by its address."""

    kind: str  # "exact" | "perceptual" | "rule"
    severity: Severity
    record: FileRecord | None  # None for volume- or disk-level findings
    title: str
    hashset: str | None = None
    hashset_version: str | None = None
    category: str | None = None
    distance: int | None = None
    reference: str | None = None
    rule: str | None = None
    condition: str | None = None
    detail: dict[str, Any] | None = None
    # Every hash set that holds the file, most severe first, when more than one does (one
    # finding per file: hashset/category/reference above are the first of these).
    matches: list[dict[str, Any]] | None = None

    def matched_sets(self) -> list[dict[str, Any]]:
        """Each set that matched: {"hashset", "hashset_version", "category", "reference",
        "severity"} (one entry for a single match)."""
        if self.matches:
            return self.matches
        return [{"hashset": self.hashset, "hashset_version": self.hashset_version,
                 "category": self.category, "reference": self.reference,
                 "severity": self.severity.value}]

    @property
    def where(self) -> str:
        """The printable address: the file's, or a volume's or folder's for aggregates."""
        if self.record is not None:
            return str(self.record.address)
        return str((self.detail or {}).get("address", ""))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "severity": self.severity.value,
            "title": self.title,
        }
        if self.record is None and self.detail and "address" in self.detail:
            out["address"] = str(self.detail["address"])  # a volume or a folder (aggregates)
        if self.record is not None:
            rec = self.record.to_dict()
            for key in (
                "address", "source", "partition", "path", "meta_addr", "deleted", "size",
                "mtime", "atime", "ctime", "crtime", "md5", "sha1", "sha256", "mime",
            ):
                out[key] = rec[key]
            if "snapshot" in self.record.facts:  # found in a shadow copy, not the live volume
                out["snapshot"] = str(self.record.facts["snapshot"])
        for key in ("hashset", "hashset_version", "category", "distance", "reference", "rule",
                    "condition", "detail", "matches"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out
