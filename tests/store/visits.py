"""Builds sealed report folders of visits to one person, shaped like the scan's output."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from tests.report.factory import SHA, finding, listing, report, write_scan_output
from triage import keys
from triage.report.sign import seal_output

FILES = listing()
# Three findings a visit may hold: by file content (exact), by similarity, by rule.
KNOWN = finding(FILES[0], kind="exact", severity="critical", title="Known image",
                hashset="demo-known", category="A")
SIMILAR = finding(FILES[1], kind="perceptual", severity="high", title="Similar image",
                  hashset="demo-known", distance=6, reference="K009")
NEW_KNOWN = finding(FILES[3], kind="exact", severity="critical", title="Known image",
                    hashset="demo-known", category="A")
assert NEW_KNOWN["sha256"] == SHA["c"]


def visit(folder: Path, key: keys.SigningKey | None, *, subject: str | None = "P-1001",
          started: str = "2026-01-10T09:00:00Z", found: list[dict[str, Any]] | None = None,
          complete: bool = True, serial: str = "SN-001", case: str = "CASE-42",
          size: int | None = None) -> Path:
    """A report folder of one visit, sealed with `key` (None: unsigned); `size` replaces the
    device's size."""
    found = [KNOWN] if found is None else found
    rep = report("red" if found else "green", serial=serial, started=started, case=case,
                 findings=copy.deepcopy(found))
    rep["findings"] = copy.deepcopy(found)
    coverage = rep["coverage"]
    coverage["volumes"] = coverage["volumes"][:1]  # only the examined NTFS partition
    coverage["not_examined"] = []
    coverage["complete"] = complete
    coverage["time_budget"] = {"minutes": 20, "reached": not complete}
    if subject is not None:
        rep["provenance"]["subject"] = subject
    if size is not None:
        rep["provenance"]["evidence"][0]["size"] = size
    write_scan_output(folder, rep)
    seal_output(folder, key, "0.1.0")
    return folder
