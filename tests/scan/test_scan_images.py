"""Black-box scans of the fixture images: every file found, right partition, right digests."""

from __future__ import annotations

import hashlib
import unicodedata

import pytest

from tests.fixtures.reference import fls, is_system_path, regular_files

IMAGES = ["ntfs", "fat32", "fat16", "fat12", "ext4", "exfat", "mbr_logical", "gpt4"]
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
NON_ASCII = ["/Café/naïve résumé.txt", "/日本語.txt", "/☃ snowman.txt", "/😀 smile.txt"]


@pytest.mark.parametrize("name", IMAGES)
def test_every_expected_file_is_found_with_its_size_and_digests(scanned, name):
    scan = scanned(name)
    for part in scan.image.partitions:
        found = scan.by_path(part.offset)
        for expected in scan.image.files_in(part.index):
            where = f"{name} p{part.index}@{part.offset} {expected.path}"
            assert expected.path in found, f"{where}: not in the listing"
            record = found[expected.path]
            assert record["partition"]["fs"] == part.fs, where
            assert record["size"] == expected.size, where
            assert record["deleted"] == expected.deleted, where
            assert record["name"] == expected.name, where
            if expected.content_recoverable:
                assert record["sha256"] == expected.sha256, where
                # MD5 and SHA-1 are computed only when a hash set needs them; when they are
                # there, they must be right.
                for algo in ("md5", "sha1"):
                    assert record[algo] in (None, getattr(expected, algo)), f"{where} {algo}"
    scan.assert_unchanged()


@pytest.mark.parametrize("name", IMAGES)
def test_listed_regular_files_equal_fls(scanned, sleuthkit, name):
    """Our regular-file paths per partition equal fls's, metafiles and labels left out on both
    sides (see reference.is_system_path); no other difference is excluded."""
    scan = scanned(name)
    for part in scan.image.partitions:
        ours = {r["path"] for r in scan.in_partition(part.offset) if not is_system_path(r["path"])}
        theirs = set(regular_files(fls(scan.image.path, part.offset)))
        assert ours == theirs, f"{name} p{part.index}: only ours {ours - theirs}, " \
                               f"only fls {theirs - ours}"
    scan.assert_unchanged()


@pytest.mark.parametrize("name", IMAGES)
def test_renamed_jpeg_is_a_mismatch_and_a_true_jpeg_is_not(scanned, name):
    scan = scanned(name)
    for part in scan.image.partitions:
        found = scan.by_path(part.offset)
        renamed = found["/Windows/System32/photo.dll"]
        assert (renamed["mime"], renamed["ext_mismatch"]) == ("image/jpeg", True)
        honest = found["/Pictures/gradient.jpg"]
        assert (honest["mime"], honest["ext_mismatch"]) == ("image/jpeg", False)
        assert found["/Pictures/shapes.png"]["mime"] == "image/png"
    scan.assert_unchanged()


@pytest.mark.parametrize("name", IMAGES)
def test_empty_file_has_the_digest_of_nothing(scanned, name):
    scan = scanned(name)
    for part in scan.image.partitions:
        empty = scan.by_path(part.offset)["/empty.txt"]
        assert (empty["size"], empty["sha256"]) == (0, EMPTY_SHA256)
    scan.assert_unchanged()


@pytest.mark.parametrize("name", IMAGES)
def test_non_ascii_names_round_trip_exactly(scanned, name):
    scan = scanned(name)
    for part in scan.image.partitions:
        found = scan.by_path(part.offset)
        expected = {f.path for f in scan.image.files_in(part.index)} & set(NON_ASCII)
        assert len(expected) >= 3, f"{name} p{part.index} holds too few non-ASCII names"
        for path in expected:
            assert path in found, f"{name} p{part.index}: {path!r} not listed as such"
            name_field = found[path]["name"]
            # Byte-exact: no normalisation (NFC/NFD) and no replacement characters.
            assert name_field.encode() == path.rsplit("/", 1)[1].encode()
            assert unicodedata.is_normalized("NFC", name_field)
    scan.assert_unchanged()


def test_ntfs_alternate_data_stream_is_its_own_record(scanned):
    scan = scanned("ntfs")
    found = scan.by_path(0)
    stream = found["/readme.txt:secret"]
    expected = next(f for f in scan.image.files if f.path == "/readme.txt:secret")
    assert (stream["size"], stream["sha256"]) == (expected.size, expected.sha256)
    assert found["/readme.txt"]["sha256"] != stream["sha256"]
    assert stream["meta_addr"] == found["/readme.txt"]["meta_addr"]
    scan.assert_unchanged()


@pytest.mark.parametrize("name", ["ntfs", "fat32", "fat12", "ext4", "exfat"])
def test_deleted_files_are_flagged_and_recovered(scanned, name):
    scan = scanned(name)
    found = scan.by_path(0)
    deleted = [f for f in scan.image.files if f.deleted]
    assert len(deleted) == 2
    for expected in deleted:
        record = found[expected.path]
        assert record["deleted"] is True
        assert record["sha256"] == expected.sha256, f"{name} {expected.path}"
    assert not any(r["deleted"] for p, r in found.items() if p in {"/readme.txt", "/empty.txt"})
    scan.assert_unchanged()


def test_meta_addresses_match_fls(scanned, sleuthkit):
    scan = scanned("gpt4")
    for part in scan.image.partitions:
        theirs = regular_files(fls(scan.image.path, part.offset))
        for path, record in scan.by_path(part.offset).items():
            if path in theirs:
                assert record["meta_addr"] == theirs[path].inode, f"p{part.index} {path}"
    scan.assert_unchanged()


@pytest.mark.parametrize("name", ["mbr_logical", "gpt4"])
def test_every_partition_is_found_at_its_offset_with_its_file_system(scanned, name):
    scan = scanned(name)
    for part in scan.image.partitions:
        volume = scan.volume_at(part.offset)
        assert (volume["status"], volume["fs"], volume["index"]) == (
            "examined", part.fs, part.index)
        assert volume["size"] == part.size
    examined = [v for v in scan.report["coverage"]["volumes"] if v["status"] == "examined"]
    assert len(examined) == len(scan.image.partitions)
    scan.assert_unchanged()


@pytest.mark.parametrize("name", IMAGES)
def test_records_carry_a_printable_chained_address(scanned, name):
    scan = scanned(name)
    for record in scan.records:
        part = record["partition"]
        assert record["address"].startswith(record["source"])
        assert f"p{part['index']}@{part['offset']} {part['fs']}" in record["address"]
        assert record["path"].startswith("/")
    assert scan.report["coverage"]["files_seen"] == len(scan.records)
    scan.assert_unchanged()
