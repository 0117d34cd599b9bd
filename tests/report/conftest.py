"""Fixtures for the report tests: keys, trusted folders and sealed report folders."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.report.factory import write_scan_output
from triage import keys
from triage.report.sign import seal_output


@pytest.fixture
def officer_key(tmp_path: Path) -> keys.SigningKey:
    return keys.generate(tmp_path / "keys", "stick07")


@pytest.fixture
def supervisor_key(tmp_path: Path) -> keys.SigningKey:
    return keys.generate(tmp_path / "keys", "supervisor")


@pytest.fixture
def trusted(tmp_path: Path, officer_key: keys.SigningKey,
            supervisor_key: keys.SigningKey) -> Path:
    """A supervisor's folder of trusted public keys: the stick's and the supervisor's."""
    folder = tmp_path / "trusted"
    folder.mkdir()
    for name in ("stick07", "supervisor"):
        (folder / f"{name}.pub").write_bytes((tmp_path / "keys" / f"{name}.pub").read_bytes())
    return folder


@pytest.fixture
def sealed(tmp_path: Path, officer_key: keys.SigningKey) -> Path:
    """A signed report folder."""
    out = write_scan_output(tmp_path / "out")
    seal_output(out, officer_key, "0.1.0")
    return out
