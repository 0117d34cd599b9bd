"""The ledger's typed records: coverage gaps, problems, per-volume coverage and resumes."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class GapKind(StrEnum):
    """What kind of thing was NOT examined."""

    SOURCE = "source"  # an evidence source that could not be opened at all
    ENCRYPTED = "encrypted"  # an encrypted volume left locked
    UNSUPPORTED = "unsupported"  # a format triage cannot open
    UNREADABLE = "unreadable"  # sectors, folders or files that could not be read
    TRUNCATED = "truncated"  # the image ends before its partitions / file systems do
    UNPARTITIONED = "unpartitioned"  # space outside any partition (not carved): listed only
    NOT_REACHED = "not_reached"  # listed but not read: time budget or stop-on-first-red
    LIMIT = "limit"  # stopped by a safety limit or watchdog (bombs, depth, walk watchdog)
    ARCHIVE = "archive"  # a container (archive, document, virtual disk file) not looked into
    EXCLUDED = "excluded"  # left out on purpose (the stick itself): listed, never caps
    INTERNAL = "internal_error"  # a bug stopped part of the work

    @property
    def caps_verdict(self) -> bool:
        """Whether a gap of this kind rules out GREEN.

        Not a deliberate exclusion (the stick itself), and not unpartitioned space: most real
        disks keep a MiB or more outside their partitions (alignment, the backup GPT), and
        triage never carved it; it is listed so an examiner can, as it always was.
        """
        return self not in (GapKind.EXCLUDED, GapKind.UNPARTITIONED)


# What the report's coverage.not_examined[].what calls a gap of each kind, unless the caller
# names it more precisely (a whole partition, the rest of a partition's names, ...).
DEFAULT_WHAT: dict[GapKind, str] = {
    GapKind.SOURCE: "source",
    GapKind.ENCRYPTED: "partition",
    GapKind.UNSUPPORTED: "partition",
    GapKind.UNREADABLE: "area",
    GapKind.TRUNCATED: "image end",
    GapKind.UNPARTITIONED: "unpartitioned space",
    GapKind.NOT_REACHED: "files not reached",
    GapKind.LIMIT: "partition remainder",
    GapKind.ARCHIVE: "archive",
    GapKind.EXCLUDED: "triage system",
    GapKind.INTERNAL: "source",
}
SEPARATOR = " · "  # between the links of a printed address (see model.Address)


@dataclass(frozen=True)
class Gap:
    """Something the scan did not examine: what kind, where, how many bytes, and why."""

    kind: GapKind
    address: str  # printable chained address of what was not examined
    reason: str  # one sentence an officer can read
    size: int | None = None  # bytes concerned, when known
    offset: int | None = None  # where it starts inside its source/parent, when it has one
    what: str = ""  # the report's name for it ("partition", "folder", ...); default by kind

    @property
    def caps_verdict(self) -> bool:
        return self.kind.caps_verdict

    @property
    def source(self) -> str:
        """The evidence source the gap is on: the first link of its address."""
        return self.address.split(SEPARATOR, 1)[0]

    def to_report(self) -> dict[str, Any]:
        """The gap as report.json's coverage.not_examined[] lists it."""
        out: dict[str, Any] = {"source": self.source, "what": self.what or DEFAULT_WHAT[self.kind],
                               "kind": self.kind.value, "offset": self.offset,
                               "size": self.size, "reason": self.reason}
        if self.address != self.source:
            out["address"] = self.address
        return out


@dataclass(frozen=True)
class Problem:
    """The one problem type from walk, stages and containers to the report: something that
    stopped part of the work; the scan went on without it."""

    address: str
    stage: str  # "evidence" | "volume" | "walk" | "read" | "containers" | "perceptual" | ...
    message: str
    gap: GapKind | None = None  # set when the problem also leaves a coverage gap
    reason: str | None = None  # a short key for the gap ("bomb", "encrypted", "corrupt", ...)
    size: int | None = None  # bytes the gap concerns (e.g. the part of a file not read)
    offset: int | None = None  # where those bytes start inside the file or item

    @property
    def not_examined(self) -> bool:
        """Whether it leaves something not examined (a coverage gap)."""
        return self.gap is not None

    @property
    def gap_reason(self) -> str:
        """The sentence for the gap this problem leaves."""
        return f"{self.reason}: {self.message}" if self.reason else self.message

    def to_report(self) -> dict[str, Any]:
        out: dict[str, Any] = {"address": self.address, "stage": self.stage,
                               "message": self.message}
        if self.gap is not None:
            out["gap"] = self.gap.value
        return out


@dataclass(eq=False)
class VolumeCoverage:
    """One volume's entry in the report's coverage (mutable while the scan runs)."""

    source: str
    index: int
    offset: int
    size: int | None
    description: str
    fs: str
    status: str = "examined"  # "examined" | "not_examined"
    reason: str | None = None  # why it was not examined
    used_bytes: int | None = None
    files: int | None = None  # files the walk found (all are listed)
    bytes: int | None = None  # bytes of the readable files found
    files_reached: int | None = None
    bytes_reached: int | None = None
    walk_complete: bool = True  # False when the walk of names stopped early
    layers: list[str] = field(default_factory=list)  # every layer passed, outermost first
    encryption: dict[str, Any] | None = None  # {"kind", "state", "protector", ...}, no secret
    gap: GapKind | None = None  # the kind of gap when not examined
    # What the layers passed say about it (a VHD's type, a snapshot's date), never a secret.
    layer_facts: dict[str, Any] | None = None
    unchanged_files: int | None = None  # a snapshot's files identical to the live volume's

    @property
    def address(self) -> str:
        return f"{self.source}{SEPARATOR}p{self.index}@{self.offset}"

    @property
    def examined(self) -> bool:
        return self.status == "examined"

    def to_report(self) -> dict[str, Any]:
        """The entry as report.json's coverage.volumes[] lists it (unknowns left out)."""
        out: dict[str, Any] = {"source": self.source, "index": self.index,
                               "offset": self.offset, "size": self.size,
                               "description": self.description, "fs": self.fs,
                               "status": self.status}
        for name in ("reason", "used_bytes", "files", "bytes", "files_reached",
                     "bytes_reached", "encryption", "layer_facts", "unchanged_files"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        if not self.walk_complete:
            out["walk_complete"] = False
        if self.layers:
            out["layers"] = list(self.layers)
        return out


@dataclass(frozen=True)
class Resume:
    """One time the scan was interrupted and finished with `triage scan --resume`."""

    resumed_utc: str
    checkpoint_utc: str | None
    files_done_before: int
    signed: bool = False  # whether the resumed run signs the report (as the original did)
    host: str | None = None  # the machine that resumed it

    def to_report(self) -> dict[str, Any]:
        return {"resumed_utc": self.resumed_utc, "checkpoint_utc": self.checkpoint_utc,
                "files_done_before": self.files_done_before, "signed": self.signed,
                "host": self.host}
