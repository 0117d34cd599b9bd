"""The boot test's reader of OVMF variable stores (it reports SbatLevel before and after a boot)."""

from __future__ import annotations

import struct
import uuid
from pathlib import Path

import pytest

import tests.usb.ovmf_vars as ovmf

MS_VARS = Path("/usr/share/OVMF/OVMF_VARS_4M.ms.fd")  # Debian's ovmf: Microsoft keys enrolled
SHIM_LOCK = "605dab50-e046-4300-abb6-3dd810dd8b23"


def _variable(name: str, data: bytes, state: int = ovmf.VAR_ADDED) -> bytes:
    encoded = (name + "\x00").encode("utf-16-le")
    header = ovmf.VAR_HEADER.pack(ovmf.START_ID, state, 0, 7, 0, b"\x00" * 16, 0, len(encoded),
                                  len(data), uuid.UUID(SHIM_LOCK).bytes_le)
    body = header + encoded + data
    return body + b"\xff" * (-len(body) % 4)


def _store(*variables: bytes) -> bytes:
    body = b"".join(variables) + b"\xff" * 64
    header = struct.pack("<16sIBBHI", ovmf.AUTH_STORE, ovmf.STORE_HEADER.size + len(body),
                         0x5A, 0xFE, 0, 0)
    return b"\xff" * 72 + header + body  # (a firmware-volume header comes first in OVMF)


def test_live_variables_are_read_and_deleted_ones_skipped():
    store = _store(_variable("SbatLevel", b"sbat,1,2022052400\n", state=0x3D),  # deleted
                   _variable("Odd", b"abc"),  # 3 bytes: the next header is realigned
                   _variable("SbatLevel", b"sbat,1,2024010900\n"))
    assert ovmf.value(store, "SbatLevel") == b"sbat,1,2024010900\n"
    assert ovmf.value(store, "Odd") == b"abc"
    assert ovmf.value(store, "Missing") is None
    assert ovmf.variables(store) == {("SbatLevel", SHIM_LOCK): b"sbat,1,2024010900\n",
                                     ("Odd", SHIM_LOCK): b"abc"}


def test_a_file_without_a_variable_store_is_refused():
    with pytest.raises(ValueError, match="no authenticated UEFI variable store"):
        ovmf.variables(b"\x00" * 4096)


@pytest.mark.skipif(not MS_VARS.is_file(), reason="Debian's ovmf package is not installed")
def test_debians_secure_boot_vars_hold_the_keys_and_no_sbat_level_yet():
    store = MS_VARS.read_bytes()
    names = {name for name, _guid in ovmf.variables(store)}
    assert {"PK", "KEK", "db", "dbx"} <= names
    assert ovmf.value(store, "SecureBootEnable") == b"\x01"
    assert ovmf.value(store, "SbatLevel") is None


def _load_option(description: str, *nodes: bytes) -> bytes:
    path = b"".join(nodes) + bytes([0x7F, 0xFF, 4, 0])
    return struct.pack("<IH", 1, len(path)) + (description + "\x00").encode("utf-16-le") + path


def _node(kind: int, subtype: int, data: bytes) -> bytes:
    return struct.pack("<BBH", kind, subtype, 4 + len(data)) + data


def test_boot_entries_that_start_a_file_are_found():
    usb = _node(3, 0x0F, b"\x00" * 7)  # a messaging node (USB), as OVMF's own entries have
    fallback = _node(4, 4, "\\EFI\\debian\\shimx64.efi\x00".encode("utf-16-le"))
    assert ovmf.loader_files(_load_option("UEFI QEMU USB HARDDRIVE", usb)) == []
    assert ovmf.loader_files(_load_option("debian", usb, fallback)) == [
        "\\EFI\\debian\\shimx64.efi"]


@pytest.mark.skipif(not MS_VARS.is_file(), reason="Debian's ovmf package is not installed")
def test_debians_vars_start_no_file_from_a_disk():
    assert ovmf.boot_entries_with_files(MS_VARS.read_bytes()) == {}


def test_changed_names_added_altered_and_removed_variables():
    before = _store(_variable("SbatLevelOld", b"x"), _variable("Same", b"1"),
                    _variable("Grows", b"a"))
    after = _store(_variable("Same", b"1"), _variable("Grows", b"ab"),
                   _variable("SbatLevel", b"sbat,1,2024010900\n"))
    assert ovmf.changed(before, after) == ["Grows", "SbatLevel", "SbatLevelOld"]
    assert ovmf.changed(after, after) == []
