"""Read UEFI variables from an OVMF variable-store file (what the VM firmware kept after a boot)."""

from __future__ import annotations

import argparse
import struct
import sys
import uuid
from pathlib import Path

# The authenticated variable store's signature GUID (EDK II, AuthenticatedVariableFormat.h).
AUTH_STORE = uuid.UUID("aaf32c78-947b-439a-a180-2e144ec37792").bytes_le
STORE_HEADER = struct.Struct("<16sIBBHI")  # signature, size, format, state, reserved x2
# AUTHENTICATED_VARIABLE_HEADER: start id, state, reserved, attributes, monotonic count,
# EFI_TIME (16 bytes), public key index, name size, data size, vendor GUID.
VAR_HEADER = struct.Struct("<HBBIQ16sIII16s")
START_ID = 0x55AA
# A variable's state bits are cleared as it is added and deleted; these two are still live.
VAR_ADDED = 0x3F
VAR_ADDED_IN_DELETE_TRANSITION = 0x3E


def variables(store: bytes) -> dict[tuple[str, str], bytes]:
    """Every live variable as {(name, vendor GUID): data}; the newest copy wins."""
    start = store.find(AUTH_STORE)
    if start < 0:
        raise ValueError("no authenticated UEFI variable store in this file")
    _sig, size, _fmt, _state, _r1, _r2 = STORE_HEADER.unpack_from(store, start)
    offset, end = start + STORE_HEADER.size, min(start + size, len(store))
    found: dict[tuple[str, str], bytes] = {}
    while offset + VAR_HEADER.size <= end:
        start_id, state, _res, _attrs, _count, _time, _key, name_size, data_size, guid = (
            VAR_HEADER.unpack_from(store, offset))
        if start_id != START_ID:
            break
        name_at = offset + VAR_HEADER.size
        data_at = name_at + name_size
        if state in (VAR_ADDED, VAR_ADDED_IN_DELETE_TRANSITION):
            name = store[name_at:data_at].decode("utf-16-le").rstrip("\x00")
            found[(name, str(uuid.UUID(bytes_le=guid)))] = store[data_at:data_at + data_size]
        offset = (data_at + data_size + 3) & ~3  # headers are 4-byte aligned
    return found


def value(store: bytes, name: str) -> bytes | None:
    """The data of the live variable called `name` (any vendor), or None."""
    matches = [data for (found, _guid), data in variables(store).items() if found == name]
    return matches[0] if matches else None


EFI_GLOBAL = "8be4df61-93ca-11d2-aa0d-00e098032b8c"
MEDIA_PATH, FILE_PATH, END = 4, 4, 0x7F  # device-path node types (UEFI spec, chapter 10)


def loader_files(option: bytes) -> list[str]:
    """The file paths an EFI_LOAD_OPTION (a Boot#### variable) points at, if any."""
    path_length = struct.unpack_from("<H", option, 4)[0]
    offset = 6
    while option[offset:offset + 2] != b"\x00\x00":  # the description, UTF-16, NUL-ended
        offset += 2
    offset, end = offset + 2, min(offset + 2 + path_length, len(option))
    files = []
    while offset + 4 <= end:
        kind, subtype, length = struct.unpack_from("<BBH", option, offset)
        if kind == END or length < 4:
            break
        if (kind, subtype) == (MEDIA_PATH, FILE_PATH):
            files.append(option[offset + 4:offset + length].decode("utf-16-le").rstrip("\x00"))
        offset += length
    return files


def boot_entries_with_files(store: bytes) -> dict[str, list[str]]:
    """Boot#### entries that start a file from a disk (as shim's fallback would write them)."""
    found = {}
    for (name, guid), data in variables(store).items():
        if guid == EFI_GLOBAL and len(name) == 8 and name.startswith("Boot") and name != "BootNext":
            files = loader_files(data)
            if files:
                found[name] = files
    return found


def changed(before: bytes, after: bytes) -> list[str]:
    """Names of the variables a boot added, changed or removed, sorted."""
    old, new = variables(before), variables(after)
    return sorted({name for name, _guid in set(old) ^ set(new)}
                  | {name for key, data in new.items() if key in old and old[key] != data
                     for name in (key[0],)})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("store", type=Path, help="an OVMF_VARS*.fd file")
    parser.add_argument("name", help="variable name, e.g. SbatLevel; 'boot-files': the Boot#### "
                        "entries that start a file from a disk; 'changed-since': the variables "
                        "that differ from BEFORE")
    parser.add_argument("before", type=Path, nargs="?", help="the store before the boot")
    args = parser.parse_args()
    if args.name == "changed-since":
        print(" ".join(changed(args.before.read_bytes(), args.store.read_bytes())) or "(none)")
        return 0
    if args.name == "boot-files":
        entries = boot_entries_with_files(args.store.read_bytes())
        print("; ".join(f"{k}={','.join(v)}" for k, v in sorted(entries.items())) or "(none)")
        return 0
    data = value(args.store.read_bytes(), args.name)
    if data is None:
        print("(absent)")
    else:
        print(data.rstrip(b"\x00").decode("ascii", "backslashreplace").replace("\n", "\\n"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
