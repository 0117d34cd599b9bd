"""pHash's Lanczos thumbnail: the optional C extension where it was built, else Pillow's resize."""

from __future__ import annotations

import importlib
from types import ModuleType

import numpy as np
from PIL import Image

# Pictures whose thumbnails differ with the order of the two passes (tests/perceptual/
# test_lanczos.py checks they do): one Pillow 13 shrinks across first, one down first.
PROBES = ((97, 61), (61, 250))


def _agrees(module: ModuleType) -> bool:
    """Whether the extension gives this Pillow's bytes on the probes. Pillow's pass order is
    its own choice (13 changed it); if another version chose differently, Pillow is used."""
    rng = np.random.default_rng(0)
    for width, height in PROBES:
        pixels = rng.integers(0, 256, (height, width), dtype=np.uint8)
        want = Image.fromarray(pixels).resize((32, 32), Image.Resampling.LANCZOS).tobytes()
        if module.shrink(pixels, width, height, 32, 32) != want:
            return False
    return True


def _load() -> ModuleType | None:
    try:  # built by setup.py where a C compiler is; Pillow gives the same bytes, 3.5x slower
        module = importlib.import_module(f"{__package__}._lanczos")
    except ImportError:
        return None
    return module if _agrees(module) else None


_lanczos = _load()


def thumbnail(image: Image.Image, side: int) -> np.ndarray:
    """(side, side) uint8 array: `image.resize((side, side), LANCZOS)` of a mode "L" picture.

    The extension handles shrinking on both axes (nearly every picture); anything else, and
    every picture where it is not built, goes to Pillow itself.
    """
    width, height = image.size
    if _lanczos is None or image.mode != "L" or width <= side or height <= side:
        return np.asarray(image.resize((side, side), Image.Resampling.LANCZOS))
    small = _lanczos.shrink(np.asarray(image), width, height, side, side)
    return np.frombuffer(small, dtype=np.uint8).reshape(side, side)
