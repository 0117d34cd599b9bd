"""Runs every rule's positive and negative examples (`triage rules test`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from triage.ruleset.examples import Example
from triage.ruleset.rule import Rule
from triage.ruleset.ruleset import RuleContext, RuleSet


@dataclass(frozen=True, slots=True)
class ExampleResult:
    """The outcome of one example of one rule."""

    rule: str
    file: str
    line: int
    col: int
    positive: bool
    passed: bool
    example: str

    def __str__(self) -> str:
        kind = "positive" if self.positive else "negative"
        verb = "matched" if self.positive == self.passed else "did not match"
        state = "ok" if self.passed else "FAIL"
        return (f"{self.file}:{self.line}:{self.col}: {state} rule '{self.rule}' {kind} example "
                f"{self.example} {verb}")


def _raises(rule: Rule, example: Example, now: dt.datetime) -> bool:
    single = RuleSet([rule], [])
    if example.volume is not None:
        return any(f.rule == rule.id for f in single.match_volume(example.volume))
    since = None if example.since is None else dt.datetime.fromtimestamp(example.since, dt.UTC)
    context = RuleContext(since=since, now=now)
    if example.artefact is not None:
        return any(f.rule == rule.id for f in single.match_artefacts(
            [example.artefact, *example.more], context))
    findings = []
    for record, content in example.build(now.timestamp()):
        findings.extend(single.match_file(record, content, context))
    findings.extend(single.finish())
    return any(f.rule == rule.id for f in findings)


def run_examples(rules: Iterable[Rule], now: dt.datetime | None = None) -> list[ExampleResult]:
    """One result per example: positives must raise their rule, negatives must not."""
    now = now or dt.datetime.now(dt.UTC)
    results = []
    for rule in rules:
        for positive, examples in ((True, rule.positive), (False, rule.negative)):
            for example in examples:
                raised = _raises(rule, example, now)
                results.append(ExampleResult(rule.id, rule.file, example.mark.line,
                                             example.mark.col, positive, raised == positive,
                                             example.describe()))
    return results
