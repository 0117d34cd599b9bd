"""The matcher: transformed copies found, flipped and rotated copies found, distractors never."""

from __future__ import annotations

import io
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageEnhance, ImageOps

from triage.perceptual import PerceptualMatcher, PictureHashes, hash_picture
from triage.perceptual.build import build_from_folder, import_pdq_lists
from triage.perceptual.dihedral import DIHEDRAL_NAMES, apply
from triage.perceptual.hasher import FrameHashes

from .conftest import encode, scene

REFERENCE_SEEDS = range(100, 112)


@pytest.fixture(scope="session")
def sets_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("perceptual")
    pictures = root / "pictures"
    pictures.mkdir()
    for seed in REFERENCE_SEEDS:
        (pictures / f"ref{seed}.jpg").write_bytes(encode(scene(seed), "JPEG", quality=92))
    build_from_folder(
        pictures, root / "sets" / "lab", name="lab", version="1", category="A", workers=2
    )
    return root / "sets"


@pytest.fixture(scope="session")
def matcher(sets_dir: Path) -> PerceptualMatcher:
    return PerceptualMatcher.load(sets_dir)


def _hash(image: Image.Image, fmt: str = "JPEG", **options: object) -> PictureHashes:
    result = hash_picture(encode(image, fmt, **options))
    assert isinstance(result, PictureHashes), result
    return result


def _watermark(image: Image.Image) -> Image.Image:
    out = image.copy()
    ImageDraw.Draw(out).text((20, 20), "shared on example.invalid", fill=(255, 255, 255))
    return out


def _crop(image: Image.Image, fraction: float) -> Image.Image:
    w, h = image.size
    dx, dy = int(w * fraction / 2), int(h * fraction / 2)
    return image.crop((dx, dy, w - dx, h - dy))


