"""Jump lists for the tests: plaso's published Windows 7 Explorer jump list (Apache-2.0, in
tests/data/plaso), edited only in place through olefile (same-size stream writes), and the
same file with its sector chains broken on purpose."""

from __future__ import annotations

import datetime as dt
import shutil
import struct
from pathlib import Path

import olefile

from tests.artefacts.lnkwriter import filetime

PLASO = Path(__file__).resolve().parents[1] / "data" / "plaso"
EXPLORER = PLASO / "1b4dd67f29cb1962.automaticDestinations-ms"
# Entry 7 of the published list: C:\Users\bperry\Downloads on volume 885029E6 (fixed).
ENTRY = 7
_VOLUME_ID = struct.pack("<III", 0x11, 3, 0x885029E6)
_DESTLIST_HEADER, _DESTLIST_TIME_AT = 32, 100


def removable_jump_list(target: Path, *, serial: int, when: dt.datetime) -> Path:
    """The Explorer jump list with entry 7 on a removable drive E: with `serial`, last used
    at `when` (its DestList time)."""
    shutil.copyfile(EXPLORER, target)
    with olefile.OleFileIO(str(target), write_mode=True) as ole:
        link = ole.openstream(f"{ENTRY:x}").read()
        assert link.count(_VOLUME_ID) == 1
        link = link.replace(_VOLUME_ID, struct.pack("<III", 0x11, 2, serial))
        link = link.replace(b"C:\\Users\\bperry\\Downloads", b"E:\\Users\\bperry\\Downloads")
        ole.write_stream(f"{ENTRY:x}", link)
        destlist = bytearray(ole.openstream("DestList").read())
        (number,) = struct.unpack_from("<I", destlist, _DESTLIST_HEADER + 88)
        assert number == ENTRY  # the published list's first DestList entry
        struct.pack_into("<Q", destlist, _DESTLIST_HEADER + _DESTLIST_TIME_AT, filetime(when))
        ole.write_stream("DestList", bytes(destlist))
    return target


def cyclic_fat(target: Path) -> Path:
    """The Explorer jump list whose directory's sector chain points back at itself."""
    shutil.copyfile(EXPLORER, target)
    data = bytearray(target.read_bytes())
    (first_dir,) = struct.unpack_from("<I", data, 0x30)
    (fat_sector,) = struct.unpack_from("<I", data, 0x4C)
    sector_size = 1 << struct.unpack_from("<H", data, 0x1E)[0]
    struct.pack_into("<I", data, sector_size * (fat_sector + 1) + 4 * first_dir, first_dir)
    target.write_bytes(bytes(data))
    return target


def renamed_stream(target: Path, entry: int = ENTRY) -> Path:
    """The Explorer jump list with entry `entry`'s shortcut stream renamed to a name that is not
    a hexadecimal number (as if the stream were gone): its DestList entry alone remains."""
    shutil.copyfile(EXPLORER, target)
    data = bytearray(target.read_bytes())
    name = f"{entry:x}".encode("utf-16-le").ljust(64, b"\0") + struct.pack("<H", 4)
    at = data.find(name)
    assert at > 0 and data.find(name, at + 1) < 0
    data[at:at + 2] = "z".encode("utf-16-le")
    target.write_bytes(bytes(data))
    return target
