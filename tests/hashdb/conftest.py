"""Shared helpers for the hash-set tests: generated digests (the lab key and trusted keys
are tests/conftest.py's)."""

from __future__ import annotations

import hashlib


def digests(algorithm: str, count: int, salt: str = "") -> list[str]:
    """Distinct, reproducible hex digests (of benign strings, standing in for known pictures)."""
    return [hashlib.new(algorithm, f"{salt}{i}".encode()).hexdigest() for i in range(count)]
