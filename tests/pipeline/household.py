"""A small household-like FAT disk built in pure Python: priority order and resume tests."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

from triage import keys
from triage.demo.disk import PART_FAT16, Partition, disk_image
from triage.demo.fat import FatVolume
from triage.demo.pictures import encode_jpeg, render
from triage.hashdb.importing import import_files
from triage.hashdb.setinfo import SetInfo
from triage.model import Severity
from triage.pipeline import ScanOptions

OLD = dt.datetime(2019, 5, 1, 12, 0)
KNOWN = encode_jpeg(render(7, "DEMO 7"))
FILLER = 700  # more than the batches in flight (8 x 64), so a stop leaves files unread
# Written in this order, so the walk meets the system and the filler before the pictures.
LAYOUT = [
    "/Windows/System32/kernel.dll",
    "/Windows/Web/wallpaper.jpg",
    *(f"/Data/filler/f{i:04d}.txt" for i in range(FILLER)),
    "/Data/old.zip",
    "/Users/alice/Documents/letter.txt",
    "/Users/alice/AppData/cache/c1.jpg",
    "/Users/alice/Downloads/clip.mp4",
    "/Users/alice/Pictures/holiday/known.jpg",
]


def build_household(work: Path) -> tuple[Path, ScanOptions]:
    """The disk image and options (a signed set holding the known picture) for a scan."""
    volume = FatVolume(16384, label="WINDOWS", volume_id=0x1234, hidden_sectors=2048)
    for path in LAYOUT:
        data = KNOWN if path.endswith("known.jpg") else f"content of {path}\n".encode()
        volume.add_file(path, data, OLD)
    image = work / "household.img"
    image.write_bytes(disk_image([Partition(2048, PART_FAT16, volume.image())], 0xBEEF))
    listed = work / "known.sha256"
    listed.write_text(f"{hashlib.sha256(KNOWN).hexdigest()}  known.jpg\n")
    lab = keys.generate(work / "lab", "lab")
    trusted = work / "trusted"
    trusted.mkdir()
    (trusted / "lab.pub").write_bytes(keys.public_pem(lab.public))
    import_files([listed], SetInfo(name="known", version="1", source="test",
                                   default_severity=Severity.HIGH), work / "sets", signer=lab)
    return image, ScanOptions(hashsets=work / "sets", trusted_keys=trusted)
