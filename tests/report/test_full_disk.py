"""A full output disk: one clear OutputError, and everything written before it stays valid.

Each test writes to a real, tiny tmpfs filled to the brim; nothing is simulated.
"""

from __future__ import annotations

import errno
import gzip
import hashlib
import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.report.factory import report, write_scan_output
from triage import keys
from triage.containers.buffers import Collector
from triage.containers.limits import Budget, ContainerLimits
from triage.errors import ExitCode, OutputError
from triage.model import Address, FileRecord
from triage.report.atomic import write_atomic
from triage.report.canonical import canonical_bytes
from triage.report.dfxml import write_dfxml
from triage.report.listing import BLOCK_LINES, ListingWriter, read_listing
from triage.report.manifest import MANIFEST_NAME
from triage.report.sign import SIGNATURE_NAME, seal_output
from triage.report.verify import VERIFIED, verify_report
from triage.report.writer import report_schema, write_report

FULL = "the output disk is full ({}): free space or choose another --out; what was written " \
       "before is intact"


@pytest.fixture()
def small_disk(tmp_path):
    """A 1 MiB tmpfs: a real file system that fills up."""
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,mode=0755", "tmpfs",  # noqa: S603, S607
                           str(mount)], capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {done.stderr.decode(errors='replace').strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], capture_output=True, check=False)  # noqa: S603, S607


