"""Builds, and caches under /tmp, the household disk: GPT with NTFS, ext4 and a FAT32 card."""

from __future__ import annotations

import fcntl
import json
import shutil
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # _images, from any cwd
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.fixtures

from _household_plan import HouseholdSpec, Maker, Placed, md5, plan  # noqa: E402
from _images import (  # noqa: E402
    ALIGN,
    MIB,
    SECTOR,
    PlannedFile,
    build_ext4,
    build_ntfs,
    building,
)

from tests.fixtures.disks import GPT_TYPES  # noqa: E402
from tests.fixtures.tools import MTOOLS_ENV, copy_into, make_sparse, run  # noqa: E402

CACHE_PREFIX = "triage-bench-household-"
CACHE_ROOT = Path(tempfile.gettempdir())


@dataclass(frozen=True)
class Partition:
    index: int
    fs: str
    offset: int
    size: int


@dataclass
class HouseholdDisk:
    """A built household disk, its known pictures and what went into it."""

    folder: Path
    partitions: list[Partition]
    files: int
    deleted: int
    content_bytes: int
    pictures: list[dict[str, object]]  # {"partition", "path", "deleted"} of plain pictures
    known: list[Placed]  # exact copies of known pictures (deleted and in-zip included)
    copies: list[Placed]  # re-encoded copies (perceptual leads)
    counts: dict[str, int] = field(default_factory=dict)  # files by kind

    @property
    def image(self) -> Path:
        return self.folder / "disk.img"

    @property
    def known_dir(self) -> Path:
        """The known pictures as files: what the lab imports as a hash set."""
        return self.folder / "known"

    @property
    def known_md5(self) -> Path:
        """`md5  name` lines of the known pictures (md5deep -m input)."""
        return self.folder / "known.md5"


def build_fat32(image: Path, files: list[PlannedFile], maker: Maker, sector: int,
                work: Path) -> int:
    """FAT32 camera card: mkfs.vfat, one recursive mcopy of a staging folder, one mdel."""
    staging = work / "fat-staging"
    for f in files:
        target = staging / f.path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(maker.make(f))
    footprint = sum(-(-f.size // 4096) * 4096 for f in files)
    # 4 KiB clusters need >= 65,525 of them for FAT32: 256 MiB is the smallest such card.
    size = max(int(footprint * 1.1) + 16 * MIB, 260 * MIB) // ALIGN * ALIGN
    make_sparse(image, size)
    run(["mkfs.vfat", "-F", "32", "-s", "8", "-n", "CAMERA", "-h", str(sector), str(image)])
    run(["mcopy", "-s", "-m", "-i", str(image), *map(str, sorted(staging.iterdir())), "::/"],
        env=MTOOLS_ENV)
    shutil.rmtree(staging)
    deleted = [f"::{f.path}" for f in files if f.deleted]
    if deleted:
        run(["mdel", "-i", str(image), *deleted], env=MTOOLS_ENV)
    return size


def _assemble(disk: Path, parts: list[tuple[str, Path, int]]) -> list[Partition]:
    offset = ALIGN
    layout = []
    for index, (fs, _, size) in enumerate(parts, start=1):
        layout.append(Partition(index, fs, offset, size))
        offset += size
    make_sparse(disk, offset + ALIGN)  # room for the backup GPT
    args = ["sgdisk", "--clear"]
    for p in layout:
        first = p.offset // SECTOR
        args += [f"--new={p.index}:{first}:{first + p.size // SECTOR - 1}",
                 f"--typecode={p.index}:{GPT_TYPES[p.fs]}"]
    run([*args, str(disk)])
    for p, (_, image, _) in zip(layout, parts, strict=True):
        copy_into(image, disk, p.offset)
        image.unlink()
    return layout


def _build(spec: HouseholdSpec, work: Path) -> dict[str, object]:
    p = plan(spec)
    ntfs_size = build_ntfs(work / "ntfs.img", p.parts["ntfs"], p.maker, ALIGN // SECTOR)
    ext4_size = build_ext4(work / "ext4.img", p.parts["ext4"], p.maker, work)
    fat_sector = (ALIGN + ntfs_size + ext4_size) // SECTOR
    fat_size = build_fat32(work / "fat.img", p.parts["fat32"], p.maker, fat_sector, work)
    partitions = _assemble(work / "disk.img", [("ntfs", work / "ntfs.img", ntfs_size),
                                              ("ext4", work / "ext4.img", ext4_size),
                                              ("fat32", work / "fat.img", fat_size)])
    (work / "debugfs.cmd").unlink(missing_ok=True)
    known_dir = work / "known"
    known_dir.mkdir()
    lines = []
    for name, picture in p.known_files.items():
        (known_dir / f"{name}.{picture.fmt}").write_bytes(picture.data)
        lines.append(f"{md5(picture.data)}  {name}.{picture.fmt}\n")
    (work / "known.md5").write_text("".join(lines), encoding="utf-8")
    every = [f for files in p.parts.values() for f in files]
    return {"spec": asdict(spec), "partitions": [asdict(x) for x in partitions],
            "files": len(every), "deleted": sum(f.deleted for f in every),
            "content_bytes": sum(f.size for f in every), "pictures": p.pictures,
            "known": [asdict(k) for k in p.known], "copies": [asdict(c) for c in p.copies],
            "counts": p.counts}


def _load(folder: Path) -> HouseholdDisk | None:
    try:
        data = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not (folder / "disk.img").exists():
        return None
    return HouseholdDisk(folder, [Partition(**x) for x in data["partitions"]], data["files"],
                         data["deleted"], data["content_bytes"], data["pictures"],
                         [Placed(**k) for k in data["known"]],
                         [Placed(**c) for c in data["copies"]], data["counts"])


def ensure_disk(spec: HouseholdSpec, root: Path = CACHE_ROOT
                ) -> tuple[HouseholdDisk, bool]:
    """The cached disk for `spec` (root/triage-bench-household-<key>), built first when
    missing; True when it was built now. A lock file serialises concurrent builders."""
    folder = root / f"{CACHE_PREFIX}{spec.key}"
    with open(root / f"{CACHE_PREFIX}{spec.key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        cached = _load(folder)
        if cached is not None:
            return cached, False
        with building(folder) as work:
            manifest = _build(spec, work)
            (work / "manifest.json").write_text(json.dumps(manifest, indent=1,
                                                           ensure_ascii=False), encoding="utf-8")
    loaded = _load(folder)
    assert loaded is not None  # written just above
    return loaded, True
