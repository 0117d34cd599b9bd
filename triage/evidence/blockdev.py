"""Block devices (/dev/sdb, /dev/nvme0n1): read-only descriptors and identity from /sys."""

from __future__ import annotations

import fcntl
import os
import struct
from pathlib import Path

from triage.evidence.base import Identity
from triage.evidence.raw import RawImage

_BLKROGET = 0x125E  # from <linux/fs.h>: _IO(0x12, 94)


def sys_block_dir(device: Path) -> Path | None:
    """The /sys/class/block entry of a device node, or None when /sys does not know it."""
    try:
        rdev = os.stat(device).st_rdev
    except OSError:
        return None
    path = Path(f"/sys/dev/block/{os.major(rdev)}:{os.minor(rdev)}")
    return path.resolve() if path.exists() else None


def read_attr(directory: Path | None, *names: str) -> str | None:
    """First non-empty attribute among `names` under `directory` (and its device/ folder)."""
    if directory is None:
        return None
    for name in names:
        for candidate in (directory / name, directory / "device" / name):
            try:
                value = candidate.read_text(errors="replace").strip()
            except OSError:
                continue
            if value:
                return value
    return None


def _removable(sys_dir: Path | None) -> bool | None:
    """The kernel's removable flag; a partition (sdb1) has it on its parent disk."""
    value = read_attr(sys_dir, "removable")
    if value is None and sys_dir is not None:
        value = read_attr(sys_dir.parent, "removable")
    return None if value is None else value == "1"


def kernel_read_only(fd: int) -> bool | None:
    """The kernel's read-only flag of an open block device (what `blockdev --getro` prints)."""
    try:
        raw = fcntl.ioctl(fd, _BLKROGET, struct.pack("i", 0))
    except OSError:
        return None
    return bool(struct.unpack("i", raw)[0])


class BlockDevice(RawImage):
    """A whole disk or partition device node, opened O_RDONLY and never mounted."""

    kind = "block device"

    def __init__(self, path: Path) -> None:
        super().__init__(path, name=str(path))

    def identity(self) -> Identity:
        first, last = self.edge_digests()
        sys_dir = sys_block_dir(self.path)
        return Identity(
            source=self.name, kind=self.kind, size=self.size,
            model=read_attr(sys_dir, "model", "name"),
            serial=read_attr(sys_dir, "serial", "wwid", "device/serial"),
            first_mib_sha256=first, last_mib_sha256=last,
            read_only=kernel_read_only(self._fd),
            removable=_removable(sys_dir),
        )
