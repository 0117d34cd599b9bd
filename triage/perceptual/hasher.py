"""Hash one picture (pHash + PDQ with quality, all 8 dihedral variants), or many on all cores."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, TypeVar

import numpy as np

from triage.perceptual.decode import decode
from triage.perceptual.pdq import Pdq
from triage.perceptual.phash import PHash
from triage.perceptual.regions import regions

K = TypeVar("K")


@dataclass(frozen=True, slots=True)
class FrameHashes:
    """Both hashes of one frame in all 8 dihedral variants (index 0 is the frame as stored)."""

    phash: tuple[str, ...]
    pdq: tuple[str, ...]
    pdq_quality: int
    # PDQ of the content box and sub-regions, as stored (regions.py): (kind, hex, quality,
    # pHash hex of the box or "").
    regions: tuple[tuple[int, str, int, str], ...] = ()


@dataclass(frozen=True, slots=True)
class PictureHashes:
    """The perceptual hashes of a picture: its first frame's, plus any later frames hashed."""

    phash: str
    pdq: str
    pdq_quality: int
    width: int
    height: int
    frames: int  # frames in the file (1 for a still picture)
    variants: tuple[FrameHashes, ...] = field(default=(), repr=False)  # per hashed frame

    def to_dict(self) -> dict[str, object]:
        """The facts a file record keeps (first frame, stored orientation)."""
        return {
            "phash": self.phash,
            "pdq": self.pdq,
            "pdq_quality": self.pdq_quality,
            "width": self.width,
            "height": self.height,
            "frames": self.frames,
        }


def hash_picture(data: bytes | BinaryIO, *, name: str = "") -> PictureHashes | str:
    """Hash a picture; a str return is a one-sentence reason it could not be hashed.

    `name` only makes the reason more helpful; the format is read from the bytes.
    """
    decoded = decode(data)
    if isinstance(decoded, str):
        return f"{name}: {decoded}" if name else decoded
    frames: list[FrameHashes] = []
    try:
        for frame in decoded.frames:
            luma = np.asarray(frame)
            pixels = luma.astype(np.float32)  # what PDQ reads, converted once for all regions
            pdqs, quality = Pdq.compute_dihedral(pixels)  # a luma frame
            phashes = PHash.compute_dihedral(frame)
            frames.append(
                FrameHashes(
                    phash=tuple(PHash.format(h) for h in phashes),
                    pdq=tuple(Pdq.format(h) for h in pdqs),
                    pdq_quality=quality,
                    regions=tuple(
                        (r.kind, r.pdq.hex(), r.quality, r.phash.hex())
                        for r in regions(luma, pixels)
                    ),
                )
            )
    except Exception as exc:  # noqa: BLE001 - a picture must never stop a scan
        reason = f"picture could not be hashed: {type(exc).__name__}: {exc}"
        return f"{name}: {reason}" if name else reason
    first = frames[0]
    return PictureHashes(
        phash=first.phash[0],
        pdq=first.pdq[0],
        pdq_quality=first.pdq_quality,
        width=decoded.width,
        height=decoded.height,
        frames=decoded.frame_count,
        variants=tuple(frames),
    )


def _hash_item(item: tuple[K, bytes]) -> tuple[K, PictureHashes | str]:
    key, data = item
    return key, hash_picture(data)


def _hash_path(path: Path) -> tuple[Path, PictureHashes | str]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        return path, f"could not be read: {exc.strerror or exc}"
    return path, hash_picture(data)


def default_workers() -> int:
    """One worker per core this process may use."""
    return max(1, len(os.sched_getaffinity(0)))


def hash_many(
    items: Iterable[tuple[K, bytes]], *, workers: int | None = None, chunksize: int = 4
) -> Iterator[tuple[K, PictureHashes | str]]:
    """Hash (key, bytes) pairs in worker processes, yielding (key, result) in input order."""
    workers = workers or default_workers()
    if workers == 1:
        yield from map(_hash_item, items)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(_hash_item, items, chunksize=chunksize)


def hash_files(
    paths: Iterable[Path], *, workers: int | None = None, chunksize: int = 4
) -> Iterator[tuple[Path, PictureHashes | str]]:
    """Hash picture files in worker processes (each worker reads its own files).

    Reasons do not repeat the file name; the caller knows it.
    """
    workers = workers or default_workers()
    if workers == 1:
        yield from map(_hash_path, paths)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(_hash_path, paths, chunksize=chunksize)
