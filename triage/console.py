"""What the officer sees: live progress, hits as they appear, and the final verdict screen."""

from __future__ import annotations

import re
import time
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from triage.ledger import Problem, Resume
from triage.model import FileRecord, Finding
from triage.pipeline import ProgressSink

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


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n} B"


class LiveProgress(ProgressSink):
    """Progress per partition and a panel of hits, drawn with rich (plain text if no TTY)."""

    def __init__(self, console: Console, time_budget_min: float | None = None) -> None:
        self.console = console
        self.started = time.monotonic()
        self.budget_s = None if time_budget_min is None else time_budget_min * 60
        self.phase = "Listing"  # the walk of names first, then "Reading" in priority order
        self.label = ""  # the partition being listed, or the priority class being read
        self.found = 0  # files the walk has found so far
        self._volume_found = 0  # ... in the partition being listed
        self.files = 0
        self.bytes = 0
        self.total_files: int | None = None  # known once the plan is made
        self.total_bytes: int | None = None
        self.reading_started_at = self.started
        self.hits: list[Finding] = []
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

    def _render(self) -> Group:
        elapsed = time.monotonic() - self.started
        line = Text.assemble((f"{self.phase} ", "bold"), (self.label or "…", "cyan"))
        if self.total_files is None:
            line.append(f"  {self.found:,} files found")
        else:
            spent = time.monotonic() - self.reading_started_at
            rate = self.bytes / spent if spent > 0 else 0
            line.append(f"  {self.files:,} of {self.total_files:,} files, {_size(self.bytes)}"
                        f"{self._eta()} at {_size(rate)}/s")
        line.append(f"   elapsed {elapsed:,.0f} s")
        if self.budget_s is not None:
            line.append(f"   time left {max(0.0, self.budget_s - elapsed):,.0f} s", "yellow")
        if self.warnings:
            line.append(f"   {self.warnings} problems recorded", "dark_orange")
        hits = Table(title=f"Hits so far: {len(self.hits)}", expand=True, show_edge=False)
        hits.add_column("what", style="bold red", no_wrap=True)
        hits.add_column("where", overflow="fold")
        for finding in self.hits[-LIVE_HITS:]:
            hits.add_row(Text(shown(finding.title)), Text(shown(finding.where)))
        return Group(line, hits)

    def _eta(self) -> str:
        """' of N (P%), ETA m:ss' from the plan's bytes to read and the rate so far."""
        if not self.total_bytes:
            return ""
        done = min(self.bytes, self.total_bytes)
        text = f" of {_size(self.total_bytes)} ({100 * done / self.total_bytes:.0f}%)"
        spent = time.monotonic() - self.reading_started_at
        if done and spent > 1:
            left = (self.total_bytes - done) * spent / done
            text += f", ETA {int(left) // 60}:{int(left) % 60:02d}"
        return text

    def _refresh(self) -> None:
        if self._live is not None:
            self._live.update(self._render())
        elif time.monotonic() - self._last_plain > 5:
            self._last_plain = time.monotonic()
            self.console.print(f"… {self.files:,} files, {_size(self.bytes)} examined",
                               highlight=False)

    def source_started(self, name: str, size: int | None) -> None:
        label = f"{name} ({_size(size)})" if size else name
        self.console.print(Text.assemble("Evidence: ", (shown(label), "bold")), highlight=False)

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
        self.reading_started_at = time.monotonic()
        self._refresh()

    def class_started(self, name: str) -> None:
        self.label = name
        self._refresh()

    def file_done(self, record: FileRecord) -> None:
        self.files += 1
        self.bytes += record.bytes_hashed
        if self.files % 200 == 0:
            self._refresh()

    def finding(self, finding: Finding) -> None:
        self.hits.append(finding)
        if self._live is None:
            self.console.print(Text.assemble(("HIT ", "bold red"), shown(finding.title), " — ",
                                             shown(finding.where)),
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


def render_summary(console: Console, report: dict[str, Any], out_dir: str) -> None:
    """The final screen: the verdict in one colour, its reasons, what was not examined."""
    verdict = report["verdict"]
    level = verdict["level"]
    banner = Text(f"  {level.upper()}  ", style=VERDICT_STYLE[level], justify="center")
    body = Text("\n".join(shown(reason) for reason in verdict["reasons"]))
    console.print(Panel(Group(banner, Text(""), body), title="triage verdict", expand=True))
    findings = report["findings"]
    if findings:
        table = Table(title=f"Findings ({len(findings)})", expand=True)
        table.add_column("severity", no_wrap=True)
        table.add_column("what")
        table.add_column("where", overflow="fold")
        for finding in findings[:50]:
            deleted = " (deleted)" if finding.get("deleted") else ""
            table.add_row(finding["severity"], Text(shown(finding["title"])),
                          Text(shown(finding.get("address", "")) + deleted))
        if len(findings) > 50:
            table.caption = f"… and {len(findings) - 50} more in the report"
        console.print(table)
    coverage = report["coverage"]
    gaps = coverage["not_examined"]
    if gaps:
        table = Table(title="Not examined", expand=True)
        table.add_column("source")
        table.add_column("what")
        table.add_column("offset", justify="right")
        table.add_column("why")
        for gap in gaps:
            table.add_row(Text(shown(gap["source"])), gap["what"], str(gap["offset"]),
                          Text(shown(gap["reason"])))
        console.print(table)
    for resume in report["provenance"].get("resumed") or []:
        console.print(Text(shown(resume_line(resume)), style="dark_orange"), highlight=False)
    stopped = coverage.get("stopped_early")
    unread = stopped["files_not_reached"] if stopped else 0
    console.print(
        f"{coverage['files_seen'] - unread:,} files examined ({coverage['files_deleted']:,} "
        f"deleted), {coverage['files_hashed']:,} hashed, "
        f"{_size(coverage['bytes_hashed'])} read; {report['warnings_total']} problems recorded.",
        highlight=False)
    if stopped:
        console.print(Text(f"Not reached: {unread:,} files ({_size(stopped['bytes_not_reached'])}"
                           f"): {stopped['reason']}; they are listed in the report.",
                           style="dark_orange"), highlight=False)
    console.print(Text.assemble("Report: ", (out_dir, "bold")), highlight=False)
