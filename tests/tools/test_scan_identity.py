"""The before/after comparison of two scans finds a changed type, digest or finding."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

from tests.tools.scan_identity import compare, main
from triage.pipeline import ScanOptions, run_scan


def _rewrite_listing(folder: Path, change: dict[str, str]) -> None:
    path = folder / "files.jsonl.gz"
    records = [json.loads(line) for line in gzip.open(path, "rt", encoding="utf-8")]
    for record in records:
        record.update({k: v for k, v in change.items() if record["name"] == "notes.txt"})
    path.write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in records).encode()))


def test_two_scans_of_the_same_evidence_are_identical_and_a_change_is_found(tmp_path: Path):
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    (evidence / "notes.txt").write_text("a shopping list\n" * 20)
    (evidence / "data.bin").write_bytes(bytes(range(256)) * 40)
    first, second = tmp_path / "first", tmp_path / "second"
    run_scan([str(evidence)], first, ScanOptions(workers=1))
    run_scan([str(evidence)], second, ScanOptions(workers=2))
    assert compare(first, second) == []
    assert main([str(first), str(second)]) == 0
    changed = tmp_path / "changed"
    shutil.copytree(second, changed)
    _rewrite_listing(changed, {"mime": "application/octet-stream", "sha256": "0" * 64})
    found = compare(first, changed)
    assert len(found) == 2
    assert all(line.startswith("listing ") and "notes.txt" in line for line in found)
    assert any(".mime: 'text/plain' -> 'application/octet-stream'" in line for line in found)
    assert main([str(first), str(changed)]) == 1
