"""Virtual disks found inside the evidence are opened like archives, their files examined."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.containers.builders import jpeg
from tests.layers.images import convert
from triage import keys
from triage.hashdb.importing import import_files
from triage.hashdb.setinfo import SetInfo
from triage.pipeline import ScanOptions, run_scan

MIB = 1024 * 1024


def _ext4(image: Path, size: int, tree: Path) -> None:
    with open(image, "wb") as out:
        out.truncate(size)
    subprocess.run(["mkfs.ext4", "-q", "-F", "-d", str(tree), str(image)], check=True,
                   capture_output=True)


def _mbr_disk(image: Path, fs: Path) -> None:
    """`fs` placed as partition 1 (at 1 MiB) of an MBR disk, by sfdisk."""
    size = fs.stat().st_size
    with open(image, "wb") as out:
        out.truncate(size + 2 * MIB)
    subprocess.run(["sfdisk", "--quiet", str(image)], input=f"start=2048, size={size // 512}, "
                   "type=83\n".encode(), check=True, capture_output=True)
    with open(fs, "rb") as src, open(image, "r+b") as dst:
        dst.seek(MIB)
        shutil.copyfileobj(src, dst)


@pytest.fixture(scope="module")
def inner_raw(tmp_path_factory):
    """An MBR disk whose ext4 partition holds the known picture and a note."""
    if shutil.which("mkfs.ext4") is None or shutil.which("sfdisk") is None:
        pytest.skip("needs mkfs.ext4 and sfdisk")
    tmp = tmp_path_factory.mktemp("inner")
    tree = tmp / "inner"
    (tree / "Users" / "alex" / "Pictures").mkdir(parents=True)
    (tree / "Users" / "alex" / "Pictures" / "k.jpg").write_bytes(jpeg(11))
    (tree / "notes.txt").write_bytes(b"nothing here\n")
    _ext4(tmp / "inner.ext4", 8 * MIB, tree)
    _mbr_disk(tmp / "inner.raw", tmp / "inner.ext4")
    return tmp / "inner.raw"


@pytest.fixture(scope="module")
def evidence(tmp_path_factory, inner_raw):
    """An ext4 volume whose user keeps virtual machines: a VMDK, a fixed VHD, a QCOW2 and a
    VDI, each a disk holding the known picture, plus a VMDK that is damaged."""
    tmp = tmp_path_factory.mktemp("vms")
    known = jpeg(11)
    outer = tmp / "outer"
    vms = outer / "home" / "alex" / "VMs"
    vms.mkdir(parents=True)
    convert(inner_raw, "vmdk", vms / "win.vmdk")
    convert(inner_raw, "vpc", vms / "old.vhd", "-o", "subformat=fixed")
    convert(inner_raw, "qcow2", vms / "backup.qcow2")
    convert(inner_raw, "vdi", vms / "vbox.vdi")
    (vms / "broken.vmdk").write_bytes(b"KDMV" + bytes(8188))
    _ext4(tmp / "evidence.ext4", 64 * MIB, outer)
    key = keys.generate(tmp / "lab", "lab")
    (tmp / "trusted").mkdir()
    (tmp / "trusted" / "lab.pub").write_bytes(keys.public_pem(key.public))
    listing = tmp / "known.sha256"
    listing.write_text(f"{hashlib.sha256(known).hexdigest()}  known.jpg\n")
    import_files([listing], SetInfo(name="known"), tmp / "sets", signer=key)
    return tmp / "evidence.ext4", ScanOptions(hashsets=tmp / "sets", trusted_keys=tmp / "trusted")


@pytest.fixture(scope="module")
def scanned(evidence, tmp_path_factory):
    image, options = evidence
    before = hashlib.sha256(image.read_bytes()).hexdigest()
    result = run_scan([str(image)], tmp_path_factory.mktemp("scan") / "out", options)
    assert hashlib.sha256(image.read_bytes()).hexdigest() == before
    return result


def test_the_known_picture_is_found_inside_every_virtual_disk(scanned):
    hits = sorted(f["path"] for f in scanned.report["findings"] if f["kind"] == "exact")
    assert hits == [f"/home/alex/VMs/{name}!p1@1048576 ext4 · /Users/alex/Pictures/k.jpg"
                    for name in ("backup.qcow2", "old.vhd", "vbox.vdi", "win.vmdk")]
    assert scanned.report["verdict"]["level"] == "red"


def test_a_virtual_disk_that_cannot_be_opened_is_a_named_gap(scanned):
    text = repr(scanned.report["warnings"]) + repr(scanned.report["coverage"])
    assert "broken.vmdk" in text
    assert "VMDK image broken.vmdk could not be opened" in text
    assert "unknown file system" not in text


def _expand_vmdk(inner_raw, tmp_path, limits):
    from triage.containers import expand
    from triage.model import Address, FileRecord, PartitionRef

    vmdk = convert(inner_raw, "vmdk", tmp_path / "win.vmdk")
    data = vmdk.read_bytes()

    class Bytes:
        size = len(data)

        def read(self, offset, length):
            return data[offset: offset + length]

    record = FileRecord(Address("case.img", PartitionRef(1, MIB, "ntfs"), "/VMs/win.vmdk", 7),
                        "win.vmdk", len(data))
    return list(expand(record, Bytes(), limits=limits))


def test_the_member_limit_keeps_the_likeliest_files_of_a_virtual_disk(inner_raw, tmp_path):
    from triage.containers import ContainerLimits, Member, Problem

    items = _expand_vmdk(inner_raw, tmp_path, ContainerLimits(max_members=1))
    members = [i.record.address.member for i in items if isinstance(i, Member)]
    assert members == ["p1@1048576 ext4 · /Users/alex/Pictures/k.jpg"]  # not /notes.txt
    (problem,) = [i for i in items if isinstance(i, Problem)]
    assert "1 of the 2 files inside this virtual disk were not examined" in problem.message
    assert problem.not_examined


def test_a_virtual_disk_whose_files_outgrow_the_disk_file_is_stopped(inner_raw, tmp_path):
    from triage.containers import ContainerLimits, Problem

    items = _expand_vmdk(inner_raw, tmp_path, ContainerLimits(max_expanded_bytes=1000))
    problems = [i for i in items if isinstance(i, Problem)]
    assert any("limit on expanded bytes" in p.message for p in problems)
