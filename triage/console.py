"""What the officer sees: live progress, hits as they appear, and the final verdict screen."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from triage.ledger import Problem, Resume
from triage.model import FileRecord, Finding
from triage.pipeline import ProgressSink
from triage.report.rulenote import rule_note_parts
from triage.report.verdict import level_of
from triage.wording import where_parts, where_words, wrap_path

# Control characters (terminal escape sequences) and bidirectional overrides in suspect-chosen
# names could clear the officer's screen, retitle the window or reorder text; they are shown
# as escapes instead. rich's Text keeps ESC, so every name goes through shown().
_CTRL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def shown(text: str) -> str:
    """`text` safe for a terminal: control and direction characters written as escapes."""
    return _CTRL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256
                     else f"\\u{ord(m.group()):04x}", text)


VERDICT_STYLE = {"red": "bold white on red", "amber": "bold black on dark_orange",
                 "green": "bold white on green"}
LIVE_HITS = 8  # hits shown in the live panel; all of them are in the report
REFRESH_PER_SECOND = 4
# An ETA from the first seconds of reading is noise (the first files are small pictures, caches
# are cold): one showed 80:00 for a 15 s scan. It appears once both have been reached.
ETA_AFTER_S = 10.0
ETA_AFTER_FRACTION = 0.05
SUMMARY_FINDINGS = 50  # rows of the final findings table; the report has all of them
SUMMARY_GAPS = 20  # rows of the final "not examined" table; the report has all of them


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n} B"


class LiveProgress(ProgressSink):
    """Progress per partition and a panel of hits, drawn with rich (plain text if no TTY)."""

    def __init__(self, console: Console, time_budget_min: float | None = None, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.console = console
        self.clock = clock
        self.started = clock()
        self.budget_s = None if time_budget_min is None else time_budget_min * 60
        self.phase = "Listing"  # the walk of names first, then "Reading" in priority order
        self.label = ""  # the partition being listed, or the priority class being read
        self.found = 0  # files the walk has found so far
        self._volume_found = 0  # ... in the partition being listed
        self.files = 0
        self.members = 0  # files found inside archives while reading (not in the plan's count)
        self.bytes = 0
        self.total_files: int | None = None  # known once the plan is made
        self.total_bytes: int | None = None
        self.reading_started_at = self.started
        self.hits: list[Finding] = []
        self.disks: dict[str, int] = {}  # source -> its number on screen ("Disk 1")
        self.warnings = 0
        self._live: Live | None = None
        self._last_plain = self.started  # plain progress lines only for scans over 5 s

    def __enter__(self) -> LiveProgress:
        if self.console.is_terminal:
            self._live = Live(self._render(), console=self.console,
                              refresh_per_second=REFRESH_PER_SECOND, transient=True)
            self._live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.__exit__(None, None, None)

    @contextmanager
    def paused(self) -> Iterator[None]:
        """The live screen stopped while the officer types (a locked volume's secret)."""
        if self._live is None:
            yield
            return
        self._live.stop()
        try:
            yield
        finally:
            self._live.start()

    def _render(self) -> Group:
        elapsed = self.clock() - self.started
        line = Text.assemble((f"{self.phase} ", "bold"), (self.label or "…", "cyan"))
        if self.total_files is None:
            line.append(f"  {self.found:,} files found")
        else:
            spent = self.clock() - self.reading_started_at
            rate = self.bytes / spent if spent > 0 else 0
            inside = f" (+{self.members:,} inside archives)" if self.members else ""
            line.append(f"  {self.files:,} of {self.total_files:,} files{inside}, "
                        f"{_size(self.bytes)}{self._eta()} at {_size(rate)}/s")
        line.append(f"   elapsed {elapsed:,.0f} s")
        if self.budget_s is not None:
            line.append(f"   time left {max(0.0, self.budget_s - elapsed):,.0f} s", "yellow")
        if self.warnings:
            line.append(f"   {self.warnings} problems recorded", "dark_orange")
        return Group(line, self.hit_table())

    def hit_table(self) -> Table:
        """The latest hits in officer wording; the where column gets two thirds of the width."""
        what, where = _columns(self.console.width, fixed=0)
        hits = Table(title=f"Hits so far: {len(self.hits)}", show_edge=False)
        hits.add_column("what", style="bold red", width=what, overflow="fold")
        hits.add_column("where", width=where, overflow="fold")
        for finding in self.hits[-LIVE_HITS:]:
            hits.add_row(Text(shown(finding.title)),
                         where_cell(finding.to_dict(), self.disks, where))
        return hits

    def where(self, finding: Finding) -> str:
        return where_words(finding.to_dict(), self.disks) or finding.where

    def _eta(self) -> str:
        """' of N (P%), ETA m:ss' from the plan's bytes to read and the rate so far."""
        if not self.total_bytes:
            return ""
        done = min(self.bytes, self.total_bytes)
        text = f" of {_size(self.total_bytes)} ({100 * done / self.total_bytes:.0f}%)"
        spent = self.clock() - self.reading_started_at
        if spent >= ETA_AFTER_S and done >= ETA_AFTER_FRACTION * self.total_bytes:
            left = (self.total_bytes - done) * spent / done
            text += f", ETA {int(left) // 60}:{int(left) % 60:02d}"
        return text

    def _refresh(self) -> None:
        if self._live is not None:
            self._live.update(self._render())
        elif self.clock() - self._last_plain > 5:
            self._last_plain = self.clock()
            self.console.print(f"… {self.files:,} files, {_size(self.bytes)} examined",
                               highlight=False)

    def source_started(self, name: str, size: int | None) -> None:
        if name in self.disks:
            return  # announced by the quick pass already: one number, one line per disk
        number = self.disks.setdefault(name, len(self.disks) + 1)
        label = f"{name} ({_size(size)})" if size else name
        self.console.print(Text.assemble(f"Evidence {number}: ", (shown(label), "bold")),
                           highlight=False)

    def volume_started(self, source: str, volume: dict[str, Any]) -> None:
        self.label = shown(f"{source} p{volume['index']} {volume['fs']}")
        self._volume_found = 0
        self._refresh()

    def planning(self, files: int) -> None:
        self.found += files - self._volume_found
        self._volume_found = files
        self._refresh()

    def planned(self, files: int, size: int) -> None:
        self.phase, self.total_files, self.total_bytes = "Reading", files, size
        self.reading_started_at = self.clock()
        self._refresh()

    def class_started(self, name: str) -> None:
        self.label = name
        self._refresh()

    def file_done(self, record: FileRecord) -> None:
        # The plan counted the files and bytes the walk listed; a member of an archive was
        # found while reading, so it is counted apart, not as one more of the plan's files.
        if record.address.member:
            self.members += 1
        else:
            self.files += 1
            self.bytes += record.bytes_hashed
        if (self.files + self.members) % 200 == 0:
            self._refresh()

    def finding(self, finding: Finding) -> None:
        if level_of(finding) is None:
            return  # a fact listed in the report (a browser, OneDrive): not a hit to shout about
        self.hits.append(finding)
        if self._live is None:
            self.console.print(Text.assemble(("HIT ", "bold red"), shown(finding.title), " — ",
                                             shown(self.where(finding))),
                               highlight=False)
        self._refresh()

    def warning(self, warning: Problem) -> None:
        self.warnings += 1

    def resumed(self, resume: Resume) -> None:
        self.console.print(Text(resume_line(resume.to_report()), style="dark_orange"),
                           highlight=False)


def resume_line(resume: dict[str, Any]) -> str:
    """One sentence saying when, where and from what a scan was resumed."""
    checkpoint = resume.get("checkpoint_utc") or "the start (nothing had been read)"
    host = f" on {resume['host']}" if resume.get("host") else ""
    return (f"Resumed {resume.get('resumed_utc')}{host} from the checkpoint of {checkpoint} "
            f"({resume.get('files_done_before', 0):,} files already done).")


def quick_pass_line(quick: dict[str, Any]) -> str:
    """One line on the block quick pass: what it read, or why it did not run."""
    if quick["status"] != "run":
        return f"Quick pass: {quick['reason']}."
    read = sum(s.get("bytes_covered", 0) for s in quick["sources"])
    size = sum(s.get("size") or 0 for s in quick["sources"])
    count = len(quick["sources"])
    disks = f"{count} disk{'s' if count != 1 else ''}"
    if size and read > size:  # a full pass that read small-cluster volumes at each offset
        line = (f"Quick pass: {disks} ({_size(size)}) read block by block, volumes with small "
                f"clusters once per offset their files can start at ({_size(read)} in all)")
    else:
        line = f"Quick pass: {_size(read)} of {disks} read block by block"
    confidence = quick.get("confidence")
    return f"{line}. {confidence['text']}" if confidence else f"{line}."


def _columns(width: int, *, fixed: int) -> tuple[int, int]:
    """Widths of the what and where columns of a table `width` cells wide whose other columns
    take `fixed` cells (borders and padding: 3 per column plus one)."""
    free = width - fixed - 7
    what = max(12, free // 3)
    return what, max(20, free - what)


def where_cell(item: dict[str, Any], disks: dict[str, int], width: int) -> Text:
    """The place on the first line, then the path wrapped at '/' (see wording.wrap_path)."""
    place, path = where_parts(item, disks)
    lines = wrap_path(shown(path), width)
    return Text("\n".join([place, *lines] if place else lines))


def _disks(report: dict[str, Any]) -> dict[str, int]:
    """Each source's number, in the order the evidence was named (as the live screen counts)."""
    evidence = report.get("provenance", {}).get("evidence") or []
    disks: dict[str, int] = {}
    for item in evidence:
        if isinstance(item, dict) and isinstance(item.get("source"), str):
            disks.setdefault(item["source"], len(disks) + 1)
    return disks


def _not_examined(coverage: dict[str, Any]) -> list[dict[str, Any]]:
    """Parts of the evidence not examined (the stick itself is left out by design, not a gap)."""
    return [gap for gap in coverage["not_examined"]
            if gap.get("what") != "triage system" and gap.get("kind") != "excluded"]


def render_summary(console: Console, report: dict[str, Any], out_dir: str, *,
                   signed: bool = True) -> None:
    """The final screen: the verdict, findings, what was not examined, then the verdict again.

    The last lines repeat the verdict, the counts and the report folder, so that they are what
    the officer sees when a long findings table has scrolled the first panel away.
    """
    verdict = report["verdict"]
    level = verdict["level"]
    banner = Text(f"  {level.upper()}  ", style=VERDICT_STYLE[level], justify="center")
    body = Text("\n".join(shown(reason) for reason in verdict["reasons"]))
    console.print(Panel(Group(banner, Text(""), body), title="triage verdict", expand=True))
    disks = _disks(report)
    findings = report["findings"]
    if findings:
        severity = max(len("severity"), *(len(f["severity"]) for f in findings))
        what, where = _columns(console.width, fixed=severity + 3)
        table = Table(title=f"Findings ({len(findings)})")
        table.add_column("severity", no_wrap=True, width=severity)
        table.add_column("what", width=what, overflow="fold")
        table.add_column("where", width=where, overflow="fold")
        # The order wording is the same for every finding of a condition: printed once under
        # the table, each row pointing at it by number (a narrow screen stays readable).
        wordings: dict[str, int] = {}
        for finding in findings[:SUMMARY_FINDINGS]:
            seen, wording = rule_note_parts(finding)
            lines = [shown(finding["title"])]
            if seen or wording:
                mark = f"[{wordings.setdefault(wording, len(wordings) + 1)}]" if wording else ""
                lines.append(" ".join(part for part in (shown(seen or ""), mark) if part))
            table.add_row(finding["severity"], Text("\n".join(lines)),
                          where_cell(finding, disks, where))
        if len(findings) > SUMMARY_FINDINGS:
            table.caption = f"… and {len(findings) - SUMMARY_FINDINGS} more in the report"
        console.print(table)
        for wording, number in wordings.items():
            console.print(Text(f"[{number}] {shown(wording)}"), highlight=False)
    coverage = report["coverage"]
    gaps = coverage["not_examined"]
    if gaps:
        table = Table(title="Not examined", expand=True)
        table.add_column("source")
        table.add_column("what")
        table.add_column("offset", justify="right")
        table.add_column("why")
        for gap in gaps[:SUMMARY_GAPS]:
            offset = "—" if gap["offset"] is None else str(gap["offset"])
            table.add_row(Text(shown(gap["source"])), gap["what"], offset,
                          Text(shown(gap["reason"])))
        if len(gaps) > SUMMARY_GAPS:
            table.caption = f"… and {len(gaps) - SUMMARY_GAPS} more in the report"
        console.print(table)
    for resume in report.get("provenance", {}).get("resumed") or []:
        console.print(Text(shown(resume_line(resume)), style="dark_orange"), highlight=False)
    stopped = coverage.get("stopped_early")
    if stopped:
        console.print(Text(f"Not reached: {stopped['files_not_reached']:,} files "
                           f"({_size(stopped['bytes_not_reached'])}): {stopped['reason']}; they "
                           "are listed in the report.", style="dark_orange"), highlight=False)
    if not signed:
        console.print("The report is not signed (no --key given); `triage verify` will say so.",
                      style="dark_orange", highlight=False)
    _final_lines(console, report, out_dir)


def _final_lines(console: Console, report: dict[str, Any], out_dir: str) -> None:
    """The verdict, the counts and the report folder, as the very last lines on screen."""
    level = report["verdict"]["level"]
    coverage = report["coverage"]
    stopped = coverage.get("stopped_early")
    unread = stopped["files_not_reached"] if stopped else 0
    parts = len(_not_examined(coverage))
    console.rule(style=VERDICT_STYLE[level].split(" on ")[-1])
    console.print(Text.assemble((f" {level.upper()} ", VERDICT_STYLE[level]), " ",
                                " ".join(shown(r) for r in report["verdict"]["reasons"])),
                  highlight=False)
    console.print(
        f"{coverage['files_seen'] - unread:,} files examined ({coverage['files_deleted']:,} "
        f"deleted), {_size(coverage['bytes_hashed'])} read; {parts:,} "
        f"part{'s' if parts != 1 else ''} not examined; {report['warnings_total']} problems.",
        highlight=False)
    quick = coverage.get("quick_pass")
    if quick:
        console.print(Text(shown(quick_pass_line(quick))), highlight=False)
    console.print(Text.assemble("Report: ", (out_dir, "bold")), highlight=False)
