"""check_rules never raises, whatever YAML it is given: every mistake becomes a Problem."""

from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from triage.ruleset import check_rules
from triage.ruleset.conditions import LEAVES
from triage.ruleset.examples import FILE_FIELDS
from triage.ruleset.vocabulary import RULE_FIELDS

KEYS = st.sampled_from([*LEAVES, "all", "any", "not", *RULE_FIELDS, *FILE_FIELDS, "min", "max",
                        "set", "category", "keywords", "regex", "within", "sample", "status",
                        "reason", "fs", "field", "within_days", "after", "since_scan",
                        "group_by", "match", "no_match", "zzz"])
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 10**12),
                    st.floats(allow_nan=True), st.text(max_size=12),
                    st.sampled_from(["**", "(", "[a", "image/*", "64 MiB", "2024-01-01", "/x/{n}",
                                     "high", "no-p2p", "folder", "not_examined", "zz"]))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=4)), max_leaves=12)
RULES = st.fixed_dictionaries({"id": st.one_of(st.just("r1"), SCALARS), "title": SCALARS,
                               "description": st.just("d"), "severity": SCALARS,
                               "condition": SCALARS, "author": st.just("a"), "version": SCALARS,
                               "references": VALUES, "match": VALUES},
                              optional={"count": VALUES, "tests": VALUES})


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rule=RULES)
def test_check_rules_never_raises(tmp_path: Path, rule: dict) -> None:
    (tmp_path / "r.yml").write_text(yaml.safe_dump(rule, allow_unicode=True))
    for problem in check_rules(tmp_path):
        assert problem.line >= 1 and problem.col >= 1 and problem.message
