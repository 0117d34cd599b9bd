"""Match a picture's hashes against every perceptual reference set, flips and rotations included."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from triage.perceptual import bits
from triage.perceptual.dihedral import DIHEDRAL_NAMES
from triage.perceptual.hasher import FrameHashes, PictureHashes
from triage.perceptual.refset import MANIFEST, ReferenceSet, SetError, load_set
from triage.perceptual.regions import BOX
from triage.perceptual.rules import Evidence, RegionEvidence, decide, decide_regions
from triage.perceptual.thresholds import (
    PDQ_MATCH_DISTANCE,
    PDQ_NEAR_DISTANCE,
    PDQ_QUALITY_FLOOR,
    REGION_DISTANCE,
)


@dataclass(frozen=True, slots=True)
class PerceptualMatch:
    """A lead, never proof: a picture that looks like a reference picture by its hashes."""

    set_name: str
    set_version: str
    reference: str
    category: str
    pdq_distance: int | None
    phash_distance: int | None
    agreed: list[str]  # the hashes within their own thresholds ("pdq", "phash")
    dihedral: str | None  # the flip/rotation of the picture that matched; None: as stored
    frame: int = 0  # which hashed frame of an animation matched (0: the first)
    # Issue 20's ways: "box" (the picture found inside borders or a screenshot frame) or
    # "regions" (most of its sub-regions agree: a caption or logo covers the rest); None: whole.
    via: str | None = None

    def title(self) -> str:
        """One line for the report: what matched, and that it is a lead."""
        turned = f", {self.dihedral}" if self.dihedral else ""
        # The third way of the rule: both hashes near, neither within its own threshold.
        agreed = f"{'+'.join(self.agreed)} agreed" if self.agreed else "pdq and phash both near"
        if self.via:
            agreed = _VIA[self.via]
        return (
            f"Looks like {self.reference} in {self.set_name} {self.set_version} "
            f"(perceptual lead{turned}: {agreed}; not an exact match)"
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "hashset": self.set_name,
            "hashset_version": self.set_version,
            "reference": self.reference,
            "category": self.category,
            "pdq_distance": self.pdq_distance,
            "phash_distance": self.phash_distance,
            "agreed": list(self.agreed),
            "dihedral": self.dihedral,
            "frame": self.frame,
            "via": self.via,
        }


_VIA = {
    "box": "pdq of the picture inside its borders or screenshot frame agreed",
    "regions": "pdq of most sub-regions agreed (part of the picture covered or changed)",
}


def _frames(h: PictureHashes) -> tuple[FrameHashes, ...]:
    if h.variants:
        return h.variants
    # Hashes made elsewhere (e.g. read back from a report) carry only the stored orientation.
    return (FrameHashes(phash=(h.phash,), pdq=(h.pdq,), pdq_quality=h.pdq_quality),)


class PerceptualMatcher:
    """Every perceptual reference set in a folder, ready to match pictures against."""

    def __init__(self, sets: list[ReferenceSet], problems: list[str] | None = None) -> None:
        self.sets = sets
        self.problems = problems or []

    @classmethod
    def load(cls, directory: Path, *, verify: bool = True) -> PerceptualMatcher:
        """Load every set under `directory`; a set that fails to load is noted in .problems."""
        sets: list[ReferenceSet] = []
        problems: list[str] = []
        if not directory.is_dir():
            return cls(sets, problems)
        manifests = sorted(directory.rglob(MANIFEST))
        for manifest in manifests:
            try:
                ours = (manifest.parent / "pdq_codes.npy").exists()
                if not ours and b"triage-perceptual-set/" not in manifest.read_bytes():
                    continue  # another engineer's manifest (exact hash bundles, reports...)
                sets.append(load_set(manifest.parent, verify=verify))
            except SetError as exc:
                problems.append(f"perceptual set skipped: {exc}")
            except OSError as exc:
                problems.append(f"perceptual set {manifest.parent} skipped: {exc}")
        return cls(sets, problems)

    @property
    def is_empty(self) -> bool:
        return not any(len(s) for s in self.sets)

    def provenance(self) -> list[dict]:
        return [s.provenance() for s in self.sets]

    def match(self, h: PictureHashes) -> list[PerceptualMatch]:
        """Matches of one picture (all its hashed frames and 8 variants), best first."""
        out: list[PerceptualMatch] = []
        for ref_set in self.sets:
            for frame_no, frame in enumerate(_frames(h)):
                found = _match_frame(ref_set, frame, frame_no)
                out.extend(found)
                seen = {m.reference for m in found}
                out.extend(_match_regions(ref_set, frame, frame_no, seen))
        best: dict[tuple[str, str, str], PerceptualMatch] = {}
        for m in sorted(out, key=_rank):
            best.setdefault((m.set_name, m.set_version, m.reference), m)
        return sorted(best.values(), key=_rank)


def _rank(m: PerceptualMatch) -> tuple[int, int, int, int]:
    return (-len(m.agreed), m.pdq_distance or 0, m.phash_distance or 0, m.frame)


def _match_frame(ref_set: ReferenceSet, frame: FrameHashes, frame_no: int) -> list[PerceptualMatch]:
    pdqs = [bytes.fromhex(x) for x in frame.pdq]
    phashes = [bytes.fromhex(x) for x in frame.phash]
    pdq_q = np.frombuffer(b"".join(pdqs), dtype=np.uint8).reshape(len(pdqs), 32)
    ph_q = np.frombuffer(b"".join(phashes), dtype=np.uint8).reshape(len(phashes), 8)
    # Candidate (variant, entry) pairs from either index; the rule then weighs both distances.
    # Every way the rule matches has PDQ within 31 or pHash within its threshold, except the one
    # for the picture as stored (variant 0): PDQ within PDQ_NEAR_DISTANCE (thresholds.py).
    candidates: set[tuple[int, int]] = set()
    near = min(PDQ_NEAR_DISTANCE, ref_set.pdq.layout.radius)  # sets built for 31 reach 31
    variants, rows, _ = ref_set.pdq.search(pdq_q[:1], near)
    candidates.update(zip(variants.tolist(), rows.tolist(), strict=True))
    variants, rows, _ = ref_set.pdq.search(pdq_q[1:], PDQ_MATCH_DISTANCE)
    candidates.update(zip((variants + 1).tolist(), rows.tolist(), strict=True))
    variants, rows, _ = ref_set.phash.search(ph_q)
    entries = ref_set.phash_entry[rows] if len(rows) else rows
    candidates.update(zip(variants.tolist(), np.asarray(entries).tolist(), strict=True))
    best: dict[int, tuple[tuple[int, int, int], Evidence, int]] = {}
    for variant, row in candidates:
        ph_row = int(ref_set.phash_row[row])
        evidence = Evidence(
            pdq_distance=bits.distance(pdqs[variant], ref_set.pdq.codes[row].tobytes()),
            phash_distance=None
            if ph_row < 0
            else bits.distance(phashes[variant], ref_set.phash.codes[ph_row].tobytes()),
            query_quality=frame.pdq_quality,
            reference_quality=ref_set.quality(row),
            turned=variant != 0,
        )
        if not decide(evidence):
            continue
        key = (-len(evidence.agreed()), evidence.pdq_distance, variant)
        if row not in best or key < best[row][0]:
            best[row] = (key, evidence, variant)
    return [
        PerceptualMatch(
            set_name=ref_set.name,
            set_version=ref_set.version,
            reference=ref_set.references[row],
            category=ref_set.category_of(row),
            pdq_distance=evidence.pdq_distance,
            phash_distance=evidence.phash_distance,
            agreed=evidence.agreed(),
            dihedral=None if variant == 0 else DIHEDRAL_NAMES[variant],
            frame=frame_no,
        )
        for row, (_, evidence, variant) in best.items()
    ]


def _match_regions(
    ref_set: ReferenceSet, frame: FrameHashes, frame_no: int, matched: set[str]
) -> list[PerceptualMatch]:
    """Issue 20's ways: the content box and the sub-regions (rules.decide_regions)."""
    if not frame.regions:
        return []
    out: list[PerceptualMatch] = []
    box = next((r for r in frame.regions if r[0] == BOX), None)
    if box is not None:
        # The query's box against the references' whole pictures, by the whole-picture rule
        # (its pHash corroborates, as a whole picture's does), as stored only.
        _, code, quality, phash = box
        as_whole = FrameHashes(phash=(phash,), pdq=(code,), pdq_quality=quality)
        for m in _match_frame(ref_set, as_whole, frame_no):
            if m.reference not in matched:
                matched.add(m.reference)
                out.append(replace(m, via="box"))
    if ref_set.region is None or frame.pdq_quality < PDQ_QUALITY_FLOOR:
        return out  # a /1 set holds no boxes or sub-regions; rules.decide_regions' floor
    whole = bytes.fromhex(frame.pdq[0])
    regions = [(kind, bytes.fromhex(code), q) for kind, code, q, _ in frame.regions]
    # Query whole and box against the references' boxes, sub-regions against sub-regions.
    queries = [(BOX, whole)]
    queries += [(kind, code) for kind, code, q in regions if q >= PDQ_QUALITY_FLOOR]
    qrows, rrows, dists = ref_set.region.search(
        _matrix([c for _, c in queries]), max(PDQ_MATCH_DISTANCE, REGION_DISTANCE)
    )
    box_best: dict[int, int] = {}
    agreeing: dict[int, set[int]] = {}
    for qrow, rrow, dist in zip(qrows.tolist(), rrows.tolist(), dists.tolist(), strict=True):
        kind = queries[qrow][0]
        if int(ref_set.region_kind[rrow]) != kind:
            continue
        if int(ref_set.region_quality[rrow]) < PDQ_QUALITY_FLOOR:
            continue
        entry = int(ref_set.region_entry[rrow])
        if kind == BOX:
            box_best[entry] = min(dist, box_best.get(entry, dist))
        elif dist <= REGION_DISTANCE:
            agreeing.setdefault(entry, set()).add(kind)
    for row in sorted(set(box_best) | set(agreeing)):
        reference = ref_set.references[row]
        if reference in matched:
            continue
        evidence = RegionEvidence(
            box_distance=box_best.get(row),
            regions_agreeing=len(agreeing.get(row, ())),
            query_quality=frame.pdq_quality,
            reference_quality=ref_set.quality(row),
        )
        via = decide_regions(evidence)
        if via is None:
            continue
        ph_row = int(ref_set.phash_row[row])
        out.append(
            PerceptualMatch(
                set_name=ref_set.name,
                set_version=ref_set.version,
                reference=reference,
                category=ref_set.category_of(row),
                pdq_distance=evidence.box_distance
                if via == "box"
                else bits.distance(whole, ref_set.pdq.codes[row].tobytes()),
                phash_distance=None
                if ph_row < 0
                else bits.distance(
                    bytes.fromhex(frame.phash[0]), ref_set.phash.codes[ph_row].tobytes()
                ),
                agreed=[],
                dihedral=None,
                frame=frame_no,
                via=via,
            )
        )
    return out


def _matrix(codes: list[bytes]) -> np.ndarray:
    return np.frombuffer(b"".join(codes), dtype=np.uint8).reshape(len(codes), 32)
