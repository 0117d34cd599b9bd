"""Finding the disks to scan on the stick: every attached disk except the one we booted from."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# Kernel device names that are never evidence: RAM disks, compressed swap, device mapper
# volumes (their backing disks are scanned instead) and unbacked loop devices.
_NOT_DISKS = ("ram", "zram", "dm-", "md", "sr", "fd")
# Mount points that hold the running system on a live-boot stick, or on an installed system.
_SYSTEM_MOUNTS = ("/run/live/medium", "/lib/live/mount/medium", "/")


@dataclass(frozen=True)
class DiskCandidate:
    """A disk found under /sys/block and whether it is ours."""

    device: Path
    size: int
    is_boot_device: bool
    reason: str = ""


def _parent_disk(sys_dir: Path) -> str:
    """The whole-disk name of a partition's /sys directory (sda1 -> sda)."""
    return sys_dir.parent.name if (sys_dir / "partition").exists() else sys_dir.name


def boot_disks(mountinfo: Path = Path("/proc/self/mountinfo")) -> dict[str, str]:
    """Whole-disk names holding the running system, mapped to the mount point that shows it."""
    found: dict[str, str] = {}
    try:
        lines = mountinfo.read_text().splitlines()
    except OSError:
        return found
    for line in lines:
        fields = line.split()
        if len(fields) < 5 or fields[4] not in _SYSTEM_MOUNTS:
            continue
        major_minor = fields[2]
        sys_dir = Path(f"/sys/dev/block/{major_minor}")
        if not sys_dir.exists():
            continue  # overlay, tmpfs, squashfs over loop: not a disk by itself
        disk = _parent_disk(sys_dir.resolve())
        if disk.startswith("loop"):
            # live-boot mounts its squashfs through a loop device backed by a file on the stick
            backing = _loop_backing_disk(sys_dir.resolve())
            if backing:
                found.setdefault(backing, fields[4])
            continue
        found.setdefault(disk, fields[4])
    return found


def _loop_backing_disk(loop_dir: Path) -> str | None:
    try:
        backing = (loop_dir / "loop" / "backing_file").read_text().strip()
    except OSError:
        return None
    try:
        rdev = os.stat(backing).st_dev
    except OSError:
        return None
    sys_dir = Path(f"/sys/dev/block/{os.major(rdev)}:{os.minor(rdev)}")
    return _parent_disk(sys_dir.resolve()) if sys_dir.exists() else None


def attached_disks(sys_block: Path = Path("/sys/block"),
                   mountinfo: Path = Path("/proc/self/mountinfo")) -> list[DiskCandidate]:
    """Every whole disk the kernel knows, with the boot device(s) marked."""
    ours = boot_disks(mountinfo)
    disks = []
    for entry in sorted(sys_block.iterdir()) if sys_block.is_dir() else []:
        name = entry.name
        if name.startswith(_NOT_DISKS):
            continue
        if name.startswith("loop") and not (entry / "loop" / "backing_file").exists():
            continue
        try:
            size = int((entry / "size").read_text()) * 512
        except (OSError, ValueError):
            size = 0
        if size == 0:
            continue  # empty card readers and ejected media
        if name.startswith("loop") and name not in ours:
            # live-boot's squashfs is a loop device backed by a file on the stick itself
            backing = _loop_backing_disk(entry)
            if backing in ours:
                ours[name] = f"{ours[backing]}, through a file on {backing}"
        reason = f"holds the running system ({ours[name]})" if name in ours else ""
        disks.append(DiskCandidate(Path("/dev") / name, size, name in ours, reason))
    return disks
