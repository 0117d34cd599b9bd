"""pHash, the 64-bit DCT hash of imagehash: hex form, distance, threshold, dihedral variants."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import scipy.fftpack
from PIL import Image

from triage.perceptual import bits
from triage.perceptual.lanczos import thumbnail
from triage.perceptual.thresholds import PHASH_MATCH_DISTANCE

_SIDE = 32  # imagehash: hash_size 8 x highfreq_factor 4
_KEEP = 8
_U = np.arange(_KEEP)[:, None]  # row (vertical frequency) index of the low block
_V = np.arange(_KEEP)[None, :]  # column (horizontal frequency) index
_FLIP_LR = np.where(_V % 2 == 1, -1.0, 1.0)  # mirroring a row negates its odd DCT terms
_FLIP_TB = np.where(_U % 2 == 1, -1.0, 1.0)


class PHash(bits.BitHash):
    """pHash values as 16 hex digits, bit-identical to ``str(imagehash.phash(image))``."""

    name: ClassVar[str] = "phash"
    label: ClassVar[str] = "pHash"
    nbits: ClassVar[int] = 64
    match_distance: ClassVar[int] = PHASH_MATCH_DISTANCE
    # Known answers, pinned with imagehash 4.3.2 (tests/perceptual/test_phash.py recomputes).
    examples: ClassVar[dict[str, str]] = {
        "bridge-1-original.jpg": "aca29c1c33dc23d7",
    }

    @staticmethod
    def compute(image: Image.Image) -> bytes:
        """The pHash of a picture as stored (variant 0 of compute_dihedral)."""
        grey = image if image.mode == "L" else image.convert("L")
        pixels = thumbnail(grey, _SIDE)
        low = scipy.fftpack.dct(scipy.fftpack.dct(pixels, axis=0), axis=1)[:_KEEP, :_KEEP]
        return bits.pack(low > np.median(low))

    @staticmethod
    def compute_dihedral(image: Image.Image) -> list[bytes]:
        """The 8 dihedral pHashes of a picture (order: dihedral.DIHEDRAL_NAMES).

        A flip only changes the signs of DCT terms and a transpose transposes them, so the eight
        come from one DCT of one 32x32 thumbnail.
        """
        # convert() of a luma frame (what decode() gives) is a copy with the same pixels.
        grey = image if image.mode == "L" else image.convert("L")
        pixels = thumbnail(grey, _SIDE)
        dct = scipy.fftpack.dct(scipy.fftpack.dct(pixels, axis=0), axis=1)
        low = dct[:_KEEP, :_KEEP]
        variants = (
            low,
            (low * _FLIP_LR).T,  # rotate90 (counter-clockwise) = transpose of a left-right flip
            low * _FLIP_LR * _FLIP_TB,
            (low * _FLIP_TB).T,
            low * _FLIP_TB,
            low * _FLIP_LR,
            low.T,
            (low * _FLIP_LR * _FLIP_TB).T,
        )
        return [bits.pack(v > np.median(v)) for v in variants]
