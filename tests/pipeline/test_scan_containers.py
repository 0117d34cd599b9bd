"""Containers in the scan: a known picture is found however it is packed; bombs are contained."""

from __future__ import annotations

import dataclasses
import hashlib

import pytest

from tests.containers.builders import (
    bz2_bomb,
    deep_zip,
    docx_bytes,
    jpeg,
    nested_zip_bomb,
    pdf_bytes,
    picture,
    tar_gz_bytes,
    zip_bytes,
    zipcrypto_bytes,
)
from triage import keys
from triage.containers import ContainerLimits
from triage.hashdb.importing import import_files
from triage.hashdb.setinfo import SetInfo
from triage.pipeline import SPILL_DIR, ScanOptions, run_scan
from triage.report.listing import read_listing


@pytest.fixture(scope="module")
def packed(tmp_path_factory):
    """A folder of containers holding one known picture, and a trusted set that knows it."""
    tmp_path = tmp_path_factory.mktemp("packed")
    known = jpeg(7)
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    inner = zip_bytes({"holiday/a.jpg": known, "notes.txt": b"hello"})
    middle = zip_bytes({"inner.zip": inner})
    (evidence / "photos.zip").write_bytes(zip_bytes({"holiday/a.jpg": known}))
    (evidence / "backup.tar.gz").write_bytes(tar_gz_bytes({"middle.zip": middle}))
    (evidence / "report.docx").write_bytes(docx_bytes(known))
    (evidence / "scan.pdf").write_bytes(pdf_bytes(known, picture(3)))
    (evidence / "locked.zip").write_bytes(zipcrypto_bytes("secret.jpg", known, b"pw"))
    (evidence / "bomb.bz2").write_bytes(bz2_bomb())
    (evidence / "42.zip").write_bytes(nested_zip_bomb())
    (evidence / "deep.zip").write_bytes(deep_zip(12))
    key = keys.generate(tmp_path / "lab", "lab")
    (tmp_path / "trusted").mkdir()
    (tmp_path / "trusted" / "lab.pub").write_bytes(keys.public_pem(key.public))
    listing = tmp_path / "known.sha256"
    listing.write_text(f"{hashlib.sha256(known).hexdigest()}  known.jpg\n")
    import_files([listing], SetInfo(name="known"), tmp_path / "sets", signer=key)
    # A 64 MiB expansion limit keeps the bombs quick to contain here; the default (4 GiB) is
    # exercised by tests/containers.
    limits = ContainerLimits(max_expanded_bytes=64 * 2**20)
    return evidence, ScanOptions(hashsets=tmp_path / "sets", trusted_keys=tmp_path / "trusted",
                                 containers=limits)


@pytest.fixture(scope="module")
def scanned(packed, tmp_path_factory):
    evidence, options = packed
    out = tmp_path_factory.mktemp("scan") / "out"
    return run_scan([str(evidence)], out, options), out


def test_the_known_picture_is_found_however_it_is_packed(scanned):
    result, out = scanned
    hits = sorted(f["path"] for f in result.report["findings"] if f["kind"] == "exact")
    assert hits[:4] == [
        "/backup.tar.gz!middle.zip!inner.zip!holiday/a.jpg",
        "/photos.zip!holiday/a.jpg",
        "/report.docx!word/media/image1.jpeg",
        "/scan.pdf!page1/Im0.jpg",
    ] and len(hits) == 4
    assert result.report["verdict"]["level"] == "red"
    assert not (out / SPILL_DIR).exists()


def test_encrypted_archives_and_bombs_are_gaps_with_warnings(scanned):
    result, _ = scanned
    gaps = {n["address"].split(" · ")[2]: n["reason"] for n in
            result.report["coverage"]["not_examined"] if n["what"] == "archive"}
    assert gaps["/locked.zip!secret.jpg"].startswith("encrypted")
    assert any(k.startswith("/bomb.bz2") and v.startswith("bomb") for k, v in gaps.items())
    assert any(k.startswith("/42.zip") for k in gaps)
    assert any(k.startswith("/deep.zip") and "depth" in v for k, v in gaps.items())
    assert any("could not be looked into" in r for r in result.report["verdict"]["reasons"])
    warned = {w["stage"] for w in result.report["warnings"]}
    assert "containers" in warned


def test_members_are_listed_with_chained_addresses(scanned):
    _, out = scanned
    paths = [r["path"] for r in read_listing(out / "files.jsonl.gz")]
    at = paths.index("/backup.tar.gz")
    assert paths[at + 1 : at + 5] == [
        "/backup.tar.gz!middle.zip", "/backup.tar.gz!middle.zip!inner.zip",
        "/backup.tar.gz!middle.zip!inner.zip!holiday/a.jpg",
        "/backup.tar.gz!middle.zip!inner.zip!notes.txt",
    ]


def test_no_containers_option_leaves_archives_closed(packed, tmp_path):
    evidence, options = packed
    options = dataclasses.replace(options, containers=None)
    result = run_scan([str(evidence)], tmp_path / "out", options)
    assert not any("!" in f["path"] for f in result.report["findings"])
