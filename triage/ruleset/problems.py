"""A problem found in a rule file, printed as `file:line:col: message` like a compiler."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Mark:
    """A 1-based line and column in a rule file (PyYAML's marks are 0-based)."""

    line: int
    col: int


NO_MARK = Mark(1, 1)


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a rule; `error` stops a scan, `warning` is advice."""

    file: str
    line: int
    col: int
    message: str
    severity: str = "error"  # "error" | "warning"

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.message}"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


class ProblemSink:
    """Collects problems for one file so that every one is reported, not just the first."""

    def __init__(self, file: Path | str) -> None:
        self.file = str(file)
        self.problems: list[Problem] = []

    def error(self, mark: Mark, message: str) -> None:
        self.problems.append(Problem(self.file, mark.line, mark.col, message, "error"))

    def warning(self, mark: Mark, message: str) -> None:
        self.problems.append(Problem(self.file, mark.line, mark.col, message, "warning"))

    def error_count(self) -> int:
        """How many errors (not warnings) were collected so far."""
        return sum(1 for problem in self.problems if problem.is_error)
