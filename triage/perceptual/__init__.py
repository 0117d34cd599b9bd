"""Perceptual matching of pictures: pHash and PDQ hashes, reference sets, the matcher."""

from triage.perceptual.hasher import PictureHashes, hash_picture
from triage.perceptual.matcher import PerceptualMatch, PerceptualMatcher

__all__ = ["PerceptualMatch", "PerceptualMatcher", "PictureHashes", "hash_picture"]
