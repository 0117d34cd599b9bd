"""Assembling report.json from a scan's frozen result, checking it, writing it."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from triage.ledger.result import ScanResult
from triage.report.atomic import write_atomic
from triage.report.canonical import canonical_bytes
from triage.report.verdict import decide

SCHEMA_ID = "triage-report/1"


def report_schema() -> dict[str, Any]:
    text = resources.files("triage.schemas").joinpath("report.schema.json").read_text("utf-8")
    return json.loads(text)


def _finding_key(finding: dict[str, Any]) -> tuple[str, ...]:
    return (finding.get("address", ""), finding["kind"], finding.get("hashset") or "",
            finding.get("rule") or "", finding["title"])


def build_report(result: ScanResult) -> dict[str, Any]:
    """The report as a plain dict, findings sorted so equal scans give equal findings."""
    context = result.context
    coverage = {
        "complete": result.complete,
        "files_seen": result.files_seen,
        "files_deleted": result.files_deleted,
        "files_hashed": result.files_hashed,
        "bytes_hashed": result.bytes_hashed,
        "files_skipped": dict(result.skipped),
        "other_entries": dict(result.other_entries),
        "read_errors": result.read_errors,
        "writable_devices": list(result.writable_devices),
        "volumes": [v.to_report() for v in result.volumes],
        "not_examined": [g.to_report() for g in result.gaps],
        "time_budget": {"minutes": context.time_budget_min, "reached": result.budget_reached},
        "priority": list(result.priority),
        "stopped_early": result.stopped_early,
        "quick_pass": result.quick_pass,
    }
    findings = sorted((f.to_dict() for f in result.findings), key=_finding_key)
    provenance = {
        "tool": {"name": "triage", "version": result.tool_version},
        "started_utc": result.started_utc,
        "finished_utc": result.finished_utc,
        "duration_s": result.duration_s,
        "time_to_first_hit_s": None if result.first_hit is None else round(result.first_hit, 3),
        "first_hit_address": result.first_hit_address,
        "host": result.host,
        "case": context.case,
        "officer": context.officer,
        "subject": context.subject,
        "command": context.command,
        "evidence": list(result.evidence),
        "resumed": [r.to_report() for r in result.resumed],
        "hashsets": list(context.hashsets),
        "rules": list(context.rules),
        **context.extra_provenance,
    }
    report = {
        "schema": SCHEMA_ID,
        "verdict": decide(result),
        "findings": findings,
        "coverage": coverage,
        "warnings": [p.to_report() for p in result.problems],
        "warnings_total": result.problems_total,
        "provenance": provenance,
        "outputs": {"listing": result.listing_name},
    }
    if result.artefacts_listing is not None:
        report["artefacts"] = result.artefacts
        report["outputs"]["artefacts"] = result.artefacts_listing
    return report


def write_report(out_dir: Path, report: dict[str, Any]) -> Path:
    """Validate against the schema (a failure is a bug in triage) and write report.json."""
    jsonschema.validate(report, report_schema())
    path = out_dir / "report.json"
    # Canonical bytes: two scans of the same evidence give byte-identical findings.
    write_atomic(path, canonical_bytes(report))
    return path
