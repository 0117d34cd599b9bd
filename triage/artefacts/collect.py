"""Collecting artefact files while the scan reads them: private copies in the output folder.

Extraction waits until every file is read, because a database's -wal or a hive's logs may be
read after the database itself (the plan reads by priority, not by folder). Copies, never the
evidence, are opened: SQLite replays a -wal into the file it opens.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from triage.artefacts.base import Extractor, Origin
from triage.artefacts.profiles import profile_of
from triage.artefacts.registry import companion_of, extractor_for
from triage.model import Content, FileRecord
from triage.report.atomic import full_disk_is_output_error

COPY_CHUNK = 1024 * 1024
# Artefact files larger than this are not copied (a SOFTWARE hive is ~100 MB, a large browser
# history a few hundred); one this size is a forged or unusual file and is reported as such.
MAX_COPY_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True)
class Collected:
    """A primary artefact file copied into the output folder, and where it came from."""

    extractor: str
    copy: Path
    origin: Origin


INDEX = "index.jsonl"


@dataclass
class ArtefactCollector:
    """Copies the files extractors read; the scan's thread owns it.

    Each primary copy is also noted in the folder's index, so a resumed scan extracts what the
    interrupted one collected (a file read again after the checkpoint is copied again over the
    same name and noted once).
    """

    folder: Path
    max_bytes: int = MAX_COPY_BYTES
    primaries: list[Collected] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (address, reason)
    # The copies noted in `primaries`, for a constant-time check (a PC's 1,024 Prefetch files
    # made the list scan quadratic: 2 s of a 5,000-file scan).
    noted: set[Path] = field(default_factory=set, repr=False)

    @classmethod
    def load(cls, folder: Path) -> ArtefactCollector:
        """The collector of an interrupted scan, with the copies it had taken."""
        collector = cls(folder)
        index = folder / INDEX
        if index.is_file():
            seen: dict[str, Collected] = {}
            for line in index.read_text("utf-8", "surrogateescape").splitlines():
                try:
                    row = json.loads(line)
                    entry = Collected(row["extractor"], Path(row["copy"]), Origin(**row["origin"]))
                except (ValueError, KeyError, TypeError):
                    continue  # a line cut short by the kill
                if entry.copy.is_file():
                    seen[str(entry.copy)] = entry
            collector.primaries = list(seen.values())
            collector.noted = {entry.copy for entry in collector.primaries}
        return collector

    def _group(self, record: FileRecord, folder_path: str) -> Path:
        part = record.address.partition
        key = f"{record.address.source}\0{part.label() if part else ''}\0{folder_path}"
        return self.folder / hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()[:16]

    @staticmethod
    def wanted(record: FileRecord) -> tuple[Extractor, str] | None:
        """(extractor, primary path) when the record is an artefact file or a companion."""
        if record.deleted or record.address.member or record.address.stream:
            return None  # live files only: a deleted hive's clusters may belong to others now
        path = record.address.path
        extractor = extractor_for(path)
        if extractor is not None:
            return extractor, path
        return companion_of(path)

    def collect(self, record: FileRecord, content: Content) -> str | None:
        """Copy the record's bytes if an extractor wants them; a problem sentence, else None."""
        wanted = self.wanted(record)
        if wanted is None:
            return None
        extractor, primary = wanted
        address = str(record.address)
        if record.size > self.max_bytes:
            reason = (f"not read for artefacts: {record.size:,} bytes is more than "
                      f"{self.max_bytes:,} (an unusual or forged file)")
            self.skipped.append((address, reason))
            return reason
        folder_path, _, name = record.address.path.rpartition("/")
        group = self._group(record, folder_path)
        group.mkdir(parents=True, exist_ok=True)
        target = group / name.replace("/", "_")
        with full_disk_is_output_error(target), target.open("wb") as out:
            for offset in range(0, record.size, COPY_CHUNK):
                out.write(content.read(offset, min(COPY_CHUNK, record.size - offset)))
        if primary == record.address.path and target not in self.noted:
            self.noted.add(target)
            entry = Collected(extractor.name, target, Origin(
                address, record.address.path, profile_of(record.address.path), record.mtime))
            self.primaries.append(entry)
            line = json.dumps({"extractor": entry.extractor, "copy": str(entry.copy),
                               "origin": asdict(entry.origin)}) + "\n"
            index = self.folder / INDEX
            with full_disk_is_output_error(index), index.open(
                    "a", encoding="utf-8", errors="surrogateescape") as out:
                out.write(line)
        return None
