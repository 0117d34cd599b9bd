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
from PIL import Image

from triage.perceptual import pdq_luma
from triage.perceptual.phash import PHash
from triage.perceptual.thresholds import (
    BOX_BAR_SHARE,
    BOX_BAR_UNIFORM,
    BOX_BUSY_FLOOR,
    BOX_BUSY_RELATIVE,
    BOX_EDGE_SHARE,
    BOX_EDGE_STEP,
    BOX_GAP,
    BOX_GRADIENT,
    BOX_MIN_AREA,
    BOX_MIN_TRIM,
    BOX_REDUCED_SIDE,
    BOX_UNIFORM_RANGE,
    REGION_SIDE,
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
    phash: bytes = b""  # the content box's pHash (the matcher weighs it as a whole picture's)


def _reduced(luma: np.ndarray, side: int) -> tuple[np.ndarray, int]:
    """A copy block-averaged (Pillow's reduce) so that its longer side is at most `side`, and
    the factor."""
    factor = max(1, -(-max(luma.shape) // side))
    if factor > 1:
        grey = Image.fromarray(np.ascontiguousarray(luma, dtype=np.uint8))
        luma = np.asarray(grey.reduce(factor))
    return luma, factor


def _count(mask: np.ndarray, axis: int) -> np.ndarray:
    """True values of a boolean array along `axis`: np.count_nonzero's counts, 4x faster (it
    casts every value to int64 first); a reduced copy's lines are far shorter than 65,536."""
    return mask.view(np.uint8).sum(axis=axis, dtype=np.uint16)


def _longest_run(dense: np.ndarray, gap: int) -> tuple[int, int]:
    """[start, end) of the longest run of True, bridging gaps of up to `gap` False values."""
    at = np.flatnonzero(dense)
    if not len(at):
        return 0, 0
    breaks = np.flatnonzero(np.diff(at) > gap + 1)
    starts = at[np.concatenate(([0], breaks + 1))]
    ends = at[np.concatenate((breaks, [len(at) - 1]))] + 1
    best = int(np.argmax(ends - starts))  # the first of equals, as a scan from the top would
    return int(starts[best]), int(ends[best])


def _uniform_trim(small: np.ndarray) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) inside uniform borders: outer rows and columns whose pixels
    all lie within BOX_UNIFORM_RANGE levels (a plain border, letterbox bars), which even a
    picture too smooth for the busy rows has at its edges when framed."""

    def inner(lines: np.ndarray) -> tuple[int, int]:
        varied = np.flatnonzero(np.ptp(lines, axis=1) > BOX_UNIFORM_RANGE)
        return (int(varied[0]), int(varied[-1]) + 1) if len(varied) else (0, 0)

    top, bottom = inner(small)
    left, right = inner(small[top:bottom].T) if bottom > top else (0, 0)
    return top, bottom, left, right


def _snap(small: np.ndarray, start: int, end: int) -> tuple[int, int]:
    """Move [start, end) of the rows of `small` out to the nearest straight edges.

    The busy rows stop where a photo's own detail fades (a defocused background, a black
    surround), which differs between a picture and its framed copy; the edge a frame, border
    or screenshot adds is a straight line where most pixels step. So each end moves outwards to
    the innermost such line, and stays where it is when there is none (a blurred padding meets
    its picture with little step; the picture's own edge is not a line). The matcher compares
    boxes and whole pictures both ways, so a box cut inside a photo's defocused margin still
    meets the same box, or the whole, of its copy.
    """
    # A step, not a slope: line y (between rows y - 1 and y) counts where most pixels change
    # by BOX_EDGE_STEP or more across it and by at most half that just beyond it, on the side
    # the frame would be (a smooth photo's gradient changes as much on both sides).
    jump = np.abs(small[1:, :] - small[:-1, :])  # jump[i]: line i + 1
    big = jump >= BOX_EDGE_STEP
    need = BOX_EDGE_SHARE * small.shape[1]
    low_before = np.zeros_like(big)
    low_before[1:] = big[1:] & (2 * jump[:-1] <= jump[1:])  # quiet above: a frame above
    low_after = np.zeros_like(big)
    low_after[:-1] = big[:-1] & (2 * jump[1:] <= jump[:-1])  # quiet below: a frame below
    lines_above = np.flatnonzero(_count(low_before, 1) >= need) + 1
    lines_below = np.flatnonzero(_count(low_after, 1) >= need) + 1
    above = lines_above[lines_above <= start + 1]
    below = lines_below[lines_below >= end - 1]
    start = int(above.max()) if len(above) else start
    end = int(below.min()) if len(below) else end
    # A picture touching a UI bar (a maximised viewer above a taskbar) keeps the bar's busy
    # text rows; a bar is a strip whose pixels mostly share its background colour, which a
    # photo's strip does not. Cut at the bar's edge line when the strip beyond it is one.
    margin = int(BOX_BAR_SHARE * (end - start))
    for y in lines_above[(lines_above > start) & (lines_above <= start + margin)][::-1]:
        if _bar(small[start:y]):
            start = int(y)
            break
    for y in lines_below[(lines_below < end) & (lines_below >= end - margin)]:
        if _bar(small[y:end]):
            end = int(y)
            break
    return start, end


def _bar(strip: np.ndarray) -> bool:
    """Whether most pixels of a strip share one colour (a UI bar's background)."""
    if strip.size == 0:
        return False
    background = np.median(strip)
    return np.count_nonzero(np.abs(strip - background) <= 3) >= BOX_BAR_UNIFORM * strip.size


def content_box(
    luma: np.ndarray, reduced: tuple[np.ndarray, int] | None = None
) -> tuple[int, int, int, int] | None:
    """(left, top, right, bottom) of the picture inside its frame, in `luma`'s pixels; None when
    nothing worth trimming was found (the whole picture is the content) or the box is too small
    to be a picture of its own. `reduced` is _reduced(luma, BOX_REDUCED_SIDE) if made already."""
    small, factor = reduced or _reduced(luma, BOX_REDUCED_SIDE)
    small = small.astype(np.int16)
    rows, cols = small.shape
    if rows < 32 or cols < 32:
        return None
    # Second differences: a blur flattens them by its width squared (a blurred padding's edges
    # still have slope, not curvature), grain, texture and text keep them.
    busy_x = np.abs(small[:, 2:] - 2 * small[:, 1:-1] + small[:, :-2]) > BOX_GRADIENT
    busy_y = np.abs(small[2:, :] - 2 * small[1:-1, :] + small[:-2, :]) > BOX_GRADIENT
    # Busy shares differ from picture to picture (grain, texture): a row or column is picture
    # when it is busier than a share of the picture's own busy rows, and than a floor.
    row_share = _count(busy_x, 1) / max(1, cols - 2)
    dense = max(BOX_BUSY_FLOOR, BOX_BUSY_RELATIVE * float(np.quantile(row_share, 0.9)))
    top, bottom, left, right = _uniform_trim(small)
    if (bottom - top) * (right - left) < BOX_MIN_AREA * rows * cols:
        return None
    flat = top, bottom, left, right
    for _ in range(2):
        part = busy_x[top:bottom, left : max(left + 1, right - 2)]
        share = _count(part, 1) / max(1, part.shape[1])
        lo, hi = _longest_run(share >= dense, max(1, int(BOX_GAP * rows)))
        top, bottom = top + lo, top + hi
        if bottom - top < 2:
            top, bottom, left, right = flat  # too smooth to tell: the uniform trim only
            break
        part = busy_y[top : max(top + 1, bottom - 2), left:right]
        share = _count(part, 0) / max(1, part.shape[0])
        lo, hi = _longest_run(share >= dense, max(1, int(BOX_GAP * cols)))
        left, right = left + lo, left + hi
        if right - left < 2:
            top, bottom, left, right = flat
            break
    top, bottom = _snap(small[:, left:right], top, bottom)
    left, right = _snap(small[top:bottom, :].T, left, right)
    if (bottom - top) * (right - left) < BOX_MIN_AREA * rows * cols:
        return None
    trimmed = max(top, rows - bottom) / rows, max(left, cols - right) / cols
    if max(trimmed) < BOX_MIN_TRIM:
        return None  # the picture is its own content: the whole-picture hash covers it
    height, width = luma.shape
    return (left * factor, top * factor, min(width, right * factor),
            min(height, bottom * factor))


def regions(luma: np.ndarray, pixels: np.ndarray | None = None) -> list[Region]:
    """PDQ (and pHash) of the content box when there is one, and PDQ of the whole picture's
    sub-regions. `pixels` is `luma` as float32 when the caller has it already (PDQ reads
    float32; converting once saves a copy per region).

    Sub-regions are of the whole picture, not of the box: a caption or logo can change where
    the box is found (a white box in a black corner), but not where the picture's quarters are;
    pictures inside frames are the box's business.
    """
    out: list[Region] = []
    reduced = _reduced(luma, BOX_REDUCED_SIDE)
    box = content_box(luma, reduced)
    if box is not None:
        left, top, right, bottom = box
        pixels = luma.astype(np.float32) if pixels is None else pixels
        # Full size, as the whole picture is hashed: it is compared with references' wholes.
        code, quality = pdq_luma.hash_one(pixels[top:bottom, left:right])
        inside = np.ascontiguousarray(luma[top:bottom, left:right], dtype=np.uint8)
        out.append(Region(BOX, code, quality, PHash.compute(Image.fromarray(inside))))
    # Sub-regions are only compared with references' sub-regions, cut the same way, so they
    # are hashed from a reduced copy: a quarter of the pixels to filter at 1024 px.
    same = REGION_SIDE == BOX_REDUCED_SIDE  # one reduced copy serves both
    content = (reduced if same else _reduced(luma, REGION_SIDE))[0].astype(np.float32)
    h, w = content.shape
    for kind, (_, (top, bottom, left, right)) in SUBREGIONS.items():
        part = content[int(top * h) : int(bottom * h), int(left * w) : int(right * w)]
        out.append(Region(kind, *pdq_luma.hash_one(part)))
    return out
