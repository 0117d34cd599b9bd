"""Small checks of a YAML value's shape that report problems with their line and column."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from triage.ruleset.problems import Mark, ProblemSink
from triage.ruleset.yamlnodes import YList, YMap

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b?|b)?\s*$", re.IGNORECASE)
_UNITS = {
    "": 1, "b": 1,
    "k": 1024, "kib": 1024, "kb": 1000, "ki": 1024,
    "m": 1024**2, "mib": 1024**2, "mb": 1000**2, "mi": 1024**2,
    "g": 1024**3, "gib": 1024**3, "gb": 1000**3, "gi": 1024**3,
    "t": 1024**4, "tib": 1024**4, "tb": 1000**4, "ti": 1024**4,
}


def check_keys(
    value: YMap, sink: ProblemSink, what: str, allowed: Iterable[str], required: Iterable[str] = ()
) -> bool:
    """Report unknown and missing keys of a mapping; True when there were none."""
    allowed = set(allowed)
    ok = True
    for key in value:
        if key not in allowed:
            sink.error(value.key_mark(key), f"unknown field '{key}' in {what}; "
                       f"expected one of: {', '.join(sorted(allowed))}")
            ok = False
    for key in required:
        if key not in value:
            sink.error(value.mark, f"{what} needs a '{key}' field")
            ok = False
    return ok


def as_map(value: Any, mark: Mark, sink: ProblemSink, what: str) -> YMap | None:
    if isinstance(value, YMap):
        return value
    sink.error(mark, f"{what} must be a mapping of fields, not {type_name(value)}")
    return None


def type_name(value: Any) -> str:
    if isinstance(value, YMap):
        return "a mapping"
    if isinstance(value, YList):
        return "a list"
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"'{str(value).lower()}'"
    return f"'{value}'"


def text_list(value: Any, mark: Mark, sink: ProblemSink, what: str) -> list[tuple[str, Mark]]:
    """A string or a non-empty list of non-empty strings, each with its mark."""
    if isinstance(value, str) and value:
        return [(value, mark)]
    if isinstance(value, YList) and value:
        out = []
        for index, item in enumerate(value):
            if isinstance(item, str) and item:
                out.append((item, value.item_mark(index)))
            else:
                sink.error(value.item_mark(index), f"{what} must be text, not {type_name(item)}")
        return out
    sink.error(mark, f"{what} must be text or a non-empty list of text, not {type_name(value)}")
    return []


def boolean(value: Any, mark: Mark, sink: ProblemSink, what: str) -> bool | None:
    if isinstance(value, bool):
        return value
    sink.error(mark, f"{what} must be true or false, not {type_name(value)}")
    return None


def number(
    value: Any, mark: Mark, sink: ProblemSink, what: str, *, low: float, high: float | None = None,
    integer: bool = False,
) -> float | None:
    ok_type = isinstance(value, int) if integer else isinstance(value, int | float)
    if isinstance(value, bool) or not ok_type:
        kind = "a whole number" if integer else "a number"
        sink.error(mark, f"{what} must be {kind}, not {type_name(value)}")
        return None
    if value < low or (high is not None and value > high):
        bounds = f"at least {low}" if high is None else f"between {low} and {high}"
        sink.error(mark, f"{what} must be {bounds}, not {value}")
        return None
    return value


def size(value: Any, mark: Mark, sink: ProblemSink, what: str) -> int | None:
    """A byte count: a whole number or text like '64 MiB' (KiB/MiB binary, KB/MB decimal)."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str):
        found = _SIZE.match(value)
        if found:
            return int(float(found.group(1)) * _UNITS[(found.group(2) or "").lower()])
    sink.error(mark, f"{what} must be a byte count like 1048576 or '64 MiB', "
               f"not {type_name(value)}")
    return None


def timestamp(value: Any, mark: Mark, sink: ProblemSink, what: str) -> float | None:
    """A date or date-time (UTC unless it says otherwise) as POSIX seconds."""
    when: dt.datetime | None = None
    if isinstance(value, dt.datetime):
        when = value
    elif isinstance(value, dt.date):
        when = dt.datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        try:
            when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            when = None
    if when is None:
        sink.error(mark, f"{what} must be a date like 2024-01-31 or 2024-01-31T12:00:00Z, "
                   f"not {type_name(value)}")
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.timestamp()


def regex(
    value: str, mark: Mark, sink: ProblemSink, what: str, *, flags: int = re.IGNORECASE
) -> re.Pattern[str] | None:
    try:
        return re.compile(value, flags)
    except re.error as exc:
        sink.error(mark, f"{what} '{value}' is not a valid regular expression: {exc.msg} "
                   f"at position {exc.pos}")
        return None
