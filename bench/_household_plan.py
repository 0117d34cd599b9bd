"""The household disk's plan: every file's partition, path, size and content, from a seed."""

from __future__ import annotations

import hashlib
import math
import random
import sys
from dataclasses import dataclass
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # _images, from any cwd

from _household_pictures import (  # noqa: E402
    PICTURE_CLASSES,
    POOL_SIZE,
    Picture,
    make_picture,
    make_video,
    make_zip,
    reencoded,
    tagged,
    tagged_size,
)
from _images import (  # noqa: E402 - the scan benchmark's disk: file records and filler
    DELETED_EVERY,
    LARGE_MAX,
    LARGE_MIN,
    MIB,
    ContentMaker,
    PlannedFile,
)

GIB = 1024 * MIB
# Bump when the generated content or layout changes, so an old cached disk is not reused.
FORMAT = 1
# A household's mix (issue 10: ~50,000 files of which ~3,000 pictures in ~2 GB).
PICTURE_SHARE = 0.06
PICTURE_MIX = {"camera": 0.05, "phone": 0.25, "screenshot": 0.05}  # the rest: web pictures
# Pictures may take at most this share of the bytes; camera pictures become phone ones first.
PICTURE_BYTES_MAX = 0.6
FILES_PER_VIDEO = 12_500
FILES_PER_ZIP = 5_000
# Where non-picture files go: the Windows partition holds most of a household's files.
NTFS_SHARE = 0.65
CARD_SHARE = 0.12  # pictures on the camera card (camera-class ones go there first)
SMALL_MEDIAN, SMALL_SIGMA, SMALL_MAX = 4096, 1.3, 512 * 1024  # as the scan benchmark's disk
USERS_WINDOWS = ("alex", "sam", "Zoë")
USERS_LINUX = ("jordan", "sam")
VENDORS = ("Contoso", "Fabrikam", "Northwind", "Tailspin", "Adatum")
EVENTS = ("Holiday Málaga", "Birthday", "日本旅行", "Garden", "Wedding", "School")
WORDS = "report meeting court review invoice account family school notes draft budget".split()


@dataclass(frozen=True)
class HouseholdSpec:
    """What to generate: disk content size, number of files, seed."""

    size_gb: float = 2.0
    files: int = 50_000
    seed: int = 20240610

    @property
    def key(self) -> str:
        return f"v{FORMAT}-g{self.size_gb:g}-f{self.files}-s{self.seed}"

    @property
    def budget(self) -> int:
        return int(self.size_gb * GIB)


@dataclass(frozen=True)
class Placed:
    """One file planted on purpose: a known picture, or a re-encoded copy of one."""

    name: str  # the known picture it is (K0...)
    partition: int
    path: str  # inside its file system; the zip's path for a member
    member: str | None = None
    deleted: bool = False
    md5: str = ""


class Maker:
    """File contents: generated media by file number, everything else from ContentMaker."""

    def __init__(self, seed: int) -> None:
        self._filler = ContentMaker(seed)
        self.media: dict[int, partial[bytes] | bytes] = {}

    def make(self, f: PlannedFile) -> bytes:
        made = self.media.get(f.number)
        if made is None:
            return self._filler.make(f)
        return made if isinstance(made, bytes) else made()


class _Planner:
    """Deterministic plan: every file's partition, path, size and content source."""

    def __init__(self, spec: HouseholdSpec) -> None:
        self.spec = spec
        self.rng = random.Random(spec.seed)
        self.maker = Maker(spec.seed)
        self.parts: dict[str, list[PlannedFile]] = {"ntfs": [], "ext4": [], "fat32": []}
        self.pictures: list[dict[str, object]] = []
        self.known: list[Placed] = []
        self.copies: list[Placed] = []
        self.known_files: dict[str, Picture] = {}
        self.counts: dict[str, int] = {}
        self._taken: set[tuple[str, str]] = set()
        self._number = 0

    def add(self, fs: str, path: str, size: int, kind: str, content: partial[bytes] | bytes
            | None = None, deleted: bool = False) -> str:
        while (fs, path.lower()) in self._taken:  # NTFS and FAT names are case-insensitive
            stem, dot, ext = path.rpartition(".")
            path = f"{stem}_{self._number}.{ext}" if dot else f"{path}_{self._number}"
        self._taken.add((fs, path.lower()))
        if content is not None:
            self.maker.media[self._number] = content
        self.parts[fs].append(PlannedFile(path, size, kind, self._number, deleted))
        self.counts[kind] = self.counts.get(kind, 0) + 1
        self._number += 1
        return path

    @property
    def used(self) -> int:
        return sum(f.size for files in self.parts.values() for f in files)

    @property
    def planned(self) -> int:
        return sum(len(files) for files in self.parts.values())


