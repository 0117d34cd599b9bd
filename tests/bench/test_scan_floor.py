"""The file-scan floor counts every recovered file and decodes only the pictures."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

from _scan_floor import measure  # noqa: E402


def _jpeg(shade: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (shade, 90, 200 - shade)).save(out, "JPEG")
    return out.getvalue()


@pytest.mark.skipif(not (shutil.which("fls") and shutil.which("mkfs.vfat")),
                    reason="needs fls (sleuthkit) and mkfs.vfat (dosfstools)")
def test_the_floor_counts_every_file_and_decodes_only_pictures(tmp_path: Path) -> None:
    image = tmp_path / "card.img"
    subprocess.run(["mkfs.vfat", "-C", str(image), "2048"], check=True, capture_output=True)
    recovered = tmp_path / "recovered" / "s0"
    (recovered / "DCIM").mkdir(parents=True)
    files = {"DCIM/a.jpg": _jpeg(10), "DCIM/B.JPG": _jpeg(60), "notes.txt": b"shopping\n" * 50,
             "broken.png": b"\x89PNG\r\n\x1a\n not really"}
    for name, data in files.items():
        (recovered / name).write_bytes(data)
    floor = measure(image, [0], tmp_path / "recovered")
    assert (floor.files, floor.bytes) == (4, sum(len(d) for d in files.values()))
    assert floor.pictures == 2  # the text is not decoded; the broken PNG is tried, not counted
    parts = (floor.listing_cpu, floor.sha256_cpu, floor.decode_cpu, floor.hashing_cpu)
    assert all(part >= 0 for part in parts) and floor.hashing_cpu > 0
    assert floor.seconds(2) == pytest.approx(sum(parts[:3]) / 2)
    assert floor.with_hashing(2) == pytest.approx((parts[0] + parts[1] + parts[3]) / 2)
