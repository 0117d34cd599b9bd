"""The stick's boot facts: UEFI or BIOS, Secure Boot and shim's SbatLevel read from efivarfs."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import jsonschema

from triage.report.writer import report_schema

NV_BS_RT = b"\x07\x00\x00\x00"  # efivarfs: the variable's attributes come before its data
SBAT = b"sbat,1,2024010900\nshim,4\ngrub,3\ngrub.debian,4\n"


def _efi(root: Path, variables: dict[str, bytes]) -> Path:
    efivars = root / "efi" / "efivars"
    efivars.mkdir(parents=True)
    for name, data in variables.items():
        (efivars / name).write_bytes(NV_BS_RT + data)
    return root / "efi"


def _lockdown(root: Path, text: str) -> Path:
    path = root / "lockdown"
    path.write_text(text)
    return path


def _mountinfo(root: Path, efi: Path, options: str | None) -> Path:
    path = root / "mountinfo"
    lines = ["22 1 0:21 / / rw,relatime - overlay overlay rw"]
    if options:
        lines.append(f"30 22 0:27 / {efi / 'efivars'} {options} shared:9 - efivarfs efivarfs rw")
    path.write_text("\n".join(lines) + "\n")
    return path


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


def test_uefi_with_secure_boot_on_and_shim_level(bootfacts, tmp_path):
    efi = _efi(tmp_path, {
        f"SecureBoot-{bootfacts.EFI_GLOBAL}": b"\x01",
        f"SetupMode-{bootfacts.EFI_GLOBAL}": b"\x00",
        f"SbatLevelRT-{bootfacts.SHIM_LOCK}": SBAT + b"\x00",
    })
    before = _digests(efi / "efivars")
    facts = bootfacts.boot_facts(efi, _lockdown(tmp_path, "none [integrity] confidentiality\n"),
                                 _mountinfo(tmp_path, efi, "ro,nosuid,nodev,noexec,relatime"))
    assert facts == {"mode": "uefi", "secure_boot": True, "setup_mode": False,
                     "sbat_level": SBAT.decode(), "lockdown": "integrity",
                     "efivars": "read-only"}
    assert _digests(efi / "efivars") == before
    jsonschema.validate(facts, report_schema()["properties"]["provenance"]["properties"]["boot"])
    assert bootfacts.describe(facts) == (
        "Started by UEFI, Secure Boot on, shim SbatLevel sbat,1,2024010900.")


def test_uefi_without_secure_boot_or_shim_variables(bootfacts, tmp_path):
    efi = _efi(tmp_path, {f"SecureBoot-{bootfacts.EFI_GLOBAL}": b"\x00"})
    facts = bootfacts.boot_facts(efi, _lockdown(tmp_path, "[none] integrity confidentiality"),
                                 _mountinfo(tmp_path, efi, "rw,nosuid,nodev,noexec,relatime"))
    assert facts == {"mode": "uefi", "secure_boot": False, "setup_mode": None,
                     "sbat_level": None, "lockdown": "none", "efivars": "writable"}
    assert bootfacts.describe(facts) == (
        "Started by UEFI, Secure Boot off, shim SbatLevel not reported.")


def test_unreadable_or_malformed_variables_are_unknown_not_guessed(bootfacts, tmp_path):
    efi = _efi(tmp_path, {f"SecureBoot-{bootfacts.EFI_GLOBAL}": b"\x01\x01"})
    (efi / "efivars" / f"SetupMode-{bootfacts.EFI_GLOBAL}").write_bytes(b"\x07")
    facts = bootfacts.boot_facts(efi, tmp_path / "no-securityfs", tmp_path / "no-proc")
    assert facts["secure_boot"] is None and facts["setup_mode"] is None
    assert facts["lockdown"] is None and facts["efivars"] is None
    assert "Secure Boot unknown" in bootfacts.describe(facts)


def test_legacy_bios_has_no_secure_boot(bootfacts, tmp_path):
    facts = bootfacts.boot_facts(tmp_path / "no-efi", tmp_path / "no-securityfs",
                                 _mountinfo(tmp_path, tmp_path / "no-efi", None))
    assert facts == {"mode": "bios", "secure_boot": False, "setup_mode": None,
                     "sbat_level": None, "lockdown": None, "efivars": None}
    assert bootfacts.describe(facts) == "Started by legacy BIOS (no Secure Boot)."


def test_console_keeps_the_facts_and_hands_them_to_the_scan(officer, tmp_path, capsys):
    facts = {"mode": "bios", "secure_boot": False, "setup_mode": None, "sbat_level": None,
             "lockdown": "none", "efivars": None}
    kept = officer.record_boot(tmp_path / "run" / "boot.json", facts)
    assert kept == tmp_path / "run" / "boot.json"
    assert json.loads(kept.read_text()) == facts
    assert "TRIAGE-BOOT " + json.dumps(facts, sort_keys=True) in capsys.readouterr().out
    command = officer.scan_command(officer.OfficerConfig(), "", "", Path("/r"), [], kept)
    assert command[command.index("--boot-facts") + 1] == str(kept)


def test_console_goes_on_when_the_facts_cannot_be_kept(officer, tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert officer.record_boot(blocker / "boot.json", {"mode": "bios"}) is None
    assert "the report will not record them" in capsys.readouterr().out


def test_the_last_efivarfs_mount_is_the_one_in_force(bootfacts, tmp_path):
    efi = tmp_path / "efi"
    info = _mountinfo(tmp_path, efi, "rw,nosuid")
    line = f"31 22 0:27 / {efi / 'efivars'} ro,nosuid shared:9 - efivarfs efivarfs ro\n"
    info.write_text(info.read_text() + line)
    assert bootfacts.efivars_mount(efi, info) == "read-only"
