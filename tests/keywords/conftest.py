"""Shared fixtures for the keyword-list tests: a lab key, trusted keys and a signed list."""

from __future__ import annotations

from pathlib import Path

import pytest

from triage import keys
from triage.keywords.bundle import add

# Benign stand-ins for a lab's terms (line numbers matter: comments and blanks count).
LIST_TEXT = "# lab list, test only\nholiday snaps\n\nÉté Secret\nwipe\n!!!\nblue whale\n"
LINE = {"holiday snaps": 2, "été secret": 4, "wipe": 5, "blue whale": 7}


@pytest.fixture
def hashsets(tmp_path: Path, lab_key: keys.SigningKey) -> Path:
    """A hash-set folder holding one signed keyword list, 'lab-terms'."""
    source = tmp_path / "terms.txt"
    source.write_text(LIST_TEXT, "utf-8")
    add(source, name="lab-terms", version="3", into=tmp_path / "hashsets", signer=lab_key)
    return tmp_path / "hashsets"
