"""Formats opened on images other projects made: dfvfs/plaso test images, and lvm2's own tools."""

from __future__ import annotations

import hashlib

from tests.layers.images import layered, listing, published
from tests.layers.lvm_image import build_lvm_disk

# The text files every dfvfs test image holds (dfvfs test_data), by SHA-256 of their content.
ANOTHER_FILE = hashlib.sha256(b"This is another file.\n").hexdigest()


def test_differencing_vhd_reads_through_its_parent_beside_it(tmp_path):
    published("image.vhd", tmp_path)
    child = published("image-differential.vhd", tmp_path)
    with layered(child) as (volumes, sink):
        (volume,) = volumes
        assert volume.examined and volume.volume.fs_type == "ext2"
        assert volume.layers == ("vhd",)
        assert volume.facts == {"type": "differencing", "parents": 1}
        assert listing(volume)["/a_directory/another_file"] == ANOTHER_FILE
        assert not sink.warnings


def test_differencing_vhd_without_its_parent_is_a_named_gap(tmp_path):
    child = published("fat-differential.vhd", tmp_path)
    with layered(child) as (volumes, sink):
        (volume,) = volumes
        assert not volume.examined
        assert volume.volume.reason.startswith(
            "VHD differencing disk: its parent fat-parent.vhd is not beside it")
        assert volume.volume.gap == "unsupported"
        assert not volume.examined
        assert "unknown file system" not in volume.volume.reason


def test_vmdk(tmp_path):
    with layered(published("ext2.vmdk", tmp_path)) as (volumes, _):
        (volume,) = volumes
        assert (volume.layers, volume.volume.fs_type) == (("vmdk",), "ext2")
        assert listing(volume)["/a_directory/another_file"] == ANOTHER_FILE


def test_dmg_holds_a_gpt_disk_with_hfs_plus(tmp_path):
    with layered(published("hfsplus_zlib.dmg", tmp_path)) as (volumes, _):
        (volume,) = volumes
        assert volume.layers == ("dmg", "gpt p1")
        assert volume.volume.fs_type == "hfs"
        assert volume.source == "hfsplus_zlib.dmg · dmg"
        assert listing(volume)["/a_directory/another_file"] == ANOTHER_FILE


def test_apfs_volume_is_walked_with_contents_and_times(tmp_path):
    with layered(published("apfs.raw", tmp_path)) as (volumes, _):
        (volume,) = volumes
        assert volume.examined
        assert volume.source == "apfs.raw · apfs 1 (apfs_test)"
        assert volume.coverage()["layers"] == ["apfs 1 (apfs_test)", "apfs"]
        files = listing(volume)
        assert files["/a_directory/another_file"] == ANOTHER_FILE
        assert set(files) == {
            "/passwords.txt", "/a_directory/a_file", "/a_directory/another_file",
            "/a_directory/a_resourcefork", "/.fseventsd/fseventsd-uuid",
            "/.fseventsd/000000001714941a", "/.fseventsd/000000001714941b"}
        from triage.walk.fswalk import WalkStats

        stats = WalkStats()
        records = {r.address.path: r for r, _ in volume.walk(lambda *_: None, stats)}
        assert stats.other["symbolic link"] == 1  # /a_link
        assert records["/a_directory/another_file"].address.meta_addr == 19
        # dfvfs's own test expects 2022-01-14 07:19:41.217430182 for this file's mtime.
        assert records["/a_directory/another_file"].mtime == 1642144781.2174302


def test_shadow_copies_are_reached_beside_the_live_volume(tmp_path):
    with layered(published("vsstest.qcow2", tmp_path)) as (volumes, sink):
        live, first, second = volumes
        assert live.has_snapshots and live.snapshot_of is None
        assert [v.snapshot_of for v in (first, second)] == [live.key, live.key]
        assert first.source == "vsstest.qcow2 · qcow2 · vss 1 (2013-12-03 06:35)"
        assert first.facts["snapshot"] == "shadow copy 1 of 2013-12-03 06:35:09 UTC"
        assert second.layers == ("qcow2", "vss 2 (2013-12-03 06:37)")
        # /syslog was deleted after the first snapshot: only the snapshot still holds it.
        assert "/syslog" in listing(first)
        assert "/syslog" not in listing(live)
        assert not sink.warnings


def test_lvm_logical_volume_made_by_lvm2_tools(tmp_path):
    image = tmp_path / "lvm.img"
    offset = build_lvm_disk(image, {"note.txt": b"This is another file.\n"})
    with layered(image) as (volumes, _):
        (volume,) = volumes
        assert volume.source == "lvm.img · lvm tvg/home"
        assert volume.layers == ("lvm tvg/home",)
        assert volume.volume.fs_type == "ext4"
        assert listing(volume)["/note.txt"] == ANOTHER_FILE
    assert offset > 0


