"""The pure-Python demo disk as a quick fixture: built in milliseconds, no tools or root."""

from __future__ import annotations

import pytest

from triage.demo.build import DemoDisk, build_demo
from triage.files import sha256_file

__all__ = ["demo_disk", "sha256_file"]


@pytest.fixture(scope="session")
def demo_disk(tmp_path_factory: pytest.TempPathFactory) -> DemoDisk:
    """The demo disk image (two FAT16 partitions, a deleted and a renamed known picture)."""
    return build_demo(tmp_path_factory.mktemp("demo-disk"))
