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


def wallpaper(seed: int, variant: int, size: tuple[int, int] = (800, 600)) -> Image.Image:
    """scene(seed)'s colour field (the wallpaper) under other shapes: a different scene on a
    near-identical background, the hardest kind of distractor for sub-region hashes."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, (9, 12, 3), dtype=np.uint8)
    image = Image.fromarray(coarse).resize(size, Image.Resampling.BICUBIC)
    other = np.random.default_rng(10_000 + 97 * seed + variant)
    draw = ImageDraw.Draw(image)
    for _ in range(int(other.integers(1, 7))):
        x, y = int(other.integers(0, size[0])), int(other.integers(0, size[1]))
        r = int(other.integers(size[1] // 12, size[1] // 4))
        colour = tuple(int(c) for c in other.integers(0, 256, 3))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
    noise = other.normal(0, 4, (size[1], size[0], 3))
    return Image.fromarray(np.clip(np.asarray(image) + noise, 0, 255).astype(np.uint8))


def texture(seed: int, size: tuple[int, int] = (480, 360)) -> Image.Image:
    """A procedural texture: octaves of smooth noise, stripes or a tiled pattern, in colour."""
    rng = np.random.default_rng(seed)
    h, w = size[1], size[0]
    kind = seed % 3
    if kind == 0:  # octaves of value noise
        out = np.zeros((h, w))
        for octave in range(4):
            cells = 4 * 2**octave
            grid = rng.random((cells, cells))
            out += np.asarray(Image.fromarray((grid * 255).astype(np.uint8)).resize(
                (w, h), Image.Resampling.BICUBIC), float) / 2**octave
    elif kind == 1:  # stripes at an angle with noise
        yy, xx = np.mgrid[0:h, 0:w]
        angle, period = rng.uniform(0, np.pi), rng.uniform(6, 40)
        out = np.sin((xx * np.cos(angle) + yy * np.sin(angle)) * 2 * np.pi / period)
        out += rng.normal(0, 0.3, (h, w))
    else:  # tiles (bricks, checks) of random size
        th, tw = int(rng.integers(8, 60)), int(rng.integers(8, 80))
        yy, xx = np.mgrid[0:h, 0:w]
        offset = (yy // th % 2) * tw // 2
        out = ((xx + offset) // tw + yy // th) % 2 + rng.normal(0, 0.2, (h, w))
        out += ((xx + offset) % tw < 2) | (yy % th < 2)
    out = (out - out.min()) / max(1e-9, np.ptp(out))
    tint = rng.uniform(0.3, 1.0, 3)
    rgb = (out[:, :, None] * tint[None, None, :] * 255).astype(np.uint8)
    return Image.fromarray(rgb)


def colour_field(seed: int, size: tuple[int, int] = (480, 360)) -> Image.Image:
    """Flat, near-flat, gradient or two-tone pictures in random colours (featureless)."""
    rng = np.random.default_rng(seed)
    a, b = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
    h, w = size[1], size[0]
    kind = seed % 4
    if kind == 0:
        pixels = np.broadcast_to(a, (h, w, 3)).astype(float)
    elif kind == 1:
        pixels = np.broadcast_to(a, (h, w, 3)) + rng.normal(0, 3, (h, w, 3))
    elif kind == 2:
        t = np.linspace(0, 1, w)[None, :, None]
        pixels = np.broadcast_to(a * (1 - t) + b * t, (h, w, 3))
    else:
        pixels = np.where(np.arange(w)[None, :, None] < rng.integers(w // 4, 3 * w // 4), a, b)
        pixels = np.broadcast_to(pixels, (h, w, 3))
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def photo_crop(photo: Image.Image, seed: int, size: int = 400) -> Image.Image:
    """A random crop (30-80% of each side) of a photo, maybe mirrored, colour-shifted and
    resized: other pictures of similar scenes, textures and colours."""
    rng = np.random.default_rng(seed)
    w, h = photo.size
    cw, ch = int(w * rng.uniform(0.3, 0.8)), int(h * rng.uniform(0.3, 0.8))
    x, y = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
    out = photo.crop((x, y, x + cw, y + ch))
    if rng.random() < 0.5:
        out = out.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    shift = rng.integers(-30, 31, 3)
    pixels = np.clip(np.asarray(out.convert("RGB"), int) + shift, 0, 255).astype(np.uint8)
    scale = size / max(cw, ch)
    return Image.fromarray(pixels).resize((max(8, int(cw * scale)), max(8, int(ch * scale))),
                                          Image.Resampling.BILINEAR)
