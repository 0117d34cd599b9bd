"""The eight flips and rotations of a picture, in the order PDQ's dihedral hashes come in."""

from __future__ import annotations

from PIL import Image

# pdqhash.compute_dihedral returns hashes in this order (checked against Meta's reference
# images in tests/perceptual/test_pdq.py). Each name says what was done to the picture.
DIHEDRAL_NAMES: tuple[str, ...] = (
    "original",
    "rotate90",  # counter-clockwise, as Pillow's ROTATE_90
    "rotate180",
    "rotate270",
    "flip-top-bottom",
    "flip-left-right",
    "transpose",  # mirror across the main diagonal
    "transverse",  # mirror across the other diagonal
)

# The Pillow operation producing each variant (None: the picture itself).
PILLOW_OPS: tuple[Image.Transpose | None, ...] = (
    None,
    Image.Transpose.ROTATE_90,
    Image.Transpose.ROTATE_180,
    Image.Transpose.ROTATE_270,
    Image.Transpose.FLIP_TOP_BOTTOM,
    Image.Transpose.FLIP_LEFT_RIGHT,
    Image.Transpose.TRANSPOSE,
    Image.Transpose.TRANSVERSE,
)


def apply(image: Image.Image, index: int) -> Image.Image:
    """Return dihedral variant `index` of `image`."""
    op = PILLOW_OPS[index]
    return image if op is None else image.transpose(op)
