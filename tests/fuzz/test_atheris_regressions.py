"""Inputs atheris found that broke the hash-set importers or the rule loader, replayed."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fuzz.atheris_targets import TARGETS

FOUND = Path(__file__).resolve().parent / "regressions" / "atheris"
INPUTS = sorted(FOUND.glob("*.bin"))
# Found by atheris, fix proposed to the lead (outside this folder's remit). strict: once fixed,
# the test passes, the XPASS fails the run, and the entry is removed from this table.
AWAITING_FIX: dict[str, str] = {}  # stored crashes whose fix has not landed yet


def _params() -> list[object]:
    params = []
    for path in INPUTS:
        marks = ([pytest.mark.xfail(reason=AWAITING_FIX[path.name], strict=True)]
                 if path.name in AWAITING_FIX else [])
        params.append(pytest.param(path, id=path.stem, marks=marks))
    return params


@pytest.mark.parametrize("found", _params())
def test_found_input_is_rejected_with_a_clear_error(found: Path):
    target = found.name.split("-", 1)[0]
    TARGETS[target](found.read_bytes())  # only a TriageError may escape; the target allows it
