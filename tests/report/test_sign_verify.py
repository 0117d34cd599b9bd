"""Sealing and verifying: any change to a sealed folder, and any untrusted signer, fails."""

from __future__ import annotations

import base64
import json
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.report.factory import report, write_scan_output
from triage import keys
from triage.errors import InvalidInputError
from triage.report.canonical import canonical_bytes
from triage.report.manifest import MANIFEST_NAME, SIGNATURE_NAME
from triage.report.sign import countersign, seal_output, write_signatures
from triage.report.verify import (
    TAMPERED,
    UNSIGNED,
    UNTRUSTED,
    VERIFIED,
    read_signatures,
    verify_report,
)

OUTPUTS = ["files.jsonl.gz", "report.case.jsonld", "report.dfxml", "report.html", "report.json"]


def test_seal_writes_every_output_and_verifies(sealed: Path, trusted: Path,
                                               officer_key: keys.SigningKey) -> None:
    assert sorted(p.name for p in sealed.iterdir()) == sorted(
        [*OUTPUTS, MANIFEST_NAME, SIGNATURE_NAME]
    )
    manifest = json.loads((sealed / MANIFEST_NAME).read_bytes())
    assert [f["path"] for f in manifest["files"]] == OUTPUTS
    result = verify_report(sealed, trusted)
    assert result.ok, result.problems
    assert result.status == VERIFIED
    assert result.signer is not None
    assert result.signer.key == officer_key.fingerprint
    assert result.signer.tool_version == "0.1.0"
    assert result.signer.signed_utc.endswith("Z")


def test_unsigned_report_is_reported_as_unsigned(tmp_path: Path, trusted: Path) -> None:
    out = write_scan_output(tmp_path / "plain")
    seal_output(out, None, "0.1.0")
    assert (out / MANIFEST_NAME).exists() and not (out / SIGNATURE_NAME).exists()
    result = verify_report(out, trusted)
    assert not result.ok
    assert result.status == UNSIGNED
    assert result.problems == ["the report is unsigned (manifest.sig is missing)."]


def test_never_sealed_folder(tmp_path: Path) -> None:
    out = write_scan_output(tmp_path / "raw")
    result = verify_report(out, None)
    assert not result.ok
    assert "manifest.json is missing" in result.problems[0]


def test_signer_not_in_trusted_folder_fails_naming_the_key(
    sealed: Path, tmp_path: Path, officer_key: keys.SigningKey
) -> None:
    other = tmp_path / "other-trusted"
    keys.generate(tmp_path / "elsewhere", "stranger")
    other.mkdir()
    shutil.copy(tmp_path / "elsewhere" / "stranger.pub", other / "stranger.pub")
    result = verify_report(sealed, other)
    assert not result.ok
    assert result.status == UNTRUSTED
    assert officer_key.fingerprint in result.problems[0]
    assert "not among the trusted keys" in result.problems[0]


def test_no_trusted_folder_means_not_trusted(sealed: Path) -> None:
    result = verify_report(sealed, None)
    assert not result.ok
    assert result.status == UNTRUSTED
    assert "--trusted" in result.problems[0]


def test_missing_trusted_folder_is_a_user_error(sealed: Path, tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="does not exist"):
        verify_report(sealed, tmp_path / "nope")


def test_signature_by_a_wrong_key_fails(sealed: Path, tmp_path: Path, trusted: Path) -> None:
    # Someone re-seals with their own key but keeps the officer's fingerprint in the file.
    intruder = keys.generate(tmp_path / "intruder", "intruder")
    document = json.loads((sealed / SIGNATURE_NAME).read_bytes())
    entry = document["signatures"][0]
    forged = intruder.sign(b"anything")
    entry["signature"] = base64.b64encode(forged).decode()
    (sealed / SIGNATURE_NAME).write_bytes(canonical_bytes(document))
    result = verify_report(sealed, trusted)
    assert not result.ok
    assert result.status == TAMPERED
    assert any("is not a valid signature" in p for p in result.problems)