_PART_INDEX = {"ntfs": 1, "ext4": 2, "fat32": 3}  # partition order on the disk


def _pools(seed: int, counts: dict[str, int]) -> dict[str, list[Picture]]:
    """The distinct scenes of each picture class, only as many as will be used."""
    pools: dict[str, list[Picture]] = {}
    for cls, n in counts.items():
        shapes = PICTURE_CLASSES[cls]
        pools[cls] = [make_picture(seed * 1000 + hash_int(cls) + i, shapes[i % len(shapes)])
                      for i in range(min(n, POOL_SIZE[cls]))]
    return pools


def hash_int(text: str) -> int:
    """A small stable integer from a string (hash() is salted per process)."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:3], "big")


def _class_counts(spec: HouseholdSpec) -> dict[str, int]:
    total = max(12, round(spec.files * PICTURE_SHARE))
    counts = {cls: max(1, round(total * share)) for cls, share in PICTURE_MIX.items()}
    counts["web"] = max(1, total - sum(counts.values()))
    return counts


def _fit(counts: dict[str, int], pools: dict[str, list[Picture]], cap: int) -> dict[str, int]:
    """Demote camera pictures to phone, then phone to web, until the pictures fit `cap`."""
    mean = {c: sum(len(p.data) for p in pool) / len(pool) for c, pool in pools.items()}
    counts = dict(counts)

    def total() -> float:
        return sum(counts[c] * mean[c] for c in counts)

    for big, small in (("camera", "phone"), ("phone", "web")):
        while total() > cap and counts[big] > 1:
            counts[big] -= 1
            counts[small] += 1
    return counts


def _picture_path(rng: random.Random, fs: str, cls: str, n: int, fmt: str) -> str:
    if fs == "fat32":
        return f"/DCIM/{100 + n // 500}CAMERA/DSC_{n:05d}.{fmt.upper()}"
    if fs == "ntfs":
        home = f"/Users/{rng.choice(USERS_WINDOWS)}"
        where = rng.random()
        if cls == "screenshot":
            return f"{home}/Pictures/Screenshots/Screenshot {n:05d}.{fmt}"
        if where < 0.7:
            return f"{home}/Pictures/{2016 + n % 9}/{rng.choice(EVENTS)}/IMG_{n:05d}.{fmt}"
        if where < 0.85:
            return f"{home}/Downloads/image_{n:05d}.{fmt}"
        if where < 0.93:
            return f"{home}/Desktop/pic {n}.{fmt}"
        return f"{home}/AppData/Local/Packages/Photos/Thumbs/{n:06x}.{fmt}"
    home = f"/home/{rng.choice(USERS_LINUX)}"
    if rng.random() < 0.8:
        return f"{home}/Pictures/{2016 + n % 9}/{rng.choice(EVENTS)}/IMG_{n:05d}.{fmt}"
    return f"{home}/Downloads/photo_{n:05d}.{fmt}"


def _plan_pictures(p: _Planner, counts: dict[str, int], pools: dict[str, list[Picture]]) -> None:
    total = sum(counts.values())
    card_left = max(1, round(total * CARD_SHARE))
    n = 0
    for cls in ("camera", "phone", "web", "screenshot"):
        for i in range(counts[cls]):
            base = pools[cls][i % len(pools[cls])]
            if cls in ("camera", "phone") and card_left > 0:
                fs = "fat32"
                card_left -= 1
            else:
                fs = "ntfs" if p.rng.random() < NTFS_SHARE else "ext4"
            tag = f"household picture {n}"
            # Every twentieth picture is deleted: cameras and users delete as they go.
            deleted = n % 20 == 19
            path = p.add(fs, _picture_path(p.rng, fs, cls, n, base.fmt),
                         tagged_size(base, tag), base.fmt, partial(tagged, base, tag), deleted)
            p.pictures.append({"partition": _PART_INDEX[fs], "path": path, "deleted": deleted,
                               "class": cls})
            n += 1


def _plan_known(p: _Planner) -> list[tuple[str, bytes]]:
    """Plant the known pictures and their re-encoded copies; members for the known zip."""
    seed = p.spec.seed
    shapes = {"K0": (1600, 1200, 88, 8), "K1": (1024, 768, 85, 6), "K2": (1440, 1080, 88, 8),
              "K3": (2048, 1536, 92, 12), "K4": (1600, 1200, 88, 8), "K5": (1366, 768, 0, 0),
              "K6": (800, 600, 80, 6)}
    known = {name: make_picture(seed * 7 + 100 + i, shape)
             for i, (name, shape) in enumerate(shapes.items())}
    p.known_files = known
    spots = [  # (name, fs, path, deleted)
        ("K0", "ntfs", "/Users/alex/Pictures/2023/Holiday Málaga/IMG_4711.jpg", False),
        ("K1", "ntfs", "/Users/alex/Downloads/img_0932.jpg", True),
        ("K3", "fat32", "/DCIM/100CAMERA/DSC_90042.JPG", False),
        ("K4", "fat32", "/DCIM/100CAMERA/DSC_90043.JPG", True),
        ("K5", "ext4", "/home/sam/Pictures/old/scan_05.png", False),
        ("K6", "ext4", "/home/sam/Downloads/tmp_6.jpg", True),
    ]
    for name, fs, path, deleted in spots:
        data = known[name].data
        p.add(fs, path, len(data), known[name].fmt, data, deleted)
        p.known.append(Placed(name, _PART_INDEX[fs], path, None, deleted, md5(data)))
    copies = [  # perceptual leads: resized and re-encoded, so no exact digest matches them
        ("K0", "ntfs", "/Users/alex/Desktop/holiday small.jpg", 0.5, 70),
        ("K3", "ext4", "/home/jordan/.cache/thumbnails/large/3f2a9c.jpg", 0.125, 75),
        ("K5", "ntfs", "/Users/sam/Documents/scan_05 copy.jpg", 0.75, 80),
    ]
    for name, fs, path, scale, quality in copies:
        data = reencoded(known[name], scale, quality).data
        p.add(fs, path, len(data), "jpg", data)
        p.copies.append(Placed(name, _PART_INDEX[fs], path, md5=md5(data)))
    k2 = known["K2"].data
    return [("holiday/K002.jpg", k2)]


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()  # noqa: S324 - md5deep's digest, not security


def _plan_containers(p: _Planner, pools: dict[str, list[Picture]],
                     known_members: list[tuple[str, bytes]]) -> None:
    spec = p.spec
    for i in range(max(1, spec.files // FILES_PER_VIDEO)):
        data = make_video(spec.seed + 500 + i, 6 + 4 * (i % 3))
        fs = ("fat32", "ntfs", "ext4")[i % 3]
        path = {"fat32": f"/DCIM/100CAMERA/MOV_{i:04d}.MP4",
                "ntfs": f"/Users/sam/Videos/clip {i}.mp4",
                "ext4": f"/home/jordan/Videos/clip_{i}.mp4"}[fs]
        p.add(fs, path, len(data), "mp4", data)
    web = pools["web"] + pools.get("phone", [])
    for i in range(max(1, spec.files // FILES_PER_ZIP)):
        members = [(f"photos/P{i:02d}_{j:03d}.{web[j % len(web)].fmt}",
                    tagged(web[j % len(web)], f"zip {i} member {j}"))
                   for j in range(4 + (i * 5) % 13)]
        if i == 0:
            members = known_members + members
        data = make_zip(members)
        fs, path = (("ntfs", "/Users/alex/Downloads/photos_2022.zip") if i == 0 else
                    (("ntfs", "ext4")[i % 2], f"/{'Users/sam' if i % 2 == 0 else 'home/sam'}"
                     f"/Downloads/backup_{i}.zip"))
        path = p.add(fs, path, len(data), "zip", data)
        if i == 0:
            for name, member in known_members:
                p.known.append(Placed("K2", _PART_INDEX[fs], path, name, False, md5(member)))


def _filler_path(rng: random.Random, fs: str, n: int) -> tuple[str, str]:
    """A home for one document, binary or cache file on the Windows or Linux partition."""
    vendor = rng.choice(VENDORS)
    pick = rng.random()
    if fs == "ntfs":
        home = f"/Users/{rng.choice(USERS_WINDOWS)}"
        if pick < 0.30:
            return (f"{home}/AppData/Local/{vendor}/Browser/User Data/Default/Cache/Cache_Data/"
                    f"{n // 400:02x}/f_{n:06x}", "")
        if pick < 0.50:
            return f"/Windows/System32/{vendor.lower()}{n}.dll", "dll"
        if pick < 0.62:
            return f"/Windows/WinSxS/amd64_{vendor.lower()}_{n // 50:04x}/{n}.dll", "dll"
        if pick < 0.74:
            return f"/Program Files/{vendor}/App{n % 7}/bin/lib{n}.dll", "dll"
        if pick < 0.88:
            kind = rng.choice(("pdf", "docx", "txt"))
            return f"{home}/Documents/{rng.choice(WORDS)}/{rng.choice(WORDS)}_{n}.{kind}", kind
        if pick < 0.94:
            return f"{home}/Desktop/notes {n}.txt", "txt"
        return f"{home}/AppData/Roaming/{vendor}/state{n}.sqlite", "sqlite"
    home = f"/home/{rng.choice(USERS_LINUX)}"
    if pick < 0.35:
        return f"{home}/.cache/{vendor.lower()}/Cache/{n // 400:02x}/f_{n:06x}", ""
    if pick < 0.65:
        return f"/usr/lib/x86_64-linux-gnu/{vendor.lower()}/lib{n}.so", "so"
    if pick < 0.85:
        kind = rng.choice(("pdf", "docx", "txt"))
        return f"{home}/Documents/{rng.choice(WORDS)}/{rng.choice(WORDS)}_{n}.{kind}", kind
    if pick < 0.93:
        return f"{home}/Music/{vendor}/Album {n % 9}/{n % 20:02d} Track {n}.mp3", "mp3"
    return f"{home}/.local/share/{vendor.lower()}/state{n}.sqlite", "sqlite"


def _plan_filler(p: _Planner) -> None:
    """Documents, binaries and caches up to --files; large files fill the byte budget."""
    spec, rng = p.spec, p.rng
    left_files = max(0, spec.files - p.planned)
    sizes = [max(0, min(SMALL_MAX, int(rng.lognormvariate(math.log(SMALL_MEDIAN), SMALL_SIGMA))))
             for _ in range(left_files)]
    large: list[int] = []
    left = spec.budget - p.used - sum(sizes)
    while left >= LARGE_MIN:
        size = min(left, rng.randint(LARGE_MIN, LARGE_MAX))
        large.append(size)
        left -= size
    sizes = sizes[: max(0, left_files - len(large))]  # large files count towards --files too
    for n, size in enumerate(sizes):
        fs = "ntfs" if rng.random() < NTFS_SHARE else "ext4"
        path, kind = _filler_path(rng, fs, p._number)
        p.add(fs, path, size, kind, deleted=n % DELETED_EVERY == DELETED_EVERY - 1)
    for n, size in enumerate(large):
        if n % 2 == 0:
            p.add("ntfs", f"/Users/{rng.choice(USERS_WINDOWS)}/Downloads/setup_{n:03d}.exe",
                  size, "exe")
        else:
            p.add("ext4", f"/home/{rng.choice(USERS_LINUX)}/VMs/disk_{n:03d}.img", size, "")


def plan(spec: HouseholdSpec) -> _Planner:
    """Everything the disk will hold, deterministic for a spec."""
    p = _Planner(spec)
    counts = _class_counts(spec)
    pools = _pools(spec.seed, counts)
    counts = _fit(counts, pools, int(spec.budget * PICTURE_BYTES_MAX))
    known_members = _plan_known(p)
    _plan_pictures(p, counts, pools)
    _plan_containers(p, pools, known_members)
    _plan_filler(p)
    return p
