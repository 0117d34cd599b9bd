"""Virtual disk formats as sources: qemu-img conversions of a fixture disk read as the raw disk."""

from __future__ import annotations

import os
import shutil

import pytest

from tests.layers.images import convert, layered, listing, qemu_img, sha256_stream
from tests.scan.scanning import scan
from triage.evidence.raw import RawImage
from triage.layers.base import LayerError
from triage.layers.registry import identify

# qemu-img's format names, and the chain link triage gives each.
FORMATS = {"vmdk": "vmdk", "vhdx": "vhdx", "vpc": "vhd", "qcow2": "qcow2", "vdi": "vdi"}


@pytest.fixture(scope="module")
def gpt4_formats(gpt4_image, tmp_path_factory):
    """The gpt4 fixture disk converted to every format (qemu-img), by qemu-img's format name."""
    folder = tmp_path_factory.mktemp("formats")
    return {fmt: convert(gpt4_image.path, fmt, folder / f"gpt4.{fmt}") for fmt in FORMATS}


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_disk_inside_is_the_raw_disk_byte_for_byte(gpt4_image, gpt4_formats, fmt):
    with RawImage(gpt4_formats[fmt]) as source:
        layer = identify(source)
        assert layer is not None, f"{fmt}: not recognised"
        (opened,) = layer.open(source, name=gpt4_formats[fmt].name)
        assert opened.label == FORMATS[fmt]
        # qemu-img rounds a VHD's size up to its CHS geometry; the raw disk is a prefix of it.
        assert opened.stream.size >= gpt4_image.path.stat().st_size
        with RawImage(gpt4_image.path) as raw:
            assert sha256_stream(_Prefix(opened.stream, raw.size)) == sha256_stream(raw)


class _Prefix:
    def __init__(self, stream, size):
        self._stream, self.size = stream, size

    def read(self, offset, length):
        return self._stream.read(offset, min(length, self.size - offset))


@pytest.fixture(scope="module")
def raw_scan(gpt4_image, tmp_path_factory):
    return scan(gpt4_image, tmp_path_factory.mktemp("raw") / "out")


@pytest.mark.parametrize("fmt", FORMATS)
def test_scan_gives_the_raw_listing_and_findings(raw_scan, gpt4_formats, fmt, tmp_path,
                                                 gpt4_image):
    raw = raw_scan
    image = _as_fixture(gpt4_image, gpt4_formats[fmt])
    converted = scan(image, tmp_path / "out")
    chain = f"{image.path.name} · {FORMATS[fmt]}"

    def norm(items, source):
        out = []
        for item in items:
            text = repr(sorted(item.items())).replace(source, "SOURCE")
            out.append(text)
        return sorted(out)

    assert norm(converted.records, chain) == norm(raw.records, raw.image.path.name)
    assert norm(converted.report["findings"], chain) == norm(raw.report["findings"],
                                                            raw.image.path.name)
    for volume in converted.report["coverage"]["volumes"]:
        assert volume["layers"][0] == FORMATS[fmt]
        assert volume["status"] == "examined"
    assert converted.report["verdict"] == raw.report["verdict"]
    # The evidence is named by what it is, not only by how its bytes were read.
    (evidence,) = converted.report["provenance"]["evidence"]
    assert evidence["kind"] == f"{FORMATS[fmt]} virtual disk in a raw image file"
    assert raw.report["provenance"]["evidence"][0]["kind"] == "raw image"
    converted.assert_unchanged()


def _as_fixture(raw_fixture, path):
    """The converted file as a FixtureImage (scan() checks its SHA-256 before and after)."""
    from dataclasses import replace

    from tests.fixtures import sha256_file

    return replace(raw_fixture, path=path, sha256=sha256_file(path))


