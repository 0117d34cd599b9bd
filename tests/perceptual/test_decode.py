"""Decoding: formats, orientation, animation, draft downscaling, and hostile or broken files."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from triage.perceptual import PictureHashes, hash_picture
from triage.perceptual.decode import decode
from triage.perceptual.pdq import Pdq
from triage.perceptual.thresholds import MAX_FRAMES, PDQ_DECODE_MIN_SIDE

from .conftest import encode, scene


def _hashes(data: bytes) -> PictureHashes:
    result = hash_picture(data)
    assert isinstance(result, PictureHashes), result
    return result


def _pdq_distance(a: PictureHashes, b: PictureHashes) -> int:
    return Pdq.distance(Pdq.parse(a.pdq), Pdq.parse(b.pdq))


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height, with one tiny compressed row behind it."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + crc

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 4))


@pytest.mark.parametrize(
    ("fmt", "options"),
    [
        ("JPEG", {"quality": 90}),
        ("PNG", {}),
        ("WEBP", {"quality": 90}),
        ("BMP", {}),
        ("TIFF", {}),
        ("GIF", {}),
        ("HEIF", {"quality": 90}),
    ],
)
def test_every_format_hashes_to_the_same_picture(fmt: str, options: dict) -> None:
    if fmt == "HEIF":
        pytest.importorskip("pillow_heif")
    original = _hashes(encode(scene(7), "PNG"))
    other = _hashes(encode(scene(7), fmt, **options))
    assert (other.width, other.height) == (640, 480)
    # GIF's 256-colour palette is the harshest change here; all stay well inside PDQ's 31.
    assert _pdq_distance(original, other) <= 20


@pytest.mark.parametrize("mode", ["L", "CMYK"])
def test_grey_and_cmyk_jpegs_hash_like_the_colour_original(mode: str) -> None:
    original = _hashes(encode(scene(16, (1400, 1000)), "PNG"))
    converted = _hashes(encode(scene(16, (1400, 1000)).convert(mode), "JPEG", quality=90))
    assert _pdq_distance(original, converted) <= 8  # PDQ reads luminance only


def test_jpeg_is_decoded_at_the_smallest_scale_keeping_512_pixels() -> None:
    data = encode(scene(8, (2400, 1800)), "JPEG", quality=90)
    decoded = decode(data)
    assert not isinstance(decoded, str)
    assert decoded.frames[0].size == (1200, 900)  # 1/2; 1/4 would be 600 x 450 < 512
    assert min(decoded.frames[0].size) >= PDQ_DECODE_MIN_SIDE
    assert (decoded.width, decoded.height) == (2400, 1800)
    with Image.open(io.BytesIO(data)) as full:
        full_pdq, _ = Pdq.compute_dihedral(np.asarray(full.convert("RGB")))
    drafted = _hashes(data)
    assert Pdq.distance(full_pdq[0], Pdq.parse(drafted.pdq)) <= 12  # issue 4: drift 2-12 bits


def test_multi_picture_jpeg_from_phones_is_drafted_too() -> None:
    first, second = scene(14, (2400, 1800)), scene(15, (2400, 1800))
    data = encode(first, "MPO", save_all=True, append_images=[second], quality=90)
    decoded = decode(data)
    assert not isinstance(decoded, str)
    assert (decoded.format, decoded.frame_count) == ("MPO", 2)
    assert [f.size for f in decoded.frames] == [(1200, 900), (1200, 900)]


def test_exif_orientation_is_applied() -> None:
    upright = scene(9)
    stored = upright.transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 clockwise to display"
    tagged = _hashes(encode(stored, "JPEG", quality=92, exif=exif.tobytes()))
    plain = _hashes(encode(upright, "JPEG", quality=92))
    untagged = _hashes(encode(stored, "JPEG", quality=92))
    assert _pdq_distance(tagged, plain) <= 10
    assert _pdq_distance(untagged, plain) > Pdq.match_distance


def test_animation_hashes_first_frame_and_a_few_more() -> None:
    frames = [scene(s, (200, 150)) for s in range(20, 30)]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=50)
    result = _hashes(data)
    assert result.frames == 10
    assert len(result.variants) == MAX_FRAMES
    assert result.variants[0].pdq[0] == result.pdq
    assert len({v.pdq[0] for v in result.variants}) == MAX_FRAMES


def test_transparency_is_flattened_onto_white() -> None:
    picture = scene(10).convert("RGBA")
    hidden = np.asarray(picture).copy()
    hidden[:, :320, 3] = 0  # left half transparent...
    hidden[:, :320, :3] = 0  # ...over black pixels nobody sees
    see_through = Image.fromarray(hidden, "RGBA")
    white = Image.new("RGB", picture.size, (255, 255, 255))
    white.paste(see_through, mask=see_through.getchannel("A"))
    assert _hashes(encode(see_through, "PNG")).pdq == _hashes(encode(white, "PNG")).pdq


def test_sixteen_bit_grey_is_scaled_not_clipped() -> None:
    grey = np.asarray(scene(11).convert("L"), dtype=np.uint16) * 257
    result = _hashes(encode(Image.fromarray(grey), "PNG"))
    assert result.pdq_quality >= 50  # clipped to white it would be flat, quality 0


@pytest.mark.parametrize(("width", "height"), [(100_000, 100_000), (30_000, 7_000)])
def test_absurd_dimensions_are_refused_without_decoding(width: int, height: int) -> None:
    result = hash_picture(_png_header_only(width, height))
    assert isinstance(result, str)
    assert "pixels" in result


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "GIF", "WEBP"])
def test_truncated_picture_gives_a_reason(fmt: str) -> None:
    data = encode(scene(12), fmt)
    result = hash_picture(data[: len(data) // 2], name="cut.bin")
    assert isinstance(result, str)
    assert result.startswith("cut.bin: ")


def test_not_a_picture_and_empty_bytes() -> None:
    assert hash_picture(b"") == "not a picture format Pillow can open"
    assert hash_picture(b"%PDF-1.7 not a picture") == "not a picture format Pillow can open"


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "GIF", "WEBP", "BMP", "TIFF"])
def test_corrupted_bytes_never_raise(fmt: str) -> None:
    data = bytearray(encode(scene(13, (160, 120)), fmt))
    rng = np.random.default_rng(13)
    for _ in range(25):
        broken = bytearray(data)
        for position in rng.integers(0, len(broken), 8):
            broken[position] = int(rng.integers(0, 256))
        result = hash_picture(bytes(broken))
        assert isinstance(result, PictureHashes | str)
