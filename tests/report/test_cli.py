"""The keys, verify and review commands: exit codes and exact messages."""

from __future__ import annotations

import stat
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from tests.report.factory import write_scan_output
from triage import keys
from triage.errors import ExitCode
from triage.report.cli import COMMANDS, keys_group, review_command, verify_command
from triage.report.sign import seal_output


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_keys_init_writes_a_private_key_only_its_owner_can_read(runner: CliRunner,
                                                                tmp_path: Path) -> None:
    result = runner.invoke(keys_group, ["init", "stick07", "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    private = tmp_path / "stick07.key"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    fp = keys.load_private(private).fingerprint
    assert result.output.splitlines()[-1] == f"Fingerprint: {fp}"


def test_keys_init_refuses_to_overwrite(runner: CliRunner, tmp_path: Path) -> None:
    runner.invoke(keys_group, ["init", "a", "--dir", str(tmp_path)])
    result = runner.invoke(keys_group, ["init", "a", "--dir", str(tmp_path)])
    assert result.exit_code == ExitCode.INVALID_INPUT
    assert result.stderr == f"triage: {tmp_path / 'a.key'} already exists; choose another name " \
        "or remove it.\n"


def test_keys_init_with_passphrase_and_show(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(keys_group, ["init", "sup", "--dir", str(tmp_path),
                                        "--passphrase-prompt"], input="s3cret\ns3cret\n")
    assert result.exit_code == 0, result.output
    with pytest.raises(Exception, match="passphrase"):
        keys.load_private(tmp_path / "sup.key")
    fp = keys.load_private(tmp_path / "sup.key", b"s3cret").fingerprint
    shown = runner.invoke(keys_group, ["show", str(tmp_path / "sup.pub")])
    assert shown.exit_code == 0
    assert shown.output.startswith("-----BEGIN PUBLIC KEY-----")
    assert shown.output.endswith(f"Fingerprint: {fp}\n")
    private = runner.invoke(keys_group, ["show", str(tmp_path / "sup.key"),
                                         "--passphrase-prompt"], input="s3cret\n")
    assert private.exit_code == 0 and private.output.endswith(f"Fingerprint: {fp}\n")
    wrong = runner.invoke(keys_group, ["show", str(tmp_path / "sup.key"),
                                       "--passphrase-prompt"], input="nope\n")
    assert wrong.exit_code == ExitCode.INVALID_INPUT
    assert "passphrase is wrong" in wrong.stderr


def test_verify_ok_exits_zero(runner: CliRunner, sealed: Path, trusted: Path,
                              officer_key: keys.SigningKey) -> None:
    result = runner.invoke(verify_command, [str(sealed), "--trusted", str(trusted)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Verified: every file matches the manifest")
    assert f"signer: key {officer_key.fingerprint} (stick07)" in result.stdout


def test_verify_tampered_exits_four_naming_the_file(runner: CliRunner, sealed: Path,
                                                    trusted: Path) -> None:
    (sealed / "report.html").write_text("<p>all fine</p>")
    result = runner.invoke(verify_command, [str(sealed), "--trusted", str(trusted)])
    assert result.exit_code == ExitCode.INVALID_INPUT == 4
    assert result.stderr.splitlines()[0] == "NOT VERIFIED (tampered):"
    assert result.stderr.splitlines()[1].startswith("  - report.html does not match")


def test_verify_without_trusted_keys_fails(runner: CliRunner, sealed: Path) -> None:
    result = runner.invoke(verify_command, [str(sealed)])
    assert result.exit_code == ExitCode.INVALID_INPUT
    assert "no trusted keys folder was given (--trusted)" in result.stderr


def test_countersign_from_the_command_line(runner: CliRunner, sealed: Path, trusted: Path,
                                           tmp_path: Path,
                                           supervisor_key: keys.SigningKey) -> None:
    key_file = tmp_path / "keys" / "supervisor.key"
    result = runner.invoke(verify_command, [str(sealed), "--trusted", str(trusted),
                                            "--countersign", str(key_file)])
    assert result.exit_code == 0, result.output
    assert f"Countersigned with key {supervisor_key.fingerprint}" in result.stdout
    assert f"countersigner: key {supervisor_key.fingerprint}" in result.stdout


def test_countersign_refused_when_the_supervisor_key_is_not_trusted(
    runner: CliRunner, sealed: Path, tmp_path: Path, officer_key: keys.SigningKey,
    supervisor_key: keys.SigningKey,
) -> None:
    only_officer = tmp_path / "only-officer"
    only_officer.mkdir()
    (only_officer / "stick07.pub").write_bytes((tmp_path / "keys" / "stick07.pub").read_bytes())
    before = (sealed / "manifest.sig").read_bytes()
    result = runner.invoke(verify_command, [str(sealed), "--trusted", str(only_officer),
                                            "--countersign",
                                            str(tmp_path / "keys" / "supervisor.key")])
    assert result.exit_code == ExitCode.INVALID_INPUT
    assert result.stderr == (f"triage: your key {supervisor_key.fingerprint} (supervisor) is not "
                             f"among the trusted keys in {only_officer}; copy its .pub file "
                             "there first, then countersign.\n")
    assert (sealed / "manifest.sig").read_bytes() == before  # not countersigned


def test_countersign_refused_when_the_report_does_not_verify(
    runner: CliRunner, sealed: Path, trusted: Path, tmp_path: Path
) -> None:
    (sealed / "extra").write_text("x")
    before = (sealed / "manifest.sig").read_bytes()
    result = runner.invoke(verify_command, [str(sealed), "--trusted", str(trusted),
                                            "--countersign",
                                            str(tmp_path / "keys" / "supervisor.key")])
    assert result.exit_code == ExitCode.INVALID_INPUT
    assert "Not countersigned: the report must verify first." in result.stderr
    assert (sealed / "manifest.sig").read_bytes() == before


def test_review_exit_codes_and_html(runner: CliRunner, tmp_path: Path, trusted: Path,
                                    officer_key: keys.SigningKey) -> None:
    base = tmp_path / "reports"
    seal_output(write_scan_output(base / "good"), officer_key, "0.1.0")
    page = tmp_path / "review.html"
    result = runner.invoke(review_command, [str(base), "--trusted", str(trusted),
                                            "--html", str(page)])
    assert result.exit_code == 0, result.output
    assert "verified" in result.stdout and page.read_text().startswith("<!DOCTYPE html>")
    seal_output(write_scan_output(base / "plain"), None, "0.1.0")
    result = runner.invoke(review_command, [str(base), "--trusted", str(trusted)])
    assert result.exit_code == ExitCode.INVALID_INPUT
    assert "UNSIGNED" in result.stdout
    assert result.stderr.endswith("1 of 2 report(s) do not verify.\n")


def test_review_of_a_missing_folder(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(review_command, [str(tmp_path / "none")])
    assert result.exit_code == ExitCode.INVALID_INPUT
    assert result.stderr == f"triage: {tmp_path / 'none'} is not a folder; give the folder of " \
        "reports.\n"


def _all_commands() -> list[click.Command]:
    found: list[click.Command] = []
    for command in COMMANDS:
        found.append(command)
        if isinstance(command, click.Group):
            found.extend(command.commands.values())
    return found


@pytest.mark.parametrize("command", _all_commands(), ids=lambda c: c.name)
def test_every_command_has_help(command: click.Command) -> None:
    assert command.help and command.help.strip()
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, f"{command.name} {param.opts} has no help"
