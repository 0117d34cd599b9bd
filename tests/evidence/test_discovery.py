"""Finding disks on the stick: the disk holding the running system is recognised and left alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from triage.evidence.discovery import attached_disks, boot_disks


def _a_real_disk() -> tuple[str, str, str | None, str | None]:
    """(disk name, its major:minor, a partition name, the partition's major:minor)."""
    for entry in sorted(Path("/sys/block").iterdir()):
        if entry.name.startswith(("loop", "ram", "zram")) or not (entry / "dev").exists():
            continue
        parts = sorted(p for p in entry.iterdir() if (p / "partition").exists())
        part = parts[0] if parts else None
        return (entry.name, (entry / "dev").read_text().strip(),
                part.name if part else None,
                (part / "dev").read_text().strip() if part else None)
    pytest.skip("this machine shows no real disk in /sys/block")


def _mountinfo(tmp_path: Path, major_minor: str, mount_point: str) -> Path:
    path = tmp_path / "mountinfo"
    path.write_text(
        "22 1 0:21 / /proc rw - proc proc rw\n"
        f"36 1 {major_minor} / {mount_point} ro,relatime - ext4 /dev/x ro\n"
        "40 36 0:35 / /tmp rw - tmpfs tmpfs rw\n"
    )
    return path


def test_the_disk_mounted_as_the_live_medium_is_the_boot_disk(tmp_path):
    name, major_minor, _, _ = _a_real_disk()
    found = boot_disks(_mountinfo(tmp_path, major_minor, "/run/live/medium"))
    assert found == {name: "/run/live/medium"}


def test_a_mounted_partition_marks_its_whole_disk(tmp_path):
    name, _, part, part_dev = _a_real_disk()
    if part is None:
        pytest.skip(f"{name} has no partitions here")
    assert boot_disks(_mountinfo(tmp_path, part_dev, "/")) == {name: "/"}


def test_other_mounts_do_not_mark_a_disk(tmp_path):
    _, major_minor, _, _ = _a_real_disk()
    assert boot_disks(_mountinfo(tmp_path, major_minor, "/media/evidence")) == {}


def test_attached_disks_skips_ram_empty_and_unbacked_loop_devices(tmp_path):
    name, major_minor, _, _ = _a_real_disk()
    sys_block = tmp_path / "block"
    for disk, sectors in ((name, 2048), ("sdz", 4096), ("ram0", 8192), ("loop7", 100),
                          ("sdy", 0), ("zram0", 512)):
        (sys_block / disk).mkdir(parents=True)
        (sys_block / disk / "size").write_text(f"{sectors}\n")
    disks = attached_disks(sys_block, _mountinfo(tmp_path, major_minor, "/"))
    assert sorted((d.device.name, d.size, d.is_boot_device) for d in disks) == sorted(
        [(name, 2048 * 512, True), ("sdz", 4096 * 512, False)])
    boot = next(d for d in disks if d.is_boot_device)
    assert "holds the running system (/)" in boot.reason


def test_the_live_systems_loop_device_counts_as_the_boot_stick(tmp_path):
    import os

    backing = tmp_path / "filesystem.squashfs"
    backing.write_bytes(b"\0" * 4096)
    dev = os.stat(backing).st_dev
    major_minor = f"{os.major(dev)}:{os.minor(dev)}"
    if not Path(f"/sys/dev/block/{major_minor}").exists():
        pytest.skip("the temporary folder is not on a block device here")
    sys_block = tmp_path / "block"
    (sys_block / "loop0" / "loop").mkdir(parents=True)
    (sys_block / "loop0" / "size").write_text("8\n")
    (sys_block / "loop0" / "loop" / "backing_file").write_text(f"{backing}\n")
    disks = attached_disks(sys_block, _mountinfo(tmp_path, major_minor, "/run/live/medium"))
    (loop,) = [d for d in disks if d.device.name == "loop0"]
    assert loop.is_boot_device and "through a file on" in loop.reason
