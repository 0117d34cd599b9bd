"""The shipped samples in hashsets/samples: recognised by content, and every entry found."""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

import pytest

from triage.hashdb.formats import registry
from triage.hashdb.importing import import_files
from triage.hashdb.library import HashSetLibrary
from triage.hashdb.setinfo import SetInfo

SAMPLES = Path(__file__).resolve().parents[2] / "hashsets" / "samples"
EXPECTED = {
    "sample.md5": ("md5sum", ["md5"]),
    "sample.sha1": ("sha1sum", ["sha1"]),
    "sample-utf16.sha256": ("sha256sum", ["sha256"]),
    "sample-hashdeep.txt": ("hashdeep", ["md5", "sha256"]),
    "sample-vics1.json": ("vics", ["md5", "sha1"]),
    "sample-vics2.json": ("vics", ["md5", "sha1"]),
    "sample-caid.json": ("caid", ["md5", "sha1"]),
    "sample-NSRLFile.txt": ("nsrl", ["md5", "sha1"]),
    "sample-rds.db": ("nsrl", ["md5", "sha1", "sha256"]),
    "sample.hash": ("encase", ["md5"]),
    "sample.csv": ("csv", ["md5", "sha256"]),
}


def test_every_sample_is_listed() -> None:
    assert sorted(p.name for p in SAMPLES.iterdir()) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_imports_cleanly_and_every_entry_is_found(tmp_path: Path, name: str) -> None:
    fmt, algorithms = EXPECTED[name]
    path = SAMPLES / name
    assert registry.detect(path).name == fmt
    _, stats = import_files([path], SetInfo("sample"), tmp_path)
    assert stats.rejected == 0
    lib = HashSetLibrary.load(tmp_path)
    for n in range(4):
        for algorithm in algorithms:
            value = hashlib.new(algorithm, f"triage sample {n}".encode()).hexdigest()
            matches = lib.lookup(**{algorithm: value})
            assert [m.algorithm for m in matches] == [algorithm], (name, n, algorithm)
    assert lib.lookup(md5=hashlib.md5(b"triage sample 4", usedforsecurity=False).hexdigest()) == []


def test_samples_are_what_the_committed_script_writes(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location(
        "make_samples", SAMPLES.parent / "make_samples.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.write_all(tmp_path)
    for name in EXPECTED:
        if name.endswith(".db"):
            continue  # SQLite page layout may differ between library versions; rows are checked
        assert (tmp_path / name).read_bytes() == (SAMPLES / name).read_bytes(), name
