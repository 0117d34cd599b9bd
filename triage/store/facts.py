"""What the store keeps of one report: the visit, its devices, its findings, its completeness."""

from __future__ import annotations

import hashlib
import json
import re
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


# The columns of a device's and a finding's row, in the order of the tuples below (the rows
# travel from the verifying processes as tuples: a third of a dict's unpickling cost, and
# what PostgreSQL's COPY takes as it is). schema.py has the same columns and a test checks it.
DEVICE_COLUMNS = ("device_key", "source", "model", "serial", "size", "first_mib_sha256",
                  "last_mib_sha256")
FINDING_COLUMNS = ("device_key", "finding_key", "kind", "severity", "title", "hashset", "rule",
                   "category", "sha256", "path", "address")
Row = tuple[Any, ...]


@dataclass(frozen=True)
class VisitFacts:
    """The columns of one report's rows, taken from report.json (see *_COLUMNS)."""

    visit: dict[str, Any]
    devices: list[Row]
    findings: list[Row]


# A suspect-chosen name that is not UTF-8 reaches report.json as \udcXX escapes (read back as
# lone surrogates), a registry string may hold a NUL: neither back end can store them as text
# (SQLite's driver cannot encode a surrogate; PostgreSQL's text refuses NUL), and one such
# string would make a whole signed report unstorable.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_UNSTORABLE_JSON = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")


def storable(text: str) -> str:
    """`text` as both back ends can hold it: an undecodable byte (a lone surrogate) written
    as \\xNN, a NUL as \\u0000."""
    return _UNSTORABLE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # surrogateescape keeps an undecodable byte 0xNN as U+DCNN
        return f"\\x{code - 0xDC00:02x}"
    return f"\\u{code:04x}"  # NUL, or a surrogate JSON escaped: as JSON writes it


def maybe_unstorable(raw: bytes) -> bool:
    """Whether report.json's bytes can hold a string storable() would change (cheap: one
    pass over the bytes instead of one per string)."""
    if _UNSTORABLE_JSON.search(raw):
        return True
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def _text(value: Any, limit: int | None = None) -> str | None:
    if value is None:
        return None
    text = str(value)
    return text[:limit] if limit else text


def _bigint(value: Any) -> int | None:
    """An integer both back ends hold (64-bit signed; not a bool), else None."""
    return value if type(value) is int and -(1 << 63) <= value < (1 << 63) else None


def _storable_row(row: Row) -> Row:
    return tuple(storable(v) if isinstance(v, str) else v for v in row)


def visit_facts(report: dict[str, Any], raw: bytes | None = None) -> VisitFacts:
    """Everything the store keeps of a report (no pictures, no file contents).

    `raw`, the bytes `report` was read from, lets the strings skip storable() when the bytes
    show none could need it; without it every string goes through it.
    """
    facts = _facts(report)
    if raw is not None and not maybe_unstorable(raw):
        return facts
    return VisitFacts({k: storable(v) if isinstance(v, str) else v
                       for k, v in facts.visit.items()},
                      [_storable_row(row) for row in facts.devices],
                      [_storable_row(row) for row in facts.findings])


def _facts(report: dict[str, Any]) -> VisitFacts:
    provenance = _dict(report.get("provenance"))
    verdict = _dict(report.get("verdict")).get("level")
    reasons = incomplete_reasons(report)
    devices = []
    keys_by_source: dict[str, str] = {}
    for item in _list(provenance.get("evidence")):
        item = _dict(item)
        key = device_key(item)[:300]
        keys_by_source[str(item.get("source"))] = key
        devices.append((
            key, str(item.get("source")), _text(item.get("model")), _text(item.get("serial")),
            _bigint(item.get("size")),
            _text(item.get("first_mib_sha256"), 64), _text(item.get("last_mib_sha256"), 64)))
    findings = []
    for finding in _list(report.get("findings")):
        finding = _dict(finding)
        findings.append((
            keys_by_source.get(str(finding.get("source"))), finding_digest(finding),
            str(finding.get("kind"))[:16], str(finding.get("severity"))[:16],
            str(finding.get("title") or ""), _text(finding.get("hashset")),
            _text(finding.get("rule")), _text(finding.get("category")),
            _text(finding.get("sha256"), 64), _text(finding.get("path")),
            _text(finding.get("address"))))
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