def test_removed_file_fails_naming_it(sealed: Path, trusted: Path) -> None:
    (sealed / "report.dfxml").unlink()
    result = verify_report(sealed, trusted)
    assert not result.ok
    assert result.problems == [
        "report.dfxml is listed in manifest.json but missing: it was removed."
    ]


def test_added_file_fails_naming_it(sealed: Path, trusted: Path) -> None:
    (sealed / "sub").mkdir()
    (sealed / "sub" / "extra.txt").write_text("added later")
    result = verify_report(sealed, trusted)
    assert not result.ok
    assert result.problems == ["sub/extra.txt is not in manifest.json: it was added after sealing."]


def test_symlink_added_fails(sealed: Path, trusted: Path) -> None:
    os.symlink("/etc/hostname", sealed / "link")
    result = verify_report(sealed, trusted)
    assert not result.ok
    assert any(p.startswith("link is a link or special file") for p in result.problems)


def test_changed_file_fails_naming_it(sealed: Path, trusted: Path) -> None:
    html = sealed / "report.html"
    html.write_text(html.read_text().replace("RED", "GREEN"))
    result = verify_report(sealed, trusted)
    assert not result.ok
    assert len(result.problems) == 1
    assert result.problems[0].startswith("report.html does not match manifest.json")
    assert result.status == TAMPERED


def test_resealing_replaces_an_old_signature(sealed: Path, trusted: Path,
                                             officer_key: keys.SigningKey) -> None:
    seal_output(sealed, None, "0.1.0")
    assert not (sealed / SIGNATURE_NAME).exists()
    seal_output(sealed, officer_key, "0.1.0")
    assert verify_report(sealed, trusted).ok


def test_countersignature_is_verified_like_the_signature(
    sealed: Path, trusted: Path, supervisor_key: keys.SigningKey
) -> None:
    countersign(sealed, supervisor_key, "0.1.0")
    result = verify_report(sealed, trusted)
    assert result.ok, result.problems
    assert [c.key for c in result.countersigners] == [supervisor_key.fingerprint]
    entries = read_signatures(sealed)
    assert entries[1]["role"] == "countersigner" and entries[1]["previous"]
    with pytest.raises(InvalidInputError, match="already signed"):
        countersign(sealed, supervisor_key, "0.1.0")


def test_untrusted_countersigner_fails(sealed: Path, trusted: Path, tmp_path: Path) -> None:
    stranger = keys.generate(tmp_path / "k2", "stranger")
    countersign(sealed, stranger, "0.1.0")
    result = verify_report(sealed, trusted)
    assert not result.ok
    assert result.status == UNTRUSTED
    assert any(stranger.fingerprint in p and "countersigner" in p for p in result.problems)


def test_countersignature_moved_onto_another_signature_fails(
    sealed: Path, trusted: Path, supervisor_key: keys.SigningKey, tmp_path: Path
) -> None:
    countersign(sealed, supervisor_key, "0.1.0")
    counter = read_signatures(sealed)[1]
    other = write_scan_output(tmp_path / "other", report(case="CASE-99"))
    seal_output(other, keys.load_private(tmp_path / "keys" / "stick07.key"), "0.1.0")
    signer = read_signatures(other)[0]
    write_signatures(other, [signer, counter])
    result = verify_report(other, trusted)
    assert not result.ok
    assert any("over a different manifest" in p for p in result.problems)
    assert any("does not countersign the signature before it" in p for p in result.problems)


def test_countersigning_an_unsigned_report_is_refused(tmp_path: Path,
                                                      supervisor_key: keys.SigningKey) -> None:
    out = write_scan_output(tmp_path / "u")
    seal_output(out, None, "0.1.0")
    with pytest.raises(InvalidInputError, match="unsigned"):
        countersign(out, supervisor_key, "0.1.0")


