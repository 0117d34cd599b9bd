"""Independent readers for the demo tests: pytsk3 and sleuthkit/dosfstools/mtools commands."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytsk3

TOOL_PACKAGES = {
    "fls": "sleuthkit",
    "icat": "sleuthkit",
    "mmls": "sleuthkit",
    "istat": "sleuthkit",
    "fsstat": "sleuthkit",
    "fsck.fat": "dosfstools",
    "mkfs.vfat": "dosfstools",
    "mdir": "mtools",
    "mcopy": "mtools",
}
# mtools refuses odd geometries unless told not to check; UTC so FAT's zone-less times read
# back as written.
TOOL_ENV = {**os.environ, "MTOOLS_SKIP_CHECK": "1", "TZ": "UTC", "LC_ALL": "C.UTF-8"}


def need(*tools: str) -> None:
    """Skip the calling test, naming the Debian package, when a command is not installed."""
    for tool in tools:
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed; apt-get install {TOOL_PACKAGES[tool]}")


def _command(tool: str, *args: str) -> list[str]:
    """The command line with the tool's full path, as `need` found it."""
    return [shutil.which(tool) or tool, *args]


def run(*args: str, stdin: bytes | None = None) -> str:
    done = subprocess.run(  # noqa: S603 - fixed tool names, test-made paths
        _command(*args), input=stdin, capture_output=True, check=True, env=TOOL_ENV
    )
    return done.stdout.decode("utf-8")


def run_bytes(*args: str) -> bytes:
    return subprocess.run(  # noqa: S603
        _command(*args), capture_output=True, check=True, env=TOOL_ENV
    ).stdout


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Seen:
    """A file as an independent reader reports it."""

    path: str
    deleted: bool
    size: int
    sha256: str
    meta_addr: int


def tsk_files(image: Path, offset: int = 0) -> dict[str, Seen]:
    """Every regular file pytsk3 lists in the file system at `offset`, deleted ones too."""
    fs = pytsk3.FS_Info(pytsk3.Img_Info(str(image)), offset=offset)
    found: dict[str, Seen] = {}

    def walk(directory: pytsk3.Directory, prefix: str) -> None:
        for entry in directory:
            name = entry.info.name.name.decode("utf-8")
            meta = entry.info.meta
            if name in (".", "..") or name.startswith("$") or meta is None:
                continue
            if meta.type == pytsk3.TSK_FS_META_TYPE_DIR:
                walk(entry.as_directory(), f"{prefix}/{name}")
            elif meta.type == pytsk3.TSK_FS_META_TYPE_REG and "(Volume Label" not in name:
                deleted = bool(entry.info.name.flags & pytsk3.TSK_FS_NAME_FLAG_UNALLOC)
                data = entry.read_random(0, meta.size) if meta.size else b""
                found[f"{prefix}/{name}"] = Seen(
                    f"{prefix}/{name}", deleted, meta.size, sha256(data), meta.addr
                )

    walk(fs.open_dir("/"), "")
    return found


def fls_files(image: Path, offset_sectors: int = 0) -> dict[str, tuple[bool, int]]:
    """`fls -r -p`'s regular files: path -> (deleted, inode)."""
    listing = run("fls", "-r", "-p", "-o", str(offset_sectors), str(image))
    files = {}
    for line in listing.splitlines():
        kind, _, rest = line.partition(" ")
        if not kind.startswith("r/r") or "(Volume Label Entry)" in rest:
            continue
        deleted = rest.startswith("* ")
        inode, _, path = rest.removeprefix("* ").partition(":\t")
        files["/" + path] = (deleted, int(inode))
    return files


def fsck_fat(volume: bytes, scratch: Path) -> tuple[int, str]:
    """`fsck.fat -n` (check only) on a copy of the volume: exit code and all its output."""
    copy = scratch / "volume.img"
    copy.write_bytes(volume)
    done = subprocess.run(  # noqa: S603
        _command("fsck.fat", "-n", str(copy)),
        capture_output=True,
        text=True,
        env=TOOL_ENV,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


def assert_fsck_clean(volume: bytes, scratch: Path) -> None:
    """fsck.fat exits 0 and says nothing beyond its banner and the summary line."""
    code, output = fsck_fat(volume, scratch)
    lines = output.splitlines()
    assert code == 0 and len(lines) == 2, output
    assert lines[0].startswith("fsck.fat ") and " files, " in lines[1], lines
