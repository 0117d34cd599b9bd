"""What describes a hash set as a whole (kind, name, version...) and an import's tally."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

from triage.hashdb.policy import DEFAULT_SEVERITY, MAX_REPORTED_PROBLEMS
from triage.model import Severity


class SetKind(StrEnum):
    """Notable sets raise findings; known-good sets only let the scan skip work."""

    NOTABLE = "notable"
    KNOWN_GOOD = "known_good"


@dataclass(frozen=True)
class SetInfo:
    """A set's identity and policy, written to the bundle manifest."""

    name: str
    version: str = "1"
    kind: SetKind = SetKind.NOTABLE
    source: str = ""
    category: str | None = None  # given to entries whose input names none
    expires: dt.date | None = None
    default_severity: Severity = DEFAULT_SEVERITY
    severities: dict[str, str] = field(default_factory=dict)  # category -> Severity value
    category_map: dict[str, str] | None = None  # numeric category -> legal category (CAID)


@dataclass
class ImportStats:
    """The tally of one import: accepted, rejected (each with `file:line: reason`), duplicates."""

    accepted: int = 0
    rejected: int = 0
    duplicates: int = 0
    skipped: int = 0  # well-formed rows the set's policy leaves out (e.g. non-pertinent media)
    problems: list[str] = field(default_factory=list)

    def reject(self, where: str, line: int | str | None, reason: str) -> None:
        """Count a malformed row; `line` is a line number or a record label like `value[3]`."""
        self.rejected += 1
        if len(self.problems) < MAX_REPORTED_PROBLEMS:
            location = f"{where}:{line}" if line is not None else where
            self.problems.append(f"{location}: {reason}")

    def summary(self) -> str:
        text = f"{self.accepted} accepted, {self.rejected} rejected, {self.duplicates} duplicates"
        if self.skipped:
            text += f", {self.skipped} skipped by category"
        return text
