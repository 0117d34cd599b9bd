"""Supervisor review: verify many report folders, tabulate them, and follow each device."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from triage.errors import InvalidInputError
from triage.report import html as page
from triage.report.manifest import MANIFEST_NAME
from triage.report.sign import REPORT_NAME, load_report
from triage.report.verify import (
    TAMPERED,
    UNSIGNED,
    UNTRUSTED,
    VERIFIED,
    VerifyResult,
    load_trusted_dir,
    verify_report,
)

STATUS_STYLE = {VERIFIED: "bold green", UNTRUSTED: "bold yellow", UNSIGNED: "bold yellow",
                TAMPERED: "bold white on red"}
STATUS_LABEL = {VERIFIED: "verified", UNTRUSTED: "UNTRUSTED SIGNER", UNSIGNED: "UNSIGNED",
                TAMPERED: "DOES NOT VERIFY"}
VERDICT_STYLE = {"red": "bold white on red", "amber": "bold black on yellow",
                 "green": "bold white on green"}
KINDS = ("exact", "perceptual", "rule")


@dataclass(slots=True)
class ReviewEntry:
    """One report folder: what verification said and what the report claims."""

    folder: Path
    result: VerifyResult
    report: dict[str, Any] | None
    load_error: str | None = None

    def _provenance(self) -> dict[str, Any]:
        prov = (self.report or {}).get("provenance")
        return prov if isinstance(prov, dict) else {}

    @property
    def started(self) -> str:
        return str(self._provenance().get("started_utc") or "")

    @property
    def case(self) -> str:
        return str(self._provenance().get("case") or "")

    @property
    def officer(self) -> str:
        return str(self._provenance().get("officer") or "")

    @property
    def verdict(self) -> str:
        verdict = (self.report or {}).get("verdict")
        return str(verdict.get("level")) if isinstance(verdict, dict) else "unknown"

    @property
    def findings(self) -> list[dict[str, Any]]:
        items = (self.report or {}).get("findings")
        return [f for f in items if isinstance(f, dict)] if isinstance(items, list) else []

    @property
    def counts(self) -> Counter[str]:
        return Counter(str(f.get("kind")) for f in self.findings)

    @property
    def evidence(self) -> list[dict[str, Any]]:
        items = self._provenance().get("evidence")
        return [e for e in items if isinstance(e, dict)] if isinstance(items, list) else []


def device_identity(item: dict[str, Any]) -> str:
    """How a device is recognised across visits: serial, else model and size, else its name."""
    if item.get("serial"):
        return f"serial {item['serial']}"
    if item.get("model"):
        return f"{item['model']} ({item.get('size')} bytes)"
    return f"source {item.get('source')}"


def finding_key(finding: dict[str, Any]) -> tuple[str, str, str]:
    """What makes two findings on different visits the same thing."""
    what = finding.get("rule") or finding.get("hashset") or ""
    content = finding.get("sha256") or finding.get("path") or finding.get("title") or ""
    return (str(finding.get("kind")), str(what), str(content))


@dataclass(slots=True)
class Visit:
    """One report's view of one device, and what is new since the visit before."""

    entry: ReviewEntry
    findings: list[dict[str, Any]]
    new: list[dict[str, Any]] = field(default_factory=list)
    first: bool = True


@dataclass(slots=True)
class Review:
    entries: list[ReviewEntry]
    devices: dict[str, list[Visit]]


def find_report_folders(reports_dir: Path) -> list[Path]:
    """Every folder at or below `reports_dir` that holds a report or a manifest."""
    if not reports_dir.is_dir():
        raise InvalidInputError(f"{reports_dir} is not a folder; give the folder of reports.")
    found = {p.parent for name in (REPORT_NAME, MANIFEST_NAME) for p in reports_dir.rglob(name)}
    return sorted(found)


def review_reports(reports_dir: Path, trusted: Path | None) -> Review:
    """Verify every report under `reports_dir` and build each device's history."""
    load_trusted_dir(trusted)  # a bad --trusted is the user's error, not every report's
    entries: list[ReviewEntry] = []
    for folder in find_report_folders(reports_dir):
        result = verify_report(folder, trusted)
        try:
            report, error = load_report(folder), None
        except InvalidInputError as exc:
            report, error = None, str(exc)
        entries.append(ReviewEntry(folder, result, report, error))
    entries.sort(key=lambda e: (e.started, str(e.folder)))
    devices: dict[str, list[Visit]] = {}
    for entry in entries:
        for item in entry.evidence:
            source = item.get("source")
            mine = [f for f in entry.findings if f.get("source") == source]
            devices.setdefault(device_identity(item), []).append(Visit(entry, mine))
    for visits in devices.values():
        for before, after in zip(visits, visits[1:], strict=False):
            seen = {finding_key(f) for f in before.findings}
            after.new = [f for f in after.findings if finding_key(f) not in seen]
            after.first = False
    return Review(entries, dict(sorted(devices.items())))


def _status(entry: ReviewEntry) -> str:
    return entry.result.status if not entry.result.ok else VERIFIED


