"""An LVM2 test disk made by lvm2's own tools (pvcreate, vgcreate, vgcfgrestore) on a loop device.

This kernel has no device mapper, so `lvcreate` cannot run; the logical volume is described in
lvm2's metadata backup format and written by `vgcfgrestore`, and the ext4 file system is built
separately and copied to where `lvs`/`pvs` say the volume's extents lie.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

MIB = 1024 * 1024
TOOLS = ("pvcreate", "vgcreate", "vgcfgbackup", "vgcfgrestore", "pvs", "losetup", "blockdev",
         "mkfs.ext4", "debugfs")
_LV = """
\tlogical_volumes {{
\t\t{name} {{
\t\t\tid = "aaaaaa-aaaa-aaaa-aaaa-aaaa-aaaa-aaaaaa"
\t\t\tstatus = ["READ", "WRITE", "VISIBLE"]
\t\t\tflags = []
\t\t\tsegment_count = 1
\t\t\tsegment1 {{
\t\t\t\tstart_extent = 0
\t\t\t\textent_count = {extents}
\t\t\t\ttype = "striped"
\t\t\t\tstripe_count = 1
\t\t\t\tstripes = ["pv0", {first}]
\t\t\t}}
\t\t}}
\t}}
"""


def _run(args: list[str], env: dict[str, str]) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True,
                          env={**os.environ, **env}).stdout


def build_lvm_disk(image: Path, files: dict[str, bytes]) -> int:
    """A 40 MiB PV holding VG `tvg` with LV `home` (12 MiB, ext4 with `files`); returns the
    LV's byte offset in the image."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing or os.geteuid() != 0 or not Path("/dev/loop-control").exists():
        pytest.skip(f"building an LVM disk needs root, loop devices and {', '.join(missing)}")
    with open(image, "wb") as out:
        out.truncate(40 * MIB)
    with tempfile.TemporaryDirectory(prefix="triage-lvm-") as tmp:
        loop = _run(["losetup", "--find", "--show", str(image)], {}).strip()
        try:
            # A loop device keeps a read-only mark another test (or blockdev --setro) left on it.
            _run(["blockdev", "--setrw", loop], {})
            conf = Path(tmp)
            (conf / "lvm.conf").write_text(
                f'devices {{ filter = [ "a|^{re.escape(loop)}$|", "r|.*|" ] '
                "obtain_device_list_from_udev = 0 }\n"
                "activation { udev_sync = 0 udev_rules = 0 }\n")
            env = {"LVM_SYSTEM_DIR": str(conf), "LVM_SUPPRESS_FD_WARNINGS": "1"}
            _run(["pvcreate", "-ff", "-y", loop], env)
            _run(["vgcreate", "-s", "4m", "tvg", loop], env)
            backup = conf / "tvg.txt"
            _run(["vgcfgbackup", "-f", str(backup), "tvg"], env)
            text = backup.read_text().replace("seqno = 1", "seqno = 2")
            end = text.rindex("}")
            backup.write_text(text[:end] + _LV.format(name="home", extents=3, first=1)
                              + text[end:])
            _run(["vgcfgrestore", "-f", str(backup), "tvg"], env)
            pe_start = int(_run(["pvs", "--noheadings", "--units", "b", "--nosuffix", "-o",
                                 "pe_start", loop], env).strip())
        finally:
            subprocess.run(["losetup", "-d", loop], check=False)
        offset = pe_start + 1 * 4 * MIB  # the LV starts at the PV's second extent
        fs = Path(tmp) / "home.ext4"
        with open(fs, "wb") as out:
            out.truncate(12 * MIB)
        subprocess.run(["mkfs.ext4", "-q", "-F", str(fs)], check=True, capture_output=True)
        for name, data in files.items():
            source = Path(tmp) / "file"
            source.write_bytes(data)
            subprocess.run(["debugfs", "-w", "-R", f"write {source} {name}", str(fs)],
                           check=True, capture_output=True)
        with open(fs, "rb") as src, open(image, "r+b") as dst:
            dst.seek(offset)
            shutil.copyfileobj(src, dst)
    return offset
