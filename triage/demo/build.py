"""Build the demo disk and its hash set: where every demo file goes and which ones are "known"."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

from triage.demo.disk import PART_FAT16, PART_FAT16_LBA, Partition, aligned_starts, disk_image
from triage.demo.fat import SECTOR, FatVolume
from triage.demo.pictures import encode_jpeg, render
from triage.demo.png import encode_png
from triage.errors import UsageError

IMAGE_NAME = "demo-disk.img"
HASHSET_NAME = "demo-known.sha256"
DISK_SIGNATURE = 0x54524941  # fixed so two builds give the same bytes
# Sizes keep both volumes FAT16 (4085+ clusters of 512 bytes) and the image ~10 MiB.
_WINDOWS_SECTORS = 12288  # 6 MiB
_STICK_SECTORS = 6144  # 3 MiB


@dataclass(frozen=True, slots=True)
class KnownPicture:
    """One entry of the demo hash set."""

    name: str
    sha256: str
    md5: str


@dataclass(frozen=True, slots=True)
class DemoFile:
    """One file written into the demo disk: what a correct scan must report."""

    partition: int  # MBR slot, 1-based
    offset: int  # the partition's byte offset in the image
    path: str
    size: int
    sha256: str
    deleted: bool
    known: str | None  # the hash-set entry this file is a copy of, or None


@dataclass(frozen=True, slots=True)
class DemoDisk:
    """The built demo: the disk image, its hash set file and the manifest of its content."""

    image: Path
    hashset: Path
    known: list[KnownPicture]
    files: list[DemoFile]

    @property
    def expected_hits(self) -> list[DemoFile]:
        """The files an exact hash-set scan must flag (normal, deleted and renamed copies)."""
        return [f for f in self.files if f.known]


def _when(day: int, hour: int) -> dt.datetime:
    return dt.datetime(2024, 3, day, hour, 17, 42)


def _pictures() -> dict[str, bytes]:
    """Every picture by role; seeds and sizes fixed, so the bytes are too."""
    return {
        "known-1": encode_png(render(7, "DEMO 7", 200, 150)),
        "known-2": encode_png(render(9, "DEMO 9", 200, 150)),  # in the set, not on the disk
        "holiday": encode_jpeg(render(1, "DEMO 1", 320, 240)),
        "dsc2": encode_jpeg(render(2, "DEMO 2", 320, 240)),
        "birthday": encode_jpeg(render(3, "DEMO 3", 240, 180)),
        "cat": encode_png(render(4, "DEMO 4", 120, 90)),
        "dcim100": encode_jpeg(render(5, "DEMO 5", 320, 240)),
        "dcim101": encode_jpeg(render(6, "DEMO 6", 320, 240)),
        "old scan": encode_jpeg(render(8, "DEMO 8", 240, 180)),
    }


KNOWN_ROLES = ("known-1", "known-2")  # the pictures the lab's hash set holds


def reference_pictures() -> dict[str, bytes]:
    """The lab's reference pictures by their name in the hash set (for the block filter)."""
    pictures = _pictures()
    return {f"demo-{role}.png": pictures[role] for role in KNOWN_ROLES}


_TEXT = {
    "hosts": b"# Demo hosts file for triage\r\n127.0.0.1       localhost\r\n",
    "win.ini": b"; for 16-bit app support\r\n[fonts]\r\n[extensions]\r\n",
    "notes": b"Shopping: milk, bread, batteries.\r\nCall the garage on Monday.\r\n",
    "readme": b"Demo USB stick for triage. All pictures are generated shapes.\n",
}

# (partition, path, content role, deleted, day, hour): the demo story in one table.
_LAYOUT: list[tuple[int, str, str, bool, int, int]] = [
    (1, "/Windows/win.ini", "win.ini", False, 1, 9),
    (1, "/Windows/System32/drivers/etc/hosts", "hosts", False, 1, 9),
    (1, "/Users/alex/Pictures/holiday photo.jpg", "holiday", False, 2, 18),
    (1, "/Users/alex/Pictures/DSC_0002.JPG", "dsc2", False, 2, 18),
    (1, "/Users/alex/Pictures/Zoë's birthday.jpg", "birthday", False, 3, 20),
    (1, "/Users/alex/Pictures/cat.png", "cat", False, 4, 11),
    (1, "/Users/alex/Pictures/Saved/IMG_0042.png", "known-1", False, 5, 23),
    (1, "/Users/alex/Documents/invoice.pdf", "known-1", False, 6, 1),
    (1, "/Users/alex/Documents/notes.txt", "notes", False, 6, 10),
    (2, "/readme.txt", "readme", False, 7, 8),
    (2, "/DCIM/100DEMO/DSC_0100.JPG", "dcim100", False, 7, 12),
    (2, "/DCIM/100DEMO/DSC_0101.JPG", "dcim101", False, 7, 12),
    (2, "/transfer/IMG_0042 (1).png", "known-1", True, 8, 22),
    (2, "/transfer/old scan.jpg", "old scan", True, 8, 22),
]
_VOLUMES = {  # partition -> (sectors, MBR type, label, volume id)
    1: (_WINDOWS_SECTORS, PART_FAT16, "WINDOWS", 0x1A2B3C4D),
    2: (_STICK_SECTORS, PART_FAT16_LBA, "USB STICK", 0x5E6F7081),
}


def build_demo(directory: Path) -> DemoDisk:
    """Write `demo-disk.img` and `demo-known.sha256` into `directory` and describe them."""
    pictures = _pictures()
    content = {**pictures, **_TEXT}
    known = [
        KnownPicture(
            name=f"demo-{role}.png",
            sha256=hashlib.sha256(pictures[role]).hexdigest(),
            md5=hashlib.md5(pictures[role], usedforsecurity=False).hexdigest(),
        )
        for role in KNOWN_ROLES
    ]
    by_digest = {k.sha256: k.name for k in known}
    numbers = sorted(_VOLUMES)
    starts = dict(zip(numbers, aligned_starts([_VOLUMES[n][0] for n in numbers]), strict=True))
    volumes = {
        n: FatVolume(sectors, label=label, volume_id=vid, hidden_sectors=starts[n])
        for n, (sectors, _, label, vid) in _VOLUMES.items()
    }
    files = []
    for number, path, role, deleted, day, hour in _LAYOUT:
        data = content[role]
        volumes[number].add_file(path, data, _when(day, hour), deleted=deleted)
        digest = hashlib.sha256(data).hexdigest()
        part = {"partition": number, "offset": starts[number] * SECTOR}
        files.append(
            DemoFile(
                **part,
                path=path,
                size=len(data),
                sha256=digest,
                deleted=deleted,
                known=by_digest.get(digest),
            )
        )
    partitions = [
        Partition(starts[n], _VOLUMES[n][1], volumes[n].image(), bootable=n == 1) for n in numbers
    ]
    image, hashset = directory / IMAGE_NAME, directory / HASHSET_NAME
    try:
        directory.mkdir(parents=True, exist_ok=True)
        image.write_bytes(disk_image(partitions, DISK_SIGNATURE))
        # sha256sum's text format: digest, two spaces, name.
        hashset.write_text("".join(f"{k.sha256}  {k.name}\n" for k in known), encoding="utf-8")
    except OSError as error:
        raise UsageError(
            f"Cannot write the demo into {directory} ({error.strerror}); choose a writable folder."
        ) from error
    return DemoDisk(image=image, hashset=hashset, known=known, files=files)