def _counts(entry: ReviewEntry) -> str:
    counts = entry.counts
    return " / ".join(str(counts.get(kind, 0)) for kind in KINDS)


def summary_table(review: Review) -> Table:
    """The rich table: one row per report; reports that do not verify stand out."""
    table = Table(title="Reports", show_lines=False)
    for name in ("Date (UTC)", "Case", "Officer", "Devices", "Verdict",
                 "Exact / similar / rule", "Signature", "Folder"):
        table.add_column(name, overflow="fold")
    for entry in review.entries:
        status = _status(entry)
        table.add_row(
            Text(entry.started or "?"), Text(entry.case), Text(entry.officer),
            Text(", ".join(device_identity(e) for e in entry.evidence)),
            Text(entry.verdict.upper(), style=VERDICT_STYLE.get(entry.verdict, "bold")),
            Text(_counts(entry)),
            Text(STATUS_LABEL[status], style=STATUS_STYLE[status]),
            Text(str(entry.folder)),
        )
    return table


def _new_text(visit: Visit) -> str:
    if visit.first:
        return "first visit"
    if not visit.new:
        return "nothing new"
    return "; ".join(f"{f.get('kind')}: {f.get('title')} — {f.get('path')}" for f in visit.new)


def history_table(device: str, visits: list[Visit]) -> Table:
    table = Table(title=f"Device {device}")
    for name in ("Date (UTC)", "Case", "Verdict", "Findings", "New since previous visit",
                 "Signature"):
        table.add_column(name, overflow="fold")
    for visit in visits:
        status = _status(visit.entry)
        table.add_row(
            Text(visit.entry.started or "?"), Text(visit.entry.case),
            Text(visit.entry.verdict.upper(), style=VERDICT_STYLE.get(visit.entry.verdict, "")),
            Text(str(len(visit.findings))), Text(_new_text(visit)),
            Text(STATUS_LABEL[status], style=STATUS_STYLE[status]),
        )
    return table


def print_review(review: Review, console: Console) -> None:
    """Render the review to a console: the summary, problems, then each device's history."""
    console.print(summary_table(review))
    for entry in review.entries:
        for problem in entry.result.problems:
            console.print(Text(f"{entry.folder}: {problem}", style="red"))
        if entry.load_error:
            console.print(Text(f"{entry.folder}: {entry.load_error}", style="red"))
    for device, visits in review.devices.items():
        console.print(history_table(device, visits))


def _rows(cells: list[list[str]]) -> str:
    return "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in cells)


def _status_cell(entry: ReviewEntry) -> str:
    status = _status(entry)
    css = "ok" if status == VERIFIED else "bad" if status == TAMPERED else "warn"
    return f'<span class="{css}">{page.text(STATUS_LABEL[status])}</span>'


def render_review_html(review: Review) -> str:
    """The same review as one self-contained page; every value escaped."""
    head = ["Date (UTC)", "Case", "Officer", "Devices", "Verdict", "Exact / similar / rule",
            "Signature", "Problems", "Folder"]
    rows = [[
        page.text(e.started or "?"), page.text(e.case), page.text(e.officer),
        page.text(", ".join(device_identity(d) for d in e.evidence)),
        f'<span class="v-{page.text(e.verdict)}">{page.text(e.verdict.upper())}</span>',
        page.text(_counts(e)), _status_cell(e),
        "<br>".join(page.text(p) for p in [*e.result.problems, e.load_error or ""] if p) or "—",
        page.text(str(e.folder)),
    ] for e in review.entries]
    parts = [
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'\"><title>triage review</title><style>"
        "body{font:10pt Arial,sans-serif;margin:10mm}table{border-collapse:collapse;width:100%;"
        "margin-bottom:6mm}th,td{border:1px solid #bbb;padding:1mm 2mm;text-align:left;"
        "vertical-align:top;overflow-wrap:anywhere}th{background:#eee}"
        ".ok{color:#1b5e20;font-weight:bold}.warn{background:#ffb300;font-weight:bold}"
        ".bad{background:#c62828;color:#fff;font-weight:bold}"
        ".v-red{color:#c62828;font-weight:bold}.v-amber{color:#8a6d00;font-weight:bold}"
        ".v-green{color:#2e7d32;font-weight:bold}</style></head><body>",
        "<h1>Reports</h1><table><tr>" + "".join(f"<th>{page.text(h)}</th>" for h in head)
        + "</tr>" + _rows(rows) + "</table>",
    ]
    for device, visits in review.devices.items():
        cells = [[
            page.text(v.entry.started or "?"), page.text(v.entry.case),
            page.text(v.entry.verdict.upper()), page.text(len(v.findings)),
            page.text(_new_text(v)), _status_cell(v.entry),
        ] for v in visits]
        parts.append(
            f"<h2>Device {page.text(device)}</h2><table><tr>"
            + "".join(f"<th>{h}</th>" for h in ("Date (UTC)", "Case", "Verdict", "Findings",
                                                "New since previous visit", "Signature"))
            + "</tr>" + _rows(cells) + "</table>"
        )
    parts.append("</body></html>\n")
    return "".join(parts)
