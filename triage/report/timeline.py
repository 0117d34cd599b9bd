"""The artefacts timeline in report.html: events per day as inline SVG (no script), with the
days of breaching events marked, and a table an officer can read."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from triage.model import Severity

# The chart shows at most this many days, ending on the scan's day (a long history is cut to
# its most recent part; the listing keeps everything).
MAX_DAYS = 120
WIDTH, HEIGHT, PAD = 720, 140, 24
MARKED = frozenset({Severity.MEDIUM.value, Severity.HIGH.value, Severity.CRITICAL.value})


def _day(iso: str | None) -> dt.date | None:
    if not iso:
        return None
    try:
        return dt.date.fromisoformat(str(iso)[:10])
    except ValueError:
        return None


def window(times: list[float | None], end: dt.date, since: dt.date | None) -> dict[str, Any]:
    """The report's `artefacts.timeline`: events per UTC day from --since less 30 days (at
    most MAX_DAYS before the scan's day) to the scan's day."""
    start = end - dt.timedelta(days=MAX_DAYS - 1)
    if since is not None:
        start = max(start, since - dt.timedelta(days=30))
    counts: dict[str, int] = {}
    for when in times:
        if when is None:
            continue
        try:
            day = dt.datetime.fromtimestamp(when, dt.UTC).date()
        except (OverflowError, OSError, ValueError):
            continue
        if start <= day <= end:
            counts[day.isoformat()] = counts.get(day.isoformat(), 0) + 1
    return {"start": start.isoformat(), "end": end.isoformat(),
            "since": None if since is None else since.isoformat(),
            "per_day": dict(sorted(counts.items()))}


def _breaches(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Artefact rule findings that move the verdict: when, what, and how many records."""
    out = []
    for finding in report.get("findings") or []:
        detail = finding.get("detail") if isinstance(finding, dict) else None
        if (finding.get("kind") == "rule" and isinstance(detail, dict) and "first" in detail
                and finding.get("severity") in MARKED):
            out.append(finding)
    return sorted(out, key=lambda f: str(f["detail"].get("first") or ""))


# The field that says what a record is about, by preference (the first record is shown).
_TELLING = ("target_path", "url", "terms", "name", "command", "serial", "event", "setting")


def example(finding: dict[str, Any]) -> str:
    """'e.g. E:\\Photos\\a.jpg (removable drive, volume serial A1B2C3D4, label KINGSTON)': what
    the finding's first record is about, so an officer can match a drive to those declared."""
    examples = finding["detail"].get("examples")
    first = examples[0] if isinstance(examples, list) and examples else None
    if not isinstance(first, dict):
        return ""
    what = next((str(first[k]) for k in _TELLING if first.get(k)), "")
    drive = [f"{first['drive_type']} drive"] if first.get("drive_type") else []
    drive += [f"{label} {first[key]}" for key, label in (("volume_serial", "volume serial"),
                                                         ("volume_label", "label"))
              if first.get(key)]
    return f"e.g. {what}" + (f" ({', '.join(drive)})" if drive else "") if what else ""


def svg(days: dict[str, int], marked: set[str], start: dt.date, end: dt.date,
        since: dt.date | None) -> str:
    """A bar per day; breaching days in red with a mark above; --since as a dashed line."""
    span = max(1, (end - start).days + 1)
    top = max(days.values(), default=1)
    step = (WIDTH - 2 * PAD) / span
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {WIDTH} {HEIGHT}" '
             'style="width:100%;height:auto;max-width:720px" class="timeline">'
             f'<title>Events per day, {start} to {end}</title>'
             f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" '
             'stroke="#555"/>']
    for offset in range(span):
        day = (start + dt.timedelta(days=offset)).isoformat()
        count = days.get(day, 0)
        x = PAD + offset * step
        if count:
            h = max(2.0, (HEIGHT - 2 * PAD) * count / top)
            colour = "#c62828" if day in marked else "#607d8b"
            parts.append(f'<rect x="{x:.1f}" y="{HEIGHT - PAD - h:.1f}" '
                         f'width="{max(1.0, step - 1):.1f}" height="{h:.1f}" fill="{colour}">'
                         f'<title>{day}: {count} events</title></rect>')
        if day in marked:
            parts.append(f'<text x="{x:.1f}" y="{PAD - 6}" font-size="12" fill="#c62828">▼'
                         '</text>')
    if since is not None and start <= since <= end:
        x = PAD + (since - start).days * step
        parts.append(f'<line x1="{x:.1f}" y1="{PAD}" x2="{x:.1f}" y2="{HEIGHT - PAD}" '
                     'stroke="#1565c0" stroke-dasharray="4 3"/>'
                     f'<text x="{x + 3:.1f}" y="{PAD + 10}" font-size="10" fill="#1565c0">'
                     'since</text>')
    parts.append(f'<text x="{PAD}" y="{HEIGHT - 6}" font-size="10">{start}</text>'
                 f'<text x="{WIDTH - PAD}" y="{HEIGHT - 6}" font-size="10" '
                 f'text-anchor="end">{end}</text></svg>')
    return "".join(parts)


def section(report: dict[str, Any], _escape: Callable[[Any], str]) -> str:
    """The report.html section, or '' when the scan read no artefacts; `_escape` is the page's
    own escaping (which also shows hidden characters a suspect may put in a title)."""
    artefacts = report.get("artefacts")
    if not isinstance(artefacts, dict) or not artefacts.get("records"):
        return ""
    timeline = artefacts.get("timeline") if isinstance(artefacts.get("timeline"), dict) else {}
    days = {str(k): int(v) for k, v in (timeline.get("per_day") or {}).items()}
    end = _day(timeline.get("end")) or dt.date.today()
    since = _day(timeline.get("since"))
    start = _day(timeline.get("start")) or end - dt.timedelta(days=MAX_DAYS - 1)
    breaches = _breaches(report)
    marked = set()
    for finding in breaches:
        for key in ("first", "last"):
            day = _day(finding["detail"].get(key))
            if day is not None:
                marked.add(day.isoformat())
    rows = "".join(
        f"<tr><td>{_escape(f['detail'].get('first'))}</td>"
        f"<td>{_escape(f['detail'].get('last'))}</td><td>{_escape(f.get('title'))}"
        f"<br><small>{_escape(example(f))}</small></td>"
        f"<td>{_escape(f['detail'].get('count'))}</td><td class=\"addr\">"
        f"{_escape(f['detail'].get('address'))}</td></tr>" for f in breaches)
    kinds = ", ".join(f"{_escape(k)} {_escape(v)}" for k, v in
                      (artefacts.get("by_kind") or {}).items())
    table = ("<table><tr><th>First</th><th>Last</th><th>What</th><th>Records</th>"
             f"<th>From</th></tr>{rows}</table>" if rows else
             "<p>No artefact shows a breach.</p>")
    return (f"<section><h2>Timeline of the system's own records</h2><p>"
            f"{_escape(artefacts['records'])} records read ({kinds}); every one is in "
            "artefacts.jsonl.gz.</p>"
            + svg(days, marked, start, end, since) + table + "</section>")
