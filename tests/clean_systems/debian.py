"""Stock Debian 12 root file systems built with mmdebstrap, once, into the fixture cache.

Two systems, as the Debian installer makes them: a GNOME desktop (task-gnome-desktop with its
recommends, firefox-esr, the kernel) and a server (the standard system utilities and the SSH
server task, the kernel). Each is built in root mode, so maintainer scripts run and the tree
holds what a real installation holds (initramfs, caches, host keys); where root mode cannot run
(no chroot or mounts in a container) the same packages are only unpacked (`--variant=extract`)
and the manifest says so. A build is keyed by everything that shapes it, so a changed package
list builds a new tree; an unchanged one is reused across test sessions and CI runs.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import stat
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tests.fixtures.builders import cache_dir

SUITE = "bookworm"
APT_SOURCES = Path("/etc/apt")


def mirror(apt: Path = APT_SOURCES) -> str | None:
    """The Debian archive this machine's own apt sources name for SUITE (never a host written
    into the code: the build machine decides where packages come from), or None."""
    for sources in sorted(apt.glob("sources.list.d/*.sources")):
        for stanza in sources.read_text("utf-8", "replace").split("\n\n"):
            fields = dict(line.split(":", 1) for line in stanza.splitlines()
                          if ":" in line and not line.startswith(("#", " ")))
            if SUITE in fields.get("Suites", "").split() and "URIs" in fields:
                return fields["URIs"].split()[0]
    for listing in [apt / "sources.list", *sorted(apt.glob("sources.list.d/*.list"))]:
        if listing.is_file():
            for line in listing.read_text("utf-8", "replace").splitlines():
                words = [w for w in line.split() if not w.startswith("[")]
                if len(words) >= 3 and words[0] == "deb" and words[2] == SUITE:
                    return words[1]
    return None


MIRROR = mirror() or ""
# Bump to rebuild every tree (the layout of the cache entry changed).
LAYOUT_VERSION = 1


@dataclass(frozen=True, slots=True)
class System:
    """One stock installation: what mmdebstrap is asked for."""

    name: str
    variant: str
    include: tuple[str, ...]

    def key(self) -> str:
        text = json.dumps([LAYOUT_VERSION, SUITE, MIRROR, self.variant, self.include])
        return hashlib.sha256(text.encode()).hexdigest()[:12]


SYSTEMS = {
    s.name: s for s in (
        # The installer's "Debian desktop environment" + "GNOME" tasks install task-gnome-desktop
        # with recommends (APT's default), on top of the "important" priority base.
        System("gnome-desktop", "important", ("task-gnome-desktop", "firefox-esr",
                                              "linux-image-amd64")),
        # The installer's "SSH server" + "standard system utilities" tasks.
        System("server", "standard", ("task-ssh-server", "linux-image-amd64")),
    )
}


@dataclass(frozen=True, slots=True)
class Built:
    """A cached root file system and how it was made."""

    root: Path
    mode: str  # "root" (packages installed) or "extract" (only unpacked)
    seconds: float  # what the build took
    files: int


def missing() -> str | None:
    """Why a tree cannot be built here, or None."""
    if shutil.which("mmdebstrap") is None:
        return "mmdebstrap is not installed (apt-get install mmdebstrap)"
    if os.geteuid() != 0:
        return "building a Debian root file system needs root"
    if not MIRROR:
        return f"this machine's apt sources name no Debian archive for {SUITE}"
    return None


def _mmdebstrap(system: System, target: Path, *, extract: bool) -> subprocess.CompletedProcess:
    variant = "extract" if extract else system.variant
    # force-unsafe-io skips an fsync per unpacked file: the tree is a cache, content is the same.
    command = ["mmdebstrap", f"--variant={variant}", "--aptopt=APT::Install-Recommends \"true\"",
               "--dpkgopt=force-unsafe-io",
               f"--include={','.join(system.include)}",
               "--quiet", SUITE, str(target), MIRROR]
    if not extract:
        command.insert(1, "--mode=root")
    return subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603


def _count(root: Path) -> int:
    """Regular files (what a scan examines; links and device nodes are only listed)."""
    return sum(1 for folder, _, names in os.walk(root) for n in names
               if stat.S_ISREG(os.lstat(os.path.join(folder, n)).st_mode))


def _entry(system: System) -> tuple[Path, Path]:
    folder = cache_dir() / "debian"
    folder.mkdir(exist_ok=True)
    entry = folder / f"{system.name}-{system.key()}"
    return entry, entry.with_suffix(".json")


def cached(name: str) -> Built | None:
    """The cached tree of `name` when one was built with today's package list, else None."""
    entry, manifest = _entry(SYSTEMS[name])
    if not (manifest.exists() and entry.is_dir()):
        return None
    data = json.loads(manifest.read_text())
    return Built(entry, data["mode"], data["seconds"], data["files"])


def build(name: str) -> Built:
    """The root file system of stock system `name`, from the cache or built now."""
    system = SYSTEMS[name]
    entry, manifest = _entry(system)
    with open(entry.parent / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        found = cached(name)
        if found is not None:
            return found
        reason = missing()
        if reason:
            raise RuntimeError(reason)
        start = time.monotonic()
        with tempfile.TemporaryDirectory(prefix=f".{name}-", dir=entry.parent) as tmp:
            target = Path(tmp) / "root"
            done = _mmdebstrap(system, target, extract=False)
            mode = "root"
            if done.returncode != 0:
                shutil.rmtree(target, ignore_errors=True)
                mode = "extract"
                done = _mmdebstrap(system, target, extract=True)
            if done.returncode != 0:
                raise RuntimeError(f"mmdebstrap could not build {name}: "
                                   f"{done.stderr.strip()[-500:]}")
            seconds = time.monotonic() - start
            files = _count(target)
            os.replace(target, entry)
        manifest.write_text(json.dumps({"system": name, "mode": mode, "seconds": seconds,
                                        "files": files, "include": system.include}))
        return Built(entry, mode, seconds, files)
