"""Issue 20's calibration: captions, watermarks, borders, letterboxing, screenshots, 10,000+
distractors; recall per goal group and false matches through the scan's own matcher.

Run: nice python bench/perceptual/calibrate_wide.py [--workers 2] [--distractors 10400]
References and the existing transforms are calibrate.py's; wide_transforms.py adds issue 20's.
Distractors are generated (pictures.py: crops of the package photos that are not references,
other scenes, wallpapers of the reference scenes under other shapes, textures, colour fields,
LFW faces, and distractors given captions, borders and screenshot frames). Hashes are cached
under /tmp (keyed by the hashing code and the generators), so a second run only matches.
The table goes through a real reference set (refset.write_set) and PerceptualMatcher.match;
a grid over the sub-region way's parameters is computed beside it from the same hashes.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from pictures import (  # noqa: E402
    colour_field,
    featureless,
    package_photos,
    photo_crop,
    scene,
    texture,
    wallpaper,
)
from PIL import Image  # noqa: E402
from transforms import GOALS, TRANSFORMS  # noqa: E402
from wide_transforms import BORDER_GOAL, WIDE_GOALS, WIDE_TRANSFORMS, letterbox_share  # noqa: E402

from triage.perceptual import PerceptualMatcher  # noqa: E402
from triage.perceptual.hasher import FrameHashes, PictureHashes, hash_many  # noqa: E402
from triage.perceptual.pdq import Pdq  # noqa: E402
from triage.perceptual.phash import PHash  # noqa: E402
from triage.perceptual.refset import Entries, load_set, write_set  # noqa: E402
from triage.perceptual.regions import BOX  # noqa: E402
from triage.perceptual.thresholds import (  # noqa: E402
    FEATURELESS_QUALITY,
    PDQ_QUALITY_FLOOR,
    REGION_AGREE,
    REGION_DISTANCE,
)

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path("/tmp/triage-bench-perceptual-wide")
FEATURELESS_REFS = ("flat 0", "near-flat 0", "logo 0")
ALL_GOALS = {**{g: 0.99 for g in GOALS}, **WIDE_GOALS}  # issue 20: 0.99 on existing groups


def _jpeg(image: Image.Image, quality: int = 92) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=quality)
    return out.getvalue()


# What the hashes depend on: the hashing code, the box constants, the picture generators.
_HASHING = ("bits", "decode", "hasher", "pdq", "pdq_luma", "phash", "regions")
_GENERATORS = ("pictures", "transforms", "wide_transforms")


def _code_key(extra: str) -> str:
    from triage.perceptual import thresholds

    digest = hashlib.sha256(extra.encode())
    for name in _HASHING:
        digest.update((ROOT / "triage" / "perceptual" / f"{name}.py").read_bytes())
    for name in _GENERATORS:
        digest.update((Path(__file__).resolve().parent / f"{name}.py").read_bytes())
    box = {k: v for k, v in vars(thresholds).items() if k.startswith(("BOX_", "PDQ_DECODE"))}
    digest.update(repr(sorted(box.items())).encode())
    return digest.hexdigest()[:16]


def _to_json(h: PictureHashes | str) -> object:
    if isinstance(h, str):
        return h
    return {**h.to_dict(), "variants": [
        {"phash": f.phash, "pdq": f.pdq, "pdq_quality": f.pdq_quality,
         "regions": [list(r) for r in f.regions]} for f in h.variants]}


def _from_json(d: object) -> PictureHashes | str:
    if isinstance(d, str):
        return d
    frames = tuple(FrameHashes(tuple(f["phash"]), tuple(f["pdq"]), f["pdq_quality"],
                               tuple(tuple(r) for r in f["regions"])) for f in d["variants"])
    fields = {k: v for k, v in d.items() if k != "variants"}
    return PictureHashes(**fields, variants=frames)


def references(photos: dict[str, Image.Image]) -> tuple[dict, dict]:
    """calibrate.py's references and its own distractor photos (the other half)."""
    names = sorted(photos)
    refs = {n: photos[n] for n in names[::2]}
    others = {n: photos[n] for n in names[1::2]}
    if "skimage/motorcycle_left.png" in photos:
        refs["skimage/motorcycle_left.png"] = photos["skimage/motorcycle_left.png"]
        others.pop("skimage/motorcycle_left.png", None)
    refs.update({f"scene {s}": scene(s) for s in range(20)})
    flat = featureless()
    for name in FEATURELESS_REFS:
        refs[name] = flat[name]
    return refs, others


