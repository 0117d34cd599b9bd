"""The least CPU a file scan with the same answers needs, for the file-scan goals' rows.

Every file the open-tools chain recovered is read into memory (not timed), then timed in this
one process with `time.process_time`: its SHA-256 (hashlib, OpenSSL: the one digest the full
scan computes of every file), and for every picture the decode the perceptual hashes are
defined on (`triage.perceptual.decode`: Pillow, luma only, DCT-domain draft for JPEGs), then
the whole of our per-picture hashing (`hash_picture`, which includes that decode). Listing
the file systems is timed as The Sleuth Kit's `fls -r -p` (CPU of the child). Zip members,
video frames, PDFs, typing and the report are left out, so the floor is lower than any real
scan's: a scan cannot beat (listing + digests + decoding) / cores on this machine.
"""

from __future__ import annotations

import hashlib
import resource
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from triage.perceptual import hash_picture
from triage.perceptual.decode import decode
from triage.plan.priority import KINDS

PICTURE_EXTENSIONS = KINDS["picture"]


@dataclass(frozen=True)
class Floor:
    """CPU-seconds of the irreducible parts of the full file scan."""

    files: int
    bytes: int
    pictures: int
    listing_cpu: float  # fls -r -p over the examined partitions
    sha256_cpu: float  # SHA-256 of every recovered file
    decode_cpu: float  # the pictures' decode (what the hashes read)
    hashing_cpu: float  # our whole per-picture hashing, decode included

    def seconds(self, cores: int) -> float:
        """The floor's wall time on `cores` cores: its CPU spread perfectly over them."""
        return (self.listing_cpu + self.sha256_cpu + self.decode_cpu) / cores

    def with_hashing(self, cores: int) -> float:
        """The same with our perceptual hashing in place of the decode alone."""
        return (self.listing_cpu + self.sha256_cpu + self.hashing_cpu) / cores


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def listing_cpu(image: Path, sectors: list[int]) -> float:
    """CPU-seconds of `fls -r -p` listing every file (allocated and deleted) of each partition."""
    before = _children_cpu()
    for sector in sectors:
        subprocess.run(["fls", "-r", "-p", "-o", str(sector), str(image)],
                       capture_output=True, check=True)
    return _children_cpu() - before


def measure(image: Path, sectors: list[int], recovered: Path) -> Floor:
    """Time the floor's parts over the files `tsk_recover -e` wrote into `recovered`."""
    files = total = pictures = 0
    sha = decoding = hashing = 0.0
    for path in sorted(p for p in recovered.rglob("*") if p.is_file()):
        data = path.read_bytes()
        files += 1
        total += len(data)
        started = time.process_time()
        hashlib.sha256(data).digest()
        sha += time.process_time() - started
        if path.suffix.lower().lstrip(".") not in PICTURE_EXTENSIONS:
            continue
        started = time.process_time()
        decoded = decode(data)
        decoding += time.process_time() - started
        if isinstance(decoded, str):
            continue
        pictures += 1
        started = time.process_time()
        hash_picture(data)
        hashing += time.process_time() - started
    return Floor(files, total, pictures, listing_cpu(image, sectors), sha, decoding, hashing)
