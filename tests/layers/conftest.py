"""Encrypted test volumes, made once per session with cryptsetup (see encrypted_images.py)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.layers.encrypted_images import TOOLS, Made, make_luks

_RECIPES: dict[str, dict[str, object]] = {
    "luks2": {"version": 2, "pbkdf": "argon2id"},
    "luks2_pbkdf2_4k": {"version": 2, "pbkdf": "pbkdf2", "sector_size": 4096},
    "luks1": {"version": 1, "pbkdf": "pbkdf2"},
}


@pytest.fixture(scope="session")
def luks_volume(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Made]:
    """`luks_volume("luks2")`: a LUKS volume holding known pictures (skips without cryptsetup)."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    made: dict[str, Made] = {}
    folder = Path(tmp_path_factory.mktemp("luks"))

    def get(name: str) -> Made:
        if missing:
            pytest.skip(f"LUKS test volumes need {', '.join(missing)}; apt-get install "
                        "cryptsetup-bin e2fsprogs")
        if name not in made:
            made[name] = make_luks(folder, name, **_RECIPES[name])  # type: ignore[arg-type]
        return made[name]

    return get
