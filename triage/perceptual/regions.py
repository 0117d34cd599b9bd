"""Where the picture is inside a frame (borders, letterboxing, screenshots) and its sub-regions.

A copy that gained borders or was screenshotted keeps the known picture intact inside a frame; a
copy that gained a caption or logo keeps most of it intact. So besides the whole picture, the
hasher takes PDQ of the *content box* (the picture with flat borders, blurred padding and
screenshot bars trimmed) and of the box's four quadrants (a caption in one corner leaves three
clean). The same function runs on reference pictures at the lab, so both sides cut alike.

The box is found on a reduced copy: rows and columns are "picture" where most neighbouring
pixels differ (grain, texture, detail), and frame where few do (uniform or blurred borders, the
flat background of UI bars between their sparse text and icons). The longest run of picture
rows, then of picture columns inside it, twice, is the box; thresholds.py says where each
number comes from.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from triage.perceptual import pdq_luma
from triage.perceptual.thresholds import (
    BOX_BUSY_FLOOR,
    BOX_BUSY_RELATIVE,
    BOX_GAP,
    BOX_GRADIENT,
    BOX_MIN_AREA,
    BOX_MIN_TRIM,
    BOX_REDUCED_SIDE,
)

# Region kinds, stored as small integers in reference sets (never renumber: sets keep them).
BOX = 0  # the content box (only when it differs from the whole picture)
# Sub-regions of the content (the box, or the whole picture when there is none): quadrants, so
# a caption in one corner leaves three clean, and outer thirds, so one in the centre leaves the
# top and bottom thirds clean.
SUBREGIONS = {
    1: ("top-left", (0.0, 0.5, 0.0, 0.5)),  # (top, bottom, left, right) as shares
    2: ("top-right", (0.0, 0.5, 0.5, 1.0)),
    3: ("bottom-left", (0.5, 1.0, 0.0, 0.5)),
    4: ("bottom-right", (0.5, 1.0, 0.5, 1.0)),
    5: ("top third", (0.0, 1 / 3, 0.0, 1.0)),
    6: ("bottom third", (2 / 3, 1.0, 0.0, 1.0)),
    7: ("left third", (0.0, 1.0, 0.0, 1 / 3)),
    8: ("right third", (0.0, 1.0, 2 / 3, 1.0)),
}
KIND_NAMES = {BOX: "box", **{kind: name for kind, (name, _) in SUBREGIONS.items()}}


@dataclass(frozen=True, slots=True)
class Region:
    """PDQ (stored orientation) of one region of a picture, with its quality."""

    kind: int
    pdq: bytes
    quality: int


def _reduced(luma: np.ndarray) -> tuple[np.ndarray, int]:
    """A block-averaged float32 copy whose longer side is about BOX_REDUCED_SIDE, and the
    factor."""
    factor = max(1, -(-max(luma.shape) // BOX_REDUCED_SIDE))
    h, w = (luma.shape[0] // factor) * factor, (luma.shape[1] // factor) * factor
    block = luma[:h, :w].astype(np.float32)
    if factor > 1:
        block = block.reshape(h // factor, factor, w // factor, factor).mean(axis=(1, 3))
    return block, factor


def _longest_run(dense: np.ndarray, gap: int) -> tuple[int, int]:
    """[start, end) of the longest run of True, bridging gaps of up to `gap` False values."""
    best, start, last = (0, 0), None, None
    for i in np.flatnonzero(dense):
        i = int(i)
        if start is None or i - last > gap + 1:
            start = i
        last = i
        if last + 1 - start > best[1] - best[0]:
            best = (start, last + 1)
    return best


def content_box(luma: np.ndarray) -> tuple[int, int, int, int] | None:
    """(left, top, right, bottom) of the picture inside its frame, in `luma`'s pixels; None when
    nothing worth trimming was found (the whole picture is the content) or the box is too small
    to be a picture of its own."""
    small, factor = _reduced(luma)
    rows, cols = small.shape
    if rows < 32 or cols < 32:
        return None
    busy_x = np.abs(np.diff(small, axis=1)) > BOX_GRADIENT  # (rows, cols - 1)
    busy_y = np.abs(np.diff(small, axis=0)) > BOX_GRADIENT  # (rows - 1, cols)
    # Busy shares differ from picture to picture (grain, texture): a row or column is picture
    # when it is busier than a share of the picture's own busy rows, and than a floor.
    dense = max(BOX_BUSY_FLOOR, BOX_BUSY_RELATIVE * float(np.quantile(busy_x.mean(axis=1), 0.9)))
    top, bottom, left, right = 0, rows, 0, cols
    for _ in range(2):
        share = busy_x[top:bottom, left : max(left + 1, right - 1)].mean(axis=1)
        lo, hi = _longest_run(share >= dense, max(1, int(BOX_GAP * rows)))
        top, bottom = top + lo, top + hi
        if bottom - top < 2:
            return None
        share = busy_y[top : bottom - 1, left:right].mean(axis=0)
        lo, hi = _longest_run(share >= dense, max(1, int(BOX_GAP * cols)))
        left, right = left + lo, left + hi
        if right - left < 2:
            return None
    if (bottom - top) * (right - left) < BOX_MIN_AREA * rows * cols:
        return None
    trimmed = max(top, rows - bottom) / rows, max(left, cols - right) / cols
    if max(trimmed) < BOX_MIN_TRIM:
        return None  # the picture is its own content: the whole-picture hash covers it
    height, width = luma.shape
    return (left * factor, top * factor, min(width, right * factor),
            min(height, bottom * factor))


def regions(luma: np.ndarray) -> list[Region]:
    """PDQ of the content box (when there is one) and of its four quadrants (of the whole
    picture when there is none)."""
    out: list[Region] = []
    box = content_box(luma)
    content = luma
    if box is not None:
        left, top, right, bottom = box
        content = luma[top:bottom, left:right]
        out.append(Region(BOX, *pdq_luma.hash_one(content)))
    h, w = content.shape
    for kind, (_, (top, bottom, left, right)) in SUBREGIONS.items():
        part = content[int(top * h) : int(bottom * h), int(left * w) : int(right * w)]
        out.append(Region(kind, *pdq_luma.hash_one(part)))
    return out
