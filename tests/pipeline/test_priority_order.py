"""The scan reads by the priority table, stops cleanly at a budget or the first RED finding."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.pipeline.household import FILLER, LAYOUT, build_household
from triage.files import sha256_file
from triage.pipeline import BUDGET_REACHED, STOPPED_ON_RED, ProgressSink, ScanOptions, run_scan
from triage.plan.priority import CLASSES
from triage.report.listing import read_listing
from triage.stages.process import BATCH_FILES


@pytest.fixture(scope="module")
def household(tmp_path_factory) -> tuple[Path, ScanOptions]:
    return build_household(tmp_path_factory.mktemp("household"))


def test_files_are_read_in_the_table_order_and_the_known_picture_first(household, tmp_path):
    image, options = household
    before = sha256_file(image)
    result = run_scan([str(image)], tmp_path / "out", options)
    assert sha256_file(image) == before
    rows = list(read_listing(tmp_path / "out" / "files.jsonl.gz"))
    order = [r["path"] for r in rows]
    assert order[0] == "/Users/alice/Pictures/holiday/known.jpg"
    assert order[1:5] == ["/Users/alice/Downloads/clip.mp4", "/Users/alice/AppData/cache/c1.jpg",
                          "/Users/alice/Documents/letter.txt", "/Data/old.zip"]
    assert order[-2:] == ["/Windows/Web/wallpaper.jpg", "/Windows/System32/kernel.dll"]
    assert len(order) == len(LAYOUT)
    report = result.report
    assert report["verdict"]["level"] == "red"
    assert report["provenance"]["first_hit_address"].endswith(
        "/Users/alice/Pictures/holiday/known.jpg · inode 13398")
    assert report["coverage"]["complete"] is True
    assert report["coverage"]["stopped_early"] is None
    priority = {row["class"]: row for row in report["coverage"]["priority"]}
    assert priority["pictures in chosen folders"]["files"] == 1
    assert priority["other files elsewhere"]["files"] == FILLER
    assert all(row["files_reached"] == row["files"] for row in priority.values())
    assert [row["order"] for row in report["coverage"]["priority"]] == sorted(
        CLASSES.index(next(c for c in CLASSES if c.name == name)) + 1 for name in priority)
    volume = report["coverage"]["volumes"][0]
    assert volume["files"] == volume["files_reached"] == len(LAYOUT)


class _SlowOnSecondClass(ProgressSink):
    """Spends the whole budget as the second class starts: the rest must be left unread."""

    def __init__(self, budget_s: float) -> None:
        self.budget_s = budget_s
        self.classes: list[str] = []

    def class_started(self, name: str) -> None:
        self.classes.append(name)
        if len(self.classes) == 2:
            time.sleep(self.budget_s + 0.05)


def test_a_budget_that_runs_out_leaves_a_correct_partial_report(household, tmp_path):
    image, options = household
    budget_s = 1.0
    options = ScanOptions(hashsets=options.hashsets, trusted_keys=options.trusted_keys,
                          time_budget_min=budget_s / 60)
    progress = _SlowOnSecondClass(budget_s)
    result = run_scan([str(image)], tmp_path / "out", options, progress)
    report = result.report
    coverage = report["coverage"]
    assert progress.classes[:2] == ["pictures in chosen folders", "videos in chosen folders"]
    # The known picture came first, so the hit is there although the budget ran out.
    assert report["verdict"]["level"] == "red"
    assert coverage["time_budget"]["reached"] is True and coverage["complete"] is False
    stopped = coverage["stopped_early"]
    assert stopped["reason"] == BUDGET_REACHED
    assert stopped["files_not_reached"] == len(LAYOUT) - 2  # the picture and the video
    rows = list(read_listing(tmp_path / "out" / "files.jsonl.gz"))
    assert len(rows) == len(LAYOUT)  # every file the walk found is listed
    not_reached = f"not reached: {BUDGET_REACHED}"
    unread = [r for r in rows if r.get("facts", {}).get("skipped") == not_reached]
    assert len(unread) == len(LAYOUT) - 2 and all(r["sha256"] is None for r in unread)
    assert coverage["files_skipped"][not_reached] == len(unread)
    gaps = [n for n in coverage["not_examined"] if n["what"] == "files not reached"]
    assert len(gaps) == 1 and f"{len(unread):,} files" in gaps[0]["reason"]
    assert any("time budget ran out" in r and f"{len(unread):,} files were not read" in r
               for r in report["verdict"]["reasons"])
    volume = coverage["volumes"][0]
    assert (volume["files"], volume["files_reached"]) == (len(LAYOUT), 2)


def test_stop_on_first_red_ends_the_scan_after_the_hit(household, tmp_path):
    image, options = household
    options = ScanOptions(hashsets=options.hashsets, trusted_keys=options.trusted_keys,
                          stop_on_first_red=True)
    report = run_scan([str(image)], tmp_path / "out", options).report
    assert report["verdict"]["level"] == "red"
    stopped = report["coverage"]["stopped_early"]
    assert stopped["reason"] == STOPPED_ON_RED
    # Work stops being handed out at the hit: files already in the workers' hands are given
    # back unread (issue 15: ~480 more files used to be read after the first RED).
    volume = report["coverage"]["volumes"][0]
    assert 1 <= volume["files_reached"] < BATCH_FILES
    assert stopped["files_not_reached"] == len(LAYOUT) - volume["files_reached"]
    assert any("first RED finding" in r for r in report["verdict"]["reasons"])
    assert report["provenance"]["time_to_first_hit_s"] is not None
    gaps = [g for g in report["coverage"]["not_examined"] if g["kind"] == "not_reached"]
    assert sum(g["size"] for g in gaps) == stopped["bytes_not_reached"]
    rows = list(read_listing(tmp_path / "out" / "files.jsonl.gz"))
    assert len(rows) == len(LAYOUT)
    not_reached = f"not reached: {STOPPED_ON_RED}"
    unread = [r for r in rows if r.get("facts", {}).get("skipped") == not_reached]
    assert len(unread) == stopped["files_not_reached"]
    assert all(r["sha256"] is None for r in unread)


def test_without_a_red_finding_stop_on_first_red_reads_everything(household, tmp_path):
    image, _ = household
    report = run_scan([str(image)], tmp_path / "out", ScanOptions(stop_on_first_red=True)).report
    assert report["coverage"]["stopped_early"] is None
    assert report["coverage"]["files_seen"] == len(LAYOUT)


def test_the_volume_watchdog_stops_a_walk_that_takes_too_long(household, tmp_path, monkeypatch):
    import triage.plan.walking as walking

    monkeypatch.setattr(walking, "VOLUME_WALK_LIMIT_S", 0.0)  # every walk is "too long"
    image, options = household
    report = run_scan([str(image)], tmp_path / "out", options).report
    volume = report["coverage"]["volumes"][0]
    assert volume["walk_complete"] is False
    assert volume["files"] == walking.PLAN_CHECK_EVERY  # listed up to the first check
    gaps = [n for n in report["coverage"]["not_examined"] if n["what"] == "partition remainder"]
    assert len(gaps) == 1 and "watchdog" in gaps[0]["reason"]
    assert any("watchdog" in w["message"] for w in report["warnings"])
    assert report["coverage"]["complete"] is False
    assert any("only partly listed" in r for r in report["verdict"]["reasons"])
    assert len(read_listing(tmp_path / "out" / "files.jsonl.gz")) == walking.PLAN_CHECK_EVERY
