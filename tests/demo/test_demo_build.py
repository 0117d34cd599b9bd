"""The demo disk read back by pytsk3 and sleuthkit: partitions, names, content, deleted files."""

from __future__ import annotations

import re
from pathlib import Path

import magic
import pytest
import pytsk3

from tests.demo.reference import (
    assert_fsck_clean,
    fls_files,
    need,
    run,
    run_bytes,
    sha256,
    tsk_files,
)
from triage.demo import DemoDisk, build_demo
from triage.demo.build import HASHSET_NAME, IMAGE_NAME
from triage.errors import UsageError
from triage.files import sha256_file

SECTOR = 512


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoDisk:
    return build_demo(tmp_path_factory.mktemp("demo"))


def partitions(demo: DemoDisk) -> dict[int, int]:
    """MBR slot (1-based) -> byte offset, from the manifest."""
    return {f.partition: f.offset for f in demo.files}


def test_files_are_written_where_promised(demo: DemoDisk) -> None:
    assert demo.image.name == IMAGE_NAME and demo.image.is_file()
    assert demo.hashset.name == HASHSET_NAME and demo.hashset.parent == demo.image.parent


def test_hash_set_is_sha256sum_text_of_the_known_pictures(demo: DemoDisk) -> None:
    lines = demo.hashset.read_text(encoding="utf-8").splitlines()
    assert lines == [f"{k.sha256}  {k.name}" for k in demo.known]
    assert all(re.fullmatch(r"[0-9a-f]{64}  demo-known-\d\.png", line) for line in lines)
    assert all(re.fullmatch(r"[0-9a-f]{32}", k.md5) for k in demo.known)


def test_pytsk3_finds_both_partitions_at_their_offsets(demo: DemoDisk) -> None:
    volumes = pytsk3.Volume_Info(pytsk3.Img_Info(str(demo.image)))
    found = [v.start * SECTOR for v in volumes if v.flags == pytsk3.TSK_VS_PART_FLAG_ALLOC]
    assert found == [partitions(demo)[1], partitions(demo)[2]] == [2048 * 512, 14336 * 512]


def test_mmls_reports_the_fat16_types(demo: DemoDisk) -> None:
    need("mmls")
    table = run("mmls", str(demo.image))
    assert re.search(r"000:000\s+0000002048\s+0000014335\s+0000012288\s+DOS FAT16 \(0x06\)", table)
    assert re.search(
        r"000:001\s+0000014336\s+0000020479\s+0000006144\s+Win95 FAT16 \(0x0e\)", table
    )


def test_pytsk3_reads_every_file_with_the_right_digest(demo: DemoDisk) -> None:
    before = sha256_file(demo.image)
    for number, offset in partitions(demo).items():
        seen = tsk_files(demo.image, offset)
        expected = {
            f.path: (f.deleted, f.size, f.sha256) for f in demo.files if f.partition == number
        }
        assert {p: (s.deleted, s.size, s.sha256) for p, s in seen.items()} == expected
    assert sha256_file(demo.image) == before  # reading never changes the evidence


def test_fls_lists_every_name_and_icat_recovers_every_file(demo: DemoDisk) -> None:
    need("fls", "icat")
    for number, offset in partitions(demo).items():
        sectors = str(offset // SECTOR)
        listed = fls_files(demo.image, offset // SECTOR)
        mine = [f for f in demo.files if f.partition == number]
        assert {p: d for p, (d, _) in listed.items()} == {f.path: f.deleted for f in mine}
        for demo_file in mine:
            inode = str(listed[demo_file.path][1])
            content = run_bytes("icat", "-o", sectors, str(demo.image), inode)
            assert sha256(content) == demo_file.sha256, demo_file.path


def test_fsck_fat_finds_each_volume_clean(demo: DemoDisk, tmp_path: Path) -> None:
    need("fsck.fat")
    raw = demo.image.read_bytes()
    volumes = pytsk3.Volume_Info(pytsk3.Img_Info(str(demo.image)))
    for v in volumes:
        if v.flags == pytsk3.TSK_VS_PART_FLAG_ALLOC:
            assert_fsck_clean(raw[v.start * SECTOR : (v.start + v.len) * SECTOR], tmp_path)


def test_the_known_picture_is_there_three_ways(demo: DemoDisk) -> None:
    known = {k.sha256 for k in demo.known}
    hits = [f for f in demo.files if f.sha256 in known]
    assert hits == demo.expected_hits
    assert [(f.partition, f.path, f.deleted) for f in hits] == [
        (1, "/Users/alex/Pictures/Saved/IMG_0042.png", False),  # as it was saved
        (1, "/Users/alex/Documents/invoice.pdf", False),  # renamed to hide it
        (2, "/transfer/IMG_0042 (1).png", True),  # deleted from the stick
    ]
    assert len({f.sha256 for f in hits}) == 1
    pictures = [f for f in demo.files if f.path.lower().endswith((".jpg", ".png"))]
    assert len([f for f in pictures if f.sha256 not in known]) >= 6  # decoys stay unmatched


def test_the_renamed_copy_is_a_png_behind_a_pdf_name(demo: DemoDisk) -> None:
    fs = pytsk3.FS_Info(pytsk3.Img_Info(str(demo.image)), offset=partitions(demo)[1])
    renamed = fs.open("/Users/alex/Documents/invoice.pdf")
    head = renamed.read_random(0, 4096)
    assert magic.from_buffer(head, mime=True) == "image/png"


def test_partition_one_looks_like_windows_and_two_like_a_stick(demo: DemoDisk) -> None:
    need("fsstat")
    labels = [
        run("fsstat", "-o", str(offset // SECTOR), str(demo.image))
        for offset in partitions(demo).values()
    ]
    assert "Volume Label (Boot Sector): WINDOWS" in labels[0]
    assert "Volume Label (Boot Sector): USB STICK" in labels[1]
    assert all("File System Type: FAT16" in info for info in labels)


def test_two_builds_are_byte_identical(demo: DemoDisk, tmp_path: Path) -> None:
    again = build_demo(tmp_path / "again")
    assert again.image.read_bytes() == demo.image.read_bytes()
    assert again.hashset.read_bytes() == demo.hashset.read_bytes()
    assert again.files == demo.files and again.known == demo.known


def test_an_unwritable_folder_gives_one_clear_sentence(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(
        UsageError, match=r"^Cannot write the demo into .*choose a writable folder\.$"
    ):
        build_demo(blocker / "demo")
