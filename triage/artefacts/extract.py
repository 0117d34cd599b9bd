"""Running the extractors over the collected copies, within bounds, into artefacts.jsonl.gz."""

from __future__ import annotations

import gzip
import json
import shutil
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from triage.artefacts import builtin  # noqa: F401 - registers the shipped extractors
from triage.artefacts.base import ExtractError
from triage.artefacts.collect import ArtefactCollector
from triage.artefacts.record import Artefact
from triage.artefacts.registry import EXTRACTORS
from triage.report.atomic import atomic_file

ARTEFACTS_NAME = "artefacts.jsonl.gz"
# One artefact file yields at most this many records (a browser history of 100,000 visits
# is ~200,000 records with its searches); more is cut, and said.
MAX_RECORDS_PER_FILE = 2_000_000

ProblemFn = Callable[[str, str], None]  # (address, message)


@dataclass(frozen=True)
class Extracted:
    """Every record, and per file read: its address, extractor and record count."""

    records: list[Artefact]
    files: list[dict[str, Any]]

    def summary(self, timeline: dict[str, Any]) -> dict[str, Any]:
        """The report's `artefacts` section (`timeline`: see report/timeline.window)."""
        return {"records": len(self.records),
                "by_kind": dict(sorted(Counter(a.kind for a in self.records).items())),
                "files": self.files, "timeline": timeline}


def extract_all(collector: ArtefactCollector, problem: ProblemFn) -> Extracted:
    """Every record from every collected file, in collection order; problems per file."""
    records: list[Artefact] = []
    files: list[dict[str, Any]] = []
    for collected in sorted(collector.primaries, key=lambda c: c.origin.address):
        extractor = EXTRACTORS[collected.extractor]
        count = 0
        try:
            for artefact in extractor.extract(collected.copy, collected.origin):
                records.append(artefact)
                count += 1
                if count >= MAX_RECORDS_PER_FILE:
                    problem(collected.origin.address, f"more than {MAX_RECORDS_PER_FILE:,} "
                            "artefact records; the rest were not read")
                    break
        except ExtractError as exc:
            problem(collected.origin.address, f"{extractor.name}: {exc}")
        except (OSError, ValueError, MemoryError) as exc:
            problem(collected.origin.address, f"{extractor.name}: could not be read "
                    f"({type(exc).__name__}: {exc}); the records read so far are kept")
        files.append({"address": collected.origin.address, "extractor": extractor.name,
                      "records": count})
    return Extracted(records, files)


def write_listing(out_dir: Path, records: list[Artefact]) -> Path:
    """artefacts.jsonl.gz: every record, with the address of the file it came from."""
    path = out_dir / ARTEFACTS_NAME
    # Level 6 (zlib's default): level 9 took twice as long for a few per cent on JSON text.
    with atomic_file(path) as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0,
                                                 compresslevel=6) as handle:
        for artefact in records:
            handle.write(json.dumps(artefact.to_dict(), ensure_ascii=False,
                                    sort_keys=True).encode("utf-8", "surrogateescape") + b"\n")
    return path


def remove_copies(collector: ArtefactCollector) -> None:
    """The private copies are only needed while extracting; the listing keeps the records."""
    shutil.rmtree(collector.folder, ignore_errors=True)
