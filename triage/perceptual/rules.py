"""Candidate rules deciding a perceptual match from both hashes; one is chosen by measurement."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from triage.perceptual.thresholds import (
    CORROBORATED_QUALITY_FLOOR,
    FEATURELESS_QUALITY,
    PDQ_ALONE_DISTANCE,
    PDQ_CORROBORATED_DISTANCE,
    PDQ_MATCH_DISTANCE,
    PDQ_NEAR_DISTANCE,
    PDQ_QUALITY_FLOOR,
    PHASH_MATCH_DISTANCE,
    PHASH_NEAR_DISTANCE,
    REGION_AGREE,
)


@dataclass(frozen=True, slots=True)
class Evidence:
    """What the hashes say about one picture (one dihedral variant) against one reference."""

    pdq_distance: int
    phash_distance: int | None  # None when the reference has no pHash (imported PDQ list)
    query_quality: int
    reference_quality: int | None  # None when an imported list gave no quality
    turned: bool = False  # the hashes of a flipped or rotated variant, not the picture as stored

    @property
    def quality_ok(self) -> bool:
        ref_ok = self.reference_quality is None or self.reference_quality >= PDQ_QUALITY_FLOOR
        return self.query_quality >= PDQ_QUALITY_FLOOR and ref_ok

    @property
    def pdq_near(self) -> bool:
        return self.pdq_distance <= PDQ_MATCH_DISTANCE

    @property
    def phash_near(self) -> bool:
        return self.phash_distance is not None and self.phash_distance <= PHASH_MATCH_DISTANCE

    def agreed(self) -> list[str]:
        """The hashes within their own thresholds (PDQ only counts above its quality floor)."""
        out = []
        if self.pdq_near and self.quality_ok:
            out.append("pdq")
        if self.phash_near:
            out.append("phash")
        return out


Rule = Callable[[Evidence], bool]


def _pdq(e: Evidence) -> bool:
    return e.quality_ok and e.pdq_near


def _phash(e: Evidence) -> bool:
    return e.phash_near


def _pdq_strict(e: Evidence) -> bool:
    return e.quality_ok and e.pdq_distance <= PDQ_ALONE_DISTANCE


def _both(e: Evidence) -> bool:
    if e.phash_distance is None:
        return _pdq_strict(e)
    return e.quality_ok and e.pdq_near and e.phash_near


def _either(e: Evidence) -> bool:
    return _pdq(e) or _phash(e)


def _corroborated(e: Evidence) -> bool:
    if e.phash_distance is None:
        return _pdq_strict(e)
    if e.quality_ok and e.pdq_near:
        return True
    lowest = min(e.query_quality, 100 if e.reference_quality is None else e.reference_quality)
    return (
        lowest >= CORROBORATED_QUALITY_FLOOR
        and e.pdq_distance <= PDQ_CORROBORATED_DISTANCE
        and e.phash_near
    )


def _both_near(e: Evidence) -> bool:
    # The picture as stored only (thresholds.py: searching PDQ at 47 costs 12x a search at 31).
    return (
        not e.turned
        and e.quality_ok
        and e.pdq_distance <= PDQ_NEAR_DISTANCE
        and e.phash_distance is not None
        and e.phash_distance <= PHASH_NEAR_DISTANCE
    )


def _three_ways(e: Evidence) -> bool:
    return _corroborated(e) or _both_near(e)


CORROBORATED = (
    f"pdq<=31, or pdq<={PDQ_CORROBORATED_DISTANCE} and phash<=10 (q>={CORROBORATED_QUALITY_FLOOR})"
)
THREE_WAYS = f"R6, or pdq<={PDQ_NEAR_DISTANCE} and phash<={PHASH_NEAR_DISTANCE} (q>=50, not turned)"

# Every rule the calibration bench compares, by the name its table prints.
RULES: dict[str, Rule] = {
    "pdq<=31 q>=50": _pdq,
    "phash<=10": _phash,
    f"pdq<={PDQ_ALONE_DISTANCE} q>=50": _pdq_strict,
    "pdq or phash": _either,
    "pdq and phash": _both,
    CORROBORATED: _corroborated,
    THREE_WAYS: _three_ways,
}

# Chosen by bench/perceptual/calibrate.py (thresholds.py says why): zero false matches among
# the distractors, and the highest recall of the rules that had none.
CHOSEN_RULE = THREE_WAYS


def featureless(query_quality: int, reference_quality: int | None) -> bool:
    """Either picture too featureless to match at all (blank, flat colour, near-black)."""
    ref = 100 if reference_quality is None else reference_quality
    return min(query_quality, ref) < FEATURELESS_QUALITY


def decide(evidence: Evidence) -> bool:
    """Whether the evidence is a perceptual match under the chosen rule."""
    if featureless(evidence.query_quality, evidence.reference_quality):
        return False  # issue 20: whatever the distances (every rule above agrees today)
    return RULES[CHOSEN_RULE](evidence)


@dataclass(frozen=True, slots=True)
class RegionEvidence:
    """What the content boxes and sub-regions say about a picture against one reference."""

    box_distance: int | None  # closest of query {whole, box} to reference {whole, box},
    # whole-to-whole excluded (Evidence has it), both sides above PDQ's quality floor
    regions_agreeing: int  # sub-regions within REGION_DISTANCE, both above the floor
    query_quality: int  # of the whole pictures
    reference_quality: int | None


def decide_regions(e: RegionEvidence, agree: int = REGION_AGREE) -> str | None:
    """"box" or "regions" when either new way of issue 20 matches, else None (regions_agreeing
    counts regions within REGION_DISTANCE; `agree` is a parameter for the calibration grid)."""
    ref = 100 if e.reference_quality is None else e.reference_quality
    if min(e.query_quality, ref) < PDQ_QUALITY_FLOOR:
        return None
    if e.box_distance is not None and e.box_distance <= PDQ_MATCH_DISTANCE:
        return "box"
    if e.regions_agreeing >= agree:
        return "regions"
    return None
