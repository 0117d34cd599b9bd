"""The quick-pass disk and its signed hash sets, built once a session with real tools."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.blocks.disk import Placed, build_disk, known_pictures
from triage import keys
from triage.blocks import filter as filter_module
from triage.blocks.build import FilterBuilder, walk_files
from triage.blocks.store import BLOCKS_DIR, write_filter
from triage.files import sha256_file

NEEDED = ("mkfs.ext4", "debugfs", "mkfs.vfat", "mcopy", "mmd", "mdel", "sgdisk", "dd")


@dataclass(frozen=True)
class QuickDisk:
    """The disk image, what it holds, its hash-set folder (signed) and the trusted keys."""

    image: Path
    sha256: str
    placed: list[Placed]
    known: Path
    hashsets: Path
    trusted: Path
    key: keys.SigningKey


@pytest.fixture(scope="session")
def quick_disk(tmp_path_factory: pytest.TempPathFactory) -> QuickDisk:
    missing = [tool for tool in NEEDED if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"tools missing to build the quick-pass disk: {missing}")
    root = tmp_path_factory.mktemp("quickdisk")
    image = root / "disk.img"
    placed = build_disk(image)
    known = known_pictures(root / "known")
    key = keys.generate(root / "keys", "lab")
    trusted = root / "trusted"
    trusted.mkdir()
    shutil.copy(root / "keys" / "lab.pub", trusted / "lab.pub")
    hashsets = root / "hashsets"
    builder = FilterBuilder()
    for path, reference in walk_files(known):
        builder.add_file(path, reference, "A")
    write_filter(hashsets / BLOCKS_DIR / "known", name="known", version="1", source="test",
                 compiled=builder.compile(), references=builder.references,
                 categories=builder.categories, stats=builder.stats, signer=key)
    return QuickDisk(image, sha256_file(image), placed, known, hashsets, trusted, key)


@pytest.fixture(params=["c", "numpy"])
def lookup_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a lookup test twice: with the C extension (triage/blocks/_probe.c) and with the numpy
    code that stands in for it where it is not built; both must give the same answers."""
    if request.param == "c":
        if filter_module._probe is None:
            pytest.skip("triage.blocks._probe is not built (python setup.py build_ext --inplace)")
        monkeypatch.setattr(filter_module, "USE_PROBE", True)
    else:
        monkeypatch.setattr(filter_module, "USE_PROBE", False)
    return str(request.param)
