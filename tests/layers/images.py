"""Test images for the layers: published ones unpacked, fixture disks converted by qemu-img."""

from __future__ import annotations

import gzip
import hashlib
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest

from triage.evidence.raw import RawImage
from triage.evidence.siblings import source_context
from triage.walk.layered import reach

PUBLISHED = Path(__file__).resolve().parents[1] / "data" / "published"
MIB = 1024 * 1024


def published(name: str, folder: Path) -> Path:
    """Unpack tests/data/published/<name>.gz into `folder` (see its README for provenance)."""
    target = folder / name
    with gzip.open(PUBLISHED / f"{name}.gz") as packed, open(target, "wb") as out:
        shutil.copyfileobj(packed, out)
    return target


def qemu_img(*args: str) -> None:
    """Run qemu-img (Debian qemu-utils), or skip the test when it is not installed."""
    if shutil.which("qemu-img") is None:
        pytest.skip("qemu-img (apt: qemu-utils) is not installed")
    subprocess.run(["qemu-img", *args], check=True, capture_output=True)


def convert(raw: Path, fmt: str, target: Path, *options: str) -> Path:
    """`raw` converted by qemu-img to `fmt` (vmdk, vhdx, vpc, qcow2, vdi)."""
    qemu_img("convert", "-q", "-f", "raw", "-O", fmt, *options, str(raw), str(target))
    return target


def sha256_stream(stream: Any) -> str:
    digest = hashlib.sha256()
    for offset in range(0, stream.size, 4 * MIB):
        digest.update(stream.read(offset, min(4 * MIB, stream.size - offset)))
    return digest.hexdigest()


class Recorder:
    """A sink with the ledger's two methods that keeps what the layered walk records."""

    def __init__(self) -> None:
        self.warnings: list[tuple[str, str, str]] = []
        self.gaps: list[tuple[Any, ...]] = []

    def problem(self, address: str, stage: str, message: str) -> None:
        self.warnings.append((address, stage, message))

    def gap(self, kind: Any, address: str, reason: str, *, size: int | None = None,
            offset: int | None = None, what: str = "") -> None:
        self.gaps.append((kind, address, reason, size, offset, what))


@contextmanager
def layered(path: Path) -> Iterator[tuple[list[Any], Recorder]]:
    """Every volume the layered walk reaches in the image file `path`, and what it recorded;
    the image (and any file beside it a layer opened) stays open inside the `with`."""
    sink = Recorder()
    with ExitStack() as stack:
        source = stack.enter_context(RawImage(path))
        yield list(reach(source, path.name, sink, context=source_context(source, stack))), sink


def listing(volume: Any) -> dict[str, str | None]:
    """{path: SHA-256 of the content, None when not read} of one reached volume."""
    from triage.walk.fswalk import WalkStats

    out: dict[str, str | None] = {}
    for record, content in volume.walk(lambda *_: None, WalkStats()):
        out[record.address.full_path()] = None if content is None else hashlib.sha256(
            content.read(0, record.size)).hexdigest()
    return out
