"""Benign generated pictures, videos and zips for the household disk: photo-like, seeded."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from dataclasses import dataclass

import av
import numpy as np
from PIL import Image

# Picture classes of a household: (name, width, height, JPEG quality or 0 for PNG, luminance
# noise). Noise stands in for sensor grain and texture so sizes come out like real files:
# a 12 MP camera JPEG at quality 92 is ~4 MB, a 2 MP phone picture ~0.6 MB, a web picture
# ~30-150 KB, a PNG screenshot 0.3-1 MB (checked against the camera and phone JPEGs they mimic).
PICTURE_CLASSES: dict[str, tuple[tuple[int, int, int, int], ...]] = {
    "camera": ((4000, 3000, 92, 12), (3264, 2448, 92, 12), (2048, 1536, 92, 12)),  # 12/8/3 MP
    "phone": ((1920, 1440, 88, 8), (1600, 1200, 88, 8), (1440, 1080, 88, 8)),
    "web": ((1024, 768, 80, 6), (800, 600, 80, 6), (640, 480, 80, 6), (320, 240, 75, 6)),
    "screenshot": ((1920, 1080, 0, 0), (1366, 768, 0, 0)),
}
# Distinct scenes generated per class (each picture is one of them plus a unique tag): enough
# variety for decoding costs, few enough that a build spends its time writing, not encoding.
POOL_SIZE = {"camera": 6, "phone": 16, "web": 40, "screenshot": 8}
VIDEO_SIZE = (640, 360)
VIDEO_FPS = 25
VIDEO_BITRATE = 3_000_000  # bits/s: a phone clip at this size
ZIP_DATE = (2022, 7, 14, 12, 0, 0)  # fixed member times keep the zips' bytes deterministic


@dataclass(frozen=True)
class Picture:
    """An encoded picture and its format ("jpg" or "png")."""

    data: bytes
    fmt: str


def scene(seed: int, width: int, height: int, noise: int) -> np.ndarray:
    """A photo-like RGB array: a smooth random colour field (distinct pHash/PDQ per seed) plus
    luminance grain."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, (max(3, height // 160), max(3, width // 160), 3), np.uint8)
    field = Image.fromarray(coarse, "RGB").resize((width, height), Image.Resampling.BICUBIC)
    if not noise:
        return np.asarray(field)
    grain = rng.integers(-noise, noise + 1, (height, width, 1), dtype=np.int16)
    return np.clip(np.asarray(field, dtype=np.int16) + grain, 0, 255).astype(np.uint8)


def encode(pixels: np.ndarray, quality: int) -> Picture:
    """JPEG at `quality`, or PNG when quality is 0."""
    out = io.BytesIO()
    if quality:
        Image.fromarray(pixels, "RGB").save(out, "JPEG", quality=quality)
        return Picture(out.getvalue(), "jpg")
    Image.fromarray(pixels, "RGB").save(out, "PNG", compress_level=6)
    return Picture(out.getvalue(), "png")


def make_picture(seed: int, shape: tuple[int, int, int, int]) -> Picture:
    width, height, quality, noise = shape
    return encode(scene(seed, width, height, noise), quality)


def reencoded(picture: Picture, scale: float, quality: int) -> Picture:
    """A resized, re-encoded JPEG copy: a different file whose perceptual hashes stay close."""
    with Image.open(io.BytesIO(picture.data)) as image:
        rgb = image.convert("RGB")
        size = (max(16, int(rgb.width * scale)), max(16, int(rgb.height * scale)))
        return encode(np.asarray(rgb.resize(size, Image.Resampling.LANCZOS)), quality)


def tagged(picture: Picture, tag: str) -> bytes:
    """The picture with a comment carrying `tag`: a unique digest, the same pixels."""
    text = tag.encode()
    if picture.fmt == "jpg":  # a COM segment straight after SOI
        return picture.data[:2] + b"\xff\xfe" + struct.pack(">H", len(text) + 2) + text \
            + picture.data[2:]
    body = b"Comment\x00" + text  # a tEXt chunk straight after IHDR (8 + 25 bytes)
    chunk = struct.pack(">I", len(body)) + b"tEXt" + body \
        + struct.pack(">I", zlib.crc32(b"tEXt" + body))
    return picture.data[:33] + chunk + picture.data[33:]


def tagged_size(picture: Picture, tag: str) -> int:
    extra = 4 if picture.fmt == "jpg" else 12 + len(b"Comment\x00")
    return len(picture.data) + extra + len(tag.encode())


def make_video(seed: int, seconds: int) -> bytes:
    """An MPEG-4 clip panning across a generated scene (PyAV's bundled encoder)."""
    width, height = VIDEO_SIZE
    base = scene(seed, width * 2, height, 10)
    out = io.BytesIO()
    with av.open(out, "w", format="mp4") as container:
        stream = container.add_stream("mpeg4", rate=VIDEO_FPS)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.bit_rate = VIDEO_BITRATE
        for n in range(seconds * VIDEO_FPS):
            x = (n * 4) % width
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(base[:, x:x + width]),
                                               format="rgb24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return out.getvalue()


def make_zip(members: list[tuple[str, bytes]]) -> bytes:
    """A zip (deflate level 1, as archivers' fast setting) of (name, bytes), fixed times."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members:
            info = zipfile.ZipInfo(name, ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data, compresslevel=1)
    return out.getvalue()
