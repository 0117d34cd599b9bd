"""Calibration: recall per transform and false matches per decision rule, on benign pictures.

Run: python bench/perceptual/calibrate.py [--workers 2] [--quick]
References are photos shipped in PyPI packages (scikit-image, scikit-learn, matplotlib; install
them first) plus generated scenes; distractors are other photos, other scenes, the second shot
of a stereo pair, and featureless pictures. Nothing is written outside a temporary folder.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from pictures import featureless, package_photos, scene  # noqa: E402
from PIL import Image  # noqa: E402
from transforms import GOALS, TRANSFORMS  # noqa: E402

from triage.perceptual.hasher import PictureHashes, hash_many  # noqa: E402
from triage.perceptual.rules import CHOSEN_RULE, CORROBORATED, RULES, Evidence  # noqa: E402

# Featureless references: matched against like any other, but kept out of the recall goals,
# because the quality gate exists precisely to stop matching pictures like these.
FEATURELESS_REFS = ("flat 0", "near-flat 0", "logo 0")


def _jpeg(image: Image.Image, quality: int = 92) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=quality)
    return out.getvalue()


def _matrix(hexes: list[str], nbytes: int) -> np.ndarray:
    return np.frombuffer(bytes.fromhex("".join(hexes)), dtype=np.uint8).reshape(-1, nbytes)


def _distances(queries: np.ndarray, refs: np.ndarray) -> np.ndarray:
    """(q, r) Hamming distances."""
    out = np.zeros((len(queries), len(refs)), dtype=np.int64)
    for i, q in enumerate(queries):
        out[i] = np.unpackbits(refs ^ q, axis=1).sum(axis=1)
    return out


class Table:
    """Reference hashes, and evidence of any query against every reference (best variant)."""

    def __init__(self, refs: list[PictureHashes]) -> None:
        self.pdq = _matrix([r.pdq for r in refs], 32)
        self.phash = _matrix([r.phash for r in refs], 8)
        self.quality = [r.pdq_quality for r in refs]

    def evidence(self, h: PictureHashes) -> list[list[Evidence]]:
        """For each reference, the evidence of every (frame, variant) of the query."""
        per_ref: list[list[Evidence]] = [[] for _ in self.quality]
        for frame in h.variants:
            pdq = _distances(_matrix(list(frame.pdq), 32), self.pdq)
            phash = _distances(_matrix(list(frame.phash), 8), self.phash)
            for v in range(pdq.shape[0]):
                for r, quality in enumerate(self.quality):
                    per_ref[r].append(
                        Evidence(
                            int(pdq[v, r]), int(phash[v, r]), frame.pdq_quality, quality, v != 0
                        )
                    )
        return per_ref


def matched(evidence: list[Evidence], rule: str) -> bool:
    return any(RULES[rule](e) for e in evidence)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="fewer pictures, for a smoke run")
    args = parser.parse_args()

    photos = package_photos()
    if not photos:
        sys.exit("no package photos found: pip install scikit-image scikit-learn matplotlib")
    names = sorted(photos)
    ref_pics = {n: photos[n] for n in names[::2]}
    distractors: dict[str, Image.Image] = {n: photos[n] for n in names[1::2]}
    if "skimage/motorcycle_left.png" in photos:  # same scene, other shot: must not match
        ref_pics["skimage/motorcycle_left.png"] = photos["skimage/motorcycle_left.png"]
        distractors.pop("skimage/motorcycle_left.png", None)
        import skimage.data

        distractors["skimage/motorcycle_right.png"] = Image.fromarray(
            skimage.data.stereo_motorcycle()[1]
        )
    nscenes = 6 if args.quick else 20
    ref_pics.update({f"scene {s}": scene(s) for s in range(nscenes)})
    distractors.update({f"scene {s}": scene(s) for s in range(1000, 1000 + 3 * nscenes)})
    flat = featureless()
    # Known pictures can be nearly featureless too (a dark video frame, a logo): as references
    # they show what the quality gate is for.
    for name in FEATURELESS_REFS:
        ref_pics[name] = flat.pop(name)
    distractors.update(flat)
    try:
        import skimage.data

        faces = skimage.data.lfw_subset()[: 10 if args.quick else 40]
        for i, face in enumerate(faces):  # 25x25 greyscale faces: similar pictures, not equal
            distractors[f"lfw face {i}"] = Image.fromarray((face * 255).astype(np.uint8)).resize(
                (250, 250), Image.Resampling.BICUBIC
            )
    except ImportError:
        pass
    transforms = dict(list(TRANSFORMS.items())[::3]) if args.quick else TRANSFORMS
    print(
        f"references: {len(ref_pics)}  distractors: {len(distractors)}  "
        f"transforms: {len(transforms)}  workers: {args.workers}"
    )

    jobs: list[tuple[tuple[str, str], bytes]] = []
    for name, pic in ref_pics.items():
        jobs.append((("ref", name), _jpeg(pic)))
        for t_name, (_, transform) in transforms.items():
            jobs.append(((t_name, name), transform(pic)))
    for name, pic in distractors.items():
        jobs.append((("distractor", name), _jpeg(pic, 85)))
    started = time.perf_counter()
    results = dict(hash_many(jobs, workers=args.workers))
    elapsed = time.perf_counter() - started
    print(f"hashed {len(jobs)} pictures in {elapsed:.1f} s ({len(jobs) / elapsed:.0f}/s)")
    failed = {k: v for k, v in results.items() if isinstance(v, str)}
    for key, reason in failed.items():
        print(f"  not hashed: {key}: {reason}")

    ref_names = list(ref_pics)
    table = Table([results[("ref", n)] for n in ref_names])
    rules = list(RULES)
    recall: dict[str, dict[str, list[bool]]] = {r: defaultdict(list) for r in rules}
    wrong: dict[str, int] = dict.fromkeys(rules, 0)
    positives: list[tuple[str, list[Evidence]]] = []  # (transform, evidence vs own reference)
    negatives: list[tuple[str, list[Evidence]]] = []  # every pair that must not match
    misses: list[tuple[str, str, list[Evidence]]] = []
    featureless_hits: dict[str, int] = {}
    worst: dict[str, tuple[int, int]] = {}
    for t_name in transforms:
        pdq_worst = phash_worst = 0
        for i, name in enumerate(ref_names):
            h = results.get((t_name, name))
            if not isinstance(h, PictureHashes):
                for r in rules:
                    recall[r][t_name].append(False)
                continue
            evidence = table.evidence(h)
            own = evidence[i]
            for r in rules:
                wrong[r] += sum(matched(e, r) for j, e in enumerate(evidence) if j != i)
            negatives.extend(
                (f"{t_name} of {name} ~ {ref_names[j]}", e)
                for j, e in enumerate(evidence)
                if j != i
            )
            if name in FEATURELESS_REFS:
                featureless_hits[t_name] = featureless_hits.get(t_name, 0) + matched(
                    own, CHOSEN_RULE
                )
                continue
            positives.append((t_name, own))
            if not matched(own, CHOSEN_RULE):
                misses.append((t_name, name, own))
            best = min(own, key=lambda e: e.pdq_distance + 3 * (e.phash_distance or 0))
            pdq_worst = max(pdq_worst, best.pdq_distance)
            phash_worst = max(phash_worst, best.phash_distance or 0)
            for r in rules:
                recall[r][t_name].append(matched(own, r))
        worst[t_name] = (pdq_worst, phash_worst)

    false: dict[str, list[str]] = {r: [] for r in rules}
    closest: list[tuple[int, int, str]] = []
    for name in distractors:
        h = results.get(("distractor", name))
        if not isinstance(h, PictureHashes):
            continue
        for j, evidence in enumerate(table.evidence(h)):
            negatives.append((f"{name} ~ {ref_names[j]}", evidence))
            for r in rules:
                if matched(evidence, r):
                    false[r].append(f"{name} ~ {ref_names[j]}")
            e = min(evidence, key=lambda e: e.pdq_distance)
            closest.append(
                (
                    e.pdq_distance,
                    min(x.phash_distance or 0 for x in evidence),
                    f"{name} ~ {ref_names[j]} q={e.query_quality}/{e.reference_quality}",
                )
            )
    for i, name in enumerate(ref_names):  # references are each other's distractors too
        h = results[("ref", name)]
        for j, evidence in enumerate(table.evidence(h)):
            if j != i:
                negatives.append((f"ref {name} ~ {ref_names[j]}", evidence))
                for r in rules:
                    if matched(evidence, r):
                        false[r].append(f"ref {name} ~ {ref_names[j]}")

    _print_tables(rules, transforms, recall, worst, false, wrong, closest)
    _print_grid(transforms, positives, negatives)
    _print_near_grid(transforms, positives, negatives)
    found = sum(featureless_hits.values())
    print(
        f"\nfeatureless references {FEATURELESS_REFS} found under the chosen rule: {found} of "
        f"{len(FEATURELESS_REFS) * len(transforms)} transformed copies (no goal: the gate)"
    )
    print(f"\nmisses under the chosen rule ({CHOSEN_RULE}), transforms with a goal")
    for t_name, name, own in misses:
        if GOALS.get(transforms[t_name][0]):
            best = min(own, key=lambda e: e.pdq_distance + 3 * (e.phash_distance or 0))
            print(
                f"  {t_name:<16} {name:<32} pdq={best.pdq_distance:>3} "
                f"phash={best.phash_distance:>2} q={best.query_quality}/{best.reference_quality}"
            )


def _print_grid(transforms, positives, negatives) -> None:
    """The family 'pdq<=A (quality>=Q) or (pdq<=B and phash<=P (quality>=Q2))', swept."""
    print("\ngrid: pdq<=31 q>=50, or (pdq<=B and phash<=P and both qualities>=Q2)")
    print(f"{'B':>4}{'P':>4}{'Q2':>4}  " + " ".join(f"{g[:10]:>10}" for g in GOALS) + "  false")
    for bound in (31, 48, 63, 72, 76, 80, 90):
        for ph in (8, 10, 12):
            for q2 in (50, 30, 20, 0):

                def rule(e: Evidence, bound=bound, ph=ph, q2=q2) -> bool:
                    if e.quality_ok and e.pdq_near:
                        return True
                    ref_q = 100 if e.reference_quality is None else e.reference_quality
                    low = min(e.query_quality, ref_q)
                    return (
                        low >= q2
                        and e.pdq_distance <= bound
                        and e.phash_distance is not None
                        and e.phash_distance <= ph
                    )

                _print_grid_row(f"{bound:>4}{ph:>4}{q2:>4}", rule, transforms, positives,
                                negatives)


def _print_near_grid(transforms, positives, negatives) -> None:
    """R6 plus a third way: pdq<=A2 and phash<=P2, qualities >= Q3, stored orientation; swept."""
    print("\ngrid: R6, or (pdq<=A2 and phash<=P2, qualities>=Q3, picture as stored)")
    print(f"{'A2':>4}{'P2':>4}{'Q3':>4}  " + " ".join(f"{g[:10]:>10}" for g in GOALS) + "  false")
    chosen = RULES[CORROBORATED]
    for bound in (40, 44, 47, 52, 56, 63):
        for ph in (16, 18, 20, 22, 24, 64):
            for q3 in (80, 50):

                def rule(e: Evidence, bound=bound, ph=ph, q3=q3) -> bool:
                    if chosen(e):
                        return True
                    ref_q = 100 if e.reference_quality is None else e.reference_quality
                    return (
                        not e.turned
                        and min(e.query_quality, ref_q) >= q3
                        and e.pdq_distance <= bound
                        and e.phash_distance is not None
                        and e.phash_distance <= ph
                    )

                _print_grid_row(f"{bound:>4}{ph:>4}{q3:>4}", rule, transforms, positives,
                                negatives)
    # The margin: how close any pair that must not match came, by PDQ, among pictures with
    # quality (featureless pairs are the quality gate's business).
    for floor in (50, 80):
        near = sorted(
            (min(e.pdq_distance for e in ev), min(e.phash_distance or 99 for e in ev), label)
            for label, ev in negatives
            if min(ev[0].query_quality, ev[0].reference_quality or 100) >= floor
        )[:4]
        print(f"closest pairs that must not match, both qualities >= {floor} (pdq, phash):")
        for pdq, phash, label in near:
            print(f"  {pdq:>4} {phash:>3}  {label}")


def _print_grid_row(label: str, rule, transforms, positives, negatives) -> None:  # noqa: ANN001
    """One row of a grid: recall per goal group ('!' where short) and the false matches."""
    by_group: dict[str, list[bool]] = defaultdict(list)
    for t_name, own in positives:
        by_group[transforms[t_name][0]].append(any(rule(e) for e in own))
    false = [name for name, ev in negatives if any(rule(e) for e in ev)]
    cells = []
    for g, goal in GOALS.items():
        hits = by_group[g]
        rate = sum(hits) / len(hits) if hits else float("nan")
        cells.append(f"{rate:>9.3f}{'' if rate >= goal else '!'}")
    print(f"{label}  " + " ".join(cells) + f"  {len(false):>5}  " + "; ".join(false[:2]))


def _print_tables(rules, transforms, recall, worst, false, wrong, closest) -> None:
    ids = {r: f"R{i + 1}" for i, r in enumerate(rules)}
    print("\nrules: " + "; ".join(f"{ids[r]} = {r}" for r in rules))
    print("\nrecall per transform (share of photo references found under each rule)")
    print(
        f"{'transform':<18}{'goal':>6} {'worst pdq/phash':>16}  "
        + "".join(f"{ids[r]:>7}" for r in rules)
    )
    groups: dict[str, dict[str, list[bool]]] = {r: defaultdict(list) for r in rules}
    for t_name, (group, _) in transforms.items():
        goal = GOALS.get(group)
        cells = []
        for r in rules:
            hits = recall[r][t_name]
            groups[r][group].extend(hits)
            cells.append(f"{sum(hits) / len(hits):>7.3f}")
        worst_cell = f"{worst[t_name][0]:>3}/{worst[t_name][1]:<3}"
        goal_cell = f"{goal:.2f}" if goal else "-"
        print(f"{t_name:<18}{goal_cell:>6} {worst_cell:>16}  " + "".join(cells))
    print("\nper goal group: recall (goal; ! = missed)")
    for group, goal in GOALS.items():
        cells = []
        for r in rules:
            hits = groups[r][group]
            rate = sum(hits) / len(hits) if hits else float("nan")
            cells.append(f"{rate:>6.3f}{'' if rate >= goal else '!'}".rjust(7))
        print(f"{group:<18}{goal:>6.2f} {'':>16}  " + "".join(cells))
    print(
        "\nfalse matches (distractor or other reference matched), and transformed copies "
        "matched to the wrong reference"
    )
    for r in rules:
        meets = all(
            (sum(groups[r][g]) / len(groups[r][g]) if groups[r][g] else 1) >= goal
            for g, goal in GOALS.items()
        )
        print(
            f"  {ids[r]} {r:<44} false={len(false[r]):>3}  wrong-ref={wrong[r]:>3}  "
            f"goals {'met' if meets else 'missed'}" + ("  <- chosen" if r == CHOSEN_RULE else "")
        )
        for item in false[r][:3]:
            print(f"      {item}")
    print("\nclosest distractor pairs by PDQ (pdq, best phash, pair, qualities)")
    for pdq, phash, label in sorted(closest)[:8]:
        print(f"  {pdq:>4} {phash:>3}  {label}")
    print("closest distractor pairs by pHash")
    for pdq, phash, label in sorted(closest, key=lambda c: (c[1], c[0]))[:8]:
        print(f"  {pdq:>4} {phash:>3}  {label}")


if __name__ == "__main__":
    main()