def fill(disk: Path, leave: int = 0) -> Path:
    """Fill `disk` until the kernel says ENOSPC, then free `leave` bytes again."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while True:
            try:
                os.write(fd, b"\xa5" * 4096)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
                break
        os.ftruncate(fd, max(os.fstat(fd).st_size - leave, 0))
    finally:
        os.close(fd)
    return filler


def _no_partials(disk: Path) -> None:
    assert not [p.name for p in disk.iterdir() if p.name.endswith(".part")]


def _record(n: int) -> FileRecord:
    # Digest-like names compress poorly, so the listing really grows on disk.
    name = hashlib.sha256(b"%d" % n).hexdigest() + ".jpg"
    return FileRecord(Address("ev", path=f"/photos/{name}", meta_addr=n), name, n)


def test_output_errors_have_their_own_exit_code():
    assert OutputError.exit_code == ExitCode.OUTPUT == 5


def test_an_atomic_write_on_a_full_disk_keeps_the_earlier_version(small_disk):
    path = small_disk / "report.json"
    write_atomic(path, b'{"v":1}')
    fill(small_disk)
    with pytest.raises(OutputError) as caught:
        write_atomic(path, b"x" * 200_000)
    assert str(caught.value) == FULL.format(path)
    assert path.read_bytes() == b'{"v":1}'
    _no_partials(small_disk)


def test_a_full_disk_mid_listing_keeps_every_complete_block_readable(small_disk):
    writer = ListingWriter(small_disk)
    records = [_record(n) for n in range(40_000)]  # far more than 1 MiB of listing
    with pytest.raises(OutputError) as caught:
        for record in records:
            writer.write(record)
        writer.close()
    assert str(caught.value) == FULL.format(small_disk / "files.jsonl.gz")
    assert writer.written > 0 and writer.written % BLOCK_LINES == 0
    assert writer.count > writer.written  # the torn block was cut off
    kept = read_listing(small_disk / "files.jsonl.gz")
    assert kept == [r.to_dict() for r in records[: writer.written]]
    _no_partials(small_disk)
    writer.close()  # the pipeline may close it again on its way out: nothing happens
    with pytest.raises(OutputError):
        writer.write(records[0])  # and a further write says the same, not a crash


def test_a_listing_on_a_disk_full_before_its_first_block_is_an_empty_listing(small_disk):
    fill(small_disk, leave=4096)  # a page: room for a gzip header, not for a block
    writer = ListingWriter(small_disk)
    with pytest.raises(OutputError):
        for n in range(2 * BLOCK_LINES):
            writer.write(_record(n))
    assert writer.written == 0
    assert read_listing(small_disk / "files.jsonl.gz") == []


def test_a_listing_that_fits_is_unchanged_by_the_block_format(tmp_path):
    writer = ListingWriter(tmp_path)
    records = [_record(n) for n in range(BLOCK_LINES * 2 + 7)]
    for record in records:
        writer.write(record)
    writer.close()
    assert read_listing(tmp_path / "files.jsonl.gz") == [r.to_dict() for r in records]
    assert writer.written == writer.count == len(records)
    (tmp_path / "none").mkdir()
    ListingWriter(tmp_path / "none").close()
    assert read_listing(tmp_path / "none" / "files.jsonl.gz") == []
    done = subprocess.run(["gzip", "-t", str(tmp_path / "none" / "files.jsonl.gz")],  # noqa: S603, S607
                          check=False)
    assert done.returncode == 0


def _valid_report() -> dict:
    """The factory's report, with any coverage field the schema added since given its empty
    value (the schema grows with the pipeline; these tests are about the disk, not the fields).
    """
    rep = report()
    coverage = report_schema()["properties"]["coverage"]
    empty = {"array": [], "object": {}, "integer": 0, "boolean": False, "string": ""}
    for key in coverage.get("required", []):
        kind = coverage["properties"][key].get("type")
        if key not in rep["coverage"]:
            rep["coverage"][key] = None if isinstance(kind, list) and "null" in kind \
                else empty[kind if isinstance(kind, str) else kind[0]]
    return rep


def test_report_json_on_a_full_disk(small_disk):
    write_report(small_disk, _valid_report())
    before = (small_disk / "report.json").read_bytes()
    fill(small_disk)
    bigger = _valid_report()
    bigger["warnings"] = [{"address": f"ev · /{n}", "stage": "read", "message": "x" * 300}
                          for n in range(1000)]
    with pytest.raises(OutputError, match=r"full \(.*report\.json\)"):
        write_report(small_disk, bigger)
    assert (small_disk / "report.json").read_bytes() == before
    _no_partials(small_disk)


def test_a_streamed_export_on_a_full_disk_leaves_no_half_file(small_disk):
    fill(small_disk, leave=8192)
    records = [_record(n).to_dict() for n in range(5000)]
    with pytest.raises(OutputError, match="report.dfxml"):
        write_dfxml(small_disk / "report.dfxml", report(), lambda: iter(records))
    assert not (small_disk / "report.dfxml").exists()
    _no_partials(small_disk)


def test_sealing_on_a_full_disk_leaves_an_unsealed_folder_then_seals_once_freed(
        small_disk, tmp_path):
    key = keys.generate(tmp_path / "keys", "stick07")
    trusted = tmp_path / "trusted"
    trusted.mkdir()
    (trusted / "stick07.pub").write_bytes((tmp_path / "keys" / "stick07.pub").read_bytes())
    write_scan_output(small_disk)
    seal_output(small_disk, key, "0.1.0")  # a first seal, as a resumed scan would find
    # The resumed scan's report lists many warnings: its report.html no longer fits.
    longer = report()
    longer["warnings"] = [{"address": f"ev · /{n}", "stage": "read", "message": "m" * 250}
                          for n in range(1000)]
    (small_disk / "report.json").write_bytes(canonical_bytes(longer))
    kept = {name: (small_disk / name).read_bytes() for name in ("report.json", "files.jsonl.gz")}
    filler = fill(small_disk)
    with pytest.raises(OutputError):
        seal_output(small_disk, key, "0.1.0")
    assert {name: (small_disk / name).read_bytes() for name in kept} == kept
    # No manifest or signature describing files that may have changed: plainly unsealed.
    assert not (small_disk / MANIFEST_NAME).exists()
    assert not (small_disk / SIGNATURE_NAME).exists()
    _no_partials(small_disk)
    assert "manifest.json is missing" in verify_report(small_disk, trusted).problems[0]
    filler.unlink()
    seal_output(small_disk, key, "0.1.0")
    assert verify_report(small_disk, trusted).status == VERIFIED


def test_a_member_spilled_to_a_full_disk_stops_with_an_output_error(small_disk):
    fill(small_disk, leave=64 * 1024)
    spill = small_disk / "spill"
    limits = ContainerLimits(memory_member_bytes=16 * 1024, spill_dir=spill)
    collector = Collector(Budget(limits), None, "this member")
    with pytest.raises(OutputError, match="full"):
        for _ in range(64):
            collector.write(os.urandom(16 * 1024))
    collector.discard()
    assert list(spill.iterdir()) == []  # the half member is gone


def test_the_listing_keeps_json_lines_intact_after_a_full_disk(small_disk):
    writer = ListingWriter(small_disk)
    with pytest.raises(OutputError):
        for n in range(40_000):
            writer.write(_record(n))
    with gzip.open(small_disk / "files.jsonl.gz", "rt", encoding="utf-8") as handle:
        lines = handle.read().split("\n")
    assert lines[-1] == ""  # ends with a complete line
    assert all(json.loads(line)["meta_addr"] == n for n, line in enumerate(lines[:-1]))
