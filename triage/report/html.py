"""report.html: one self-contained, printable page an officer can read; every value escaped."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from triage.ledger.records import SEPARATOR
from triage.report import timeline
from triage.report.atomic import write_atomic
from triage.report.markup import digest, kv, table, text, wrap
from triage.report.rulenote import rule_note
from triage.wording import where_parts

HTML_NAME = "report.html"
# Banner colours: the verdict must be readable at a glance and in a greyscale print, so each
# carries its word as well as its colour. Amber takes dark text for contrast (WCAG AA).
BANNER_COLOURS = {"red": "#c62828", "amber": "#ffb300", "green": "#2e7d32"}
BANNER_TEXT = {"red": "#ffffff", "amber": "#000000", "green": "#ffffff"}
PLAIN_VERDICT = {
    "red": "Known indecent material or a serious breach was found.",
    "amber": "Something needs a closer look, or part of the device could not be examined.",
    "green": "Everything reachable was examined and nothing was found.",
}
# Warnings beyond this many are counted, not listed: a broken disk can yield millions.
MAX_WARNINGS_LISTED = 200


_CSS = """
@page { size: A4; margin: 12mm 12mm 14mm; }
* { box-sizing: border-box; }
body { font: 10pt/1.35 "DejaVu Sans", Arial, sans-serif; color: #111; margin: 0; }
main { max-width: 186mm; margin: 0 auto; padding: 6mm 0; }
@media print { main { max-width: none; padding: 0; } }
.head { width: 100%; margin-bottom: 3mm; }
.head th { width: 18%; }
.banner { padding: 5mm 8mm; border-radius: 2mm; margin-bottom: 4mm;
  -webkit-print-color-adjust: exact; print-color-adjust: exact; }
.banner h1 { font-size: 28pt; margin: 0 0 2mm 0; letter-spacing: 0.08em; }
.banner p { font-size: 12pt; margin: 0; }
h2 { font-size: 13pt; border-bottom: 1px solid #999; margin: 6mm 0 2mm; break-after: avoid; }
h3 { font-size: 11pt; margin: 3mm 0 1mm; break-after: avoid; }
table { border-collapse: collapse; width: 100%; margin-bottom: 3mm; }
thead { display: table-header-group; }
th, td { border: 1px solid #bbb; padding: 1mm 1.5mm; text-align: left; vertical-align: top;
  overflow-wrap: break-word; font-size: 9pt; }
.wrap { overflow-wrap: anywhere; word-break: break-word; }
.digest { font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: 8pt;
  overflow-wrap: normal; word-break: normal; white-space: normal; }
th { background: #eee; }
tr { break-inside: avoid; }
.kv th { width: 32%; }
.files { table-layout: fixed; }
.files col.file { width: 40%; } .files col.matched { width: 33%; } .files col.sha { width: 27%; }
.files col.thumb { width: 26mm; }
.files ul { margin: 0; padding-left: 4mm; }
.address { color: #444; font-size: 7.5pt; }
.sev-critical, .sev-high { color: #b71c1c; font-weight: bold; }
.none { color: #555; font-style: italic; }
.thumb { width: 24mm; height: auto; filter: grayscale(1); }
footer { margin-top: 6mm; font-size: 8.5pt; color: #444; }
"""


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _banner(report: dict[str, Any]) -> str:
    verdict = _dict(report.get("verdict"))
    level = verdict.get("level") if verdict.get("level") in BANNER_COLOURS else "amber"
    reasons = [r for r in _list(verdict.get("reasons")) if r]
    reason = reasons[0] if reasons else PLAIN_VERDICT[level]
    style = f"background:{BANNER_COLOURS[level]};color:{BANNER_TEXT[level]}"
    more = "".join(f"<p>{text(r)}</p>" for r in reasons[1:])
    return (
        f'<section class="banner {level}" id="verdict" style="{style}">'
        f"<h1>{level.upper()}</h1><p>{text(reason)}</p>{more}</section>"
    )


def _thumb(finding: dict[str, Any], thumbnails: Mapping[str, bytes] | None) -> list[str]:
    if thumbnails is None:
        return []
    png = thumbnails.get(str(finding.get("address")))
    if png is None:
        return [text(None)]
    data = base64.b64encode(png).decode("ascii")
    return [f'<img class="thumb" alt="blurred thumbnail" src="data:image/png;base64,{data}">']


_SEVERITY_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}


def _by_file(findings: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Findings grouped per file (or per archive member, volume or folder), most severe first."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for finding in findings:
        groups.setdefault(str(finding.get("address") or finding.get("path") or ""),
                          []).append(finding)
    for items in groups.values():
        items.sort(key=lambda f: _SEVERITY_RANK.get(str(f.get("severity")), 9))
    return sorted(groups.values(), key=lambda items: (
        _SEVERITY_RANK.get(str(items[0].get("severity")), 9), str(items[0].get("address"))))


def _file_cell(first: dict[str, Any], disks: dict[str, int]) -> str:
    """Officer wording first, then the chained address that identifies the file exactly."""
    place, path = where_parts(first, disks)
    address = text(first.get("address") or first.get("path"))
    facts = []
    if isinstance(first.get("size"), int):
        facts.append(f"{first['size']:,} bytes")
    if first.get("mtime"):
        facts.append(f"modified {text(first.get('mtime'))}")
    lines = [f"<strong>{text(place)}</strong>" if place else "", wrap(text(path)),
             f'<span class="address wrap">{address}</span>', text(", ".join(facts))
             if facts else ""]
    if first.get("deleted"):
        lines[1] += " <strong>(deleted)</strong>" if "(deleted)" not in path else ""
    return "<br>".join(line for line in lines if line)


def _match_item(finding: dict[str, Any]) -> str:
    severity = str(finding.get("severity") or "")
    detail = _match_detail(finding)
    return (f'<li><span class="sev-{text(severity)}">{text(severity)}</span>: '
            f"{text(finding.get('title'))}" + (f" ({text(detail)})" if detail else "") + "</li>")


def _findings(report: dict[str, Any], thumbnails: Mapping[str, bytes] | None) -> str:
    findings = [f for f in _list(report.get("findings")) if isinstance(f, dict)]
    files = _by_file(findings)
    disks = source_numbers(report)
    parts = [f"<h2>What was found — {_things(files)}</h2>"]
    if not findings:
        parts.append('<p class="none">Nothing was found.</p>')
        return "".join(parts)
    counts = []
    for kind, words in (("exact", "with known images (exact match with a hash set)"),
                        ("block", "with known files found by their blocks on the raw disk "
                                  "(quick pass)"),
                        ("perceptual", "with similar images (close to a known image)"),
                        ("rule", "with court-order rule findings")):
        having = [items for items in files if any(f.get("kind") == kind for f in items)]
        if having:
            counts.append(f"{_things(having)} {words}")
    parts.append(f"<p>{text('; '.join(counts))}.</p>")
    thumb = thumbnails is not None
    cols = ('<col class="thumb">' if thumb else "") + (
        '<col class="file"><col class="matched"><col class="sha">')
    head = "".join(f"<th>{text(h)}</th>" for h in
                   ([*(["Thumbnail"] if thumb else []), "File", "Matched", "SHA-256"]))
    rows = []
    for items in files:
        # A quick-pass finding knows the file by its blocks, not its digest: the row shows the
        # file through a finding that read it whole, when there is one.
        lead = next((f for f in items if f.get("sha256")), items[0])
        matched = "<ul>" + "".join(_match_item(f) for f in items) + "</ul>"
        cells = [*_thumb(lead, thumbnails), _file_cell(lead, disks), matched,
                 digest(lead.get("sha256"))]
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    parts.append(f'<table class="files"><colgroup>{cols}</colgroup><thead><tr>{head}</tr>'
                 f"</thead><tbody>{''.join(rows)}</tbody></table>")
    return "".join(parts)


def _things(groups: list[list[dict[str, Any]]]) -> str:
    """"3 files", "1 volume", "2 files and 1 volume": a rule on a volume (encryption in use)
    finds a volume, not a file."""
    volumes = sum(1 for items in groups if "volume" in _dict(items[0].get("detail")))
    files = len(groups) - volumes
    words = [f"{n} {noun}{'s' if n != 1 else ''}" for n, noun in ((files, "file"),
                                                                    (volumes, "volume")) if n]
    return " and ".join(words) or "0 files"


def source_numbers(report: dict[str, Any]) -> dict[str, int]:
    """Each evidence source's number ("Disk 1"), in the order the scan named them."""
    numbers: dict[str, int] = {}
    for item in _list(_dict(report.get("provenance")).get("evidence")):
        if isinstance(item, dict) and isinstance(item.get("source"), str):
            numbers.setdefault(item["source"], len(numbers) + 1)
    return numbers


def _header(report: dict[str, Any], provenance: dict[str, Any]) -> str:
    """Case, officer, devices and time: what a reader checks first, above the verdict."""
    devices = []
    for number, item in enumerate(_list(provenance.get("evidence")), 1):
        if not isinstance(item, dict):
            continue
        facts = [str(item.get(k)) for k in ("kind", "model") if item.get(k)]
        if item.get("serial"):
            facts.append(f"serial {item['serial']}")
        if isinstance(item.get("size"), int):
            facts.append(f"{item['size']:,} bytes")
        label = "Folder" if item.get("kind") == "folder" else "Disk"
        devices.append(f"{label} {number}: {text(item.get('source'))}"
                       + (f" ({text(', '.join(facts))})" if facts else ""))
    started = provenance.get("started_utc")
    duration = provenance.get("duration_s")
    when = f"{started} UTC" if started else None
    if when and duration is not None:
        when += f" (took {duration} s)"
    rows = [("Case", text(provenance.get("case"))), ("Officer", text(provenance.get("officer"))),
            ("Devices", "<br>".join(devices) or text(None)), ("Scanned", text(when))]
    body = "".join(f"<tr><th>{text(k)}</th><td>{v}</td></tr>" for k, v in rows)
    return f'<table class="head kv" id="header"><tbody>{body}</tbody></table>'


def _match_detail(finding: dict[str, Any]) -> str:
    """Every set, category and reference that matched (one finding may list several), then the
    distance, rule and order condition."""
    bits = []
    for match in _list(finding.get("matches")) or [finding]:
        match = _dict(match)
        if match.get("hashset"):
            version = match.get("hashset_version")
            bits.append(f"set {match['hashset']} {version}" if version
                        else f"set {match['hashset']}")
        if match.get("category"):
            bits.append(f"category {match['category']}")
        if match.get("reference"):
            bits.append(f"reference {match['reference']}")
    if finding.get("distance") is not None:
        bits.append(f"distance {finding['distance']}")
    detail = finding.get("detail")
    if finding.get("kind") == "block" and isinstance(detail, dict):
        bits.append(f"{detail.get('blocks_seen')} of {detail.get('distinctive_blocks')} "
                    f"distinctive blocks of {finding.get('reference')}")
    if finding.get("rule"):
        bits.append(f"rule {finding['rule']}")
    if finding.get("condition"):
        bits.append(f"order condition: {finding['condition']}")
    note = rule_note(finding)
    if note:
        bits.append(note)
    return ", ".join(bits)


def _not_examined(coverage: dict[str, Any], report: dict[str, Any]) -> str:
    volumes = [v for v in _list(coverage.get("volumes"))
               if isinstance(v, dict) and v.get("status") == "not_examined"]
    rows = [
        [text(v.get("source")), text(f"volume {v.get('index')} at byte {v.get('offset')}"),
         text(v.get("size")), text(v.get("reason"))]
        for v in volumes
    ]
    # A volume not examined is also a gap at its address: listed once, as the volume (whose
    # source names the layers passed), not a second time as "partition".
    listed = {f"{v.get('source')}{SEPARATOR}p{v.get('index')}@{v.get('offset')}"
              for v in volumes}
    rows += [
        [text(n.get("source")), text(n.get("what")), text(n.get("size")), text(n.get("reason"))]
        for n in _list(coverage.get("not_examined"))
        if isinstance(n, dict) and n.get("address") not in listed
    ]
    skipped = _dict(coverage.get("files_skipped"))
    rows += [[text("files"), text(f"{n} file(s) skipped"), text(None), text(reason)]
             for reason, n in sorted(skipped.items())]
    others = _dict(coverage.get("other_entries"))
    rows += [[text("files"), text(f"{n} {kind} entr{'y' if n == 1 else 'ies'}"), text(None),
              text("not a regular file: listed, not examined")]
             for kind, n in sorted(others.items())]
    if coverage.get("read_errors"):
        rows.append([text("files"), text(f"{coverage['read_errors']} read error(s)"), text(None),
                     text("the device could not be read there")])
    budget = _dict(coverage.get("time_budget"))
    if budget.get("reached"):
        rows.append([text("scan"), text("time budget reached"), text(None),
                     text(f"stopped after {budget.get('minutes')} minutes; the rest was not seen")])
    complete = "Coverage is complete." if coverage.get("complete") else "Coverage is NOT complete."
    quick = _dict(coverage.get("quick_pass"))
    if quick.get("status") == "not_run":
        # Files (deleted ones too) were examined; the space between them was not searched.
        rows.append([text("disks"), text("unallocated, deleted and reformatted space"),
                     text(None), text(f"quick pass: {quick.get('reason')}")])
        if coverage.get("complete"):
            complete = ("Every file found was examined; the space no file holds was not "
                        "searched for known files (see below).")
    warnings = [w for w in _list(report.get("warnings")) if isinstance(w, dict)]
    total = report.get("warnings_total", len(warnings))
    warn_rows = [[text(w.get("address")), text(w.get("stage")), text(w.get("message"))]
                 for w in warnings[:MAX_WARNINGS_LISTED]]
    shown = min(len(warnings), MAX_WARNINGS_LISTED)
    return (
        f"<h2>What was not examined, and why</h2><p>{text(complete)}</p>"
        + table(["Source", "What", "Bytes", "Why"], rows, "Everything found was examined.")
        + f"<h3>Warnings — {text(total)} (listed: {shown})</h3>"
        + table(["Where", "Stage", "Message"], warn_rows, "No warnings.")
    )


def _devices(provenance: dict[str, Any], coverage: dict[str, Any]) -> str:
    devices = [
        [text(d.get("source")), text(d.get("kind")), text(d.get("model")), text(d.get("serial")),
         text(d.get("size")), text(d.get("read_only")), digest(d.get("first_mib_sha256"))]
        for d in _list(provenance.get("evidence")) if isinstance(d, dict)
    ]
    volumes = [
        [text(v.get("source")), text(v.get("index")), text(v.get("offset")), text(v.get("size")),
         text(v.get("fs")), text(v.get("status")), text(v.get("files"))]
        for v in _list(coverage.get("volumes")) if isinstance(v, dict)
    ]
    return (
        "<h2>Devices examined</h2>"
        + table(["Source", "Kind", "Model", "Serial", "Bytes", "Read-only",
                  "SHA-256 of first MiB"], devices, "No device is recorded.")
        + "<h3>Partitions and file systems</h3>"
        + table(["Source", "Index", "Offset", "Bytes", "File system", "Status", "Files"],
                 volumes, "No volume is recorded.")
    )


def _references(provenance: dict[str, Any]) -> str:
    sets = [
        [text(h.get("name")), text(h.get("version")), text(h.get("kind")), text(h.get("count")),
         digest(h.get("digest")), text(h.get("signer")), text(h.get("trusted")),
         text(h.get("expires"))]
        for h in _list(provenance.get("hashsets")) if isinstance(h, dict)
    ]
    rules = [
        [text(r.get("id")), text(r.get("version")), wrap(text(r.get("file"))),
         digest(r.get("sha256"))]
        for r in _list(provenance.get("rules")) if isinstance(r, dict)
    ]
    return (
        "<h2>Hash sets and rules used</h2>"
        + table(["Hash set", "Version", "Kind", "Entries", "Digest", "Signer", "Trusted",
                  "Expires"], sets, "No hash set was used.")
        + table(["Rule", "Version", "File", "SHA-256"], rules, "No rule was used.")
    )


def _case(report: dict[str, Any], provenance: dict[str, Any]) -> str:
    tool = _dict(provenance.get("tool"))
    coverage = _dict(report.get("coverage"))
    return "<h2>Case, officer and times</h2>" + kv([
        ("Case", provenance.get("case")),
        ("Officer", provenance.get("officer")),
        ("Started (UTC)", provenance.get("started_utc")),
        ("Finished (UTC)", provenance.get("finished_utc")),
        ("Duration (s)", provenance.get("duration_s")),
        ("First hit after (s)", provenance.get("time_to_first_hit_s")),
        ("Host", provenance.get("host")),
        ("Command", provenance.get("command")),
        ("Files seen / deleted / hashed", "{} / {} / {}".format(
            coverage.get("files_seen"), coverage.get("files_deleted"),
            coverage.get("files_hashed"))),
        ("Files not reached", _not_reached(coverage.get("stopped_early"))),
        ("Resumed", _resumed(provenance.get("resumed"))),
        ("Tool", f"{tool.get('name', 'triage')} {tool.get('version', '')}".strip()),
    ])


def _resumed(resumed: Any) -> str:
    """When, on which machine and from which checkpoint the scan was resumed, or "no"."""
    lines = []
    for entry in _list(resumed):
        entry = _dict(entry)
        host = f" on {entry.get('host')}" if entry.get("host") else ""
        signed = "" if entry.get("signed", True) else ", finished unsigned"
        lines.append(f"{entry.get('resumed_utc')}{host}, from the checkpoint of "
                     f"{entry.get('checkpoint_utc') or 'the start'} "
                     f"({entry.get('files_done_before')} files already done){signed}")
    return "; ".join(lines) or "no"


def _not_reached(stopped: Any) -> str:
    if not isinstance(stopped, dict):
        return "none"
    return f"{stopped.get('files_not_reached')} ({stopped.get('reason')})"


def render_html(report: dict[str, Any], thumbnails: Mapping[str, bytes] | None = None) -> str:
    """The whole page. `thumbnails` (finding address -> PNG) only for authorised reviewers."""
    provenance = _dict(report.get("provenance"))
    coverage = _dict(report.get("coverage"))
    title = f"triage report — {provenance.get('case') or 'no case reference'}"
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        # No script may run and nothing may be fetched, even if a value ever escaped escaping.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'; img-src data:\">"
        f"<title>{text(title)}</title><style>{_CSS}</style></head><body><main>"
        + _header(report, provenance)
        + _banner(report)
        + _findings(report, thumbnails)
        + timeline.section(report, text)
        + _not_examined(coverage, report)
        + _devices(provenance, coverage)
        + _references(provenance)
        + _case(report, provenance)
        + f"<footer>Report schema {text(report.get('schema'))}. Check it has not been altered "
        "with <code>triage verify</code> on this folder.</footer></main></body></html>\n"
    )


def write_html(path: Path, report: dict[str, Any],
               thumbnails: Mapping[str, bytes] | None = None) -> None:
    write_atomic(path, render_html(report, thumbnails).encode("utf-8"))
