"""PDQ, Meta's 256-bit perceptual hash: hex form, distance, threshold, computing with quality."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from triage.perceptual import bits, pdq_luma
from triage.perceptual.thresholds import PDQ_MATCH_DISTANCE, PDQ_QUALITY_FLOOR


class Pdq(bits.BitHash):
    """PDQ hashes as 64 hex digits; distance is the Hamming distance of the 256 bits."""

    name: ClassVar[str] = "pdq"
    label: ClassVar[str] = "PDQ"
    nbits: ClassVar[int] = 256
    match_distance: ClassVar[int] = PDQ_MATCH_DISTANCE
    quality_floor: ClassVar[int] = PDQ_QUALITY_FLOOR
    # Known answers: pdqhash 0.2.8 on Meta's bridge-1-original.jpg (tests/perceptual) and an
    # all-black picture, whose hash is all zeros with quality 0 (nothing to describe).
    examples: ClassVar[dict[str, str]] = {
        "bridge-1-original.jpg": (
            "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
        ),
        "black": "0" * 64,
    }

    @staticmethod
    def compute_dihedral(pixels: np.ndarray) -> tuple[list[bytes], int]:
        """The 8 dihedral hashes (order: dihedral.DIHEDRAL_NAMES) and quality of a luma (2-D) or
        RGB (3-D) uint8 array.

        One transform yields all eight, which is why variants are computed here rather than by
        hashing eight rotated copies. RGB is reduced to luma with the weights Meta's code uses.
        """
        if pixels.ndim == 3:
            pixels = pixels[:, :, :3].astype(np.float32) @ _LUMA_WEIGHTS
        return pdq_luma.dihedral(pixels)


# pdqhash's bindings.pyx and Meta's C++ (ITU-R BT.601 luma, as JPEG's Y plane).
_LUMA_WEIGHTS = np.array([0.299, 0.587, 0.114], dtype=np.float32)
