"""Macs' encrypted volumes scanned: FileVault 2 on Core Storage and encrypted APFS, read-only."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.layers.apfs_encrypted_image import encrypt_apfs
from tests.layers.corestorage_image import hfsplus_volume, make_filevault
from tests.layers.images import published
from tests.pipeline.test_unlock_scan import _assert_no_secret
from triage.cli import cli
from triage.errors import ExitCode
from triage.layers import fast
from triage.layers.secrets import PASSPHRASE, KeyRing, Secret
from triage.pipeline import ScanOptions, run_scan
from triage.report.listing import read_listing

PASSWORD = "correct horse battery staple"  # noqa: S105 - the test volumes'
RECOVERY_KEY = "K3PQ-7XW2-MZ4D-9HTB-RV6C-LN8F"  # a FileVault recovery key's shape
WRONG = "Tr0ub4dor&3"
# dfvfs's test file, in both the APFS and the HFS+ image.
ANOTHER_FILE = hashlib.sha256(b"This is another file.\n").hexdigest()


def _digests(out: Path) -> dict[str, str]:
    return {r["path"]: r["sha256"] for r in read_listing(out / "files.jsonl.gz")
            if r.get("sha256")}


def _plain_digests(image: Path, out: Path) -> dict[str, str]:
    """What the same file system gives when it is not encrypted (the reference listing)."""
    run_scan([str(image)], out, ScanOptions())
    return _digests(out)


@pytest.fixture()
def apfs(tmp_path: Path) -> tuple[Path, Path]:
    """(dfvfs's plain APFS container, the same with its volume encrypted by FileVault)."""
    plain = published("apfs.raw", tmp_path)
    encrypted = tmp_path / "mac.raw"
    encrypt_apfs(plain, encrypted, PASSWORD, recovery_key=RECOVERY_KEY)
    return plain, encrypted


@pytest.fixture()
def filevault(tmp_path: Path) -> tuple[Path, Path]:
    """(a plain HFS+ volume, the same inside a FileVault 2 Core Storage volume)."""
    payload = hfsplus_volume(tmp_path)
    plain = tmp_path / "hfs.img"
    plain.write_bytes(payload)
    encrypted = tmp_path / "mac.img"
    make_filevault(encrypted, payload, PASSWORD, recovery_password=RECOVERY_KEY)
    return plain, encrypted


def _scan_cli(image: Path, out: Path, *lines: str) -> tuple[Any, dict[str, Any]]:
    keys = out.parent / f"{out.name}-keys.txt"
    keys.write_text("".join(f"{line}\n" for line in lines))
    result = CliRunner().invoke(cli, ["scan", str(image), "--out", str(out),
                                      "--unlock-file", str(keys), "--json"])
    return result, json.loads((out / "report.json").read_text())


def _opened_from_an_unlock_file(pair: tuple[Path, Path], folder: Path,
                                check_unchanged: Callable) -> dict[str, Any]:
    """The coverage entry of the encrypted image of `pair` scanned by the CLI with an unlock
    file (a wrong password, then the right one), after the checks every format shares: the
    files of the plain image with the same SHA-256, no secret in any output, evidence
    unchanged."""
    plain, encrypted = pair
    expected = _plain_digests(plain, folder / "plain")
    assert expected["/a_directory/another_file"] == ANOTHER_FILE
    before = hashlib.sha256(encrypted.read_bytes()).hexdigest()
    out = folder / "out"
    result, report = _scan_cli(encrypted, out, WRONG, PASSWORD)
    assert result.exit_code == ExitCode.FINDINGS, result.output  # AMBER: no hash sets
    [volume] = report["coverage"]["volumes"]
    assert volume["status"] == "examined"
    assert _digests(out) == expected
    _assert_no_secret(out, PASSWORD, WRONG)
    assert PASSWORD not in result.output and WRONG not in result.output
    check_unchanged(encrypted, before)
    return volume


def test_apfs_volume_opens_with_the_password_and_lists_the_same_files(
        apfs: tuple[Path, Path], tmp_path: Path, check_unchanged: Callable) -> None:
    volume = _opened_from_an_unlock_file(apfs, tmp_path, check_unchanged)
    assert volume["fs"] == "apfs"
    assert volume["source"] == "mac.raw · apfs 1 (apfs_test, unlocked: password)"
    assert volume["encryption"]["kind"] == "apfs"
    assert volume["encryption"]["state"] == "unlocked"
    assert volume["encryption"]["protector"] == "password"
    assert volume["encryption"]["facts"]["volume"] == "apfs_test"


def test_apfs_recovery_key_typed_at_the_prompt(apfs: tuple[Path, Path], tmp_path: Path) -> None:
    plain, encrypted = apfs
    asked: list[dict[str, Any]] = []

    def prompt(request: dict[str, Any]) -> Secret | None:
        asked.append(request)
        return Secret(PASSPHRASE, RECOVERY_KEY, "typed at the prompt")

    result = run_scan([str(encrypted)], tmp_path / "out",
                      ScanOptions(keyring=KeyRing(prompt=prompt)))
    [request] = asked
    assert request["kind"] == "apfs" and request["address"] == "mac.raw · apfs 1 (apfs_test)"
    assert request["facts"]["volume"] == "apfs_test" and request["facts"]["uuid"]
    [volume] = result.report["coverage"]["volumes"]
    assert volume["encryption"]["protector"] == "recovery key"
    assert _digests(tmp_path / "out") == _plain_digests(plain, tmp_path / "plain")
    _assert_no_secret(tmp_path / "out", RECOVERY_KEY)


@pytest.mark.parametrize(("secrets", "why"), [
    ([], "no secret was given for it"),
    ([WRONG], "the secret given does not open it"),
    ([WRONG, "another wrong one"], "none of the 2 secrets given opens it")])
def test_apfs_volume_without_its_secret_stays_a_named_gap(
        apfs: tuple[Path, Path], tmp_path: Path, secrets: list[str], why: str) -> None:
    _, encrypted = apfs
    keyring = KeyRing([Secret(PASSPHRASE, s, f"unlock file 1, line {n}")
                       for n, s in enumerate(secrets, start=1)])
    result = run_scan([str(encrypted)], tmp_path / "out", ScanOptions(keyring=keyring))
    assert result.exit_code == ExitCode.EVIDENCE  # nothing examined, nothing found
    assert result.report["verdict"]["level"] != "GREEN"
    [volume] = result.report["coverage"]["volumes"]
    assert volume["status"] == "not_examined"
    assert volume["reason"] == f"APFS volume 'apfs_test' (FileVault) left locked: {why}"
    assert volume["encryption"]["state"] == "locked"
    [gap] = [g for g in result.report["coverage"]["not_examined"] if g["kind"] == "encrypted"]
    assert gap["reason"] == volume["reason"]
    assert gap["what"] == "volume"  # not a partition: it shares its container's space
    _assert_no_secret(tmp_path / "out", *secrets)


def test_apfs_container_cut_before_the_volume_key_bag(
        apfs: tuple[Path, Path], tmp_path: Path) -> None:
    """A cut-off image: the volume cannot even be named, and the report says why."""
    _, encrypted = apfs
    cut = tmp_path / "cut.raw"
    cut.write_bytes(encrypted.read_bytes()[: 111 * 4096])  # the volume key bag is block 111
    result = run_scan([str(cut)], tmp_path / "out",
                      ScanOptions(keyring=KeyRing([Secret(PASSPHRASE, PASSWORD, "file")])))
    assert result.exit_code == ExitCode.EVIDENCE
    [volume] = result.report["coverage"]["volumes"]
    assert volume["status"] == "not_examined"
    assert volume["reason"].startswith("APFS volume 1 could not be read (")


def test_filevault_volume_opens_with_the_password_and_lists_the_same_files(
        filevault: tuple[Path, Path], tmp_path: Path, check_unchanged: Callable) -> None:
    volume = _opened_from_an_unlock_file(filevault, tmp_path, check_unchanged)
    assert volume["fs"] == "hfs"
    encryption = volume["encryption"]
    assert (encryption["kind"], encryption["state"], encryption["protector"]) == (
        "filevault", "unlocked", "password")
    assert encryption["facts"]["logical_volumes"][0]["name"] == "Test FileVault"
    assert encryption["engine"] == fast.aes_engine()  # not libfvde
    assert volume["layers"][0] == f"filevault (unlocked: password, ID {encryption['protector_id']})"


def test_filevault_recovery_key_at_the_prompt_after_a_wrong_one(
        filevault: tuple[Path, Path], tmp_path: Path) -> None:
    plain, encrypted = filevault
    answers = [WRONG, RECOVERY_KEY]
    asked: list[dict[str, Any]] = []

    def prompt(request: dict[str, Any]) -> Secret | None:
        asked.append(request)
        return Secret(PASSPHRASE, answers.pop(0), "typed at the prompt")

    result = run_scan([str(encrypted)], tmp_path / "out",
                      ScanOptions(keyring=KeyRing(prompt=prompt)))
    assert [a["tried"] for a in asked] == [0, 1]
    assert asked[0]["kind"] == "filevault"
    [volume] = result.report["coverage"]["volumes"]
    assert volume["encryption"]["protector"] == "recovery key"
    assert _digests(tmp_path / "out") == _plain_digests(plain, tmp_path / "plain")


def test_filevault_without_its_secret_and_cut_off(
        filevault: tuple[Path, Path], tmp_path: Path) -> None:
    _, encrypted = filevault
    result = run_scan([str(encrypted)], tmp_path / "out", ScanOptions())
    [volume] = result.report["coverage"]["volumes"]
    assert volume["reason"] == "filevault volume left locked: no secret was given for it"
    assert result.exit_code == ExitCode.EVIDENCE
    # Cut inside the encrypted metadata (blocks 16-47): the volume is named, not opened.
    cut = tmp_path / "cut.img"
    cut.write_bytes(encrypted.read_bytes()[: 20 * 4096])
    result = run_scan([str(cut)], tmp_path / "cut", ScanOptions(
        keyring=KeyRing([Secret(PASSPHRASE, PASSWORD, "file")])))
    [volume] = result.report["coverage"]["volumes"]
    assert volume["status"] == "not_examined"
    assert volume["reason"].startswith("filevault volume not opened: libfvde cannot read")
    assert volume["encryption"]["state"] == "locked"


def test_filevault_cut_inside_its_data_opens_and_reads_short(
        filevault: tuple[Path, Path], tmp_path: Path) -> None:
    """As every encrypted format here: what lies before the cut is read, nothing is made up."""
    from triage.evidence.raw import RawImage
    from triage.layers import registry

    plain, encrypted = filevault
    payload = plain.read_bytes()
    cut = tmp_path / "cut.img"
    keep = 64 * 4096 + len(payload) // 2 + 100  # the data starts at block 64
    cut.write_bytes(encrypted.read_bytes()[:keep])
    with RawImage(cut) as stream:
        layer = registry.identify(stream)
        assert layer is not None and layer.name == "filevault"
        [opened] = layer.open(stream, keyring=KeyRing([Secret(PASSPHRASE, PASSWORD, "file")]))
        assert opened.stream.read(0, 256 * 1024) == payload[: 256 * 1024]
        tail = opened.stream.read(len(payload) // 2 - 4096, 64 * 1024)
        assert 0 < len(tail) < 64 * 1024
        assert tail == payload[len(payload) // 2 - 4096 :][: len(tail)]


def test_apfs_key_bag_costs_are_read_before_any_attempt(apfs: tuple[Path, Path]) -> None:
    import uuid

    import pyfsapfs

    from tests.layers.apfs_encrypted_image import ITERATIONS
    from triage.evidence.raw import RawImage
    from triage.walk.apfs_keybag import key_bags

    plain, encrypted = apfs
    container = pyfsapfs.container()
    container.open(str(encrypted))
    volume_uuid = uuid.UUID(str(container.get_volume(0).identifier)).bytes
    container.close()
    with RawImage(encrypted) as stream:
        # the password's count and the recovery key's
        assert key_bags(stream.read, volume_uuid).pbkdf2_costs() == [ITERATIONS, ITERATIONS]
        assert key_bags(stream.read, bytes(16)).pbkdf2_costs() == []  # no such volume
    with RawImage(plain) as stream:
        assert key_bags(stream.read, volume_uuid).pbkdf2_costs() == []  # no key bag at all
    damaged = encrypted.read_bytes()
    damaged = damaged[: 111 * 4096] + bytes(4096) + damaged[112 * 4096 :]  # the volume's bag
    encrypted.write_bytes(damaged)
    with RawImage(encrypted) as stream:
        # unreadable: libfsapfs decides
        assert key_bags(stream.read, volume_uuid).pbkdf2_costs() == []


def test_apfs_volume_asking_for_absurd_pbkdf2_costs_is_not_tried(tmp_path: Path) -> None:
    """A crafted key bag asking for billions of rounds would hold libfsapfs (which cannot be
    interrupted) for hours per attempt: the volume stays locked with the reason, at once."""
    plain = published("apfs.raw", tmp_path)
    crafted = tmp_path / "crafted.raw"
    encrypt_apfs(plain, crafted, PASSWORD, iterations=4_000_000_000)
    result = run_scan([str(crafted)], tmp_path / "out", ScanOptions(
        keyring=KeyRing([Secret(PASSPHRASE, PASSWORD, "file")])))
    [volume] = result.report["coverage"]["volumes"]
    assert volume["status"] == "not_examined"
    assert volume["reason"] == (
        "APFS volume 'apfs_test' (FileVault) left locked: its key bag asks for 4,000,000,000 "
        "PBKDF2 iterations, which no Mac uses (damaged or crafted); no secret was tried")


def test_filevault_volume_asking_for_absurd_pbkdf2_costs_is_not_tried(tmp_path: Path) -> None:
    """The same for FileVault 2: libfvde cannot be interrupted either; nothing derives."""
    crafted = tmp_path / "crafted.img"
    make_filevault(crafted, hfsplus_volume(tmp_path), PASSWORD, iterations=4_000_000_000)
    result = run_scan([str(crafted)], tmp_path / "out", ScanOptions(
        keyring=KeyRing([Secret(PASSPHRASE, PASSWORD, "file")])))
    [volume] = result.report["coverage"]["volumes"]
    assert volume["status"] == "not_examined"
    assert volume["reason"] == (
        "filevault volume left locked: its encryption context asks for 4,000,000,000 PBKDF2 "
        "iterations, which no Mac uses (damaged or crafted); no secret was tried")
    assert volume["encryption"]["facts"]["logical_volumes"][0]["name"] == "Test FileVault"
