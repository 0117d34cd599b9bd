"""The hidden prompt per locked volume: what it shows, typing slips caught, 'skip'."""

from __future__ import annotations

from pathlib import Path

from tests.cli.test_cli import run
from triage.errors import ExitCode
from triage.layers.secrets import PASSPHRASE, RECOVERY_PASSWORD, Secret
from triage.unlock_prompt import describe, terminal_prompt

GOOD = "111111-222222-333333-444444-555555-666666-000000-123453"
BITLOCKER = {
    "kind": "bitlocker", "state": "locked", "tried": 0, "address": "laptop.img · p3@1048576",
    "facts": {"description": "DESKTOP-7Q2 C: 05/12/2026", "created": "2026-05-12T09:14:02",
              "key_protectors": [
                  {"kind": "TPM", "id": "0D1E2F30-0000-0000-0000-000000000001"},
                  {"kind": "recovery password", "id": "1A2B3C4D-0000-0000-0000-000000000002"}]},
}


def _prompt(answers: list[str]) -> tuple[object, list[str], list[str]]:
    said: list[str] = []
    asked: list[str] = []

    def ask(question: str) -> str:
        asked.append(question)
        return answers.pop(0)

    return terminal_prompt(ask=ask, say=said.append), said, asked


def test_bitlocker_prompt_shows_computer_date_and_key_ids() -> None:
    lines = describe(BITLOCKER)
    assert lines[0] == "laptop.img · p3@1048576 is encrypted (bitlocker) and locked."
    assert "DESKTOP-7Q2 C: 05/12/2026 (encrypted 2026-05-12T09:14:02)" in lines[1]
    assert "  key protector: recovery password, ID 1A2B3C4D-0000-0000-0000-000000000002" in lines
    assert lines[-1].startswith("  Ask for: the 48-digit recovery key")


def test_tpm_only_says_nothing_here_opens_it() -> None:
    tpm_only = {**BITLOCKER, "facts": {"key_protectors": [{"kind": "TPM", "id": "X"}]}}
    assert describe(tpm_only)[-1] == "  Ask for: nothing here opens it (TPM only)."


def test_luks_prompt_lists_key_slots() -> None:
    lines = describe({"kind": "luks2", "facts": {"uuid": "u-1", "key_slots": [
        {"slot": 0}, {"slot": 3}]}, "tried": 2})
    assert "  LUKS UUID u-1, key slots in use: 0, 3" in lines
    assert lines[-1] == "  2 secret(s) tried so far did not open it."


def test_typing_slip_in_a_recovery_password_is_asked_again_not_tried() -> None:
    slip = GOOD[:-1] + "6"
    prompt, said, asked = _prompt([slip, GOOD])
    secret = prompt(BITLOCKER)
    assert secret == Secret(RECOVERY_PASSWORD, GOOD, "typed at the prompt")
    assert len(asked) == 2
    assert "  group 8 of the recovery password has a typing error; check it; type it again." in said
    assert all(slip not in line and GOOD not in line for line in said)


def test_skip_and_empty_leave_the_volume_locked() -> None:
    for answer in ("skip", "", "  SKIP "):
        prompt, said, _ = _prompt([answer])
        assert prompt(BITLOCKER) is None
        assert said[-1] == "  Left locked; the report lists it as not examined."


def test_passphrase_is_passed_as_typed() -> None:
    prompt, _, _ = _prompt(["  my pass phrase"])
    assert prompt(BITLOCKER) == Secret(PASSPHRASE, "  my pass phrase", "typed at the prompt")


def test_cli_unlock_file_with_a_typing_slip_is_a_usage_error(tmp_path: Path) -> None:
    keys = tmp_path / "keys.txt"
    keys.write_text(GOOD[:-1] + "6\n")
    done = run("scan", str(tmp_path), "--out", str(tmp_path / "o"), "--unlock-file", str(keys))
    assert done.returncode == ExitCode.USAGE
    assert done.stderr == ("triage: unlock file 1, line 1: group 8 of the recovery password "
                           "has a typing error; check it.\n")
    assert GOOD[:-1] not in done.stdout + done.stderr
    assert not (tmp_path / "o").exists()


def test_the_prompt_asks_in_the_formats_own_words() -> None:
    """A LUKS disk has a passphrase; 'recovery key' is BitLocker's word."""
    prompt, _, asked = _prompt(["skip", "skip"])
    assert prompt({"kind": "luks2", "facts": {}, "tried": 0}) is None
    assert prompt(BITLOCKER) is None
    assert asked[0].startswith("  Passphrase (hidden;")
    assert asked[1].startswith("  Recovery key or password (hidden;")


def test_an_encrypted_apfs_volume_is_asked_for_by_name_and_uuid() -> None:
    """A Mac since 10.13: the volume's name tells the officer which Mac and disk it is."""
    request = {"kind": "apfs", "address": "mac.img · p2@209735680 · apfs 1 (Macintosh HD)",
               "facts": {"volume": "Macintosh HD", "uuid": "5B2E6A10-0000-0000-0000-00000000A1"},
               "tried": 0}
    lines = describe(request)
    assert lines[0] == ("mac.img · p2@209735680 · apfs 1 (Macintosh HD) is encrypted (apfs) "
                        "and locked.")
    assert lines[1] == "  APFS volume 'Macintosh HD', UUID 5B2E6A10-0000-0000-0000-00000000A1"
    assert lines[2].startswith("  Ask for: the login password of a user of this Mac, or the "
                               "FileVault recovery key")
    prompt, _, asked = _prompt(["skip"])
    assert prompt(request) is None
    assert asked[0].startswith("  Password or recovery key (hidden;")
