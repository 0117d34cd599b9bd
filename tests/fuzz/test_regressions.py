"""Every crash or hang the fuzzer ever found, replayed from its patch recipe: now it must pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fuzz.harness import OK, REGRESSIONS, TARGETS, ScanWorker, load_regression, run_variant
from tests.fuzz.mutate import PatchedCopy

RECIPES = sorted(REGRESSIONS.glob("*.json"))
# A fixture scans in under a second; the slow variants found took 20 s and more, so a replay
# still running after this long has regressed, even on a loaded machine.
REPLAY_TIMEOUT = 15.0


@pytest.fixture(scope="module")
def worker(tmp_path_factory):
    with ScanWorker(tmp_path_factory.mktemp("fuzz-regressions")) as scan_worker:
        yield scan_worker


@pytest.mark.parametrize("recipe", RECIPES, ids=[p.stem for p in RECIPES])
def test_recorded_variant_now_scans_cleanly(recipe: Path, worker, fixture_images, tmp_path):
    target, patches = load_regression(recipe)
    fixture = fixture_images(TARGETS[target])
    copy = PatchedCopy(fixture.path, tmp_path / "variant.img")
    outcome = run_variant(worker, copy, patches, tmp_path, timeout=REPLAY_TIMEOUT)
    assert outcome.status == OK, outcome.detail
