"""YAML rules over file records: loading with line numbers, checking, matching, rule tests."""

from pathlib import Path

from triage.ruleset.loader import check_rules, load_rules, read_rules
from triage.ruleset.problems import Problem
from triage.ruleset.ruleset import RuleContext, RuleSet
from triage.ruleset.testing import ExampleResult, run_examples

# The court-order rule pack installed with triage (the repository's top-level rules/ links here).
PACKAGED_RULES = Path(__file__).resolve().parent.parent / "data" / "rules"

__all__ = ["PACKAGED_RULES", "ExampleResult", "Problem", "RuleContext", "RuleSet",
           "check_rules", "load_rules", "read_rules", "run_examples"]
