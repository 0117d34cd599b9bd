"""Scan a fixture image with the real pipeline and read back what it wrote (black box)."""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.fixtures import FixtureImage, assert_unchanged, sha256_file

SCHEMA = Path(__file__).resolve().parents[2] / "triage" / "schemas" / "report.schema.json"


@dataclass
class Scanned:
    """One finished scan of one fixture image."""

    image: FixtureImage
    out_dir: Path
    report: dict[str, Any]
    exit_code: int
    records: list[dict[str, Any]]
    before_sha256: str

    def in_partition(self, offset: int) -> list[dict[str, Any]]:
        """Records whose partition starts at byte `offset`."""
        return [r for r in self.records if r["partition"] and r["partition"]["offset"] == offset]

    def by_path(self, offset: int) -> dict[str, dict[str, Any]]:
        """Records of one partition by path; a duplicate path is a test failure, not a merge."""
        out: dict[str, dict[str, Any]] = {}
        for record in self.in_partition(offset):
            assert record["path"] not in out, f"{record['path']} listed twice at {offset}"
            out[record["path"]] = record
        return out

    def volume_at(self, offset: int) -> dict[str, Any]:
        volumes = [v for v in self.report["coverage"]["volumes"] if v["offset"] == offset]
        assert len(volumes) == 1, f"expected one volume at {offset}, coverage has {volumes}"
        return volumes[0]

    def assert_unchanged(self) -> None:
        assert_unchanged(self.image.path, self.before_sha256)


def read_records(out_dir: Path) -> list[dict[str, Any]]:
    """Every record of files.jsonl.gz, read with nothing but gzip and json."""
    listing = out_dir / "files.jsonl.gz"
    with gzip.open(listing, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def validate_report(report: dict[str, Any]) -> None:
    """Check a report against the schema shipped in the repository."""
    import jsonschema

    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.validate(report, schema)


def scan(image: FixtureImage, out_dir: Path) -> Scanned:
    """Run the scanner on `image`, after recording its SHA-256; check it is unchanged after."""
    from triage.pipeline import ScanOptions, run_scan

    before = sha256_file(image.path)
    assert before == image.sha256, f"{image.path} is not the image that was built"
    result = run_scan([str(image.path)], out_dir, ScanOptions())
    assert_unchanged(image.path, before)
    on_disk = json.loads((out_dir / "report.json").read_text(encoding="utf-8"))
    assert on_disk == result.report, "report.json differs from the report returned"
    validate_report(result.report)
    return Scanned(image, out_dir, result.report, int(result.exit_code), read_records(out_dir),
                   before)
