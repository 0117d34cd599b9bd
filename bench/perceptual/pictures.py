"""Benign pictures for the benchmarks: photos shipped inside PyPI packages, plus generated ones."""

from __future__ import annotations

import glob
import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

# Photographs (not diagrams) from scikit-image's data folder; `pip install scikit-image`.
_SKIMAGE_PHOTOS = [
    "astronaut.png",
    "camera.png",
    "chelsea.png",
    "coffee.png",
    "coins.png",
    "hubble_deep_field.jpg",
    "moon.png",
    "motorcycle_left.png",
    "retina.jpg",
    "rocket.jpg",
    "brick.png",
    "grass.png",
    "gravel.png",
    "horse.png",
    "page.png",
    "text.png",
    "ihc.png",
    "color.png",
    "cell.png",
    "microaneurysms.png",
    "clock_motion.png",
    "phantom.png",
]


def package_photos() -> dict[str, Image.Image]:
    """name -> picture, from whichever of scikit-image, scikit-learn, matplotlib is installed."""
    found: dict[str, Image.Image] = {}
    try:
        import skimage

        folder = Path(skimage.__file__).parent / "data"
        for name in _SKIMAGE_PHOTOS:
            if (folder / name).is_file():
                found[f"skimage/{name}"] = Image.open(folder / name).convert("RGB")
    except ImportError:
        pass
    try:
        import sklearn.datasets

        folder = os.path.join(sklearn.datasets.__path__[0], "images")
        for path in sorted(glob.glob(os.path.join(folder, "*.jpg"))):
            found[f"sklearn/{Path(path).name}"] = Image.open(path).convert("RGB")
    except ImportError:
        pass
    try:
        import matplotlib.cbook

        path = matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
        found["matplotlib/grace_hopper.jpg"] = Image.open(path).convert("RGB")
    except (ImportError, OSError):
        pass
    return found


def scene(seed: int, size: tuple[int, int] = (800, 600)) -> Image.Image:
    """A photo-like generated picture: smooth random colour fields plus a few shapes."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, (9, 12, 3), dtype=np.uint8)
    image = Image.fromarray(coarse).resize(size, Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        x, y = int(rng.integers(0, size[0])), int(rng.integers(0, size[1]))
        r = int(rng.integers(size[1] // 12, size[1] // 4))
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
    noise = rng.normal(0, 4, (size[1], size[0], 3))  # sensor-like grain
    return Image.fromarray(np.clip(np.asarray(image) + noise, 0, 255).astype(np.uint8))


def featureless(size: tuple[int, int] = (640, 480)) -> dict[str, Image.Image]:
    """Flat, near-flat, gradient and logo pictures: the kind that collide in perceptual hashes."""
    rng = np.random.default_rng(99)
    out: dict[str, Image.Image] = {}
    colours = [
        (0, 0, 0),
        (255, 255, 255),
        (128, 128, 128),
        (200, 30, 30),
        (20, 60, 200),
        (240, 220, 180),
    ]
    for i, colour in enumerate(colours):
        out[f"flat {i}"] = Image.new("RGB", size, colour)
        noisy = rng.normal(0, 3, (size[1], size[0], 3)) + np.array(colour)
        out[f"near-flat {i}"] = Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))
    ramp = np.linspace(0, 255, size[0])[None, :, None].repeat(size[1], 0).repeat(3, 2)
    out["gradient x"] = Image.fromarray(ramp.astype(np.uint8))
    out["gradient x reversed"] = Image.fromarray(ramp[:, ::-1].astype(np.uint8))
    out["gradient y"] = out["gradient x"].rotate(90, expand=True).resize(size)
    yy, xx = np.mgrid[0 : size[1], 0 : size[0]]
    radial = np.hypot(xx - size[0] / 2, yy - size[1] / 2)
    out["radial"] = Image.fromarray((radial / radial.max() * 255).astype(np.uint8)).convert("RGB")
    two_tone = np.zeros((size[1], size[0], 3), np.uint8)
    two_tone[:, size[0] // 2 :] = 255
    out["two-tone"] = Image.fromarray(two_tone)
    for i, (fill, shape) in enumerate(
        [("navy", "ellipse"), ("red", "rectangle"), ("green", "ellipse"), ("black", "rectangle")]
    ):
        logo = Image.new("RGB", size, "white")
        box = (200 + 20 * i, 120 + 10 * i, 440 - 10 * i, 360 - 20 * i)
        getattr(ImageDraw.Draw(logo), shape)(box, fill=fill)
        out[f"logo {i}"] = logo
    return out