def test_seal_reports_a_missing_listing(tmp_path: Path) -> None:
    out = write_scan_output(tmp_path / "x")
    (out / "files.jsonl.gz").unlink()
    with pytest.raises(InvalidInputError, match="file listing .* is missing"):
        seal_output(out, None, "0.1.0")


def test_seal_reports_a_corrupt_listing(tmp_path: Path) -> None:
    out = write_scan_output(tmp_path / "x")
    (out / "files.jsonl.gz").write_bytes(b"not gzip at all")
    with pytest.raises(InvalidInputError, match="cannot read the file listing"):
        seal_output(out, None, "0.1.0")


def _seal_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("flip")
    key = keys.generate(base / "keys", "stick07")
    supervisor = keys.generate(base / "keys", "supervisor")
    trusted = base / "trusted"
    trusted.mkdir()
    for name in ("stick07", "supervisor"):
        shutil.copy(base / "keys" / f"{name}.pub", trusted / f"{name}.pub")
    out = write_scan_output(base / "template")
    seal_output(out, key, "0.1.0")
    countersign(out, supervisor, "0.1.0")
    return out, trusted


@pytest.fixture(scope="module")
def flip_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return _seal_template(tmp_path_factory)


SEALED_FILES = [*OUTPUTS, MANIFEST_NAME, SIGNATURE_NAME]


@settings(max_examples=250, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=st.sampled_from(SEALED_FILES),
    position=st.floats(min_value=0, max_value=1, exclude_max=True),
    mask=st.integers(min_value=1, max_value=255),
)
def test_flipping_any_byte_of_any_file_fails(
    flip_template: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory,
    name: str, position: float, mask: int,
) -> None:
    template, trusted = flip_template
    assert verify_report(template, trusted).ok
    work = tmp_path_factory.mktemp("case") / "out"
    shutil.copytree(template, work)
    target = work / name
    data = bytearray(target.read_bytes())
    index = int(position * len(data))
    data[index] ^= mask
    target.write_bytes(bytes(data))
    result = verify_report(work, trusted)
    assert not result.ok, f"flipping byte {index} of {name} with {mask:#x} went unnoticed"
    assert result.problems


def test_flipping_every_byte_of_the_signature_file_fails(
    flip_template: tuple[Path, Path], tmp_path: Path
) -> None:
    # The signature file is small and the place a forger would aim at: try every position.
    template, trusted = flip_template
    work = tmp_path / "out"
    shutil.copytree(template, work)
    original = (work / SIGNATURE_NAME).read_bytes()
    for index in range(len(original)):
        # Every single-bit flip: the low bits reach base64's spare padding bits, which a lax
        # decoder ignores, and 0x20 turns hex and base64 letters to the other case.
        for mask in (0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80):
            data = bytearray(original)
            data[index] ^= mask
            (work / SIGNATURE_NAME).write_bytes(bytes(data))
            assert not verify_report(work, trusted).ok, (index, mask)


def test_same_scan_output_seals_to_the_same_manifest(tmp_path: Path) -> None:
    manifests = []
    for name in ("first", "second"):
        out = write_scan_output(tmp_path / name)
        seal_output(out, None, "0.1.0")
        manifests.append((out / MANIFEST_NAME).read_bytes())
    assert manifests[0] == manifests[1]


def test_manifest_path_escaping_the_folder_is_rejected(sealed: Path, trusted: Path) -> None:
    manifest = json.loads((sealed / MANIFEST_NAME).read_bytes())
    manifest["files"].append({"path": "../outside.txt", "size": 0, "sha256": "0" * 64})
    (sealed / MANIFEST_NAME).write_bytes(canonical_bytes(manifest))
    result = verify_report(sealed, trusted)
    assert not result.ok
    assert "manifest.json lists a bad or repeated path '../outside.txt'." in result.problems
    assert any("over a different manifest" in p for p in result.problems)