TRANSFORMS: dict[str, Callable[[Image.Image], Image.Image]] = {
    "resize 0.25": lambda im: im.resize((im.width // 4, im.height // 4)),
    "resize 2x": lambda im: im.resize((im.width * 2, im.height * 2)),
    "brightness 1.3": lambda im: ImageEnhance.Brightness(im).enhance(1.3),
    "contrast 0.7": lambda im: ImageEnhance.Contrast(im).enhance(0.7),
    "greyscale": lambda im: ImageOps.grayscale(im).convert("RGB"),
    "watermark": _watermark,
    "crop 5%": lambda im: _crop(im, 0.05),
}


@pytest.mark.parametrize("name", sorted(TRANSFORMS))
def test_transformed_copies_match_their_reference(matcher: PerceptualMatcher, name: str) -> None:
    for seed in REFERENCE_SEEDS:
        picture = TRANSFORMS[name](scene(seed))
        matches = matcher.match(_hash(picture, "JPEG", quality=60))
        assert [m.reference for m in matches] == [f"ref{seed}.jpg"], (name, seed)
        assert matches[0].dihedral is None
        # Crops move PDQ to 30-56 here, mostly past 31; pHash then carries the match.
        if name.startswith("crop"):
            assert "phash" in matches[0].agreed, (name, seed, matches[0])
        else:
            assert matches[0].agreed == ["pdq", "phash"], (name, seed, matches[0])


@pytest.mark.parametrize("variant", range(1, 8))
def test_flipped_and_rotated_copies_match(matcher: PerceptualMatcher, variant: int) -> None:
    for seed in list(REFERENCE_SEEDS)[:4]:
        matches = matcher.match(_hash(apply(scene(seed), variant), "PNG"))
        assert [m.reference for m in matches] == [f"ref{seed}.jpg"]
        assert matches[0].title().startswith(f"Looks like ref{seed}.jpg in lab 1 (perceptual lead")
        # The named transform, applied to the found picture, gives back the reference.
        undo = DIHEDRAL_NAMES.index(matches[0].dihedral)
        assert apply(apply(scene(seed), variant), undo).tobytes() == scene(seed).tobytes()


def _distractors() -> dict[str, Image.Image]:
    size = (640, 480)
    rng = np.random.default_rng(0)
    out: dict[str, Image.Image] = {f"scene {s}": scene(s) for s in range(300, 330)}
    for i, colour in enumerate([(0, 0, 0), (255, 255, 255), (128, 128, 128), (200, 30, 30)]):
        out[f"flat {i}"] = Image.new("RGB", size, colour)
        noise = rng.normal(0, 3, (size[1], size[0], 3)) + np.array(colour)
        out[f"near-flat {i}"] = Image.fromarray(np.clip(noise, 0, 255).astype(np.uint8))
    ramp = np.linspace(0, 255, size[0])[None, :, None].repeat(size[1], 0).repeat(3, 2)
    out["gradient x"] = Image.fromarray(ramp.astype(np.uint8))
    out["gradient y"] = out["gradient x"].transpose(Image.Transpose.ROTATE_90).resize(size)
    yy, xx = np.mgrid[0 : size[1], 0 : size[0]]
    radial = np.hypot(xx - size[0] / 2, yy - size[1] / 2)
    out["radial"] = Image.fromarray((radial / radial.max() * 255).astype(np.uint8)).convert("RGB")
    logo = Image.new("RGB", size, "white")
    ImageDraw.Draw(logo).ellipse((220, 140, 420, 340), fill="navy")
    out["logo"] = logo
    return out


def test_no_distractor_matches(matcher: PerceptualMatcher) -> None:
    false = {name: matcher.match(_hash(image)) for name, image in _distractors().items()}
    assert {name: m for name, m in false.items() if m} == {}


def test_later_frame_of_an_animation_matches(matcher: PerceptualMatcher) -> None:
    frames = [scene(s, (320, 240)) for s in (400, 401, 102, 403)]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=80)
    matches = matcher.match(_hash_bytes(data))
    assert [(m.reference, m.frame) for m in matches] == [("ref102.jpg", 2)]


def _hash_bytes(data: bytes) -> PictureHashes:
    result = hash_picture(io.BytesIO(data))
    assert isinstance(result, PictureHashes), result
    return result


def test_pdq_only_reference_needs_the_stricter_distance(tmp_path: Path) -> None:
    exact = _hash(scene(500), "PNG")
    listing = tmp_path / "list.csv"
    listing.write_text(f"{exact.pdq},100,C\n")
    import_pdq_lists(
        [listing], tmp_path / "sets" / "ncmec", name="ncmec", version="1", category="B"
    )
    matcher = PerceptualMatcher.load(tmp_path / "sets")
    matches = matcher.match(_hash(scene(500), "JPEG", quality=70))
    assert [(m.reference, m.category, m.phash_distance) for m in matches] == [
        ("list.csv:1", "C", None)
    ]
    assert matcher.match(_hash(scene(501))) == []


def test_load_missing_empty_and_corrupt(tmp_path: Path, sets_dir: Path) -> None:
    assert PerceptualMatcher.load(tmp_path / "absent").is_empty
    assert PerceptualMatcher.load(tmp_path).is_empty
    shutil.copytree(sets_dir, tmp_path / "sets")
    shutil.copytree(sets_dir / "lab", tmp_path / "sets" / "broken")
    (tmp_path / "sets" / "broken" / "references.json").write_text("[]")
    (tmp_path / "sets" / "other").mkdir()
    (tmp_path / "sets" / "other" / "manifest.json").write_text('{"format": "exact/1"}')
    loaded = PerceptualMatcher.load(tmp_path / "sets")
    assert [s.name for s in loaded.sets] == ["lab"]
    assert len(loaded.problems) == 1
    assert "references.json does not match its manifest digest" in loaded.problems[0]
    provenance = loaded.provenance()
    assert provenance[0]["count"] == len(REFERENCE_SEEDS)
    assert provenance[0]["digest"].startswith("sha256:")


def _moved(hex_hash: str, nbits: int, flips: int, seed: int) -> str:
    """The hash with `flips` of its bits changed: a copy that moved that far."""
    value = int(hex_hash, 16)
    for bit in np.random.default_rng(seed).choice(nbits, flips, replace=False):
        value ^= 1 << int(bit)
    return f"{value:0{nbits // 4}x}"


@pytest.mark.parametrize(
    ("pdq_moved", "phash_moved", "found"),
    [(44, 18, True), (47, 22, True), (48, 18, False), (44, 23, False)],
)
def test_both_hashes_near_is_the_rule_third_way(
    matcher: PerceptualMatcher, pdq_moved: int, phash_moved: int, found: bool
) -> None:
    # The bench's watermarked brick texture: PDQ 44 and pHash 18, outside both thresholds.
    ref = _hash(scene(104), "JPEG", quality=92)
    copy = PictureHashes(
        phash=_moved(ref.phash, 64, phash_moved, 1),
        pdq=_moved(ref.pdq, 256, pdq_moved, 2),
        pdq_quality=100,
        width=ref.width,
        height=ref.height,
        frames=1,
    )
    matches = matcher.match(copy)
    if not found:
        assert matches == []
        return
    assert [(m.reference, m.agreed) for m in matches] == [("ref104.jpg", [])]
    assert "pdq and phash both near; not an exact match" in matches[0].title()


def test_third_way_is_for_the_picture_as_stored_only(matcher: PerceptualMatcher) -> None:
    ref = _hash(scene(104), "JPEG", quality=92)
    near_pdq, near_phash = _moved(ref.pdq, 256, 44, 2), _moved(ref.phash, 64, 18, 1)
    far = _hash(scene(700), "JPEG", quality=92).variants[0]
    for variant in (0, 5):
        pdq, phash = list(far.pdq), list(far.phash)
        pdq[variant], phash[variant] = near_pdq, near_phash
        frame = FrameHashes(phash=tuple(phash), pdq=tuple(pdq), pdq_quality=100)
        copy = PictureHashes(near_phash, near_pdq, 100, 640, 480, 1, variants=(frame,))
        found = [m.reference for m in matcher.match(copy)]
        assert found == (["ref104.jpg"] if variant == 0 else []), variant
