"""Decompression bombs, truncated and malformed pictures: hashed, listed, never decoded wrongly."""

from __future__ import annotations

import hashlib
import io
import os
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from tests.hostile.conftest import warnings_for
from triage.perceptual.build import build_from_folder
from triage.report.listing import read_listing
from triage.stages.perceptual import PERCEPTUAL_DIR

FORMATS = {"jpg": "JPEG", "png": "PNG", "gif": "GIF", "webp": "WEBP"}


def _picture(seed: int) -> Image.Image:
    picture = Image.new("RGB", (320, 240), (30 + seed * 40, 90, 160))
    draw = ImageDraw.Draw(picture)
    for i in range(30):
        draw.ellipse([i * 9, i * 7, i * 9 + 40, i * 7 + 30],
                     fill=((i * 37) % 255, (i * 91 + seed) % 255, (i * 13) % 255))
    return picture


def _encoded(fmt: str, seed: int = 1) -> bytes:
    out = io.BytesIO()
    _picture(seed).save(out, fmt)
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(width: int, height: int) -> bytes:
    """A 70-byte PNG whose header claims width x height pixels."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(b"\0" * 1024)) + _chunk(b"IEND", b""))


@pytest.fixture(scope="module")
def perceptual_sets(tmp_path_factory):
    """A perceptual hash set, so the scan decodes every picture it meets."""
    root = tmp_path_factory.mktemp("sets")
    refs = root / "refs"
    refs.mkdir()
    _picture(5).save(refs / "known.png")
    sets = root / "sets"
    build_from_folder(refs, sets / PERCEPTUAL_DIR / "hostile", name="hostile", version="1",
                      category="demo")
    return sets


def test_broken_pictures_are_hashed_listed_and_warned_about(watched_scan, perceptual_sets,
                                                            tmp_path):
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    files: dict[str, bytes] = {"bomb.png": png_bomb(100_000, 100_000),
                               "wide-bomb.png": png_bomb(2**31 - 1, 1), "zero.jpg": b""}
    for ext, fmt in FORMATS.items():
        good = _encoded(fmt)
        files[f"ok.{ext}"] = good
        files[f"truncated.{ext}"] = good[: len(good) // 2]
        files[f"header-only.{ext}"] = good[:32]
        files[f"garbage.{ext}"] = good[:16] + os.urandom(512)
    for name, data in files.items():
        (evidence / name).write_bytes(data)
    report = watched_scan(evidence, perceptual_sets)
    listed = {r["name"]: r for r in read_listing(Path(report["_out"]) / "files.jsonl.gz")}
    assert set(listed) == set(files)
    for name, data in files.items():
        assert listed[name]["sha256"] == hashlib.sha256(data).hexdigest(), name
    assert any("200,000,000 pixels" in m for m in warnings_for(report, "/bomb.png"))
    assert warnings_for(report, "/wide-bomb.png")
    for ext in FORMATS:
        assert warnings_for(report, f"/truncated.{ext}"), ext
        assert warnings_for(report, f"/garbage.{ext}"), ext
        assert not warnings_for(report, f"/ok.{ext}"), ext


def test_truncated_heic_is_a_warning_not_a_crash(watched_scan, perceptual_sets, tmp_path):
    pillow_heif = pytest.importorskip("pillow_heif")
    pillow_heif.register_heif_opener()
    out = io.BytesIO()
    _picture(2).save(out, "HEIF")
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    (evidence / "phone.heic").write_bytes(out.getvalue()[: len(out.getvalue()) // 2])
    (evidence / "fine.heic").write_bytes(out.getvalue())
    report = watched_scan(evidence, perceptual_sets)
    assert warnings_for(report, "/phone.heic")
    assert not warnings_for(report, "/fine.heic")
