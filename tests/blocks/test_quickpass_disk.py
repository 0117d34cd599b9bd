"""The quick pass on a real disk: every way a known picture can lie on it, and nothing else."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.blocks.conftest import QuickDisk
from triage.blocks import engine
from triage.blocks.library import load_filters
from triage.blocks.owners import ALLOCATED, DELETED, UNALLOCATED
from triage.blocks.policy import BLOCK_SIZE, RED_MIN_BLOCKS
from triage.files import sha256_file
from triage.ledger import Ledger
from triage.model import Finding, Severity
from triage.plan import quickpass
from triage.plan.quickpass import QuickPassRequest, run_quick_pass

WHERE = {"allocated": ALLOCATED, "deleted": DELETED, "metadata gone": UNALLOCATED,
         "reformatted": UNALLOCATED, "fragmented": ALLOCATED, "small clusters": ALLOCATED}


def quick(disk: QuickDisk, image: Path | None = None, **request: object
          ) -> tuple[list[Finding], dict, Ledger]:
    state = Ledger()
    filters = load_filters(disk.hashsets, disk.trusted)
    assert filters.trust_problems == [] and filters.load_problems == []
    coverage = run_quick_pass([str(image or disk.image)], filters, state,
                              QuickPassRequest(**request))  # type: ignore[arg-type]
    return state.findings, coverage, state


def by_reference(findings: list[Finding]) -> dict[str, Finding]:
    out = {f.reference: f for f in findings}
    assert len(out) == len(findings), "one finding per known file on this disk"
    return out


def test_every_placed_picture_is_found_red_where_it_lies(quick_disk: QuickDisk) -> None:
    findings, coverage, state = quick(quick_disk)
    found = by_reference(findings)
    assert set(found) == {p.reference for p in quick_disk.placed}  # K7 is not on the disk
    for placed in quick_disk.placed:
        finding = found[placed.reference]
        assert finding.kind == "block"
        assert finding.severity is Severity.CRITICAL  # category "A" (policy.CRITICAL_CATEGORIES)
        detail = finding.detail or {}
        assert detail["where"] == WHERE[placed.how], placed
        assert detail["blocks_seen"] == detail["distinctive_blocks"] >= RED_MIN_BLOCKS
        assert f"p{placed.partition}@" in finding.where
        if detail["where"] != UNALLOCATED:
            assert finding.record is not None
            assert finding.record.address.path == placed.path
            assert finding.record.deleted is (placed.how == "deleted")
        else:
            assert finding.where.endswith("unallocated space")
    source = coverage["sources"][0]
    assert source["status"] == "examined"
    assert source["bytes_covered"] >= source["size"]
    # Walking to name owners records nothing: the file scan's walk records its problems.
    assert state.problems == [] and state.gaps == []
    assert sha256_file(quick_disk.image) == quick_disk.sha256  # read-only


def test_small_cluster_fat_needs_its_own_phase(quick_disk: QuickDisk) -> None:
    """K6 lies on 2 KiB clusters starting off the 4 KiB grid: the extra phase finds it."""
    _, coverage, _ = quick(quick_disk)
    assert coverage["sources"][0]["extra_phases"] == {"4": [0, 2048]}
    filters = load_filters(quick_disk.hashsets, quick_disk.trusted).filters
    size = quick_disk.image.stat().st_size
    grid_only = engine.hash_spans(lambda o, n: _read(quick_disk.image, o, n), filters,
                                  [engine.Span(0, size, 0)])
    refs = {filters[0].reference(int(filters[0].refs[r])) for r in grid_only.rows}
    assert "K6.jpg" not in refs  # on the 4 KiB grid alone the picture is invisible
    assert {"K1.jpg", "K5.jpg"} <= refs


def _read(path: Path, offset: int, length: int) -> bytes:
    with path.open("rb") as handle:
        handle.seek(offset)
        return handle.read(length)


def test_workers_find_the_same(quick_disk: QuickDisk, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(quickpass, "PARALLEL_MIN", 0)
    monkeypatch.setattr(engine, "SEGMENT", 8 << 20)
    one, _, _ = quick(quick_disk, workers=1)
    two, coverage, _ = quick(quick_disk, workers=2)
    assert coverage["sources"][0]["workers"] == 2
    assert [f.to_dict() for f in one] == [f.to_dict() for f in two]


@pytest.mark.parametrize(("left", "level"), [(19, "red"), (RED_MIN_BLOCKS, "red"),
                                             (RED_MIN_BLOCKS - 1, "amber"), (1, "amber"),
                                             (0, None)])
def test_partly_overwritten(quick_disk: QuickDisk, tmp_path: Path, left: int,
                            level: str | None) -> None:
    """K1 with all but `left` of its 19 blocks overwritten by other data: RED down to
    RED_MIN_BLOCKS blocks (79% of the picture overwritten), an AMBER lead below."""
    findings, _, _ = quick(quick_disk)
    offsets = by_reference(findings)["K1.jpg"].detail["offsets"]  # type: ignore[index]
    image = tmp_path / "overwritten.img"
    shutil.copy(quick_disk.image, image)
    noise = np.random.default_rng(3).integers(0, 256, BLOCK_SIZE * len(offsets), np.uint8)
    with image.open("r+b") as handle:
        for n, offset in enumerate(offsets[left:]):
            handle.seek(offset)
            handle.write(noise[n * BLOCK_SIZE:(n + 1) * BLOCK_SIZE].tobytes())
    found = by_reference(quick(quick_disk, image)[0])
    if level is None:
        assert "K1.jpg" not in found
        return
    k1 = found["K1.jpg"]
    assert k1.detail["blocks_seen"] == left  # type: ignore[index]
    assert (k1.severity is Severity.CRITICAL) is (level == "red")
    assert (k1.severity is Severity.MEDIUM) is (level == "amber")


def test_sampled_pass_finds_a_subset(quick_disk: QuickDisk) -> None:
    full = {(f.reference, f.where) for f in quick(quick_disk)[0]}
    findings, coverage, _ = quick(quick_disk, sample=0.25, seed=11, unit=1 << 20)
    source = coverage["sources"][0]
    assert 0 < source["bytes_covered"] < 0.5 * source["size"]
    assert {(f.reference, f.where) for f in findings} <= full
    assert coverage["sample"] == {"fraction": 0.25, "seed": 11, "unit": 1 << 20}
    assert "found with probability" in coverage["confidence"]["text"]


def test_a_time_budget_leaves_the_file_scan_its_share(quick_disk: QuickDisk,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """With a budget, the quick pass stops at its share of it and says what it left unread."""
    monkeypatch.setattr(engine, "SEGMENT", 4 << 20)  # many tasks, so it can stop between them
    monkeypatch.setattr(quickpass, "BUDGET_SHARE", 0.0)
    state = Ledger()
    state.deadline = state.started + 3600
    filters = load_filters(quick_disk.hashsets, quick_disk.trusted)
    coverage = run_quick_pass([str(quick_disk.image)], filters, state, QuickPassRequest())
    source = coverage["sources"][0]
    assert source["status"] == "partial" and source["reason"] == quickpass.SHARE_SPENT
    assert source["bytes_covered"] < source["bytes_planned"]
    (gap,) = state.gaps
    assert gap.kind.value == "not_reached"
    assert gap.size == source["bytes_planned"] - source["bytes_covered"]
