"""Scan the test images shipped in pytsk3's source distribution and compare with sleuthkit."""

from __future__ import annotations

import importlib.metadata
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from tests.fixtures import FixtureImage, cache_dir, sha256_file
from tests.fixtures.expected import ExpectedPartition
from tests.fixtures.reference import fls, icat_sha256, is_system_path, mmls, regular_files
from tests.scan.scanning import scan

SAMPLES = ("image.raw", "tsk_volume_system.raw", "bogus.raw")
# pip resolving and downloading a 3 MB sdist; generous for a slow mirror.
DOWNLOAD_TIMEOUT_S = 300


def _download(folder: Path) -> Path | None:
    """pytsk3's sdist (same version as installed) in `folder`, or None when pip cannot get it."""
    version = importlib.metadata.version("pytsk3")
    found = sorted(folder.glob(f"pytsk3-{version}.tar.gz"))
    if found:
        return found[0]
    try:
        proc = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "pip", "download", f"pytsk3=={version}", "--no-binary",
             ":all:", "--no-deps", "-q", "-d", str(folder)],
            capture_output=True, timeout=DOWNLOAD_TIMEOUT_S, check=False,
        )
    except subprocess.TimeoutExpired:
        return None
    found = sorted(folder.glob(f"pytsk3-{version}.tar.gz"))
    return found[0] if proc.returncode == 0 and found else None


@pytest.fixture(scope="session")
def pytsk3_samples() -> dict[str, Path]:
    """The raw images under test_data/ of pytsk3's sdist, extracted into the fixture cache."""
    folder = cache_dir() / "pytsk3-sdist"
    folder.mkdir(exist_ok=True)
    sdist = _download(folder)
    if sdist is None:
        pytest.skip("pip could not download pytsk3's source distribution (offline?)")
    out: dict[str, Path] = {}
    with tarfile.open(sdist) as archive:
        for member in archive.getmembers():
            name = member.name.rsplit("/", 1)[-1]
            # Only the known sample files, written by us under our own names: no path traversal.
            if member.isfile() and "/test_data/" in member.name and name in SAMPLES:
                target = folder / name
                if not target.exists():
                    source = archive.extractfile(member)
                    assert source is not None
                    with open(f"{target}.part", "wb") as handle:
                        shutil.copyfileobj(source, handle)
                    Path(f"{target}.part").replace(target)
                out[name] = target
    if set(out) != set(SAMPLES):
        pytest.skip(f"pytsk3's sdist no longer ships {sorted(set(SAMPLES) - set(out))}")
    return out


def _as_fixture(path: Path) -> FixtureImage:
    return FixtureImage(path.name, path, [ExpectedPartition(0, 0, "unknown")], [],
                        sha256_file(path))


def _fsstat_opens(image: Path, offset: int) -> bool:
    proc = subprocess.run(  # noqa: S603
        ["fsstat", "-o", str(offset // 512), str(image)],  # noqa: S607
        capture_output=True, check=False,
    )
    return proc.returncode == 0


@pytest.fixture()
def scanner() -> None:
    pytest.importorskip("triage.pipeline", reason="the scanner (triage.pipeline) is not built yet")


def test_pytsk3_ext2_image_matches_fls_and_icat(pytsk3_samples, sleuthkit, scanner, tmp_path):
    result = scan(_as_fixture(pytsk3_samples["image.raw"]), tmp_path / "out")
    ours = {r["path"]: r for r in result.records if not is_system_path(r["path"])}
    listed = fls(result.image.path)
    theirs = regular_files(listed)
    # fls's "r/-" lines are deleted names whose inode is 0: only the name is left. fls lists
    # them and so do we (deleted, name only, nothing read).
    bare = {e.path for e in listed if e.deleted and e.inode == 0 and e.name_type == "r"}
    assert bare == {"/a_directory/.another_file.swp", "/a_directory/another_file~",
                    "/passwords.txt~"}
    assert set(ours) == set(theirs) | bare
    assert all(ours[path]["deleted"] and ours[path]["sha256"] is None for path in bare)
    assert {"/passwords.txt", "/a_directory/a_file", "/a_directory/another_file"} <= set(ours)
    for path, entry in theirs.items():
        assert ours[path]["meta_addr"] == entry.inode, path
        assert ours[path]["sha256"] == icat_sha256(result.image.path, 0, entry.meta), path
    assert result.report["coverage"]["volumes"][0]["fs"] == "ext2"
    result.assert_unchanged()


def test_pytsk3_volume_system_partitions_match_mmls(pytsk3_samples, sleuthkit, scanner,
                                                    tmp_path):
    result = scan(_as_fixture(pytsk3_samples["tsk_volume_system.raw"]), tmp_path / "out")
    offsets = [v["offset"] for v in result.report["coverage"]["volumes"]]
    assert offsets == [entry.offset for entry in mmls(result.image.path)]
    # The first partition is all zeros (listed, not examined, never silently dropped); the
    # logical one holds an empty ext2. Examined exactly where sleuthkit's fsstat opens one.
    for volume in result.report["coverage"]["volumes"]:
        opens = _fsstat_opens(result.image.path, volume["offset"])
        assert (volume["status"] == "examined") == opens, volume
        if not opens:
            assert volume["reason"]
    assert [v["fs"] for v in result.report["coverage"]["volumes"]][1] == "ext2"
    assert result.report["verdict"]["level"] != "green"
    result.assert_unchanged()


def test_pytsk3_bogus_image_is_not_examined(pytsk3_samples, scanner, tmp_path):
    from triage.errors import EvidenceError, ExitCode

    image = _as_fixture(pytsk3_samples["bogus.raw"])
    try:
        result = scan(image, tmp_path / "out")
    except EvidenceError as exc:
        assert "\n" not in str(exc)
    else:
        assert result.exit_code == ExitCode.EVIDENCE
        assert result.records == []
        result.assert_unchanged()
    assert sha256_file(image.path) == image.sha256
