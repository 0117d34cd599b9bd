"""One rule as written in YAML, checked field by field and compiled."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from triage.model import Severity
from triage.ruleset import shape
from triage.ruleset.examples import Example, parse_examples
from triage.ruleset.problems import Mark, ProblemSink
from triage.ruleset.tree import Node, compile_tree
from triage.ruleset.vocabulary import (
    CONDITIONS,
    EVIDENCE,
    EVIDENCE_MAX_SEVERITY,
    GROUP_BY,
    ORDER_WORDING,
    REQUIRED_FIELDS,
    RULE_FIELDS,
    SEVERITIES,
)
from triage.ruleset.yamlnodes import YMap

T = TypeVar("T")
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,79}$")


@dataclass(frozen=True, slots=True)
class Rule:
    """A checked, compiled rule."""

    id: str
    title: str
    description: str
    severity: Severity
    condition: str
    order_wording: str  # the typical order wording; the rule's own or its condition's
    evidence: str | None  # "installed" | "used" for tool rules, else None
    author: str
    version: str
    references: tuple[str, ...]
    file: str
    mark: Mark
    id_mark: Mark
    match: Node
    match_mark: Mark
    group_by: str | None  # set for count (aggregate) rules
    count_min: int
    positive: tuple[Example, ...]
    negative: tuple[Example, ...]

    @property
    def is_volume(self) -> bool:
        return "volume" in self.match.kinds

    @property
    def is_artefact(self) -> bool:
        return "artefact" in self.match.kinds


def _text(doc: YMap, key: str, sink: ProblemSink, *, one_line: bool = False) -> str | None:
    value = doc[key]
    if not isinstance(value, str) or not value.strip():
        sink.error(doc.value_mark(key), f"{key} must be non-empty text, not "
                   f"{shape.type_name(value)}")
        return None
    if one_line and "\n" in value.strip():
        sink.error(doc.value_mark(key), f"{key} must fit on one line")
        return None
    return value.strip()


def _choice(doc: YMap, key: str, allowed: dict[str, str], sink: ProblemSink) -> str | None:
    value = doc[key]
    if value not in allowed:
        sink.error(doc.value_mark(key), f"{key} must be one of {', '.join(allowed)}, "
                   f"not {shape.type_name(value)}")
        return None
    return value


def _evidence(doc: YMap, severity: str | None, sink: ProblemSink) -> str | None:
    """`evidence:` checked against the severity: presence alone may not make the verdict RED."""
    if "evidence" not in doc:
        return None
    evidence = _choice(doc, "evidence", EVIDENCE, sink)
    ceiling = EVIDENCE_MAX_SEVERITY.get(evidence or "")
    if ceiling is not None and severity in SEVERITIES and Severity(severity).rank > ceiling.rank:
        sink.error(doc.value_mark("severity"), f"a rule with evidence: {evidence} is at most "
                   f"severity {ceiling.value} (AMBER): presence alone does not show a breach; "
                   "lower the severity, or match a file only using the tool writes and say "
                   "evidence: used")
    return evidence


def _version(doc: YMap, sink: ProblemSink) -> str | None:
    value = doc["version"]
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return str(value)
    if isinstance(value, str | float) and re.fullmatch(r"\d+(\.\d+){0,2}", str(value)):
        return str(value)
    sink.error(doc.value_mark("version"), f"version must be a number like 1 or '1.2', "
               f"not {shape.type_name(value)}")
    return None


def _count(doc: YMap, sink: ProblemSink) -> tuple[str | None, int] | None:
    if "count" not in doc:
        return None, 1
    spec = shape.as_map(doc["count"], doc.value_mark("count"), sink, "count")
    if spec is None or not shape.check_keys(spec, sink, "count", ("group_by", "min"),
                                            ("group_by", "min")):
        return None
    group = spec["group_by"]
    if group not in GROUP_BY:
        sink.error(spec.value_mark("group_by"), f"count group_by must be one of "
                   f"{', '.join(GROUP_BY)}, not {shape.type_name(group)}")
    low = shape.number(spec["min"], spec.value_mark("min"), sink, "count min", low=2,
                       integer=True)
    return None if low is None or group not in GROUP_BY else (group, int(low))


def _tests(doc: YMap, sink: ProblemSink, *, volume: bool, artefact: bool = False
           ) -> tuple[list[Example], list[Example]]:
    if "tests" not in doc:
        sink.warning(doc.key_mark("id"), "rule has no tests; add tests: match: and no_match: "
                     "examples")
        return [], []
    spec = shape.as_map(doc["tests"], doc.value_mark("tests"), sink, "tests")
    if spec is None:
        return [], []
    shape.check_keys(spec, sink, "tests", ("match", "no_match"))  # then check the examples too
    found: dict[str, list[Example]] = {}
    for key in ("match", "no_match"):
        if key in spec:
            found[key] = parse_examples(spec[key], spec.value_mark(key), sink, volume=volume,
                                        what=key, artefact=artefact)
        if not found.get(key):
            kind = "positive" if key == "match" else "negative"
            sink.warning(spec.mark, f"rule has no {kind} example; add one under tests: {key}:")
    return found.get("match", []), found.get("no_match", [])


def _present(doc: YMap, key: str, check: Callable[[], T]) -> T | None:
    """`check()` when the rule gives `key` (a missing field is reported once, by check_keys)."""
    return check() if key in doc else None


def parse_rule(doc: Any, mark: Mark, sink: ProblemSink) -> Rule | None:
    """Check one YAML document as a rule; every problem goes to `sink`, all of them at once.

    A missing or unknown field does not stop the checks of the other fields: the lab sees every
    error of a rule in one run, and a rule with any error is not used.
    """
    doc = shape.as_map(doc, mark, sink, "a rule")
    if doc is None:
        return None
    before = sink.error_count()
    shape.check_keys(doc, sink, "a rule", RULE_FIELDS, REQUIRED_FIELDS)
    rule_id = doc.get("id")
    if "id" in doc and (not isinstance(rule_id, str) or not ID_PATTERN.match(rule_id)):
        sink.error(doc.value_mark("id"), f"id must be 2-80 lower-case letters, digits, '.', '_' "
                   f"or '-', not {shape.type_name(rule_id)}")
    title = _present(doc, "title", lambda: _text(doc, "title", sink, one_line=True))
    description = _present(doc, "description", lambda: _text(doc, "description", sink))
    author = _present(doc, "author", lambda: _text(doc, "author", sink))
    severity = _present(doc, "severity", lambda: _choice(doc, "severity", SEVERITIES, sink))
    condition = _present(doc, "condition", lambda: _choice(doc, "condition", CONDITIONS, sink))
    wording = _text(doc, "order_wording", sink, one_line=True) if "order_wording" in doc else (
        ORDER_WORDING.get(condition or ""))
    evidence = _evidence(doc, severity, sink)
    version = _present(doc, "version", lambda: _version(doc, sink))
    refs = _present(doc, "references", lambda: shape.text_list(
        doc["references"], doc.value_mark("references"), sink, "reference")) or []
    match = _present(doc, "match", lambda: compile_tree(doc["match"], doc.value_mark("match"),
                                                         sink, top=True))
    count = _count(doc, sink)
    if match is not None and len(match.kinds) > 1:
        sink.error(doc.value_mark("match"), "a rule cannot mix file, volume and artefact "
                   "conditions; split it into one rule for each")
        match = None
    volume = match is not None and "volume" in match.kinds
    artefact = match is not None and "artefact" in match.kinds
    if (volume or artefact) and count is not None and count[0] is not None:
        sink.error(doc.key_mark("count"), "count applies to file rules, not volume or "
                   "artefact rules")
    positive, negative = _tests(doc, sink, volume=volume, artefact=artefact)
    if sink.error_count() > before or match is None or count is None:
        return None
    # Narrows the types only: every missing field was reported as an error just above.
    assert title and description and author and severity and condition and version  # noqa: S101
    assert wording and isinstance(rule_id, str)  # noqa: S101
    return Rule(
        id=rule_id, title=title, description=description, severity=Severity(severity),
        condition=condition, order_wording=wording, evidence=evidence, author=author,
        version=version,
        references=tuple(t for t, _ in refs), file=sink.file, mark=doc.mark,
        id_mark=doc.value_mark("id"), match=match, match_mark=doc.value_mark("match"),
        group_by=count[0], count_min=count[1],
        positive=tuple(positive), negative=tuple(negative),
    )
