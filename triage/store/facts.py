"""What the store keeps of one report: the visit, its devices, its findings, its completeness."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from triage.report.review import device_identity, finding_key, incomplete_reasons


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def device_key(item: dict[str, Any]) -> str:
    """How a device is recognised across visits: serial, else model and size, else the
    digests of its first and last MiB (an image file), else its name."""
    if item.get("serial") or item.get("model"):
        return device_identity(item)
    if item.get("first_mib_sha256"):
        return (f"{item.get('size')} bytes, first MiB {str(item['first_mib_sha256'])[:16]}, "
                f"last MiB {str(item.get('last_mib_sha256'))[:16]}")
    return device_identity(item)


def finding_digest(finding: dict[str, Any]) -> str:
    """A short fixed-size form of review.finding_key: the same thing on two visits."""
    return hashlib.sha256("\x1f".join(finding_key(finding)).encode(
        "utf-8", "surrogateescape")).hexdigest()


@dataclass(frozen=True)
class VisitFacts:
    """The columns of one report's rows, taken from report.json."""

    visit: dict[str, Any]
    devices: list[dict[str, Any]]
    findings: list[dict[str, Any]]


def _text(value: Any, limit: int | None = None) -> str | None:
    if value is None:
        return None
    text = str(value)
    return text[:limit] if limit else text


def visit_facts(report: dict[str, Any]) -> VisitFacts:
    """Everything the store keeps of a report (no pictures, no file contents)."""
    provenance = _dict(report.get("provenance"))
    verdict = _dict(report.get("verdict")).get("level")
    reasons = incomplete_reasons(report)
    devices = []
    keys_by_source: dict[str, str] = {}
    for item in _list(provenance.get("evidence")):
        item = _dict(item)
        key = device_key(item)[:300]
        keys_by_source[str(item.get("source"))] = key
        devices.append({
            "device_key": key, "source": str(item.get("source")),
            "model": _text(item.get("model")), "serial": _text(item.get("serial")),
            "size": item.get("size") if isinstance(item.get("size"), int) else None,
            "first_mib_sha256": _text(item.get("first_mib_sha256"), 64),
            "last_mib_sha256": _text(item.get("last_mib_sha256"), 64)})
    findings = []
    for finding in _list(report.get("findings")):
        finding = _dict(finding)
        findings.append({
            "device_key": keys_by_source.get(str(finding.get("source"))),
            "finding_key": finding_digest(finding),
            "kind": str(finding.get("kind"))[:16], "severity": str(finding.get("severity"))[:16],
            "title": str(finding.get("title") or ""), "hashset": _text(finding.get("hashset")),
            "rule": _text(finding.get("rule")), "category": _text(finding.get("category")),
            "sha256": _text(finding.get("sha256"), 64), "path": _text(finding.get("path")),
            "address": _text(finding.get("address"))})
    visit = {
        "started_utc": _text(provenance.get("started_utc"), 32),
        "finished_utc": _text(provenance.get("finished_utc"), 32),
        "case_ref": _text(provenance.get("case")), "officer": _text(provenance.get("officer")),
        "subject": _text(provenance.get("subject"), 200),
        "tool_version": _text(_dict(provenance.get("tool")).get("version"), 40),
        "verdict": verdict if verdict in ("red", "amber", "green") else "unknown",
        "complete": not reasons, "incomplete_reasons": json.dumps(reasons),
        "findings_count": len(findings)}
    return VisitFacts(visit, devices, findings)