def test_scan_examines_only_what_the_snapshots_changed(tmp_path):
    from tests.scan.scanning import read_records, validate_report
    from triage.pipeline import ScanOptions, run_scan

    image = published("vsstest.qcow2", tmp_path)
    before = hashlib.sha256(image.read_bytes()).hexdigest()
    result = run_scan([str(image)], tmp_path / "out", ScanOptions())
    assert hashlib.sha256(image.read_bytes()).hexdigest() == before
    validate_report(result.report)
    volumes = result.report["coverage"]["volumes"]
    assert [v["layers"] for v in volumes] == [
        ["qcow2", "ntfs"], ["qcow2", "vss 1 (2013-12-03 06:35)", "ntfs"],
        ["qcow2", "vss 2 (2013-12-03 06:37)", "ntfs"]]
    assert all(v["status"] == "examined" for v in volumes)
    assert volumes[1]["unchanged_files"] > 0 and volumes[2]["unchanged_files"] > 0
    assert volumes[1]["layer_facts"]["snapshot"] == "shadow copy 1 of 2013-12-03 06:35:09 UTC"
    records = read_records(tmp_path / "out")
    in_snapshots = [r for r in records if " · vss " in r["address"]]
    paths = {r["path"] for r in in_snapshots}
    assert "/syslog" in paths  # deleted from the live volume after the first snapshot
    assert "/another_file" not in paths  # unchanged since: read once, on the live volume
    assert all(r["facts"]["snapshot"].startswith("shadow copy ") for r in in_snapshots)
    # The shadow copy storage file is the snapshots' own raw material: not read again inside
    # each snapshot (it is 320 MiB here).
    storage = [r for r in in_snapshots if r["path"].startswith("/System Volume Information/{")
               and r["size"] > 100 * 1024 * 1024]
    assert storage and all(r["sha256"] is None for r in storage)
    assert all(r["facts"]["skipped"].startswith("shadow copy storage") for r in storage)


def test_lvm_in_an_mbr_partition_is_reached_through_the_partition(tmp_path):
    import shutil
    import subprocess

    pv = tmp_path / "pv.img"
    build_lvm_disk(pv, {"note.txt": b"This is another file.\n"})
    disk = tmp_path / "disk.img"
    with open(disk, "wb") as out:
        out.truncate(pv.stat().st_size + 2 * 1024 * 1024)
    subprocess.run(["sfdisk", "--quiet", str(disk)],
                   input=f"start=2048, size={pv.stat().st_size // 512}, type=8e\n".encode(),
                   check=True, capture_output=True)
    with open(pv, "rb") as src, open(disk, "r+b") as dst:
        dst.seek(1024 * 1024)
        shutil.copyfileobj(src, dst)
    with layered(disk) as (volumes, _):
        (volume,) = volumes
        assert volume.source == "disk.img · p1@1048576 · lvm tvg/home"
        assert volume.coverage()["layers"] == ["dos p1", "lvm tvg/home", "ext4"]
        assert listing(volume)["/note.txt"] == ANOTHER_FILE


def test_a_finding_in_a_shadow_copy_says_which_one(tmp_path):
    from triage import keys
    from triage.hashdb.importing import import_files
    from triage.hashdb.setinfo import SetInfo
    from triage.pipeline import ScanOptions, run_scan

    image = published("vsstest.qcow2", tmp_path)
    with layered(image) as (volumes, _):
        syslog = listing(volumes[1])["/syslog"]  # only the first snapshot still holds it
    key = keys.generate(tmp_path / "lab", "lab")
    (tmp_path / "trusted").mkdir()
    (tmp_path / "trusted" / "lab.pub").write_bytes(keys.public_pem(key.public))
    (tmp_path / "known.sha256").write_text(f"{syslog}  syslog\n")
    import_files([tmp_path / "known.sha256"], SetInfo(name="known"), tmp_path / "sets",
                 signer=key)
    result = run_scan([str(image)], tmp_path / "out", ScanOptions(
        hashsets=tmp_path / "sets", trusted_keys=tmp_path / "trusted"))
    hits = {f["path"]: f for f in result.report["findings"] if f["kind"] == "exact"}
    # The same text is still on the live volume, compressed: that copy names no snapshot.
    assert "snapshot" not in hits["/syslog.gz!syslog.1"]
    hit = hits["/syslog"]
    assert hit["snapshot"] == "shadow copy 1 of 2013-12-03 06:35:09 UTC"
    assert hit["address"].startswith("vsstest.qcow2 · qcow2 · vss 1 (2013-12-03 06:35) · ")
    assert result.report["verdict"]["level"] == "red"
