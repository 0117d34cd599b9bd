"""Digests of triage's own files (bundles, reference sets, report outputs) — never evidence."""

from __future__ import annotations

import hashlib
from pathlib import Path


def sha256_file(path: str | Path) -> str:
    """SHA-256 of a file, streamed by hashlib in blocks (resident memory stays flat)."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()
