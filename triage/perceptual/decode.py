"""Decode a picture quickly and safely into the luma (greyscale) frames both hashes read."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageFile, ImageOps

from triage.perceptual.thresholds import MAX_FRAMES, MAX_PICTURE_PIXELS, PDQ_DECODE_MIN_SIDE

try:  # HEIC/HEIF/AVIF from phones; optional so a stick without the wheel still scans JPEGs
    import pillow_heif

    pillow_heif.register_heif_opener()
except ImportError:  # pragma: no cover - exercised only where pillow-heif is missing
    pillow_heif = None

# Pillow's own bomb guard, set deliberately rather than inherited: it raises above twice this.
Image.MAX_IMAGE_PIXELS = MAX_PICTURE_PIXELS
# A truncated picture decodes to grey below the cut; hashing that would describe the grey,
# not the picture, so truncation is reported instead.
ImageFile.LOAD_TRUNCATED_IMAGES = False


@dataclass(frozen=True, slots=True)
class Decoded:
    """The frames to hash (mode "L", EXIF orientation applied) and the picture's stored size.

    Luma only, because PDQ and pHash read nothing else: a JPEG's Y plane is decoded without the
    chroma planes, their upsampling and the colour conversion (bench/perceptual/decode_bench.py).
    """

    frames: list[Image.Image]
    width: int
    height: int
    frame_count: int
    format: str


def _frame_indexes(count: int) -> list[int]:
    """The first frame and up to MAX_FRAMES - 1 more, spread evenly over the animation."""
    if count <= MAX_FRAMES:
        return list(range(count))
    step = count / MAX_FRAMES
    return sorted({int(i * step) for i in range(MAX_FRAMES)})


def _to_luma(frame: Image.Image) -> Image.Image:
    """Luma ("L") with transparency flattened onto white, so hidden pixel colours do not count."""
    if frame.mode == "L":
        return frame
    if frame.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        # 16-bit and float greys: stretch to 8 bits instead of letting convert() clip them.
        values = np.asarray(frame, dtype=np.float64)
        low, high = float(values.min()), float(values.max())
        scaled = (values - low) * (255.0 / (high - low)) if high > low else values * 0
        return Image.fromarray(scaled.astype(np.uint8), "L")
    if frame.mode == "P" and "transparency" in frame.info:
        frame = frame.convert("RGBA")
    if frame.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        base = Image.new("RGB", frame.size, (255, 255, 255))
        base.paste(frame.convert("RGBA"), mask=frame.convert("RGBA").getchannel("A"))
        frame = base
    return frame.convert("L")


def decode(data: bytes | BinaryIO, *, min_side: int = PDQ_DECODE_MIN_SIDE) -> Decoded | str:
    """Decode `data`; a str return is a one-sentence reason the picture could not be decoded.

    JPEGs are decoded luma only, with DCT-domain downscaling (draft) to the smallest scale whose
    shorter side stays >= `min_side`: a fraction of the work of a full decode, while PDQ stays
    within a few bits of a full decode (bench/perceptual/decode_bench.py prints the drift).
    """
    if isinstance(data, bytes | bytearray | memoryview):
        stream: BinaryIO = io.BytesIO(data)
    elif not data.seekable():  # Pillow seeks back to the start; give it something that can
        stream = io.BytesIO(data.read())
    else:
        stream = data
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return _decode(stream, min_side)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return f"picture claims more than {MAX_PICTURE_PIXELS:,} pixels; not decoded"
    except Image.UnidentifiedImageError:
        return "not a picture format Pillow can open"
    except MemoryError:
        return "picture is too large to decode in the memory available"
    except OSError as exc:
        if "truncated" in str(exc).lower():
            return "picture is truncated (file cut short or partly overwritten)"
        return f"picture is corrupt: {exc}"
    except Exception as exc:  # noqa: BLE001 - hostile files raise anything; a scan must go on
        return f"picture is corrupt: {type(exc).__name__}: {exc}"


def _decode(stream: BinaryIO, min_side: int) -> Decoded | str:
    with Image.open(stream) as image:
        width, height = image.size
        if width <= 0 or height <= 0:
            return "picture has no pixels"
        if width * height > MAX_PICTURE_PIXELS:
            return f"picture claims {width}x{height} pixels, over the limit; not decoded"
        count = max(1, int(getattr(image, "n_frames", 1) or 1))
        fmt = image.format or ""
        indexes = _frame_indexes(count)
        if fmt not in ("JPEG", "MPO"):
            frames = []
            for index in indexes:
                image.seek(index)
                # A still picture's pixels are not touched again: its frame keeps them. An
                # animation decodes later frames into the same pixels, so each is copied.
                frames.append(_frame(image, share=count == 1))
            return Decoded(frames, width, height, count, fmt)
    # JPEG (and MPO, phone JPEGs with a second depth or preview frame): draft() picks the
    # largest DCT reduction keeping both sides >= the request, and "L" decodes only the Y plane
    # of a colour JPEG (grey and CMYK ones keep their mode and are converted below). Pillow
    # cannot seek to another frame after a drafted load, so each frame is drafted afresh.
    frames = []
    for index in indexes:
        stream.seek(0)
        with Image.open(stream) as image:
            image.seek(index)
            image.draft("L", (min_side, min_side))
            frames.append(_frame(image, share=True))  # opened afresh for every frame
    return Decoded(frames, width, height, count, fmt)


def _frame(image: Image.Image, *, share: bool) -> Image.Image:
    """The current frame decoded, upright (EXIF orientation) and as luma.

    The frame must outlive `image`, which is closed after this. With `share` it keeps the
    decoded pixels themselves (closing only drops `image`'s reference to them), otherwise a
    copy: exif_transpose used to copy every upright picture, 4% of hashing's CPU.
    """
    image.load()
    ImageOps.exif_transpose(image, in_place=True)
    # _new is copy() without the copy; it is Pillow's private API, so a Pillow without it
    # gets the copy rather than an error on every picture.
    share = share and hasattr(image, "_new")
    frame = image._new(image.im) if share else image.copy()
    return _to_luma(frame)
