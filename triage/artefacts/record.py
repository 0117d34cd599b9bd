"""One piece of the operating system's own evidence: a typed, timed record tied to its file."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from triage.model import iso_utc

# The kinds of record, each with what it means (shown in the rule schema and the report).
KINDS: dict[str, str] = {
    "browser-visit": "A page a browser visited (url, title, browser, visit count).",
    "browser-search": "Words searched for in a browser's address bar (terms, url, browser).",
    "browser-download": "A file a browser downloaded (url, target path, bytes, browser).",
    "browser-setting": "A browser setting that clears or hides history (setting, value).",
    "usb-device": "A USB device able to hold files that the system has seen: a stick or "
                  "drive, a UASP drive, a phone or camera (type, vendor, product, serial).",
    "program-installed": "A program listed as installed (name, version, publisher).",
    "program-run": "Evidence a program ran (name, path, count; from UserAssist, BAM, "
                   "Prefetch or a shell history).",
    "typed-url": "An address typed into Explorer or Internet Explorer (url).",
    "explorer-search": "Words searched for in Windows Explorer (terms).",
    "shell-command": "A command from a shell history (command, shell).",
    "log-cleared": "An event log was cleared (log, user).",
    "clock-changed": "The system clock was changed (old time, new time, user).",
    "system-event": "A boot, shutdown or device install recorded by the system (event).",
    "user-account": "A user account on the system (name, created, last login).",
    "time-zone": "The system's time zone setting (name, offset from UTC), for reading the "
                 "local times a user gives; the key's last change as `changed`.",
    "file-opened": "A file a program opened or saved (url, path, name, programs; from "
                   "recently-used.xbel, RecentDocs, LNK files or jump lists).",
}


def to_posix(when: dt.datetime | None) -> float | None:
    """An aware (or naive UTC) datetime as POSIX seconds, None when absent or impossible."""
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    try:
        return when.timestamp()
    except (OverflowError, OSError, ValueError):
        return None


@dataclass(frozen=True, slots=True)
class Artefact:
    """A record of `kind` at `time`, from the file at `source` (its chained address)."""

    kind: str
    time: float | None  # POSIX seconds, UTC; None when the source keeps no time
    source: str
    profile: str | None = None  # the user profile the source belongs to, when known
    fields: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown artefact kind {self.kind!r}; one of {sorted(KINDS)}")

    def facts(self) -> dict[str, Any]:
        """As the rules read it: POSIX time, the fields shared, not copied (a deep copy of
        every record, as dataclasses.asdict makes, cost more than the rules themselves)."""
        return {"kind": self.kind, "time": self.time, "source": self.source,
                "profile": self.profile, "fields": self.fields}

    def to_dict(self) -> dict[str, Any]:
        """As written to artefacts.jsonl.gz and read by the rules."""
        return {"kind": self.kind, "time": iso_utc(self.time), "source": self.source,
                "profile": self.profile, "fields": self.fields}
