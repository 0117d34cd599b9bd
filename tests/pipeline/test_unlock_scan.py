"""Scanning encrypted volumes: unlocked ones examined like any other, secrets in no output file."""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.layers.bitlocker_image import IDS
from tests.layers.bitlocker_image import RECOVERY_PASSWORD as BDE_RECOVERY
from tests.layers.encrypted_images import (
    PASSPHRASE,
    Made,
    expected_root_sha256,
    expected_sha256,
)
from triage import keys as signing
from triage.cli import cli
from triage.errors import ExitCode, UsageError
from triage.hashdb.importing import import_files
from triage.hashdb.setinfo import SetInfo
from triage.layers import fast
from triage.layers.bde import USED_SPACE_ONLY_LIMIT
from triage.layers.secrets import PASSPHRASE as KIND_PASSPHRASE
from triage.layers.secrets import KeyRing, Secret
from triage.ledger import ProgressSink
from triage.pipeline import ScanOptions, resume_scan, run_scan
from triage.plan.journal import JOURNAL_DIR
from triage.report.listing import read_listing

WRONG = "wrong-passphrase-4711"


def _everything_written(out: Path) -> bytes:
    """Every byte of every file under `out`, gzip files also decompressed."""
    blob = b""
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        data = path.read_bytes()
        blob += data
        if path.suffix == ".gz":
            blob += gzip.decompress(data)
    return blob


def _assert_no_secret(out: Path, *secrets: str) -> None:
    blob = _everything_written(out)
    assert blob, "nothing was written"
    for secret in secrets:
        assert secret.encode() not in blob, f"a secret reached {out}"


@pytest.mark.parametrize("name", ["luks2", "luks1"])
def test_cli_unlock_file_examines_the_volume_and_keeps_the_secret_out(
        name: str, luks_volume: Callable[[str], Made], tmp_path: Path,
        check_unchanged: Callable) -> None:
    made = luks_volume(name)
    before = hashlib.sha256(made.path.read_bytes()).hexdigest()
    keys = tmp_path / "keys.txt"
    keys.write_text(f"{WRONG}\n{PASSPHRASE}\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["scan", str(made.path), "--out", str(out),
                                      "--unlock-file", str(keys), "--json"])
    assert result.exit_code == ExitCode.FINDINGS, result.output  # AMBER: no hash sets loaded
    report = json.loads((out / "report.json").read_text())
    [volume] = report["coverage"]["volumes"]
    assert volume["status"] == "examined" and volume["fs"] == "ext4"
    assert volume["encryption"]["state"] == "unlocked"
    assert volume["encryption"]["protector"] == "passphrase"
    assert volume["layers"][0].startswith(f"{name} (unlocked: passphrase")
    listed = {r["path"]: r for r in read_listing(out / "files.jsonl.gz") if r.get("sha256")}
    assert {p: r["sha256"] for p, r in listed.items()} == expected_sha256()
    address = listed["/Pictures/gradient.jpg"]["address"]
    assert address.startswith(f"{made.path.name} · {name} (unlocked: passphrase")
    # The volume stays a fact for the no-encryption rules although it was examined: rules
    # read the coverage entry's `encryption` (volume: {encrypted: true}).
    assert volume["encryption"]["kind"] == name
    _assert_no_secret(out, PASSPHRASE, WRONG)
    assert PASSPHRASE not in result.output and WRONG not in result.output
    check_unchanged(made.path, before)


def test_wrong_secret_leaves_it_locked_with_one_sentence(
        luks_volume: Callable[[str], Made], tmp_path: Path) -> None:
    made = luks_volume("luks2")
    out = tmp_path / "out"
    keyring = KeyRing([Secret(KIND_PASSPHRASE, WRONG, "unlock file 1, line 1")])
    result = run_scan([str(made.path)], out, ScanOptions(keyring=keyring))
    # Nothing could be examined (and no rules loaded, so nothing found): exit code 3.
    assert result.exit_code == ExitCode.EVIDENCE
    [volume] = result.report["coverage"]["volumes"]
    assert volume["status"] == "not_examined"
    assert volume["reason"] == "luks2 volume left locked: the secret given does not open it"
    assert volume["encryption"]["state"] == "locked"
    assert [s["slot"] for s in volume["encryption"]["facts"]["key_slots"]] == [0]
    warnings = [w for w in result.report["warnings"] if "luks2" in w["message"]]
    assert len(warnings) == 1
    _assert_no_secret(out, WRONG)


class _Interrupt(ProgressSink):
    """Stops the scan (as Ctrl-C would) when the first file has been read."""

    def file_done(self, record: object) -> None:
        raise KeyboardInterrupt


def test_resume_asks_for_the_secret_again(
        luks_volume: Callable[[str], Made], tmp_path: Path) -> None:
    made = luks_volume("luks2")
    out = tmp_path / "out"
    secret = Secret(KIND_PASSPHRASE, PASSPHRASE, "unlock file 1, line 1")
    with pytest.raises(KeyboardInterrupt):
        run_scan([str(made.path)], out, ScanOptions(keyring=KeyRing([secret])), _Interrupt())
    assert (out / JOURNAL_DIR).is_dir()
    _assert_no_secret(out, PASSPHRASE)  # the journal keeps no secret either
    with pytest.raises(UsageError, match="was unlocked in the interrupted scan; give its "
                                         r"secret again \(--unlock-file, or at the prompt\)"):
        resume_scan(out)
    asked: list[dict] = []

    def prompt(request: dict) -> Secret | None:
        asked.append(request)
        return Secret(KIND_PASSPHRASE, PASSPHRASE, "typed")

    result = resume_scan(out, keyring=KeyRing(prompt=prompt))
    assert [a["kind"] for a in asked] == ["luks2"]
    assert result.report["coverage"]["volumes"][0]["status"] == "examined"
    listed = {r["path"]: r["sha256"] for r in read_listing(out / "files.jsonl.gz")
              if r.get("sha256")}
    assert listed == expected_sha256()
    _assert_no_secret(out, PASSPHRASE)


