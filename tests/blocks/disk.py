"""A GPT disk for the quick pass, built with real tools: known pictures allocated, deleted,
with their metadata gone, under a reformatted partition, fragmented, and on 2 KiB-cluster FAT."""

from __future__ import annotations

import io
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from tests.fixtures.tools import MTOOLS_ENV, copy_into, make_sparse, run

MIB = 1 << 20
SECTOR = 512
PART_SIZE = 32 * MIB
FIRST = 2048  # sectors: partitions start at 1 MiB, each 32 MiB, back to back
GPT_TAIL = 34


def picture(seed: int, width: int = 360, height: int = 270) -> bytes:
    """A benign generated picture (coloured noise over a gradient) as a JPEG of ~60-120 KB."""
    rng = np.random.default_rng(seed)
    ramp = np.linspace(0, 255, width, dtype=np.float32)[None, :, None]
    noise = rng.integers(0, 160, size=(height, width, 3)).astype(np.float32)
    pixels = np.clip(ramp * 0.4 + noise, 0, 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(out, "JPEG", quality=92)
    return out.getvalue()


@dataclass(frozen=True)
class Placed:
    """One known picture on the disk: its reference name, partition and path there."""

    reference: str
    partition: int
    path: str
    how: str  # allocated | deleted | metadata gone | reformatted | fragmented | small clusters


# reference name -> (seed, partition, path, how); K7 is known but never written to the disk.
KNOWN = {
    "K1.jpg": (101, 1, "/pics/alloc.jpg", "allocated"),
    "K2.jpg": (102, 1, "/pics/deleted.jpg", "deleted"),
    "K3.jpg": (103, 1, "/pics/gone.jpg", "metadata gone"),
    "K4.jpg": (104, 2, "/DCIM/old.jpg", "reformatted"),
    "K5.jpg": (105, 3, "/frag.jpg", "fragmented"),
    "K6.jpg": (106, 4, "/DCIM/small.jpg", "small clusters"),
    "K7.jpg": (107, 0, "", "absent"),
}
OTHER_SEEDS = range(200, 206)  # benign pictures on the disk that are in no set


def known_pictures(folder: Path) -> Path:
    """The known pictures as the lab holds them (what `hashset add-images` imports)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, (seed, *_rest) in KNOWN.items():
        (folder / name).write_bytes(picture(seed))
    return folder


def placed() -> list[Placed]:
    return [Placed(name, part, path, how) for name, (_s, part, path, how) in KNOWN.items()
            if part]


def _ext4(image: Path, tmp: Path) -> None:
    root = tmp / "p1"
    (root / "pics").mkdir(parents=True)
    (root / "docs").mkdir()
    for name in ("K1.jpg", "K2.jpg", "K3.jpg"):
        seed, _, path, _ = KNOWN[name]
        (root / path.lstrip("/")).write_bytes(picture(seed))
    for seed in OTHER_SEEDS:
        (root / "pics" / f"other{seed}.jpg").write_bytes(picture(seed))
    (root / "docs" / "notes.txt").write_bytes(b"shopping list\n" * 4000)
    run(["mkfs.ext4", "-q", "-F", "-b", "4096", "-E", "root_owner=0:0", "-d", str(root),
         str(image), f"{PART_SIZE // 1024}k"])
    run(["debugfs", "-w", "-R", "rm /pics/deleted.jpg", str(image)])
    inode = run(["debugfs", "-R", "stat /pics/gone.jpg", str(image)]).split()[1]
    run(["debugfs", "-w", "-R", "rm /pics/gone.jpg", str(image)])
    run(["debugfs", "-w", "-R", f"clri <{inode}>", str(image)])  # metadata gone for good


def _fat(image: Path, cluster_sectors: int) -> None:
    make_sparse(image, PART_SIZE)
    run(["mkfs.vfat", "-F", "16", "-s", str(cluster_sectors), "-n", "CARD", str(image)])


def _mcopy(image: Path, data: bytes, path: str, tmp: Path) -> None:
    local = tmp / "upload"
    local.write_bytes(data)
    run(["mcopy", "-o", "-i", str(image), str(local), f"::{path}"], env=MTOOLS_ENV)


def _reformatted(image: Path, tmp: Path) -> None:
    """A FAT card that held K4 (after 8 MiB of other files), then `mkfs.ext4` over it (a quick
    format: no discard, inode tables not zeroed, as on a real device). The new journal (2-6 MiB
    into the volume here) overwrites whatever lay there: a picture there would be gone."""
    _fat(image, 8)
    run(["mmd", "-i", str(image), "::/DCIM"], env=MTOOLS_ENV)
    filler = np.random.default_rng(7).integers(0, 256, 8 * MIB, dtype=np.uint8).tobytes()
    _mcopy(image, filler, "/DCIM/video.bin", tmp)
    _mcopy(image, picture(KNOWN["K4.jpg"][0]), "/DCIM/old.jpg", tmp)
    run(["mkfs.ext4", "-q", "-F", "-b", "4096", "-E", "nodiscard,lazy_itable_init=1",
         str(image)])


def _fragmented(image: Path, tmp: Path) -> None:
    """K5 written into an 8 KiB hole left by a deleted file, so it continues after the next."""
    _fat(image, 8)
    _mcopy(image, b"a" * 8192, "/a.txt", tmp)
    _mcopy(image, b"b" * 8192, "/b.txt", tmp)
    run(["mdel", "-i", str(image), "::/a.txt"], env=MTOOLS_ENV)
    _mcopy(image, picture(KNOWN["K5.jpg"][0]), "/frag.jpg", tmp)


def _small_clusters(image: Path, tmp: Path) -> None:
    """2 KiB clusters, K6 after a 2 KiB file so that it starts off the 4 KiB grid."""
    _fat(image, 4)
    run(["mmd", "-i", str(image), "::/DCIM"], env=MTOOLS_ENV)
    _mcopy(image, b"x" * 2048, "/DCIM/first.txt", tmp)
    _mcopy(image, picture(KNOWN["K6.jpg"][0]), "/DCIM/small.jpg", tmp)


def build_disk(image: Path) -> list[Placed]:
    """The quick-pass disk at `image` (GPT, four 32 MiB partitions); returns what was placed."""
    starts = [FIRST + n * PART_SIZE // SECTOR for n in range(4)]
    end = starts[-1] + PART_SIZE // SECTOR
    make_sparse(image, (end + FIRST + GPT_TAIL) * SECTOR)
    args = ["sgdisk", "--clear"]
    for n, start in enumerate(starts, 1):
        args += [f"--new={n}:{start}:{start + PART_SIZE // SECTOR - 1}", f"--typecode={n}:0700"]
    run([*args, str(image)])
    with tempfile.TemporaryDirectory(prefix="triage-quickpass-") as name:
        tmp = Path(name)
        for n, build in enumerate((_ext4, _reformatted, _fragmented, _small_clusters), 1):
            part = tmp / f"p{n}.img"
            build(part, tmp)
            copy_into(part, image, starts[n - 1] * SECTOR)
    return placed()
