"""Evidence sources: opening disks, images and folders read-only, and describing them."""

from triage.evidence.base import EvidenceSource, ImageSource, LogicalSource
from triage.evidence.open import open_source

__all__ = ["EvidenceSource", "ImageSource", "LogicalSource", "open_source"]
