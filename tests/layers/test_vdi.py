"""The VDI reader on qemu-img's VDI files: unwritten blocks, damaged and unsupported headers."""

from __future__ import annotations

import struct

import pytest

from tests.layers.images import convert, layered, sha256_stream
from triage.evidence.raw import RawImage
from triage.layers.base import LayerError
from triage.layers.vdi import VdiLayer

MIB = 1024 * 1024


@pytest.fixture()
def vdi(tmp_path):
    """A 4 MiB disk with data only in its second MiB: blocks 0, 2, 3 are never written."""
    raw = tmp_path / "disk.raw"
    with open(raw, "wb") as out:
        out.truncate(4 * MIB)
        out.seek(MIB + 100)
        out.write(b"written" * 1000)
    return raw, convert(raw, "vdi", tmp_path / "disk.vdi")


def _patched(path, offset, fmt, value):
    data = bytearray(path.read_bytes())
    struct.pack_into(fmt, data, offset, value)
    path.write_bytes(bytes(data))


def test_unwritten_blocks_read_as_zeros_and_written_ones_as_written(vdi):
    raw, image = vdi
    with RawImage(image) as source:
        blocks = struct.unpack_from("<4I", source.read(0x200, 16))
        assert blocks[0] == 0xFFFFFFFF and blocks[1] != 0xFFFFFFFF  # what this test relies on
        (opened,) = VdiLayer().open(source, name="disk.vdi")
        with RawImage(raw) as plain:
            assert sha256_stream(opened.stream) == sha256_stream(plain)
        assert opened.stream.read(MIB + 100, 7) == b"written"
        assert opened.stream.read(4 * MIB - 3, 100) == bytes(3)  # the end is the end


@pytest.mark.parametrize(("offset", "fmt", "value", "message"), [
    (0x4C, "<I", 4, "is a differencing image"),
    (0x44, "<I", 0x00000002, "header version 0.2"),
    (0x178, "<I", 0, "damaged header"),
    (0x180, "<I", 1, "damaged header"),  # one block cannot hold a 4 MiB disk
])
def test_headers_it_cannot_read_are_named_gaps(vdi, offset, fmt, value, message):
    _raw, image = vdi
    _patched(image, offset, fmt, value)
    with layered(image) as (volumes, _):
        (only,) = volumes
        assert not only.examined and message in only.volume.reason
        assert only.volume.reason.startswith("VDI image disk.vdi")


def test_a_truncated_block_map_is_an_error_not_a_crash(vdi):
    _raw, image = vdi
    image.write_bytes(image.read_bytes()[:0x1C8 + 4])
    with RawImage(image) as source, pytest.raises(LayerError, match="cut short"):
        VdiLayer().open(source, name="disk.vdi")
