"""The fixture images are what they claim, checked with sleuthkit (fls, icat, mmls) only."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures import RECIPES, FixtureImage, build, sha256_file
from tests.fixtures.broken import BITLOCKER_OEM, LUKS_MAGIC
from tests.fixtures.builders import skip_reason
from tests.fixtures.content import DEEP_LEVELS, LARGE_FILE_SIZE
from tests.fixtures.reference import (
    fls,
    icat_sha256,
    mmls,
    parse_fls,
    parse_mmls,
    regular_files,
)
from tests.fixtures.tools import ToolError

pytestmark = pytest.mark.usefixtures("sleuthkit")

WITH_FILES = [n for n in RECIPES if n != "not_a_disk"]
PARTITIONED = ["mbr_logical", "gpt4", "gpt4_truncated", "gpt_encrypted"]
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
REPO = Path(__file__).resolve().parent.parent


def _readable(image: FixtureImage, name: str) -> list[int]:
    """Partitions whose file system is all there (the truncated image loses 3 and 4)."""
    cut = {3, 4} if name == "gpt4_truncated" else set()
    return [p.index for p in image.partitions if p.unreadable is None and p.index not in cut]


@pytest.mark.parametrize("name", WITH_FILES)
def test_every_expected_file_is_listed_and_recovers_with_its_digest(fixture_images, name):
    image = fixture_images(name)
    assert image.files, f"{name} promises no files"
    for index in _readable(image, name):
        part = image.partition(index)
        listed = regular_files(fls(image.path, part.offset))
        for expected in image.files_in(index):
            assert expected.path in listed, f"{name} p{index}: fls does not list {expected.path}"
            entry = listed[expected.path]
            assert entry.deleted == expected.deleted, f"{name} p{index} {expected.path}"
            if expected.content_recoverable:
                got = icat_sha256(image.path, part.offset, entry.meta)
                assert got == expected.sha256, f"{name} p{index}: icat {expected.path}"


@pytest.mark.parametrize("name", WITH_FILES)
def test_fls_lists_no_regular_file_we_did_not_put_there(fixture_images, name):
    """Beyond metafiles ($...) and FAT/exFAT volume label entries, fls sees exactly our files."""
    image = fixture_images(name)
    for index in _readable(image, name):
        listed = set(regular_files(fls(image.path, image.partition(index).offset)))
        assert listed == {f.path for f in image.files_in(index)}, f"{name} p{index}"


@pytest.mark.parametrize("name", PARTITIONED)
def test_mmls_finds_the_partitions_at_the_expected_offsets(fixture_images, name):
    image = fixture_images(name)
    found = [entry.offset for entry in mmls(image.path)]
    assert found == [p.offset for p in image.partitions]


def test_every_fixture_covers_the_hard_cases(ntfs_image):
    image = ntfs_image
    paths = {f.path: f for f in image.files}
    deep = [p for p in paths if p.count("/") - 1 >= DEEP_LEVELS]
    assert deep, "no file in a deep path"
    assert paths["/empty.txt"].sha256 == EMPTY_SHA256
    assert paths["/big/large.bin"].size == LARGE_FILE_SIZE > 2 * 1024 * 1024
    assert {"/Café/naïve résumé.txt", "/日本語.txt", "/😀 smile.txt"} <= set(paths)
    assert paths["/readme.txt:secret"].size > 0
    assert [f.path for f in image.files if f.deleted] == [
        "/Trash/Deleted Picture.jpg", "/Trash/deleted note.txt"]
    with open(image.path, "rb") as handle:
        assert handle.read(11)[3:] == b"NTFS    "


def _icat_bytes(image: Path, meta: str, offset: int = 0) -> bytes:
    return subprocess.run(  # noqa: S603
        ["icat", "-o", str(offset // 512), str(image), meta],  # noqa: S607
        capture_output=True, check=True,
    ).stdout


def test_renamed_jpeg_is_a_jpeg_and_empty_file_is_empty(fixture_images):
    image = fixture_images("fat32")
    listed = regular_files(fls(image.path))
    assert _icat_bytes(image.path, listed["/Windows/System32/photo.dll"].meta)[:3] == (
        b"\xff\xd8\xff")
    assert _icat_bytes(image.path, listed["/empty.txt"].meta) == b""


def test_not_a_disk_is_refused_by_sleuthkit(fixture_images):
    image = fixture_images("not_a_disk")
    with pytest.raises(ToolError):
        mmls(image.path)
    with pytest.raises(ToolError):
        fls(image.path)


def test_corrupt_mbr_defeats_mmls_but_the_good_partition_is_intact(fixture_images):
    image = fixture_images("mbr_corrupt")
    with pytest.raises(ToolError):
        mmls(image.path)
    part = image.partition(1)
    assert set(regular_files(fls(image.path, part.offset))) == {f.path for f in image.files}


def test_truncated_image_is_shorter_than_its_partition_table_says(fixture_images):
    image = fixture_images("gpt4_truncated")
    third, fourth = image.partition(3), image.partition(4)
    size = image.path.stat().st_size
    assert third.offset < size < third.offset + third.size
    assert fourth.offset > size


def test_encrypted_looking_volumes_carry_their_signatures_and_no_file_system(fixture_images):
    image = fixture_images("gpt_encrypted")
    reasons = {p.unreadable: p for p in image.partitions if p.unreadable}
    assert set(reasons) == {"entropy", "luks", "bitlocker"}
    with open(image.path, "rb") as handle:
        handle.seek(reasons["luks"].offset)
        assert handle.read(6) == LUKS_MAGIC
        handle.seek(reasons["bitlocker"].offset + 3)
        assert handle.read(8) == BITLOCKER_OEM
    for part in reasons.values():
        with pytest.raises(ToolError):
            fls(image.path, part.offset)


def test_fls_parser_reads_deleted_streams_realloc_and_ntfs_addresses():
    text = (
        "r/r 64-128-2:\treadme.txt\n"
        "r/r 64-128-4:\treadme.txt:secret\n"
        "-/r * 93-128-2:\tTrash/Deleted Picture.jpg\n"
        "r/r * 12(realloc):\told.txt\n"
        "d/d 11:\tlost+found\n"
        "r/r 3:\tTRIAGE      (Volume Label Entry)\n"
        "V/V 67:\t$OrphanFiles\n"
        "-/r * 16:\t$OrphanFiles/OrphanFile-16\n"
    )
    entries = parse_fls(text)
    assert [(e.path, e.inode, e.deleted) for e in entries[:4]] == [
        ("/readme.txt", 64, False), ("/readme.txt:secret", 64, False),
        ("/Trash/Deleted Picture.jpg", 93, True), ("/old.txt", 12, True)]
    assert entries[1].meta == "64-128-4" and entries[3].realloc
    assert set(regular_files(entries)) == {
        "/readme.txt", "/readme.txt:secret", "/Trash/Deleted Picture.jpg", "/old.txt"}
    with pytest.raises(ValueError, match="unparsable"):
        parse_fls("garbage line\n")


def test_mmls_parser_keeps_allocated_partitions_only():
    text = (
        "DOS Partition Table\nOffset Sector: 0\nUnits are in 512-byte sectors\n\n"
        "      Slot      Start        End          Length       Description\n"
        "000:  Meta      0000000000   0000000000   0000000001   Primary Table (#0)\n"
        "001:  -------   0000000000   0000002047   0000002048   Unallocated\n"
        "002:  000:000   0000002048   0000026623   0000024576   DOS FAT16 (0x06)\n"
        "003:  Meta      0000026624   0000079871   0000053248   DOS Extended (0x05)\n"
        "006:  001:000   0000028672   0000053247   0000024576   NTFS / exFAT (0x07)\n"
    )
    parts = parse_mmls(text)
    assert [(p.offset, p.description) for p in parts] == [
        (2048 * 512, "DOS FAT16 (0x06)"), (28672 * 512, "NTFS / exFAT (0x07)")]


_BUILD_SCRIPT = (
    "import sys; from pathlib import Path; from tests.fixtures import build; "
    "print(build('fat12', Path(sys.argv[1])).sha256)"
)


def test_cache_is_reused_rebuilt_when_tampered_and_safe_for_two_processes(tmp_path):
    reason = skip_reason("fat12")
    if reason:
        pytest.skip(reason)
    # Two processes build the same image into one empty cache at the same time.
    procs = [
        subprocess.Popen(  # noqa: S603
            [sys.executable, "-c", _BUILD_SCRIPT, str(tmp_path)], cwd=REPO,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    digests = [out.strip() for out, _ in outputs]
    assert digests[0] == digests[1] == sha256_file(tmp_path / "fat12.img")
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")) == [
        "fat12.img", "fat12.json"]
    manifest = json.loads((tmp_path / "fat12.json").read_text(encoding="utf-8"))
    assert manifest["image"]["sha256"] == digests[0]
    mtime = (tmp_path / "fat12.img").stat().st_mtime_ns
    again = build("fat12", tmp_path)
    assert (tmp_path / "fat12.img").stat().st_mtime_ns == mtime  # reused, not rebuilt
    with open(again.path, "r+b") as handle:
        handle.seek(100_000)
        handle.write(b"tampered")
    rebuilt = build("fat12", tmp_path)
    assert sha256_file(rebuilt.path) == rebuilt.sha256
    assert (tmp_path / "fat12.img").stat().st_mtime_ns != mtime
