"""Allocated bytes per file system (the ETA's denominator) agree with the fs's own tools."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from triage.evidence import open_source
from triage.walk.tskimage import TskImage
from triage.walk.usage import used_bytes
from triage.walk.volumes import find_volumes


def _tool(*argv: str) -> str:
    if shutil.which(argv[0]) is None:
        pytest.skip(f"{argv[0]} is not installed")
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    return done.stdout + done.stderr


def _number(pattern: str, text: str) -> int:
    match = re.search(pattern, text, re.MULTILINE)
    assert match, f"{pattern!r} not in tool output:\n{text}"
    return int(match.group(1))


def _reference(fs: str, path: str) -> tuple[int, int]:
    """(allocated bytes, allowed difference) according to the file system's own tool."""
    if fs.startswith("fat"):
        out = _tool("fsck.fat", "-n", "-v", path)
        cluster = _number(r"^\s*(\d+) bytes per cluster", out)
        return _number(r"files, (\d+)/\d+ clusters", out) * cluster, 0
    if fs == "ext4":
        out = _tool("dumpe2fs", "-h", path)
        blocks = _number(r"^Block count:\s+(\d+)", out) - _number(r"^Free blocks:\s+(\d+)", out)
        return blocks * _number(r"^Block size:\s+(\d+)", out), 0
    if fs == "ntfs":
        out = _tool("ntfsinfo", "-m", path)
        cluster = _number(r"Cluster Size:\s+(\d+)", out)
        used = _number(r"Volume Size in Clusters:\s+(\d+)", out) - _number(
            r"Free Clusters:\s+(\d+)", out)
        # $Bitmap also covers the cluster holding the backup boot sector, which ntfsinfo's
        # volume size leaves out.
        return used * cluster, cluster
    out = _tool("dump.exfat", path)
    cluster = _number(r"Cluster size:\s+(\d+)", out)
    return (_number(r"Total Clusters:\s+(\d+)", out) - _number(r"Free Clusters:\s+(\d+)", out)
            ) * cluster, 0


@pytest.mark.parametrize("name", ["fat12", "fat16", "fat32", "ext4", "ntfs", "exfat"])
def test_used_bytes_match_the_file_systems_own_tools(fixture_images, name):
    image = fixture_images(name)
    expected, tolerance = _reference(name, str(image.path))
    with open_source(str(image.path)) as source:
        img = TskImage(source)
        (volume,) = find_volumes(img).volumes
        measured = used_bytes(img, volume.fs, volume.fs_type, volume.offset)
    assert measured is not None
    assert abs(measured - expected) <= tolerance, (measured, expected)
    assert expected > 0


def test_unknown_file_systems_give_no_estimate(demo_disk):
    with open_source(str(demo_disk.image)) as source:
        img = TskImage(source)
        volume = find_volumes(img).volumes[0]
        assert used_bytes(img, volume.fs, "iso9660", volume.offset) is None
