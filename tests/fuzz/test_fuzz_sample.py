"""A fixed-seed sample of mutated file systems through the real scan: no crash, no hang."""

from __future__ import annotations

import random
import struct
import sys
import zlib
from pathlib import Path

import pytest

from tests.fuzz.harness import (
    CRASH,
    HANG,
    OK,
    TARGETS,
    Failure,
    Outcome,
    ScanWorker,
    check_output,
    fuzz_target,
    load_regression,
    run_variant,
    save_regression,
    sha256_file,
)
from tests.fuzz.mutate import Patch, PatchedCopy, gpt_crc_patches, make_variant
from tests.fuzz.regions import FINDERS

# Ten variants per target keep the sample near 20 s; bench/fuzz_long.py runs 500 per target.
SAMPLE = 10
SEED = 20261125


@pytest.fixture(scope="module")
def worker(tmp_path_factory):
    with ScanWorker(tmp_path_factory.mktemp("fuzz-worker")) as scan_worker:
        yield scan_worker


@pytest.mark.parametrize("target", list(TARGETS))
def test_mutated_metadata_never_crashes_or_hangs_the_scan(target, fixture_images, worker,
                                                         tmp_path):
    fixture = fixture_images(TARGETS[target])
    summary = fuzz_target(target, fixture.path, SAMPLE, SEED, tmp_path, timeout=30,
                          worker=worker)
    assert summary.variants == SAMPLE
    assert [f.to_json() for f in summary.failures] == []
    assert sha256_file(fixture.path) == fixture.sha256  # the copy was mutated, never the fixture


def test_the_sample_really_mutates_metadata(fixture_images, tmp_path):
    # The sample is only worth running if the variants differ from the original image.
    fixture = fixture_images("ext4")
    rng = random.Random(SEED)  # noqa: S311
    regions = FINDERS["ext4"](fixture.path)
    changed = 0
    copy = PatchedCopy(fixture.path, tmp_path / "copy.img")
    for _ in range(10):
        _, patches = make_variant(rng, copy.path, regions, "ext4")
        copy.apply(patches)
        changed += sha256_file(copy.path) != fixture.sha256
        copy.revert()
        assert sha256_file(copy.path) == fixture.sha256  # revert restores every byte
    assert changed >= 8  # a bit flip can be undone by a second mutation, rarely


def test_regions_point_at_the_on_disk_structures(fixture_images):
    def first(target: str, name_part: str) -> bytes:
        path = fixture_images(TARGETS[target]).path
        region = next(r for r in FINDERS[target](path) if name_part in r.name)
        with open(path, "rb") as handle:
            handle.seek(region.offset)
            return handle.read(region.length)

    assert first("ntfs", "boot")[3:7] == b"NTFS"
    assert first("ntfs", "system records")[:4] == b"FILE"
    assert first("ext4", "superblock")[56:58] == b"\x53\xef"
    assert first("ext4", "root directory")[8:9] == b"."  # the "." entry of the root
    assert first("exfat", "boot")[3:8] == b"EXFAT"
    assert first("fat16", "directory cluster")[:11] == b".          "
    assert first("fat32", "FS info")[:4] == b"RRaA"
    assert first("gpt", "header")[:8] == b"EFI PART"
    assert first("mbr", "extended boot record 2")[4] != 0  # a logical partition's type


def test_gpt_crcs_are_recomputed_after_a_mutation(fixture_images):
    path = fixture_images("gpt4").path
    rename = Patch(2 * 512 + 56, "x".encode("utf-16-le"))  # entry 1's name
    fixed = gpt_crc_patches(path, [rename])
    with open(path, "rb") as handle:
        header = bytearray(handle.read(1024)[512:])
        entries = bytearray(handle.read(128 * 128))
    entries[56:58] = rename.data
    for patch in fixed:
        header[patch.offset - 512: patch.offset - 512 + 4] = patch.data
    assert struct.unpack_from("<I", header, 88)[0] == zlib.crc32(entries)
    size = struct.unpack_from("<I", header, 12)[0]
    check = bytearray(header[:size])
    check[16:20] = bytes(4)
    assert struct.unpack_from("<I", header, 16)[0] == zlib.crc32(check)


def test_an_exception_in_the_scan_is_classified_as_a_crash(worker, tmp_path, fixture_images):
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.json").write_text("{}")  # run_scan refuses to overwrite: a real exception
    status, answer = worker.scan(fixture_images("fat12").path, out, 30)
    assert status == CRASH
    assert answer["error"].startswith("UsageError")


def test_a_silent_worker_is_a_hang_and_is_killed(tmp_path):
    sleeper = [sys.executable, "-c", "import time; time.sleep(600)"]
    with ScanWorker(tmp_path, sleeper) as silent:
        status, _ = silent.scan(tmp_path / "x.img", tmp_path / "out", 1.0)
        assert status == HANG
        assert silent.restarts == 1  # killed, so the next scan starts afresh


def test_a_dying_worker_is_a_crash_with_its_last_words(tmp_path):
    dying = [sys.executable, "-c", "import sys; sys.stderr.write('segfault here'); "
             "import os; os._exit(139)"]
    with ScanWorker(tmp_path, dying) as worker:
        status, answer = worker.scan(tmp_path / "x.img", tmp_path / "out", 10.0)
    assert status == CRASH
    assert "139" in answer["error"] and "segfault here" in answer["traceback"]


def test_a_missing_report_is_unsound(tmp_path):
    assert "no readable report.json" in check_output(tmp_path)
    (tmp_path / "report.json").write_text('{"verdict": {}}')
    assert "lacks" in check_output(tmp_path)


def test_unmutated_image_scans_ok_and_stays_unchanged(worker, fixture_images, tmp_path):
    fixture = fixture_images("ntfs")
    copy = PatchedCopy(fixture.path, tmp_path / "ntfs.img")
    outcome = run_variant(worker, copy, [], tmp_path, 30)
    assert outcome.status == OK and outcome.exit_code == 10  # AMBER: no hash sets given


def test_regression_recipes_round_trip(tmp_path):
    failure = Failure("ext4", 1, 7, "ext4 superblock", [Patch(1024 + 4, b"\xff\xff")],
                      Outcome(HANG, "no answer after 30 s"))
    path = save_regression(failure, tmp_path)
    assert load_regression(path) == ("ext4", [Patch(1028, b"\xff\xff")])
    assert Path(path).name == "ext4-s1-v7.json"
