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
from triage.plan.journal import JOURNAL_DIR
from triage.report.manifest import MANIFEST_NAME
from triage.report.markup import text
from triage.report.sign import REPORT_NAME, load_report
from triage.report.verify import (
    NOT_A_REPORT,
    TAMPERED,
    UNFINISHED,
    UNSIGNED,
    UNTRUSTED,
    VERIFIED,
    VerifyResult,
    load_trusted_dir,
    verify_report,
)

STATUS_STYLE = {VERIFIED: "bold green", UNTRUSTED: "bold yellow", UNSIGNED: "bold yellow",
                UNFINISHED: "bold yellow", NOT_A_REPORT: "bold yellow",
                TAMPERED: "bold white on red"}
STATUS_LABEL = {VERIFIED: "verified", UNTRUSTED: "UNTRUSTED SIGNER", UNSIGNED: "UNSIGNED",
                UNFINISHED: "SCAN NOT FINISHED", NOT_A_REPORT: "NOT A REPORT",
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

    def incomplete(self, source: str | None = None) -> list[str]:
        """Why this scan (of `source`, or of any) did not examine everything; [] if it did."""
        return incomplete_reasons(self.report or {}, source)


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _about(item: dict[str, Any], source: str | None) -> bool:
    return source is None or item.get("source") in (None, source)


def incomplete_reasons(report: dict[str, Any], source: str | None = None) -> list[str]:
    """Short reasons a report's scan did not examine everything (of `source` when given).

    Read from what every report records: the time budget, an early stop, partitions and other
    parts listed as not examined (the stick itself excluded: it is left out by design).
    """
    coverage = report.get("coverage")
    coverage = coverage if isinstance(coverage, dict) else {}
    reasons: list[str] = []
    budget = coverage.get("time_budget")
    stopped = coverage.get("stopped_early")
    if isinstance(budget, dict) and budget.get("reached"):
        reasons.append(f"time budget ran out ({budget.get('minutes')} min)")
    elif isinstance(stopped, dict):
        reasons.append(f"stopped early ({stopped.get('reason')})")
    parts = Counter(
        ("APFS volume" if v.get("fs") == "apfs" else f"{v.get('fs') or 'partition'} partition")
        + f" not examined ({v.get('reason')})"
        for v in _dicts(coverage.get("volumes"))
        if v.get("status") == "not_examined" and _about(v, source))
    parts.update(
        f"{item.get('what')} not examined ({item.get('reason')})"
        for item in _dicts(coverage.get("not_examined"))
        if item.get("what") not in ("triage system", "files not reached", "partition",
                                    "volume")  # volumes: listed above
        # Space outside any partition is listed, never carved, and does not cap the verdict
        # (alignment, the backup GPT): it does not make a visit incomplete either.
        and item.get("kind") not in ("excluded", "not_reached", "unpartitioned")
        and _about(item, source))
    parts.update(
        f"{gap.get('kind')} not examined ({gap.get('reason')})"
        for gap in _dicts(coverage.get("gaps"))
        if gap.get("kind") != "excluded" and _about(gap, source))
    reasons.extend(text if n == 1 else f"{n} x {text}" for text, n in parts.items())
    if not reasons and coverage.get("complete") is False:
        reasons.append("the report says coverage is not complete")
    return reasons


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
    """One report's view of one device, and what is new since the last complete visit before."""

    entry: ReviewEntry
    findings: list[dict[str, Any]]
    incomplete: list[str] = field(default_factory=list)  # why this visit did not see everything
    new: list[dict[str, Any]] = field(default_factory=list)
    first: bool = True
    compared_with: Visit | None = None  # the visit `new` is measured against
    skipped: list[Visit] = field(default_factory=list)  # incomplete visits in between


@dataclass(slots=True)
class Review:
    entries: list[ReviewEntry]
    devices: dict[str, list[Visit]]


def find_report_folders(reports_dir: Path) -> list[Path]:
    """Every folder at or below `reports_dir` that holds a report or a manifest."""
    if not reports_dir.is_dir():
        raise InvalidInputError(f"{reports_dir} is not a folder; give the folder of reports.")
    found = {p.parent for name in (REPORT_NAME, MANIFEST_NAME, JOURNAL_DIR)
             for p in reports_dir.rglob(name)}
    if not found:
        raise InvalidInputError(f"{reports_dir} holds no report folders (none has a report.json "
                                "or manifest.json); give the folder the reports were copied to.")
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
            visit = Visit(entry, mine, entry.incomplete(str(source)))
            devices.setdefault(device_identity(item), []).append(visit)
    for visits in devices.values():
        for index, visit in enumerate(visits):
            _compare(visit, visits[:index])
    return Review(entries, dict(sorted(devices.items())))


def _compare(visit: Visit, earlier: list[Visit]) -> None:
    """What is new on `visit`, measured against the last complete, verified visit before it.

    An incomplete visit (time budget, early stop, parts not examined) did not look everywhere,
    so a finding missing from it may simply not have been reached; comparing with it would call
    old material new. A report that does not verify (tampered, unsigned, untrusted) is no
    baseline at all: its findings may have been edited away. With no complete verified visit
    before, the latest verified one is used and the page says so; with none, every finding is new.
    """
    if not earlier:
        return
    verified = [v for v in earlier if v.entry.result.ok]
    complete = [v for v in verified if not v.incomplete]
    base = complete[-1] if complete else verified[-1] if verified else None
    visit.first = False
    visit.compared_with = base
    after = earlier[earlier.index(base) + 1:] if base is not None else earlier
    visit.skipped = [v for v in after if v.incomplete or not v.entry.result.ok]
    seen = {finding_key(f) for f in base.findings} if base is not None else set()
    visit.new = [f for f in visit.findings if finding_key(f) not in seen]


def _skipped_text(visits: list[Visit]) -> str:
    """The visits passed over as a baseline, each with why ("incomplete", "does not verify")."""
    return ", ".join(f"{v.entry.started or '?'} "
                     f"({'incomplete' if v.entry.result.ok else 'does not verify'})"
                     for v in visits)


def _status(entry: ReviewEntry) -> str:
    return entry.result.status if not entry.result.ok else VERIFIED


def _signature_text(entry: ReviewEntry) -> str:
    """The signature state, then every countersignature (who and when)."""
    label = STATUS_LABEL.get(_status(entry), _status(entry).upper())
    counter = [f"countersigned by {s.name} (key {s.key}) {s.signed_utc}"
               + ("" if s.valid and s.trusted else " — NOT TRUSTED")
               for s in entry.result.countersigners]
    return "; ".join([label, *counter])


def _complete_text(entry: ReviewEntry) -> str:
    reasons = entry.incomplete()
    return "INCOMPLETE: " + "; ".join(reasons) if reasons else "complete"


def _counts(entry: ReviewEntry) -> str:
    counts = entry.counts
    return " / ".join(str(counts.get(kind, 0)) for kind in KINDS)


def summary_table(review: Review) -> Table:
    """The rich table: one row per report; reports that do not verify stand out."""
    table = Table(title="Reports", show_lines=False)
    for name in ("Date (UTC)", "Case", "Officer", "Devices", "Verdict",
                 "Exact / similar / rule", "Coverage", "Signature", "Folder"):
        table.add_column(name, overflow="fold")
    for entry in review.entries:
        status = _status(entry)
        table.add_row(
            Text(entry.started or "?"), Text(entry.case), Text(entry.officer),
            Text(", ".join(device_identity(e) for e in entry.evidence)),
            Text(entry.verdict.upper(), style=VERDICT_STYLE.get(entry.verdict, "bold")),
            Text(_counts(entry)),
            Text(_complete_text(entry), style="bold yellow" if entry.incomplete() else ""),
            Text(_signature_text(entry), style=STATUS_STYLE.get(status, "bold")),
            Text(str(entry.folder)),
        )
    return table


def _new_text(visit: Visit) -> str:
    if visit.first:
        return "first visit"
    base = visit.compared_with
    prefix = ""
    if base is None:
        prefix = (f"no earlier report verifies (passed over: {_skipped_text(visit.skipped)}), "
                  "so everything found is listed: ")
    elif base.incomplete:
        prefix = (f"no complete earlier visit: compared with the incomplete visit of "
                  f"{base.entry.started or '?'}, so some of this may only not have been reached "
                  "then: ")
    elif visit.skipped:
        prefix = (f"compared with the last complete visit ({base.entry.started or '?'}); "
                  f"passed over: {_skipped_text(visit.skipped)}: ")
    if not visit.new:
        return prefix + "nothing new"
    return prefix + "; ".join(f"{f.get('kind')}: {f.get('title')} — {f.get('path')}"
                              for f in visit.new)


def _visit_coverage(visit: Visit) -> str:
    return "INCOMPLETE: " + "; ".join(visit.incomplete) if visit.incomplete else "complete"


def history_table(device: str, visits: list[Visit]) -> Table:
    table = Table(title=f"Device {device}")
    for name in ("Date (UTC)", "Case", "Verdict", "Findings", "Coverage",
                 "New since previous visit", "Signature"):
        table.add_column(name, overflow="fold")
    for visit in visits:
        status = _status(visit.entry)
        table.add_row(
            Text(visit.entry.started or "?"), Text(visit.entry.case),
            Text(visit.entry.verdict.upper(), style=VERDICT_STYLE.get(visit.entry.verdict, "")),
            Text(str(len(visit.findings))),
            Text(_visit_coverage(visit), style="bold yellow" if visit.incomplete else ""),
            Text(_new_text(visit)),
            Text(_signature_text(visit.entry), style=STATUS_STYLE.get(status, "bold")),
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


def _rows(cells: list[list[str]], classes: tuple[str, ...]) -> str:
    return "".join("<tr>" + "".join(f'<td class="{k}">{c}</td>' for c, k in zip(row, classes,
                                                                              strict=True))
                   + "</tr>" for row in cells)


def _head(names: tuple[str, ...], classes: tuple[str, ...]) -> str:
    return "<tr>" + "".join(f'<th class="{k}">{text(n)}</th>'
                            for n, k in zip(names, classes, strict=True)) + "</tr>"


def _status_cell(entry: ReviewEntry) -> str:
    status = _status(entry)
    css = "ok" if status == VERIFIED else "bad" if status == TAMPERED else "warn"
    return f'<span class="{css}">{text(_signature_text(entry))}</span>'


def _coverage_cell(reasons: list[str]) -> str:
    if not reasons:
        return "complete"
    return '<span class="warn">INCOMPLETE</span>: ' + text("; ".join(reasons))


# Short cells (dates, case, officer, verdict, counts) never wrap inside a word; only the long
# free-text cells may break anywhere. Letting every cell break anywhere made the browser squeeze
# Case, Officer and Verdict to two or three letters to make room for folder paths.
_STYLE = (
    "@page{size:A4 landscape;margin:10mm}"
    "body{font:9pt Arial,sans-serif;margin:10mm}@media print{body{margin:0}}"
    "table{border-collapse:collapse;width:100%;margin-bottom:6mm}"
    "th,td{border:1px solid #bbb;padding:1mm 2mm;text-align:left;vertical-align:top}"
    "th{background:#eee}tr{break-inside:avoid}"
    "td.short,th.short{white-space:nowrap}"
    "td.words{min-width:8em;overflow-wrap:break-word}"
    "td.long{min-width:10em;overflow-wrap:anywhere;word-break:break-word}"
    ".ok{color:#1b5e20;font-weight:bold}.warn{background:#ffb300;font-weight:bold}"
    ".bad{background:#c62828;color:#fff;font-weight:bold}"
    ".v-red{color:#c62828;font-weight:bold}.v-amber{color:#8a6d00;font-weight:bold}"
    ".v-green{color:#2e7d32;font-weight:bold}"
)
_SUMMARY = ("Date (UTC)", "Case", "Officer", "Devices", "Verdict", "Exact / similar / rule",
            "Coverage", "Signature", "Problems", "Folder")
_SUMMARY_CLASSES = ("short", "short", "short", "words", "short", "short", "words", "words",
                    "long", "long")
_HISTORY = ("Date (UTC)", "Case", "Verdict", "Findings", "Coverage", "New since previous visit",
            "Signature")
_HISTORY_CLASSES = ("short", "short", "short", "short", "words", "long", "words")


def render_review_html(review: Review) -> str:
    """The same review as one self-contained page; every value escaped."""
    rows = [[
        text(e.started or "?"), text(e.case), text(e.officer),
        text(", ".join(device_identity(d) for d in e.evidence)),
        f'<span class="v-{text(e.verdict)}">{text(e.verdict.upper())}</span>',
        text(_counts(e)), _coverage_cell(e.incomplete()), _status_cell(e),
        "<br>".join(text(p) for p in [*e.result.problems, e.load_error or ""] if p) or "—",
        text(str(e.folder)),
    ] for e in review.entries]
    parts = [
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        f"style-src 'unsafe-inline'\"><title>triage review</title><style>{_STYLE}</style>"
        "</head><body>",
        "<h1>Reports</h1><table>" + _head(_SUMMARY, _SUMMARY_CLASSES)
        + _rows(rows, _SUMMARY_CLASSES) + "</table>",
    ]
    for device, visits in review.devices.items():
        cells = [[
            text(v.entry.started or "?"), text(v.entry.case),
            text(v.entry.verdict.upper()), text(len(v.findings)),
            _coverage_cell(v.incomplete), text(_new_text(v)), _status_cell(v.entry),
        ] for v in visits]
        parts.append(
            f"<h2>Device {text(device)}</h2><table>" + _head(_HISTORY, _HISTORY_CLASSES)
            + _rows(cells, _HISTORY_CLASSES) + "</table>"
        )
    parts.append("</body></html>\n")
    return "".join(parts)