def distractor_jobs(others: dict[str, Image.Image], count: int):
    """(key, bytes) of `count` generated distractors, lazily."""
    import skimage.data

    others = dict(others)
    others["skimage/motorcycle_right.png"] = Image.fromarray(skimage.data.stereo_motorcycle()[1])
    faces = skimage.data.lfw_subset()
    plan = {"face": len(faces), "colour": count // 10, "texture": count // 7,
            "wallpaper": count // 7, "scene": count // 6, "framed": count // 10}
    plan["crop"] = count - sum(plan.values())
    other_names = sorted(others)
    wide = list(WIDE_TRANSFORMS.items())
    for i, face in enumerate(faces):
        img = Image.fromarray((face * 255).astype(np.uint8)).resize((250, 250))
        yield ("distractor", f"lfw face {i}"), _jpeg(img, 85)
    for i in range(plan["colour"]):
        yield ("distractor", f"colour {i}"), _jpeg(colour_field(i), 85)
    for i in range(plan["texture"]):
        yield ("distractor", f"texture {i}"), _jpeg(texture(i), 85)
    for i in range(plan["wallpaper"]):
        yield ("distractor", f"wallpaper {i % 20}/{i}"), _jpeg(
            wallpaper(i % 20, i, (480, 360)), 85)
    for i in range(plan["scene"]):
        yield ("distractor", f"scene {3000 + i}"), _jpeg(scene(3000 + i, (480, 360)), 85)
    for i in range(plan["crop"]):
        name = other_names[i % len(other_names)]
        yield ("distractor", f"crop {i} of {name}"), _jpeg(photo_crop(others[name], i), 85)
    for i in range(plan["framed"]):  # distractors with captions, borders, frames of their own
        name = other_names[i % len(other_names)]
        t_name, (_, transform) = wide[(i * 7) % len(wide)]
        yield ("distractor", f"{t_name} of crop {i} of {name}"), transform(
            photo_crop(others[name], 50_000 + i, 600))


def hash_cached(label: str, jobs, key: str, workers: int) -> dict:
    path = CACHE / f"{label}-{key}.json"
    if path.exists():
        return {tuple(k): _from_json(v) for k, v in json.loads(path.read_text())}
    started = time.perf_counter()
    results = dict(hash_many(jobs, workers=workers, chunksize=8))
    print(f"hashed {len(results)} {label} pictures in {time.perf_counter() - started:.0f} s",
          flush=True)
    CACHE.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([[list(k), _to_json(v)] for k, v in results.items()]))
    return results


def _whole_only(h: PictureHashes | str) -> PictureHashes | str:
    if isinstance(h, str):
        return h
    frames = tuple(FrameHashes(f.phash, f.pdq, f.pdq_quality) for f in h.variants)
    return PictureHashes(h.phash, h.pdq, h.pdq_quality, h.width, h.height, h.frames, frames)


def group_of(t_name: str, group: str, picture: Image.Image) -> str:
    """Letterboxing's share depends on the picture's own aspect ratio."""
    if group != "letterbox (by share)":
        return group
    aspect = {"16:9": 16 / 9, "1:1": 1.0, "9:16": 9 / 16}[t_name.split()[1]]
    share = letterbox_share(aspect, *picture.size)
    if share < 0.005:
        return "letterbox none (same aspect)"
    return BORDER_GOAL if share <= 0.25 else "letterbox>25% (no goal)"


def build_set(refs: dict[str, PictureHashes], out: Path):
    entries = Entries()
    for name, h in refs.items():
        entries.add(name, "bench", Pdq.parse(h.pdq), h.pdq_quality, PHash.parse(h.phash), None,
                    [(k, bytes.fromhex(c), q) for k, c, q, _ in h.variants[0].regions])
    write_set(entries, out, name="bench", version="1")
    return PerceptualMatcher([load_set(out)])


