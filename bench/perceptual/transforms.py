"""The variants a picture takes on its way around: re-compression, resizing, crops, edits, flips."""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageOps

Transform = Callable[[Image.Image], bytes]


def _jpeg(image: Image.Image, quality: int = 85) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=quality)
    return out.getvalue()


def _as(fmt: str, **options: object) -> Transform:
    def encode(image: Image.Image) -> bytes:
        out = io.BytesIO()
        image.save(out, fmt, **options)
        return out.getvalue()

    return encode


def _crop(fraction: float) -> Transform:
    def crop(image: Image.Image) -> bytes:
        w, h = image.size
        dx, dy = int(w * fraction / 2), int(h * fraction / 2)
        return _jpeg(image.crop((dx, dy, w - dx, h - dy)))

    return crop


def _resize(factor: float) -> Transform:
    return lambda im: _jpeg(
        im.resize(
            (max(1, int(im.width * factor)), max(1, int(im.height * factor))),
            Image.Resampling.LANCZOS,
        )
    )


def _gamma(g: float) -> Transform:
    table = [int(255 * (i / 255) ** g) for i in range(256)] * 3
    return lambda im: _jpeg(im.point(table))


def _noise(im: Image.Image) -> bytes:
    rng = np.random.default_rng(0)
    noisy = np.asarray(im, dtype=np.float64) + rng.normal(0, 8, (im.height, im.width, 3))
    return _jpeg(Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)))


def _watermark(im: Image.Image) -> bytes:
    out = im.copy()
    draw = ImageDraw.Draw(out)
    size = max(12, im.height // 16)
    draw.text(
        (im.width // 20, im.height - 2 * size),
        "(c) shared by someone 2026",
        fill=(255, 255, 255),
        font_size=size,
    )
    return _jpeg(out)


def _pad(im: Image.Image) -> bytes:
    return _jpeg(ImageOps.expand(im, border=max(1, im.width // 20), fill=(0, 0, 0)))


def _blur(im: Image.Image) -> bytes:
    return _jpeg(im.filter(ImageFilter.GaussianBlur(1.5)))


def _rotate(degrees: float) -> Transform:
    return lambda im: _jpeg(im.rotate(degrees, resample=Image.Resampling.BILINEAR))


# Grouped as issue 4 states its recall goals: name -> (group, transform).
TRANSFORMS: dict[str, tuple[str, Transform]] = {
    "jpeg q30": ("recompress", lambda im: _jpeg(im, 30)),
    "jpeg q50": ("recompress", lambda im: _jpeg(im, 50)),
    "jpeg q75": ("recompress", lambda im: _jpeg(im, 75)),
    "jpeg q95": ("recompress", lambda im: _jpeg(im, 95)),
    "resize 0.25": ("resize", _resize(0.25)),
    "resize 0.5": ("resize", _resize(0.5)),
    "resize 1.5": ("resize", _resize(1.5)),
    "resize 2": ("resize", _resize(2.0)),
    "brightness 0.7": ("brightness", lambda im: _jpeg(ImageEnhance.Brightness(im).enhance(0.7))),
    "brightness 1.3": ("brightness", lambda im: _jpeg(ImageEnhance.Brightness(im).enhance(1.3))),
    "contrast 0.7": ("brightness", lambda im: _jpeg(ImageEnhance.Contrast(im).enhance(0.7))),
    "contrast 1.3": ("brightness", lambda im: _jpeg(ImageEnhance.Contrast(im).enhance(1.3))),
    "gamma 0.7": ("brightness", _gamma(0.7)),
    "gamma 1.5": ("brightness", _gamma(1.5)),
    "greyscale": ("greyscale", lambda im: _jpeg(ImageOps.grayscale(im))),
    "watermark": ("watermark", _watermark),
    "png": ("format", _as("PNG")),
    "webp": ("format", _as("WEBP", quality=80)),
    "gif": ("format", _as("GIF")),
    "crop 3%": ("crop<=5%", _crop(0.03)),
    "crop 5%": ("crop<=5%", _crop(0.05)),
    "crop 10%": ("crop>5% (no goal)", _crop(0.10)),
    "crop 15%": ("crop>5% (no goal)", _crop(0.15)),
    "pad 5%": ("pad (no goal)", _pad),
    "blur 1.5": ("blur/noise (no goal)", _blur),
    "noise 8": ("blur/noise (no goal)", _noise),
    "flip left-right": ("flip/rotate90", lambda im: _jpeg(ImageOps.mirror(im))),
    "flip top-bottom": ("flip/rotate90", lambda im: _jpeg(ImageOps.flip(im))),
    "rotate 90": ("flip/rotate90", lambda im: _jpeg(im.transpose(Image.Transpose.ROTATE_90))),
    "rotate 180": ("flip/rotate90", lambda im: _jpeg(im.transpose(Image.Transpose.ROTATE_180))),
    "rotate 270": ("flip/rotate90", lambda im: _jpeg(im.transpose(Image.Transpose.ROTATE_270))),
    "rotate 2deg": ("small rotation (no goal)", _rotate(2)),
    "rotate 5deg": ("small rotation (no goal)", _rotate(5)),
}

# Issue 4's recall goals per group.
GOALS: dict[str, float] = {
    "recompress": 0.99,
    "resize": 0.99,
    "brightness": 0.99,
    "greyscale": 0.99,
    "watermark": 0.99,
    "format": 0.99,
    "crop<=5%": 0.95,
    "flip/rotate90": 0.95,
}