def test_split_vmdk_extents_are_found_beside_the_descriptor(gpt4_image, tmp_path):
    descriptor = convert(gpt4_image.path, "vmdk", tmp_path / "split.vmdk",
                         "-o", "subformat=twoGbMaxExtentFlat")
    extents = sorted(p.name for p in tmp_path.iterdir() if p.name != "split.vmdk")
    assert extents, "qemu-img wrote no extent file"
    with layered(descriptor) as (volumes, sink):
        assert [v.volume.fs_type for v in volumes] == ["ntfs", "fat32", "ext4", "exfat"]
        assert volumes[0].layers[0] == "vmdk"
    os.unlink(tmp_path / extents[0])
    with layered(descriptor) as (volumes, sink):
        (only,) = volumes
        assert not only.examined
        assert extents[0] in only.volume.reason and "not beside it" in only.volume.reason
        assert only.volume.gap == "unsupported"


def test_monolithic_flat_vmdk(gpt4_image, tmp_path):
    descriptor = convert(gpt4_image.path, "vmdk", tmp_path / "flat.vmdk",
                         "-o", "subformat=monolithicFlat")
    with layered(descriptor) as (volumes, _):
        assert [v.volume.fs_type for v in volumes] == ["ntfs", "fat32", "ext4", "exfat"]


@pytest.mark.parametrize("fmt", ["qcow2", "vmdk"])
def test_a_child_image_reads_through_its_backing_file(gpt4_image, tmp_path, fmt):
    base = convert(gpt4_image.path, fmt, tmp_path / f"base.{fmt}")
    child = tmp_path / f"child.{fmt}"
    qemu_img("create", "-q", "-f", fmt, "-b", base.name, "-F", fmt, str(child))
    with layered(child) as (volumes, _):
        assert [v.volume.fs_type for v in volumes] == ["ntfs", "fat32", "ext4", "exfat"]
        with layered(gpt4_image.path) as (raw_volumes, _):
            assert listing(volumes[2]) == listing(raw_volumes[2])
    shutil.move(base, tmp_path / "elsewhere")
    with layered(child) as (volumes, sink):
        (only,) = volumes
        assert not only.examined and "base" in only.volume.reason
        assert "not beside it" in only.volume.reason
        assert "unknown file system" not in only.volume.reason


def test_a_layer_that_cannot_open_raises_layer_error_not_oserror(tmp_path):
    broken = tmp_path / "broken.qcow2"
    broken.write_bytes(b"QFI\xfb" + bytes(4092))
    with RawImage(broken) as source:
        layer = identify(source)
        assert layer is not None and layer.name == "qcow"
        with pytest.raises(LayerError, match="QCOW image broken.qcow2 could not be opened"):
            layer.open(source, name="broken.qcow2")


@pytest.mark.parametrize("subformat", ["twoGbMaxExtentSparse", "twoGbMaxExtentFlat"])
def test_a_vmdk_split_over_several_extents_reads_across_them(gpt4_image, tmp_path, subformat):
    raw = tmp_path / "big.raw"
    shutil.copy(gpt4_image.path, raw)
    marker = b"past the first 2 GiB extent"
    with open(raw, "r+b") as out:
        out.truncate(2 * 1024**3 + 64 * 1024**2)
        out.seek(2 * 1024**3 + 1024**2 - 10)  # straddles the boundary between extents
        out.write(marker)
    descriptor = convert(raw, "vmdk", tmp_path / "big.vmdk", "-o", f"subformat={subformat}")
    extents = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("big-"))
    assert len(extents) == 2, extents
    with RawImage(descriptor) as source:
        (opened,) = identify(source).open(source, name="big.vmdk",
                                          sibling=lambda name: _open(tmp_path / name))
        assert opened.facts["extents"] == 2
        assert opened.stream.read(2 * 1024**3 + 1024**2 - 10, len(marker)) == marker
    with layered(descriptor) as (volumes, _):
        assert [v.volume.fs_type for v in volumes] == ["ntfs", "fat32", "ext4", "exfat"]


def _open(path):
    return RawImage(path) if path.exists() else None


def test_a_qcow2_over_a_raw_backing_file_is_a_named_gap(gpt4_image, tmp_path):
    shutil.copy(gpt4_image.path, tmp_path / "base.raw")
    child = tmp_path / "child.qcow2"
    qemu_img("create", "-q", "-f", "qcow2", "-b", "base.raw", "-F", "raw", str(child))
    with layered(child) as (volumes, _):
        (only,) = volumes
        assert not only.examined
        assert "its backing file base.raw is not a QCOW image" in only.volume.reason