def _region_table(hashes: list[PictureHashes]) -> tuple[np.ndarray, np.ndarray]:
    """(n, 9, 32) region codes (kind-indexed; box at 0) and (n, 9) qualities (-1: none)."""
    codes = np.zeros((len(hashes), 9, 32), np.uint8)
    quality = np.full((len(hashes), 9), -1, np.int16)
    for i, h in enumerate(hashes):
        for kind, code, q, _ in h.variants[0].regions:
            codes[i, kind] = np.frombuffer(bytes.fromhex(code), np.uint8)
            quality[i, kind] = q
    return codes, quality


def region_counts(query: PictureHashes, ref_codes, ref_quality, distance: int) -> np.ndarray:
    """For each reference: sub-regions within `distance`, qualities above the floor."""
    codes, quality = _region_table([query])
    diff = np.unpackbits(ref_codes[:, 1:] ^ codes[0, None, 1:], axis=2).sum(axis=2)
    ok = (ref_quality[:, 1:] >= PDQ_QUALITY_FLOOR) & (quality[0, None, 1:] >= PDQ_QUALITY_FLOOR)
    return ((diff <= distance) & ok).sum(axis=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--distractors", type=int, default=10_400)
    parser.add_argument("--before", action="store_true",
                        help="main's matching on the same hashes: whole pictures only, the "
                        "corroborated way at its old 72")
    args = parser.parse_args()
    if args.before:
        import triage.perceptual.rules as rules

        rules.PDQ_CORROBORATED_DISTANCE = 72
    photos = package_photos()
    if not photos:
        sys.exit("no package photos found: pip install scikit-image scikit-learn matplotlib")
    refs, others = references(photos)
    transforms = {**{k: v for k, v in TRANSFORMS.items()}, **WIDE_TRANSFORMS}
    key = _code_key(f"{args.distractors}")
    def jobs():  # made only when the cache misses (encoding them is minutes of CPU)
        for name, pic in refs.items():
            yield ("ref", name), _jpeg(pic)
            for t_name, (_, transform) in transforms.items():
                yield (t_name, name), transform(pic)

    positives = hash_cached("positives", jobs(), key, args.workers)
    negatives = hash_cached("distractors", distractor_jobs(others, args.distractors), key,
                            args.workers)
    if args.before:  # no boxes or sub-regions: what main's hasher gave
        positives = {k: _whole_only(v) for k, v in positives.items()}
        negatives = {k: _whole_only(v) for k, v in negatives.items()}
    failed = [k for k, v in {**positives, **negatives}.items() if isinstance(v, str)]
    print(f"references: {len(refs)}  transforms: {len(transforms)}  distractors: "
          f"{len(negatives)}  not hashed: {len(failed)} {failed[:3]}")

    ref_hashes = {n: positives[("ref", n)] for n in refs}
    with tempfile.TemporaryDirectory() as tmp:
        matcher = build_set(ref_hashes, Path(tmp) / "set")
        recall: dict[str, list[bool]] = defaultdict(list)
        per_transform: dict[str, list[bool]] = defaultdict(list)
        via_count: dict[str, int] = defaultdict(int)
        featureless_hits: dict[str, int] = defaultdict(int)
        misses, false, wrong = [], [], []
        for (t_name, name), h in positives.items():
            if t_name == "ref" or isinstance(h, str):
                continue
            found = matcher.match(h)
            hit = [m for m in found if m.reference == name]
            wrong += [f"{t_name} of {name} ~ {m.reference} ({m.via or 'whole'})"
                      for m in found if m.reference != name and name not in FEATURELESS_REFS]
            if name in FEATURELESS_REFS:
                # A copy of a near-featureless reference (a logo) is that reference: not a false
                # match, but one under FEATURELESS_QUALITY must never be found.
                quality = ref_hashes[name].pdq_quality
                featureless_hits[f"{name} (quality {quality})"] += bool(hit)
                if hit and quality < FEATURELESS_QUALITY:
                    false.append(f"featureless {name} (quality {quality}) found by its {t_name}")
                continue
            group = group_of(t_name, transforms[t_name][0], refs[name])
            recall[group].append(bool(hit))
            per_transform[t_name].append(bool(hit))
            if hit:
                via_count[hit[0].via or "whole"] += 1
            elif group in ALL_GOALS:
                misses.append(f"{t_name:<32} {name}")
        started = time.perf_counter()
        for (_, name), h in negatives.items():
            if not isinstance(h, str):
                false += [f"{name} ~ {m.reference} ({m.via or 'whole'}, pdq {m.pdq_distance})"
                          for m in matcher.match(h)]
        match_s = time.perf_counter() - started
        for name, h in ref_hashes.items():
            false += [f"ref {name} ~ {m.reference}" for m in matcher.match(h)
                      if m.reference != name]

    print(f"\nmatched {len(negatives)} distractors in {match_s:.1f} s through the scan's matcher")
    print("\n| group | goal | recall | pictures |\n|---|--:|--:|--:|")
    for group in sorted(recall, key=lambda g: (g not in ALL_GOALS, g)):
        hits = recall[group]
        goal = ALL_GOALS.get(group)
        rate = sum(hits) / len(hits)
        mark = "" if goal is None else (" met" if rate >= goal else " **missed**")
        print(f"| {group} | {goal if goal else '-'} | {rate:.3f}{mark} | {len(hits)} |")
    print(f"| false matches (distractors, references, featureless) | 0 | {len(false)} | "
          f"{len(negatives) + len(refs)} |")
    print(f"| copies matched to a wrong reference | 0 | {len(wrong)} | |")
    print(f"\nmatches by way: {dict(via_count)}")
    print(f"featureless references found by their own copies: {dict(featureless_hits)}")
    for item in false[:40]:
        print(f"  false: {item}")
    for item in wrong[:10]:
        print(f"  wrong: {item}")
    print("\nper transform (recall over the photo references):")
    for t_name, hits in per_transform.items():
        print(f"  {t_name:<32} {sum(hits) / len(hits):.3f}")
    print(f"\nmisses in goal groups ({len(misses)}):")
    for item in misses:
        print(f"  {item}")

    # The sub-region way's grid: recall of the caption group and false matches among the
    # distractors, by (distance, agreeing regions), from the same hashes (brute force).
    names = list(refs)
    ref_codes, ref_quality = _region_table([ref_hashes[n] for n in names])
    whole_q = np.array([ref_hashes[n].pdq_quality for n in names])
    print("\ngrid: sub-region way alone (whole qualities >= 50): caption-group recall by the "
          "region way alone, and distractors it would match")
    print("  dist agree  caption-recall  false")
    for dist in (12, 16, 20, 24, 28):
        counts_pos = []
        for (t_name, name), h in positives.items():
            if t_name == "ref" or isinstance(h, str) or name in FEATURELESS_REFS:
                continue
            if transforms[t_name][0] != "caption/watermark<=5%":
                continue
            i = names.index(name)
            ok = h.pdq_quality >= PDQ_QUALITY_FLOOR and whole_q[i] >= PDQ_QUALITY_FLOOR
            counts_pos.append(region_counts(h, ref_codes, ref_quality, dist)[i] if ok else 0)
        counts_neg = []
        for h in negatives.values():
            if isinstance(h, str) or h.pdq_quality < PDQ_QUALITY_FLOOR:
                continue
            c = region_counts(h, ref_codes, ref_quality, dist)
            counts_neg.append(int(c[whole_q >= PDQ_QUALITY_FLOOR].max(initial=0)))
        pos, neg = np.array(counts_pos), np.array(counts_neg)
        for agree in (2, 3, 4, 5):
            chosen = " <- chosen" if (dist, agree) == (REGION_DISTANCE, REGION_AGREE) else ""
            print(f"  {dist:>4} {agree:>5}  {np.mean(pos >= agree):>14.3f}  "
                  f"{int((neg >= agree).sum()):>5}{chosen}")
    print(f"\nbox way: {BOX} is the content box's kind; command: python "
          f"bench/perceptual/calibrate_wide.py {' '.join(sys.argv[1:])}")


if __name__ == "__main__":
    main()
