"""Assembling report.json from a finished scan, checking it against its schema, writing it."""

from __future__ import annotations

import datetime as dt
import json
import sys
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jsonschema

from triage.model import utc_text
from triage.report.atomic import write_atomic
from triage.report.canonical import canonical_bytes
from triage.report.verdict import decide

if TYPE_CHECKING:
    from triage.pipeline import ScanOptions
    from triage.scanstate import ScanState
    from triage.stages.matching import Matchers

SCHEMA_ID = "triage-report/1"
# report.json holds at most this many warnings in full (the count is always exact); a hostile
# disk can produce millions and the report must stay readable.
MAX_WARNINGS_LISTED = 1000


def report_schema() -> dict[str, Any]:
    text = resources.files("triage.schemas").joinpath("report.schema.json").read_text("utf-8")
    return json.loads(text)


def _finding_key(finding: dict[str, Any]) -> tuple[str, ...]:
    return (finding.get("address", ""), finding["kind"], finding.get("hashset") or "",
            finding.get("rule") or "", finding["title"])


def build_report(*, state: ScanState, options: ScanOptions, matchers: Matchers,
                 started_utc: dt.datetime, finished_utc: dt.datetime, host: str,
                 tool_version: str, listing_name: str) -> dict[str, Any]:
    """The report as a plain dict, findings sorted so equal scans give equal findings."""
    coverage = {
        "complete": state.stopped is None and all(
            v.get("walk_complete", True) for v in state.volumes),
        "files_seen": state.files_seen,
        "files_deleted": state.files_deleted,
        "files_hashed": state.files_hashed,
        "bytes_hashed": state.bytes_hashed,
        "files_skipped": dict(sorted(state.skipped.items())),
        "other_entries": dict(sorted(state.other_entries.items())),
        "read_errors": state.read_errors,
        "writable_devices": state.writable_devices,
        "volumes": state.volumes,
        "not_examined": state.not_examined,
        "time_budget": {"minutes": options.time_budget_min, "reached": state.budget_reached},
        "priority": state.priority,
        "stopped_early": state.stopped_early,
    }
    findings = sorted((f.to_dict() for f in state.findings), key=_finding_key)
    verdict = decide(state.findings, coverage, trust_problems=matchers.trust_problems,
                     gaps=matchers.gaps, warnings_total=state.warnings_total)
    provenance = {
        "tool": {"name": "triage", "version": tool_version},
        "started_utc": utc_text(started_utc),
        "finished_utc": utc_text(finished_utc),
        "duration_s": round((finished_utc - started_utc).total_seconds(), 3),
        "time_to_first_hit_s": None if state.first_hit is None else round(state.first_hit, 3),
        "first_hit_address": state.first_hit_address,
        "host": host,
        "case": options.case,
        "officer": options.officer,
        "command": options.command or " ".join(sys.argv),
        "evidence": state.evidence,
        "resumed": state.resumed,
        **matchers.provenance(),
        **({"boot": options.boot} if options.boot is not None else {}),
    }
    return {
        "schema": SCHEMA_ID,
        "verdict": verdict,
        "findings": findings,
        "coverage": coverage,
        "warnings": [w.to_dict() for w in state.warnings],
        "warnings_total": state.warnings_total,
        "provenance": provenance,
        "outputs": {"listing": listing_name},
    }


def write_report(out_dir: Path, report: dict[str, Any]) -> Path:
    """Validate against the schema (a failure is a bug in triage) and write report.json."""
    jsonschema.validate(report, report_schema())
    path = out_dir / "report.json"
    # Canonical bytes: two scans of the same evidence give byte-identical findings.
    write_atomic(path, canonical_bytes(report))
    return path
