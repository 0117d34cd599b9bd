"""Builds, and caches under /tmp, the synthetic GPT disk (ext4 + NTFS) the scan benchmark reads."""

from __future__ import annotations

import json
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.fixtures, from any cwd
from tests.fixtures.tools import ntfs_mounted  # noqa: E402 - the fixtures' ntfs-3g mount

MIB = 1024 * 1024
SECTOR = 512
ALIGN = MIB  # partitions start on MiB boundaries, as partitioning tools place them today
CACHE_ROOT = Path("/tmp/triage-bench")
# Bump when the generated content or layout changes, so an old cached disk is not reused.
FORMAT = 1
# Share of files and bytes on the ext4 partition; the rest goes to NTFS (filled through FUSE,
# which is the slow part of a build).
EXT4_SHARE = 0.6
# About one file in fifty is deleted after the build: deleted entries are part of every walk.
DELETED_EVERY = 50
# Small files: log-normal sizes around 4 KiB (caches, documents, thumbnails, libraries).
SMALL_MEDIAN = 4096
SMALL_SIGMA = 1.3
SMALL_MAX = 512 * 1024
# Large files (videos, archives, installers) fill the rest of the byte budget.
LARGE_MIN, LARGE_MAX = 1 * MIB, 16 * MIB
POOL = 16 * MIB  # random bytes that file contents are cut from (fast and deterministic)
UTF8_ENV = {"LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}

_HEADERS = {
    "jpg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00",
    "png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    "pdf": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n",
    "docx": b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00",
    "zip": b"PK\x03\x04\x14\x00\x00\x00\x08\x00",
    "dll": b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00",
    "exe": b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00",
    "so": b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00",
    "mp4": b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom",
    "mp3": b"ID3\x04\x00\x00\x00\x00\x00\x00",
    "sqlite": b"SQLite format 3\x00",
    "": b"",
}
_WORDS = ("the report of meeting court order review device photo holiday invoice account "
          "password family school notes draft final copy minutes budget plan list").split()
_USERS = ("alex", "sam", "Zoë", "jordan")
_EVENTS = ("Holiday Málaga", "Birthday", "日本旅行", "Garden", "Wedding", "Screenshots", "Misc")
_VENDORS = ("Contoso", "Fabrikam", "Northwind", "Tailspin", "Adatum")


@dataclass(frozen=True)
class BenchSpec:
    """What to generate: how many files, how many MiB of content in all, from which seed."""

    files: int
    size_mb: int
    seed: int = 20240601

    @property
    def key(self) -> str:
        return f"v{FORMAT}-f{self.files}-m{self.size_mb}-s{self.seed}"


@dataclass(frozen=True)
class PlannedFile:
    """One generated file: where it goes, how big, what kind, whether it is deleted after."""

    path: str  # absolute inside its file system, "/" separated
    size: int
    kind: str  # a key of _HEADERS
    number: int  # unique across the disk; written into the content so every digest differs
    deleted: bool


@dataclass(frozen=True)
class Partition:
    """One partition of the benchmark disk."""

    index: int
    fs: str
    offset: int
    size: int

    @property
    def sector(self) -> int:
        return self.offset // SECTOR


@dataclass(frozen=True)
class BenchDisk:
    """A built benchmark disk and what went into it."""

    image: Path
    partitions: tuple[Partition, ...]
    files: int
    deleted: int
    content_bytes: int


def _small_size(rng: random.Random) -> int:
    return max(0, min(SMALL_MAX, int(rng.lognormvariate(math.log(SMALL_MEDIAN), SMALL_SIGMA))))


def _small_path(rng: random.Random, style: str, n: int) -> tuple[str, str]:
    """A realistic home for a small file, and its kind."""
    user = rng.choice(_USERS)
    home = f"/Users/{user}" if style == "windows" else f"/home/{user.lower()}"
    vendor = rng.choice(_VENDORS)
    pick = rng.random()
    if pick < 0.35:  # browser and application caches: many tiny files, deep paths
        cache = (f"{home}/AppData/Local/{vendor}/Browser/User Data/Default/Cache/Cache_Data"
                 if style == "windows" else f"{home}/.cache/{vendor.lower()}/Cache/Cache_Data")
        return f"{cache}/{n // 400:02x}/f_{n:06x}", ""
    if pick < 0.60:
        year = 2015 + n % 10
        event = rng.choice(_EVENTS)
        kind = rng.choice(("jpg", "jpg", "jpg", "png"))
        return f"{home}/Pictures/{year}/{event}/IMG_{n:05d}.{kind}", kind
    if pick < 0.72:
        kind = rng.choice(("pdf", "docx", "txt"))
        words = "_".join(rng.choices(_WORDS, k=2))
        return f"{home}/Documents/{rng.choice(_WORDS)}/{words}_{n}.{kind}", kind
    if pick < 0.87:
        if style == "windows":
            return f"/Program Files/{vendor}/App{n % 7}/bin/lib{n}.dll", "dll"
        return f"/usr/lib/x86_64-linux-gnu/{vendor.lower()}/lib{n}.so", "so"
    if pick < 0.92:
        artist = rng.choice(_VENDORS)
        return f"{home}/Music/{artist}/Album {n % 9}/{n % 20:02d} Track {n}.mp3", "mp3"
    if pick < 0.96:
        return f"{home}/AppData/Roaming/{vendor}/state{n}.sqlite" if style == "windows" \
            else f"{home}/.local/share/{vendor.lower()}/state{n}.sqlite", "sqlite"
    return f"{home}/Documents/notes/log {n}.txt", "txt"


def _large_path(rng: random.Random, style: str, n: int) -> tuple[str, str]:
    user = rng.choice(_USERS)
    home = f"/Users/{user}" if style == "windows" else f"/home/{user.lower()}"
    kind = rng.choice(("mp4", "mp4", "zip", "exe"))
    folder = {"mp4": "Videos", "zip": "Downloads", "exe": "Downloads"}[kind]
    return f"{home}/{folder}/big_{n:04d}.{kind}", kind


def plan(spec: BenchSpec) -> dict[str, list[PlannedFile]]:
    """The files of each file system ("ext4", "ntfs"), deterministic for a spec."""
    rng = random.Random(spec.seed)
    budget = spec.size_mb * MIB
    small_sizes = [_small_size(rng) for _ in range(spec.files)]
    small_total = sum(small_sizes)
    large_sizes: list[int] = []
    left = budget - small_total
    while left >= LARGE_MIN:
        size = min(left, rng.randint(LARGE_MIN, LARGE_MAX))
        large_sizes.append(size)
        left -= size
    # Large files count towards --files too, replacing small ones.
    small_sizes = small_sizes[: max(0, spec.files - len(large_sizes))]
    out: dict[str, list[PlannedFile]] = {"ext4": [], "ntfs": []}
    number = 0
    taken: set[tuple[str, str]] = set()
    for sizes, where in ((small_sizes, _small_path), (large_sizes, _large_path)):
        for size in sizes:
            fs = "ext4" if rng.random() < EXT4_SHARE else "ntfs"
            path, kind = where(rng, "linux" if fs == "ext4" else "windows", number)
            while (fs, path.lower()) in taken:  # NTFS names are case-insensitive
                path = f"{path}_{number}"
            taken.add((fs, path.lower()))
            deleted = number % DELETED_EVERY == DELETED_EVERY - 1
            out[fs].append(PlannedFile(path, size, kind, number, deleted))
            number += 1
    return out


class ContentMaker:
    """Deterministic file contents: a kind's header, the file number, then pooled random bytes."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed ^ 0x5EED)
        self._pool = self._rng.randbytes(POOL)

    def make(self, f: PlannedFile) -> bytes:
        rng = random.Random(f.number)
        if f.kind == "txt":
            text = " ".join(rng.choices(_WORDS, k=f.size // 5 + 1)).encode()
            return text[: f.size]
        head = _HEADERS[f.kind] + f"#{f.number}#".encode()
        parts = [head]
        left = f.size - len(head)
        while left > 0:
            n = min(left, POOL // 2)
            start = rng.randrange(0, POOL - n + 1)
            parts.append(self._pool[start : start + n])
            left -= n
        return b"".join(parts)[: f.size]


def run(args: list[str], *, env: dict[str, str] | None = None) -> str:
    """Run a tool; raise with its stderr when it fails."""
    proc = subprocess.run(  # noqa: S603 - fixed tool names, arguments built here
        args, capture_output=True, env={**os.environ, **(env or {})}, check=False
    )
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip()
        raise RuntimeError(f"{' '.join(args)} failed ({proc.returncode}): {err}")
    return proc.stdout.decode("utf-8", "surrogateescape")


def _footprint(files: list[PlannedFile], block: int) -> int:
    return sum(-(-f.size // block) * block for f in files)


def build_ext4(image: Path, files: list[PlannedFile], maker: ContentMaker, work: Path) -> int:
    """ext4 via mkfs.ext4 -d from a staging folder; deleted files removed with debugfs."""
    staging = work / "ext4-staging"
    for f in files:
        target = staging / f.path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(maker.make(f))
    size = (int(_footprint(files, 4096) * 1.15) + 64 * MIB) // ALIGN * ALIGN
    inodes = len(files) + len(files) // 4 + 4096
    run(["mkfs.ext4", "-q", "-F", "-L", "BENCH", "-b", "4096", "-N", str(inodes),
         "-E", "root_owner=0:0", "-d", str(staging), str(image), f"{size // 1024}k"])
    shutil.rmtree(staging)
    deleted = [f for f in files if f.deleted]
    if deleted:
        # debugfs's rm keeps the inode's extents, so content stays recoverable (as on disks).
        commands = work / "debugfs.cmd"
        commands.write_text("".join(f'rm "{f.path}"\n' for f in deleted), encoding="utf-8")
        run(["debugfs", "-w", "-f", str(commands), str(image)], env=UTF8_ENV)
    return size


def build_ntfs(image: Path, files: list[PlannedFile], maker: ContentMaker, sector: int) -> int:
    """NTFS via mkfs.ntfs -Q, filled through an ntfs-3g mount; deleted files unlinked last."""
    size = (int(_footprint(files, 4096) * 1.2) + len(files) * 1024 + 64 * MIB) // ALIGN * ALIGN
    with open(image, "wb") as handle:
        handle.truncate(size)
    run(["mkfs.ntfs", "-F", "-Q", "-q", "-L", "BENCH", "-s", str(SECTOR), "-p", str(sector),
         "-H", "255", "-S", "63", str(image)])
    with ntfs_mounted(image) as root:
        for f in files:
            target = root / f.path.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(maker.make(f))
        for f in files:
            if f.deleted:
                (root / f.path.lstrip("/")).unlink()
    return size


def _assemble_gpt(disk: Path, parts: list[tuple[str, Path, int]]) -> tuple[Partition, ...]:
    """A GPT disk holding each file-system image at its MiB-aligned offset."""
    offset = ALIGN
    layout: list[Partition] = []
    for n, (fs, _, size) in enumerate(parts, start=1):
        layout.append(Partition(n, fs, offset, size))
        offset += size
    total = offset + ALIGN  # room for the backup GPT
    with open(disk, "wb") as handle:
        handle.truncate(total)
    codes = {"ext4": "8300", "ntfs": "0700"}
    args = ["sgdisk", "-o"]
    for p in layout:
        last = (p.offset + p.size) // SECTOR - 1
        args += ["-n", f"{p.index}:{p.sector}:{last}", "-t", f"{p.index}:{codes[p.fs]}"]
    run([*args, str(disk)])
    for p, (_, image, _) in zip(layout, parts, strict=True):
        # conv=sparse skips zero blocks: right here because the disk is still all zeros there.
        run(["dd", f"if={image}", f"of={disk}", "bs=4M", f"seek={p.offset}",
             "oflag=seek_bytes", "conv=notrunc,sparse", "status=none"])
    return tuple(layout)


def _load(folder: Path) -> BenchDisk | None:
    manifest = folder / "manifest.json"
    if not manifest.exists() or not (folder / "disk.img").exists():
        return None
    data = json.loads(manifest.read_text(encoding="utf-8"))
    return BenchDisk(folder / "disk.img", tuple(Partition(**p) for p in data["partitions"]),
                     data["files"], data["deleted"], data["content_bytes"])


@contextmanager
def building(folder: Path) -> Iterator[Path]:
    """A scratch folder beside `folder` that becomes `folder` when the block ends cleanly,
    so a cache appears complete or not at all (an interrupted build leaves nothing)."""
    work = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        yield work
        if folder.exists():
            shutil.rmtree(folder)  # a half-built cache from an interrupted run
        work.rename(folder)
    finally:
        if work.exists():
            shutil.rmtree(work)


def ensure_disk(spec: BenchSpec, cache_root: Path = CACHE_ROOT) -> tuple[BenchDisk, bool]:
    """The cached disk for `spec`, built first when missing; True when it was built now."""
    folder = cache_root / spec.key
    cached = _load(folder)
    if cached is not None:
        return cached, False
    cache_root.mkdir(parents=True, exist_ok=True)
    with building(folder) as work:
        planned = plan(spec)
        maker = ContentMaker(spec.seed)
        ext4_size = build_ext4(work / "ext4.img", planned["ext4"], maker, work)
        ntfs_sector = (ALIGN + ext4_size) // SECTOR
        ntfs_size = build_ntfs(work / "ntfs.img", planned["ntfs"], maker, ntfs_sector)
        partitions = _assemble_gpt(work / "disk.img", [
            ("ext4", work / "ext4.img", ext4_size), ("ntfs", work / "ntfs.img", ntfs_size),
        ])
        every = planned["ext4"] + planned["ntfs"]
        disk = BenchDisk(work / "disk.img", partitions, len(every),
                         sum(f.deleted for f in every), sum(f.size for f in every))
        manifest = {**asdict(disk), "image": "disk.img", "spec": asdict(spec)}
        (work / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        for name in ("ext4.img", "ntfs.img", "debugfs.cmd"):
            (work / name).unlink(missing_ok=True)
    loaded = _load(folder)
    assert loaded is not None  # noqa: S101 - written just above
    return loaded, True
