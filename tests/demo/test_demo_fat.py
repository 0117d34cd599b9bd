"""The FAT writer checked by independent readers: fsck.fat, pytsk3, sleuthkit and mtools."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
from pathlib import Path

import pytest
import pytsk3

from tests.demo.reference import (
    assert_fsck_clean,
    fls_files,
    fsck_fat,
    need,
    run,
    run_bytes,
    sha256,
    tsk_files,
)
from triage.demo.fat import FatVolume, lfn_checksum

WHEN = dt.datetime(2023, 5, 17, 14, 3, 27, 450_000)
LONG_UNICODE = "Zoë’s birthday party in the garden 2023.jpg"  # 43 units: 4 long-name entries


def blob(size: int, seed: str) -> bytes:
    return hashlib.shake_256(seed.encode()).digest(size) if size else b""


# path -> (content, deleted)
SAMPLE: dict[str, tuple[bytes, bool]] = {
    "/README.TXT": (blob(40, "readme"), False),  # already 8.3: no long name
    "/notes.txt": (blob(300, "notes"), False),  # lower case: 8.3 plus a long name
    "/abcdefghij.kl": (blob(513, "13"), False),  # exactly 13 units: no terminator
    "/empty.bin": (b"", False),
    "/Users/alex/Pictures/holiday photo.jpg": (blob(70_000, "holiday"), False),
    "/Users/alex/Pictures/holiday photo 2.jpg": (blob(1_000, "holiday2"), False),
    f"/Users/alex/Pictures/{LONG_UNICODE}": (blob(3_000, "zoe"), False),
    "/Users/alex/Pictures/gone picture.png": (blob(5_000, "gone"), True),
    **{f"/Users/alex/many/holiday photo {i}.jpg": (blob(i, f"m{i}"), False) for i in range(12)},
}
SIZES = [  # (sectors, sectors per cluster, FAT bits): both types, a 32-bit sector count
    (2048, 1, 12),
    (12288, 1, 16),
    (70000, 4, 16),
]


def sample_volume(sectors: int, per_cluster: int, *, deleted: bool = True) -> FatVolume:
    volume = FatVolume(
        sectors, label="SAMPLE", volume_id=0x1234ABCD, sectors_per_cluster=per_cluster
    )
    volume.mkdir("/Users/alex/Documents", WHEN)
    for path, (data, gone) in SAMPLE.items():
        volume.add_file(path, data, WHEN, deleted=gone and deleted)
    return volume


@pytest.fixture(params=SIZES, ids=lambda s: f"fat{s[2]}-{s[0]}s-{s[1]}spc")
def sample(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, FatVolume, int]:
    sectors, per_cluster, bits = request.param
    volume = sample_volume(sectors, per_cluster)
    path = tmp_path / "fat.img"
    path.write_bytes(volume.image())
    return path, volume, bits


def test_fat_type_follows_the_cluster_count(sample: tuple[Path, FatVolume, int]) -> None:
    need("fsstat")
    path, volume, bits = sample
    assert volume.fat_bits == bits
    info = run("fsstat", str(path))
    assert f"File System Type: FAT{bits}" in info
    assert "Volume Label (Boot Sector): SAMPLE" in info
    assert "Volume ID: 0x1234abcd" in info


def test_fsck_fat_finds_nothing_wrong(sample: tuple[Path, FatVolume, int], tmp_path: Path) -> None:
    need("fsck.fat")
    assert_fsck_clean(sample[0].read_bytes(), tmp_path)


def test_pytsk3_lists_every_file_with_its_content(sample: tuple[Path, FatVolume, int]) -> None:
    seen = tsk_files(sample[0])
    assert {p: (s.deleted, s.size, s.sha256) for p, s in seen.items()} == {
        p: (gone, len(data), sha256(data)) for p, (data, gone) in SAMPLE.items()
    }


def test_fls_and_icat_agree(sample: tuple[Path, FatVolume, int]) -> None:
    need("fls", "icat")
    listed = fls_files(sample[0])
    assert {p: d for p, (d, _) in listed.items()} == {p: g for p, (_, g) in SAMPLE.items()}
    for path, (_, inode) in listed.items():
        assert sha256(run_bytes("icat", str(sample[0]), str(inode))) == sha256(SAMPLE[path][0])


def test_mtools_accepts_the_long_name_checksums(sample: tuple[Path, FatVolume, int]) -> None:
    # mdir drops a long name whose checksum does not match its 8.3 entry.
    need("mdir")
    listing = run("mdir", "-i", str(sample[0]), "::/Users/alex/Pictures")
    assert "holiday photo.jpg" in listing and "holiday photo 2.jpg" in listing
    assert LONG_UNICODE in listing
    assert "gone picture" not in listing  # deleted
    assert "notes.txt" in run("mdir", "-i", str(sample[0]), "::/")


def test_lfn_checksum_matches_mkfs_vfat_and_mcopy(tmp_path: Path) -> None:
    need("mkfs.vfat", "mcopy")
    image, source = tmp_path / "ref.img", tmp_path / "holiday photo.jpg"
    image.write_bytes(bytes(1 << 20))
    source.write_bytes(b"x")
    run("mkfs.vfat", "-F", "12", "-r", "512", str(image))
    run("mcopy", "-i", str(image), str(source), "::/")
    raw = image.read_bytes()
    sectors_per_fat = int.from_bytes(raw[22:24], "little")
    root = raw[(1 + 2 * sectors_per_fat) * 512 :][: 512 * 32]
    entries = [root[i : i + 32] for i in range(0, len(root), 32)]
    long_entry = next(e for e in entries if e[11] == 0x0F)
    short_entry = next(e for e in entries if e[0] not in (0, 0xE5) and e[11] == 0x20)
    assert lfn_checksum(short_entry[:11]) == long_entry[13]


def test_deleting_frees_the_chain_and_keeps_the_clusters(tmp_path: Path) -> None:
    need("fsck.fat")
    gone = SAMPLE["/Users/alex/Pictures/gone picture.png"][0]
    deleted = sample_volume(12288, 1).image()
    live = sample_volume(12288, 1, deleted=False).image()
    used = [
        int(re.search(r"(\d+)/\d+ clusters", fsck_fat(image, tmp_path)[1]).group(1))
        for image in (deleted, live)
    ]
    assert used[1] - used[0] == math.ceil(len(gone) / 512)
    assert deleted.find(gone) == live.find(gone) > 0  # same place, content intact


def test_deleted_entries_start_with_0xe5(tmp_path: Path) -> None:
    path = tmp_path / "fat.img"
    raw = sample_volume(12288, 1).image()
    path.write_bytes(raw)
    entry = pytsk3.FS_Info(pytsk3.Img_Info(str(path))).open("/Users/alex/Pictures/gone picture.png")
    assert entry.info.meta.flags & pytsk3.TSK_FS_META_FLAG_UNALLOC
    assert entry.info.name.flags & pytsk3.TSK_FS_NAME_FLAG_UNALLOC
    at = raw.find(b"\xe5ONEPI~1PNG")  # the 8.3 entry of "gone picture.png", first byte 0xE5
    assert at > 0 and at % 32 == 0 and b"GONEPI~1PNG" not in raw
    long_entry = raw[at - 32 : at]
    assert long_entry[0] == 0xE5 and long_entry[11] == 0x0F  # its long name is deleted too


def test_times_read_back_as_written(tmp_path: Path) -> None:
    need("istat", "fls")
    path = tmp_path / "fat.img"
    path.write_bytes(sample_volume(12288, 1).image())
    inode = fls_files(path)["/Users/alex/Pictures/holiday photo.jpg"][1]
    stat = run("istat", str(path), str(inode))
    assert "Written:\t2023-05-17 14:03:26 (UTC)" in stat  # FAT keeps 2-second steps
    assert "Created:\t2023-05-17 14:03:27 (UTC)" in stat  # plus 10 ms steps at creation
    assert "Accessed:\t2023-05-17 00:00:00 (UTC)" in stat  # a date only


def test_many_similar_names_get_unique_short_names(tmp_path: Path) -> None:
    need("fsck.fat", "mdir")
    volume = FatVolume(2048)
    names = [f"holiday photo {i}.jpg" for i in range(12)]
    for name in names:
        volume.add_file(f"/{name}", b"x", WHEN)
    image = volume.image()
    assert_fsck_clean(image, tmp_path)
    (tmp_path / "v.img").write_bytes(image)
    listing = run("mdir", "-i", str(tmp_path / "v.img"), "::/")
    assert "HOLIDA~9 JPG" in listing and "HOLID~10 JPG" in listing
    assert all(name in listing for name in names)


def test_root_directory_holds_511_files_plus_the_label() -> None:
    volume = FatVolume(2048)
    for i in range(511):
        volume.add_file(f"/F{i:04d}.TXT", b"", WHEN)
    volume.image()
    volume.add_file("/ONEMORE.TXT", b"", WHEN)
    with pytest.raises(ValueError, match="root folder holds at most 512 entries"):
        volume.image()


@pytest.mark.parametrize(
    ("action", "message"),
    [
        (lambda: FatVolume(40), "outside FAT12/16"),
        (lambda: FatVolume(4_000_000), "outside FAT12/16"),
        (lambda: FatVolume(2048, sectors_per_cluster=3), "power of two"),
        (lambda: FatVolume(2048, label="much too long label"), "1-11 letters"),
        (lambda: FatVolume(2048).add_file("/a:b", b"", WHEN), "not a valid FAT long name"),
        (lambda: FatVolume(2048).add_file("/" + "x" * 256, b"", WHEN), "not a valid FAT"),
        (lambda: FatVolume(2048).add_file("/a", b"", dt.datetime(1979, 1, 1)), "1980-2107"),
        (lambda: FatVolume(2048).add_file("/", b"", WHEN), "names no file"),
        (lambda: _twice("/A.TXT", "/a.txt"), "already exists"),
        (lambda: _twice("/a", "/a/b"), "is a file, not a folder"),
        (lambda: _big(2048, 2_000_000), "do not fit in the volume"),
    ],
)
def test_bad_requests_say_what_to_change(action: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        volume = action()  # type: ignore[operator]
        if isinstance(volume, FatVolume):
            volume.image()


def _twice(first: str, second: str) -> FatVolume:
    volume = FatVolume(2048)
    volume.add_file(first, b"1", WHEN)
    volume.add_file(second, b"2", WHEN)
    return volume


def _big(sectors: int, size: int) -> FatVolume:
    volume = FatVolume(sectors)
    volume.add_file("/big.bin", bytes(size), WHEN)
    return volume


def test_the_same_calls_give_the_same_bytes() -> None:
    assert sample_volume(2048, 1).image() == sample_volume(2048, 1).image()
