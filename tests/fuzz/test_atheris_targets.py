"""The atheris targets work on their seeds (so the long fuzz run starts from valid inputs)."""

from __future__ import annotations

import pytest

from tests.fuzz.atheris_targets import FORMATS, TARGETS, hashset_target, rules_target, seeds


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_every_seed_runs_through_its_target(target):
    corpus = seeds(target)
    assert len(corpus) >= 10
    for data in corpus:
        TARGETS[target](data)


def test_truncated_and_empty_inputs_are_rejected_cleanly(tmp_path):
    for data in seeds("hashsets")[:: len(FORMATS) + 1]:
        for cut in (0, 1, 2, 7, len(data) // 3, len(data) - 1):
            hashset_target(data[:cut])
    for data in seeds("rules"):
        for cut in (0, 1, 5, len(data) // 2):
            rules_target(data[:cut])
    rules_target(b"\xff\xfe not utf-8")
    canary = tmp_path / "created-by-yaml"
    rules_target(b"!!python/object/apply:os.mkdir ['%s']" % str(canary).encode())
    assert not canary.exists()  # YAML tags never construct Python objects (safe loader only)
