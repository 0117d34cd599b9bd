"""The supervisors' review page drawn from the store: one self-contained HTML file, no script."""

from __future__ import annotations

from triage.report.markup import text
from triage.store.engine import Store
from triage.store.queries import NewSince, Visit, new_since, subjects, visits, why_passed_over

_STYLE = (
    "body{font:10pt Arial,sans-serif;margin:10mm}table{border-collapse:collapse;width:100%;"
    "margin-bottom:6mm}th,td{border:1px solid #bbb;padding:1mm 2mm;text-align:left;"
    "vertical-align:top}td.wrap{overflow-wrap:break-word}th{background:#eee}"
    "td.nowrap{white-space:nowrap}.ok{color:#1b5e20;font-weight:bold}"
    ".warn{background:#ffb300;font-weight:bold;white-space:nowrap}.bad{background:#c62828;"
    "color:#fff;font-weight:bold}.v-red{color:#c62828;font-weight:bold}.v-amber{color:#8a6d00;"
    "font-weight:bold}.v-green{color:#2e7d32;font-weight:bold}"
    "@media print{@page{size:A4 landscape;margin:10mm}}")
_STATUS = {"verified": ("ok", "verified"), "untrusted": ("warn", "UNTRUSTED SIGNER"),
           "unsigned": ("warn", "UNSIGNED"), "tampered": ("bad", "DOES NOT VERIFY"),
           "unfinished": ("bad", "UNFINISHED SCAN")}


def _row(cells: list[str]) -> str:
    return "<tr>" + "".join(cells) + "</tr>"


def _cell(value: object, css: str = "wrap") -> str:
    return f'<td class="{css}">{text(value)}</td>'


def _when(utc: str) -> str:
    """'2026-01-10T09:00:00Z' as '2026-01-10 09:00' (UTC): narrower, still unambiguous."""
    return utc[:16].replace("T", " ") if len(utc) >= 16 else utc


def _verdict(visit: Visit) -> str:
    level = visit.verdict if visit.verdict in ("red", "amber", "green") else "unknown"
    return f'<td class="nowrap"><span class="v-{level}">{text(level.upper())}</span></td>'


def _status(visit: Visit) -> str:
    css, label = _STATUS.get(visit.status, ("bad", visit.status.upper()))
    return f'<td class="nowrap"><span class="{css}">{text(label)}</span></td>'


def _completeness(visit: Visit) -> str:
    if visit.complete:
        return _cell("complete", "nowrap")
    return f'<td class="wrap"><span class="warn">INCOMPLETE</span> ' \
           f'{text("; ".join(visit.incomplete_reasons))}</td>'


def _countersigned(visit: Visit) -> str:
    return _cell(", ".join(visit.countersigners) if visit.countersigned else "no")


def visits_table(rows: list[Visit]) -> str:
    head = ("Date (UTC)", "Person", "Case", "Officer", "Devices", "Verdict", "Findings",
            "Scan", "Signature", "Countersigned")
    body = "".join(_row([
        _cell(_when(v.started_utc), "nowrap"), _cell(v.subject or "—"),
        _cell(v.case), _cell(v.officer), _cell(", ".join(v.devices)),
        _verdict(v), _cell(v.findings_count, "nowrap"), _completeness(v), _status(v),
        _countersigned(v)]) for v in rows)
    return ("<table><tr>" + "".join(f"<th>{text(h)}</th>" for h in head) + "</tr>" + body
            + "</table>")


def new_since_section(subject: str, news: NewSince) -> str:
    """One person's latest visit against their last complete one, in words and a table."""
    parts = [f"<h2>Person {text(subject)}</h2>"]
    latest = news.latest
    assert latest is not None  # noqa: S101 - subjects come from the store's own visits
    if news.baseline is None:
        parts.append(f"<p>Latest visit {text(latest.started_utc)}: no earlier complete, "
                     "verified visit to compare with, so every finding is listed.</p>")
    else:
        parts.append(f"<p>Latest visit {text(latest.started_utc)} compared with the last "
                     f"complete, verified visit, {text(news.baseline.started_utc)}.</p>")
    for visit in news.passed_over:
        parts.append(f"<p><span class=\"warn\">Note</span> the visit of "
                     f"{text(visit.started_utc)} is not used as the baseline "
                     f"({text(why_passed_over(visit))}).</p>")
    if not news.new:
        parts.append("<p>Nothing new.</p>")
        return "".join(parts)
    head = ("Kind", "Severity", "What", "Path", "Device")
    body = "".join(_row([_cell(f["kind"], "nowrap"), _cell(f["severity"], "nowrap"),
                         _cell(f["title"]), _cell(f["path"] or ""), _cell(f["device_key"] or "")])
                   for f in news.new)
    parts.append("<table><tr>" + "".join(f"<th>{text(h)}</th>" for h in head) + "</tr>" + body
                 + "</table>")
    return "".join(parts)


def render_store_review(store: Store) -> str:
    """Every visit, then per person what is new since their last complete visit."""
    parts = [
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        f"style-src 'unsafe-inline'\"><title>triage review</title><style>{_STYLE}</style>"
        f"</head><body><h1>Visits</h1><p>From the store {text(store.name)}.</p>",
        visits_table(visits(store)),
    ]
    for subject in subjects(store):
        parts.append(new_since_section(subject, new_since(store, subject)))
    parts.append("</body></html>\n")
    return "".join(parts)
