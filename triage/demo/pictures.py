"""Deterministic benign pictures for the demo: gradients, shapes and a "DEMO n" caption."""

from __future__ import annotations

import hashlib
import io

import numpy as np
from PIL import Image

# A 5x7 bitmap font for the captions, one row per int (bit 4 = leftmost column). Drawn by
# hand rather than with a system or FreeType font so the pixels are the same on every machine.
_GLYPHS: dict[str, tuple[int, ...]] = {
    " ": (0, 0, 0, 0, 0, 0, 0),
    "D": (0x1E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x1E),
    "E": (0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F),
    "M": (0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11),
    "O": (0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E),
    "0": (0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E),
    "1": (0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E),
    "2": (0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F),
    "3": (0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E),
    "4": (0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02),
    "5": (0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E),
    "6": (0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E),
    "7": (0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08),
    "8": (0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E),
    "9": (0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C),
}
_SCALE = 3  # caption pixels per font pixel
JPEG_QUALITY = 85  # a typical camera/phone setting; fixed so re-encoding gives the same bytes


class _Dice:
    """Numbers drawn from SHA-256 in counter mode: unlike `random`, stable across Pythons."""

    def __init__(self, seed: int) -> None:
        self._seed = seed
        self._count = 0

    def below(self, bound: int) -> int:
        self._count += 1
        digest = hashlib.sha256(f"{self._seed}:{self._count}".encode()).digest()
        return int.from_bytes(digest[:8], "big") % bound


def _caption(pixels: np.ndarray, text: str, x0: int, y0: int) -> None:
    for index, char in enumerate(text.upper()):
        glyph = _GLYPHS.get(char)
        if glyph is None:
            raise ValueError(f"The demo font has no glyph for {char!r}; use DEMO, digits, space.")
        for row, bits in enumerate(glyph):
            for col in range(5):
                if bits & (0x10 >> col):
                    y = y0 + row * _SCALE
                    x = x0 + (index * 6 + col) * _SCALE
                    pixels[y : y + _SCALE, x : x + _SCALE] = (255, 255, 255)


def render(seed: int, caption: str, width: int = 160, height: int = 120) -> np.ndarray:
    """Draw a picture (height x width x 3 uint8): a seeded gradient, shapes and a caption."""
    dice = _Dice(seed)
    top = np.array([dice.below(256) for _ in range(3)], dtype=np.int32)
    bottom = np.array([dice.below(256) for _ in range(3)], dtype=np.int32)
    ys, xs = np.mgrid[0:height, 0:width]
    # Integer arithmetic only: floating point could round differently on another CPU.
    weight = (ys * 256 // max(height - 1, 1))[..., None]
    pixels = ((top * (256 - weight) + bottom * weight) // 256).astype(np.uint8)
    for _ in range(2 + dice.below(3)):
        colour = [dice.below(256) for _ in range(3)]
        cx, cy, r = dice.below(width), dice.below(height), 8 + dice.below(height // 3)
        pixels[(xs - cx) ** 2 + (ys - cy) ** 2 <= r * r] = colour
    for _ in range(1 + dice.below(3)):
        colour = [dice.below(256) for _ in range(3)]
        x, y = dice.below(width - 20), dice.below(height - 20)
        pixels[y : y + 10 + dice.below(40), x : x + 10 + dice.below(60)] = colour
    text_height = 7 * _SCALE
    band = height - text_height - 6
    pixels[band:, :] = (0, 0, 0)  # a dark band keeps the white caption readable
    _caption(pixels, caption, 4, band + 3)
    return pixels


def encode_jpeg(pixels: np.ndarray) -> bytes:
    """Encode with Pillow's JPEG encoder at fixed settings (baseline, 4:2:0, no optimisation).

    The bytes are stable for one libjpeg build; another libjpeg version may differ, which is
    why the demo's "known" picture is a PNG from `triage.demo.png` instead.
    """
    out = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(
        out, "JPEG", quality=JPEG_QUALITY, subsampling=2, optimize=False, progressive=False
    )
    return out.getvalue()
