"""How this computer booted the stick: UEFI or BIOS, Secure Boot, shim's SbatLevel (read-only)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

EFI = Path("/sys/firmware/efi")
LOCKDOWN = Path("/sys/kernel/security/lockdown")
MOUNTINFO = Path("/proc/self/mountinfo")
# UEFI variables are named NAME-VENDORGUID in efivarfs.
EFI_GLOBAL = "8be4df61-93ca-11d2-aa0d-00e098032b8c"  # SecureBoot, SetupMode (UEFI spec)
SHIM_LOCK = "605dab50-e046-4300-abb6-3dd810dd8b23"  # shim's own variables
# shim keeps its revocation level in SbatLevel, a boot-time-only variable the running system
# cannot read; it mirrors the value it found or set into the volatile SbatLevelRT for the OS.
SBAT_LEVEL = "SbatLevelRT"


def read_variable(efivars: Path, name: str, guid: str) -> bytes | None:
    """A UEFI variable's data, or None when absent; opened for reading only, never written."""
    try:
        with open(efivars / f"{name}-{guid}", "rb") as variable:
            raw = variable.read()
    except OSError:
        return None
    # efivarfs puts the variable's 4 attribute bytes before its data.
    return raw[4:] if len(raw) >= 4 else None


def _flag(data: bytes | None) -> bool | None:
    """A one-byte UEFI boolean (1 = on), or None when the variable is absent or malformed."""
    return None if data is None or len(data) != 1 else data == b"\x01"


def lockdown_mode(path: Path = LOCKDOWN) -> str | None:
    """The kernel lockdown mode in force ("none", "integrity", "confidentiality")."""
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError):
        return None
    chosen = [word.strip("[]") for word in text.split() if word.startswith("[")]
    return chosen[0] if chosen else None


def efivars_mount(efi: Path = EFI, mountinfo: Path = MOUNTINFO) -> str | None:
    """"read-only" or "writable": how efivarfs is mounted (the stick remounts it read-only)."""
    try:
        lines = mountinfo.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    state = None
    for line in lines:  # the last mount on the point is the one in force
        fields = line.split()
        if len(fields) > 5 and fields[4] == str(efi / "efivars"):
            state = "read-only" if "ro" in fields[5].split(",") else "writable"
    return state


def boot_facts(efi: Path = EFI, lockdown: Path = LOCKDOWN,
               mountinfo: Path = MOUNTINFO) -> dict[str, Any]:
    """What the report records about this boot (provenance.boot); nothing here writes."""
    facts: dict[str, Any] = {"mode": "uefi" if efi.is_dir() else "bios", "secure_boot": None,
                             "setup_mode": None, "sbat_level": None,
                             "lockdown": lockdown_mode(lockdown),
                             "efivars": efivars_mount(efi, mountinfo)}
    if facts["mode"] == "bios":
        facts["secure_boot"] = False  # legacy BIOS has no Secure Boot
        return facts
    efivars = efi / "efivars"
    facts["secure_boot"] = _flag(read_variable(efivars, "SecureBoot", EFI_GLOBAL))
    facts["setup_mode"] = _flag(read_variable(efivars, "SetupMode", EFI_GLOBAL))
    sbat = read_variable(efivars, SBAT_LEVEL, SHIM_LOCK)
    if sbat is not None:
        facts["sbat_level"] = sbat.rstrip(b"\x00").decode("ascii", "replace")
    return facts


def describe(facts: dict[str, Any]) -> str:
    """One line for the officer's screen."""
    if facts.get("mode") == "bios":
        return "Started by legacy BIOS (no Secure Boot)."
    state = {True: "on", False: "off"}.get(facts.get("secure_boot"), "unknown")
    sbat = facts.get("sbat_level")
    level = sbat.splitlines()[0] if sbat else "not reported"
    return f"Started by UEFI, Secure Boot {state}, shim SbatLevel {level}."
