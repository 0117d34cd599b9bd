"""Shared fixtures for the hash-set tests: signing keys and generated digests."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from triage import keys


def digests(algorithm: str, count: int, salt: str = "") -> list[str]:
    """Distinct, reproducible hex digests (of benign strings, standing in for known pictures)."""
    return [hashlib.new(algorithm, f"{salt}{i}".encode()).hexdigest() for i in range(count)]


@pytest.fixture
def lab_key(tmp_path: Path) -> keys.SigningKey:
    return keys.generate(tmp_path / "keys", "lab")


@pytest.fixture
def trusted_dir(tmp_path: Path, lab_key: keys.SigningKey) -> Path:
    """A folder of trusted public keys holding the lab key."""
    folder = tmp_path / "trusted"
    folder.mkdir()
    (folder / "lab.pub").write_bytes((tmp_path / "keys" / "lab.pub").read_bytes())
    return folder