def test_cli_bitlocker_recovery_password_from_a_file(
        bitlocker_volume: Callable, tmp_path: Path, check_unchanged: Callable) -> None:
    volume = bitlocker_volume("protected")
    before = hashlib.sha256(volume.path.read_bytes()).hexdigest()
    keys = tmp_path / "keys.txt"
    keys.write_text(BDE_RECOVERY.replace("-", " ") + "\n")  # typed with spaces: still read
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["scan", str(volume.path), "--out", str(out),
                                      "--unlock-file", str(keys), "--json"])
    assert result.exit_code == ExitCode.FINDINGS, result.output
    report = json.loads((out / "report.json").read_text())
    [entry] = report["coverage"]["volumes"]
    protector_id = str(IDS["recovery password"]).upper()
    assert entry["fs"] == "ntfs" and entry["status"] == "examined"
    assert entry["encryption"]["protector"] == "recovery password"
    assert entry["encryption"]["protector_id"] == protector_id
    assert entry["encryption"]["limits"] == [USED_SPACE_ONLY_LIMIT]
    assert entry["encryption"]["engine"] == fast.aes_engine()  # decrypted by our fast path
    listed = {r["path"]: r for r in read_listing(out / "files.jsonl.gz")}
    for path, digest in expected_root_sha256().items():
        assert listed[path]["sha256"] == digest
        assert listed[path]["address"].startswith(
            f"{volume.path.name} · bitlocker (unlocked: recovery password, ID {protector_id})")
    _assert_no_secret(out, BDE_RECOVERY, BDE_RECOVERY.replace("-", " "),
                      BDE_RECOVERY.replace("-", ""))
    assert BDE_RECOVERY not in result.output
    check_unchanged(volume.path, before)


def test_bitlocker_partition_in_an_mbr_disk_chains_its_address(
        bitlocker_volume: Callable, tmp_path: Path) -> None:
    volume = bitlocker_volume("clear_key")
    body = volume.path.read_bytes()
    start = 2048  # sectors: the partition starts at 1 MiB
    entry = bytes([0, 0, 0, 0, 0x07, 0, 0, 0]) + start.to_bytes(4, "little") + (
        len(body) // 512).to_bytes(4, "little")
    disk = tmp_path / "laptop.img"
    disk.write_bytes(bytes(446) + entry + bytes(48) + b"\x55\xaa" + bytes(start * 512 - 512)
                     + body)
    result = run_scan([str(disk)], tmp_path / "out", ScanOptions())
    [entry_] = result.report["coverage"]["volumes"]
    assert entry_["status"] == "examined" and entry_["fs"] == "ntfs"
    assert entry_["layers"][:2] == [
        "dos p1", f"bitlocker (unlocked: clear key, ID {str(IDS['clear key']).upper()})"]
    listed = {r["path"]: r for r in read_listing(tmp_path / "out" / "files.jsonl.gz")}
    record = listed["/gradient.jpg"]
    assert record["sha256"] == expected_root_sha256()["/gradient.jpg"]
    assert record["address"].startswith(
        "laptop.img · p1@1048576 · bitlocker (unlocked: clear key, ID ")


def test_known_picture_is_found_on_an_xts_bitlocker_volume_by_the_fast_path(
        bitlocker_volume: Callable, tmp_path: Path, check_unchanged: Callable) -> None:
    """Windows 10/11's default (XTS-AES-128, clear key until the key is backed up): the scan
    decrypts it with our own engine and the known picture is an exact hit (RED)."""
    volume = bitlocker_volume("xts128")
    before = hashlib.sha256(volume.path.read_bytes()).hexdigest()
    lab = signing.generate(tmp_path / "lab", "lab")
    (tmp_path / "trusted").mkdir()
    (tmp_path / "trusted" / "lab.pub").write_bytes(signing.public_pem(lab.public))
    listing = tmp_path / "known.sha256"
    listing.write_text(f"{expected_root_sha256()['/gradient.jpg']}  gradient.jpg\n")
    import_files([listing], SetInfo(name="known"), tmp_path / "sets", signer=lab)
    options = ScanOptions(hashsets=tmp_path / "sets", trusted_keys=tmp_path / "trusted")
    result = run_scan([str(volume.path)], tmp_path / "out", options)
    [entry] = result.report["coverage"]["volumes"]
    assert entry["status"] == "examined" and entry["fs"] == "ntfs"
    assert entry["encryption"]["engine"] == fast.aes_engine()
    assert entry["encryption"]["facts"]["method"] == "aes-128-xts"
    hits = [f["path"] for f in result.report["findings"] if f["kind"] == "exact"]
    assert hits == ["/gradient.jpg"]
    listed = {r["path"]: r for r in read_listing(tmp_path / "out" / "files.jsonl.gz")}
    assert listed["/gradient.jpg"]["address"].startswith(
        f"xts128.img · bitlocker (unlocked: clear key, ID {str(IDS['clear key']).upper()})")
    assert result.report["verdict"]["level"] == "red"
    check_unchanged(volume.path, before)
