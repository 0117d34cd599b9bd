"""The blurred greyscale thumbnail of a flagged picture, for authorised reviewers' reports."""

from __future__ import annotations

import io

# Thumbnails: small and blurred so a reviewer can recognise a match without seeing detail.
THUMBNAIL_PX = 96
THUMBNAIL_BLUR = 4


def make_thumbnail(image: bytes) -> bytes:
    """A small, greyscale, blurred PNG of an image, for authorised reviewers' reports only."""
    from PIL import Image, ImageFilter

    try:
        with Image.open(io.BytesIO(image)) as picture:
            grey = picture.convert("L")
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise ValueError(
            f"cannot make a thumbnail: the file is not an image Pillow reads ({exc})."
        ) from exc
    grey.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))
    blurred = grey.filter(ImageFilter.GaussianBlur(THUMBNAIL_BLUR))
    out = io.BytesIO()
    blurred.save(out, format="PNG")
    return out.getvalue()
