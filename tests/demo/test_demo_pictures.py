"""Demo pictures: the same bytes every time, readable by Pillow and libmagic, distinct per seed."""

from __future__ import annotations

import io
import struct
import subprocess
import sys
import zlib

import magic
import numpy as np
import pytest
from PIL import Image

from tests.demo.reference import sha256
from triage.demo.pictures import encode_jpeg, render
from triage.demo.png import encode_png

# Pinned: the demo's "known" picture. If this changes, every copy of the demo hash set made
# before the change stops matching, so it must only change on purpose.
KNOWN_1_SHA256 = "5d568fed2a6ac64249eaeb2cb8e7d00a262cce528a8674cc38bafcca4fc8fd06"


def test_the_known_picture_has_its_pinned_digest() -> None:
    assert sha256(encode_png(render(7, "DEMO 7", 200, 150))) == KNOWN_1_SHA256


def test_png_round_trips_through_pillow() -> None:
    pixels = render(3, "DEMO 3", 160, 120)
    decoded = Image.open(io.BytesIO(encode_png(pixels)))
    assert decoded.format == "PNG" and decoded.mode == "RGB" and decoded.size == (160, 120)
    assert np.array_equal(np.asarray(decoded), pixels)


def test_png_chunks_have_valid_crcs_and_split_stored_blocks() -> None:
    pixels = render(4, "DEMO 4", 200, 150)  # 90,150 raw bytes: two stored blocks
    png = encode_png(pixels)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    at, chunks = 8, {}
    while at < len(png):
        (length,) = struct.unpack(">I", png[at : at + 4])
        kind, data = png[at + 4 : at + 8], png[at + 8 : at + 8 + length]
        (crc,) = struct.unpack(">I", png[at + 8 + length : at + 12 + length])
        assert crc == zlib.crc32(kind + data), kind
        chunks[kind] = data
        at += 12 + length
    assert list(chunks) == [b"IHDR", b"IDAT", b"IEND"]
    raw = zlib.decompress(chunks[b"IDAT"])
    assert len(raw) == 150 * (1 + 200 * 3) > 65535
    assert raw[1 : 1 + 600] == pixels[0].tobytes()


def test_libmagic_sees_png_and_jpeg() -> None:
    assert magic.from_buffer(encode_png(render(1, "DEMO 1")), mime=True) == "image/png"
    assert magic.from_buffer(encode_jpeg(render(1, "DEMO 1")), mime=True) == "image/jpeg"


def test_render_is_deterministic_and_seeds_differ() -> None:
    assert np.array_equal(render(5, "DEMO 5"), render(5, "DEMO 5"))
    assert not np.array_equal(render(5, "DEMO 5"), render(6, "DEMO 5"))
    assert not np.array_equal(render(5, "DEMO 5"), render(5, "DEMO 6"))


def test_caption_is_drawn_in_white_on_the_dark_band() -> None:
    pixels = render(2, "DEMO 2", 160, 120)
    band = pixels[120 - 27 :]
    white = np.all(band == 255, axis=2)
    assert white.any() and np.all(band[~white] == 0)


def test_jpeg_bytes_are_the_same_in_a_fresh_interpreter() -> None:
    code = (
        "import sys; from triage.demo.pictures import encode_jpeg, render;"
        "sys.stdout.buffer.write(encode_jpeg(render(2, 'DEMO 2', 320, 240)))"
    )
    fresh = subprocess.run(  # noqa: S603 - this interpreter, fixed code
        [sys.executable, "-c", code], capture_output=True, check=True
    ).stdout
    assert fresh == encode_jpeg(render(2, "DEMO 2", 320, 240))
    assert Image.open(io.BytesIO(fresh)).size == (320, 240)


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="no glyph for 'X'"):
        render(1, "XMAS")
    with pytest.raises(ValueError, match="height x width x 3 uint8"):
        encode_png(np.zeros((4, 4), dtype=np.uint8))
