"""The decision rule, on the cases the calibration bench singled out."""

from __future__ import annotations

import pytest

from triage.perceptual.rules import (
    CHOSEN_RULE,
    RULES,
    Evidence,
    RegionEvidence,
    decide,
    decide_regions,
)


@pytest.mark.parametrize(
    ("evidence", "expected", "why"),
    [
        (Evidence(0, 0, 0, 0), False, "flat picture against a flat reference: both hashes agree"),
        (Evidence(84, 4, 100, 100), False, "second shot of a stereo pair: pHash alone says yes"),
        (Evidence(30, 20, 100, 100), True, "PDQ within Meta's 31 above the quality floor"),
        (Evidence(30, 20, 40, 100), False, "PDQ below its quality floor needs pHash"),
        (Evidence(60, 6, 100, 100), True, "5% crop: PDQ 60 corroborated by pHash 6"),
        (Evidence(60, 11, 100, 100), False, "PDQ 60 with pHash just outside 10"),
        (Evidence(63, 2, 100, 100), True, "PDQ at the corroborated 63, pHash near"),
        (Evidence(68, 4, 100, 100), False, "a wallpaper under other shapes (issue 20's bench)"),
        (Evidence(40, 2, 22, 35), True, "darkened copy of a blurred photo (quality 22)"),
        (Evidence(40, 2, 19, 35), False, "quality under 20: too featureless to trust"),
        (Evidence(44, 18, 100, 100), True, "watermark on a brick texture: both hashes near"),
        (Evidence(47, 22, 50, 50), True, "both near, at every bound of the third way"),
        (Evidence(48, 18, 100, 100), False, "PDQ beyond 47 with pHash beyond 10"),
        (Evidence(44, 23, 100, 100), False, "pHash beyond 22 with PDQ beyond 31"),
        (Evidence(44, 18, 49, 100), False, "both near, but under PDQ's quality floor"),
        (Evidence(44, 18, 100, 100, turned=True), False, "third way: picture as stored only"),
        (Evidence(20, 18, 100, 100, turned=True), True, "a turned copy within PDQ's 31"),
        (Evidence(44, None, 100, None), False, "PDQ-only reference: 44 is far from enough"),
        (Evidence(24, None, 100, None), True, "PDQ-only reference within the stricter 24"),
        (Evidence(25, None, 100, None), False, "PDQ-only reference: 25 is not enough alone"),
        (Evidence(10, None, 100, 40), False, "PDQ-only reference below the quality floor"),
    ],
)
def test_chosen_rule(evidence: Evidence, expected: bool, why: str) -> None:
    assert decide(evidence) is expected, why


def test_chosen_rule_is_one_the_bench_compares() -> None:
    assert CHOSEN_RULE in RULES
    # The bench's evidence that a guard is needed: pHash alone takes the flat pair.
    assert RULES["phash<=10"](Evidence(0, 0, 0, 0))


def test_agreed_lists_hashes_within_their_own_thresholds() -> None:
    assert Evidence(10, 3, 100, 100).agreed() == ["pdq", "phash"]
    assert Evidence(60, 3, 100, 100).agreed() == ["phash"]
    assert Evidence(10, 30, 100, 100).agreed() == ["pdq"]
    assert Evidence(10, 30, 10, 100).agreed() == []


@pytest.mark.parametrize(
    ("evidence", "expected"),
    [
        (RegionEvidence(31, 0, 100, 100), "box"),  # the picture inside a frame, Meta's 31
        (RegionEvidence(32, 1, 100, 100), None),
        (RegionEvidence(None, 2, 100, 100), "regions"),  # a caption spoils the other six
        (RegionEvidence(None, 8, 49, 100), None),  # under PDQ's quality floor: never
        (RegionEvidence(10, 8, 100, 30), None),
        (RegionEvidence(0, 8, 100, None), "box"),  # an imported list gave no quality
    ],
)
def test_region_ways(evidence: RegionEvidence, expected: str | None) -> None:
    assert decide_regions(evidence) == expected


def test_featureless_never_matches_whatever_the_distances() -> None:
    assert not decide(Evidence(0, 0, 19, 100))
    assert not decide(Evidence(0, 0, 100, 5))
