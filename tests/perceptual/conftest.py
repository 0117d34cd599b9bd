"""Benign generated pictures standing in for known ones, and the shared PDQ reference folder."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

# shared/ sits beside the clone on the project's machines and CI; a user's clone has none.
PDQ_REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "pdq-reference"


def scene(seed: int, size: tuple[int, int] = (640, 480)) -> Image.Image:
    """A textured, photo-like picture: smooth random colour fields plus a few shapes."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, (9, 12, 3), dtype=np.uint8)
    image = Image.fromarray(coarse).resize(size, Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        x, y = int(rng.integers(0, size[0])), int(rng.integers(0, size[1]))
        r = int(rng.integers(size[1] // 12, size[1] // 4))
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        if rng.random() < 0.5:
            draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
        else:
            draw.rectangle((x - r, y - r // 2, x + r, y + r // 2), fill=colour)
    return image


def encode(image: Image.Image, fmt: str = "JPEG", **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


@pytest.fixture(scope="session")
def pdq_reference() -> dict[str, str]:
    """File name -> C++ reference PDQ hex, from the shared folder's README (skip if absent)."""
    readme = PDQ_REFERENCE / "README.md"
    if not readme.is_file():
        pytest.skip("shared/pdq-reference is absent (only the project's own machines have it)")
    table = {}
    for line in readme.read_text().splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) > 3 and cells[1].endswith(".jpg"):
            table[cells[1]] = cells[2]
    return table
