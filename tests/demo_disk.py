"""The pure-Python demo disk as a quick fixture: built in milliseconds, no tools or root."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from triage.demo.build import DemoDisk, build_demo


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@pytest.fixture(scope="session")
def demo_disk(tmp_path_factory: pytest.TempPathFactory) -> DemoDisk:
    """The demo disk image (two FAT16 partitions, a deleted and a renamed known picture)."""
    return build_demo(tmp_path_factory.mktemp("demo-disk"))
