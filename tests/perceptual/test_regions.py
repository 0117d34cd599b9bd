"""Issue 20: the picture found inside borders and screenshot frames, captions survived through
sub-regions, featureless references never matched; one known answer per transform family."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageOps

from triage.perceptual import PerceptualMatcher, PictureHashes, hash_picture
from triage.perceptual.build import build_from_folder
from triage.perceptual.refset import MANIFEST, load_set
from triage.perceptual.regions import SUBREGIONS, content_box, regions
from triage.stages.perceptual import PERCEPTUAL_DIR, PerceptualStage

from .conftest import encode, scene

SIZE = (480, 360)


def photo(seed: int) -> Image.Image:
    """A scene with sensor-like grain, as photos have (the box finder reads texture)."""
    rng = np.random.default_rng(seed)
    pixels = np.asarray(scene(seed, SIZE), float) + rng.normal(0, 6, (SIZE[1], SIZE[0], 3))
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def _luma(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("L"))


def bordered(image: Image.Image, share: float, blurred: bool) -> tuple[Image.Image, tuple]:
    w, h = image.size
    size = (int(w / (1 - share)), int(h / (1 - share)))
    if blurred:
        canvas = ImageOps.fit(image, size).filter(ImageFilter.GaussianBlur(16))
    else:
        canvas = Image.new("RGB", size)
    left, top = (size[0] - w) // 2, (size[1] - h) // 2
    canvas.paste(image, (left, top))
    return canvas, (left, top, left + w, top + h)


def phone_screenshot(image: Image.Image, share: float) -> tuple[Image.Image, tuple]:
    frame = Image.new("RGB", (540, 1170), (250, 250, 250))
    draw = ImageDraw.Draw(frame)
    draw.text((20, 10), "12:30", fill=(30, 30, 30), font_size=24)
    draw.text((20, 60), "Photos  Albums  Shared", fill=(30, 30, 30), font_size=28)
    for i in range(4):
        draw.ellipse((60 + 120 * i, 1100, 100 + 120 * i, 1140), outline=(30, 30, 30), width=3)
    w = int(540 * share)
    h = int(w * image.height / image.width)
    left, top = (540 - w) // 2, (1170 - h) // 2
    frame.paste(image.resize((w, h), Image.Resampling.LANCZOS), (left, top))
    return frame, (left, top, left + w, top + h)


def captioned(image: Image.Image, area: float, where: str) -> Image.Image:
    out = image.copy()
    w, h = out.size
    bw = int((area * w * h * 4) ** 0.5)
    bh = int(area * w * h / bw)
    x = {"left": 4, "centre": (w - bw) // 2, "right": w - bw - 4}[where.split()[-1]]
    y = {"top": 4, "middle": (h - bh) // 2, "bottom": h - bh - 4}[where.split()[0]]
    draw = ImageDraw.Draw(out)
    draw.rectangle((x, y, x + bw, y + bh), fill=(255, 255, 255))
    draw.text((x + 6, y + bh // 4), "shared via app", fill=(20, 20, 20), font_size=bh // 2)
    return out


@pytest.mark.parametrize(
    "make",
    [
        lambda im: bordered(im, 0.10, blurred=False),
        lambda im: bordered(im, 0.25, blurred=True),
        lambda im: phone_screenshot(im, 0.8),
    ],
    ids=["black border 10%", "blurred border 25%", "phone screenshot 80%"],
)
def test_content_box_finds_the_picture_inside_its_frame(make) -> None:
    framed, truth = make(photo(1))
    box = content_box(_luma(framed))
    assert box is not None
    side = max(framed.size)
    assert all(abs(a - b) <= 0.02 * side for a, b in zip(box, truth, strict=True)), (box, truth)


def test_a_plain_photo_is_its_own_content() -> None:
    assert content_box(_luma(photo(2))) is None
    kinds = [r.kind for r in regions(_luma(photo(2)))]
    assert kinds == list(SUBREGIONS)  # no box: sub-regions of the whole picture


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("regions")
    pictures = root / "pictures"
    pictures.mkdir()
    for seed in (1, 2, 3, 5):
        (pictures / f"ref{seed}.jpg").write_bytes(encode(photo(seed), "JPEG", quality=92))
    (pictures / "blank.png").write_bytes(encode(Image.new("RGB", SIZE, (3, 3, 3)), "PNG"))
    build_from_folder(pictures, root / "hashsets" / PERCEPTUAL_DIR / "lab", name="lab",
                      version="1", category="A", workers=1)
    return root


@pytest.fixture(scope="module")
def matcher(lab: Path) -> PerceptualMatcher:
    return PerceptualMatcher.load(lab / "hashsets" / PERCEPTUAL_DIR)


def _hash(image: Image.Image) -> PictureHashes:
    result = hash_picture(encode(image, "JPEG", quality=85))
    assert isinstance(result, PictureHashes), result
    return result


# One known answer per family: (transform, the way the rule may find it besides the whole).
FAMILIES = {
    "caption 5% bottom right": (lambda im: captioned(im, 0.05, "bottom right"), "regions"),
    "caption 5% top left": (lambda im: captioned(im, 0.05, "top left"), "regions"),
    "caption 3% bottom centre": (lambda im: captioned(im, 0.03, "bottom centre"), None),
    "black border 10%": (lambda im: bordered(im, 0.10, blurred=False)[0], "box"),
    "blurred border 25%": (lambda im: bordered(im, 0.25, blurred=True)[0], "box"),
    "phone screenshot 80%": (lambda im: phone_screenshot(im, 0.8)[0], "box"),
}


@pytest.mark.parametrize("family", list(FAMILIES))
def test_each_family_is_found(matcher: PerceptualMatcher, family: str) -> None:
    transform, way = FAMILIES[family]
    found = matcher.match(_hash(transform(photo(1))))
    assert [m.reference for m in found] == ["ref1.jpg"], found
    if way is not None:
        assert found[0].via in (way, None)  # the whole picture may still be close enough


def test_letterboxed_to_another_aspect_is_found_by_its_box(matcher: PerceptualMatcher) -> None:
    image = photo(2)  # 4:3 into 16:9: black bars 25% of the width
    canvas = Image.new("RGB", (640, 360))
    canvas.paste(image, (80, 0))
    found = matcher.match(_hash(canvas))
    assert [(m.reference, m.via) for m in found] == [("ref2.jpg", "box")]
    assert "inside its borders or screenshot frame" in found[0].title()


def test_caption_that_defeats_the_whole_hash_is_found_by_sub_regions(
    matcher: PerceptualMatcher,
) -> None:
    # A 5% caption in the lower left moves this photo's whole-picture PDQ 60 and pHash 18 bits:
    # beyond every whole-picture way of the rule (R7's widest: PDQ 47 with pHash 22).
    copy = _hash(captioned(photo(5), 0.05, "bottom left"))
    found = matcher.match(copy)
    assert [m.reference for m in found] == ["ref5.jpg"]
    assert found[0].via == "regions"
    assert found[0].pdq_distance > 47 and found[0].phash_distance > 10
    assert found[0].to_dict()["via"] == "regions"


def test_same_wallpaper_other_scene_never_matches(matcher: PerceptualMatcher) -> None:
    other = photo(1).copy()
    draw = ImageDraw.Draw(other)
    for i in range(3):  # other shapes over the same background
        draw.ellipse((40 + 140 * i, 60, 160 + 140 * i, 300), fill=(30 + 60 * i, 200, 90))
    assert matcher.match(_hash(other)) == []
    assert matcher.match(_hash(photo(50))) == []


def test_featureless_reference_never_matches_and_is_reported(lab: Path,
                                                             matcher: PerceptualMatcher) -> None:
    blank = _hash(Image.new("RGB", SIZE, (3, 3, 3)))
    assert blank.pdq_quality < 20
    assert matcher.match(blank) == []  # not even its own copy
    assert matcher.match(_hash(Image.new("RGB", (200, 100), (250, 250, 250)))) == []
    stage, problems = PerceptualStage.load(lab / "hashsets", 1)
    assert stage is not None
    stage.close()
    assert any("1 reference picture(s) are featureless" in p and "never match" in p
               for p in problems), problems


def test_sets_of_format_1_still_load_and_match_whole_pictures(lab: Path, tmp_path: Path) -> None:
    old = tmp_path / "old"
    shutil.copytree(lab / "hashsets" / PERCEPTUAL_DIR / "lab", old)
    manifest = json.loads((old / MANIFEST).read_text())
    manifest["format"] = "triage-perceptual-set/1"
    for name in list(manifest["files"]):
        if name.startswith("region"):
            (old / name).unlink()
            del manifest["files"][name]
    (old / MANIFEST).write_text(json.dumps(manifest))
    ref_set = load_set(old)
    assert ref_set.region is None
    matcher = PerceptualMatcher([ref_set])
    assert [m.reference for m in matcher.match(_hash(photo(1)))] == ["ref1.jpg"]
    # The query's own box meets the reference's whole picture: old sets gain that way too.
    found = matcher.match(_hash(bordered(photo(1), 0.25, blurred=True)[0]))
    assert [(m.reference, m.via) for m in found] == [("ref1.jpg", "box")]
    # Sub-regions need the set's region index, which /1 sets lack.
    assert matcher.match(_hash(captioned(photo(5), 0.05, "bottom left"))) == []


def test_region_files_are_pinned_by_the_manifest(lab: Path, tmp_path: Path) -> None:
    from triage.perceptual.refset import SetError

    copy = tmp_path / "copy"
    shutil.copytree(lab / "hashsets" / PERCEPTUAL_DIR / "lab", copy)
    kinds = np.load(copy / "region_kind.npy")
    np.save(copy / "region_kind.npy", (kinds + 1).astype(np.uint8))
    with pytest.raises(SetError, match="region_kind.npy does not match its manifest digest"):
        load_set(copy)
