"""Windows shortcuts (LNK) written from Microsoft's [MS-SHLLINK] specification, for the cases
published samples lack: a target on a removable drive with a known serial, Unicode and hostile
names, and files cut short or damaged on purpose.

Layout written (all little-endian): ShellLinkHeader (2.1, 76 bytes); LinkInfo (2.3) with a
VolumeID (2.3.1) and the local base path in ANSI and Unicode; StringData (2.4) as counted
UTF-16; a TrackerDataBlock (2.5.10) with the machine's NetBIOS name; the TerminalBlock.
"""

from __future__ import annotations

import datetime as dt
import struct

LINK_CLSID = bytes.fromhex("0114020000000000c000000000000046")
HAS_LINK_INFO, HAS_NAME, HAS_RELATIVE_PATH, HAS_WORKING_DIR, IS_UNICODE = 0x2, 0x4, 0x8, 0x10, 0x80
DRIVE_REMOVABLE, DRIVE_FIXED, DRIVE_CDROM = 2, 3, 5
EPOCH = dt.datetime(1601, 1, 1, tzinfo=dt.UTC)


def filetime(when: dt.datetime | None) -> int:
    return 0 if when is None else int((when - EPOCH).total_seconds() * 10_000_000)


def _volume_id(drive_type: int, serial: int, label: str) -> bytes:
    if label.isascii():
        return struct.pack("<IIII", 0, drive_type, serial, 0x10) + label.encode("ascii") + b"\0"
    # VolumeLabelOffset 0x14 says the Unicode label's offset follows (2.3.1).
    return struct.pack("<IIIII", 0, drive_type, serial, 0x14, 0x14) + label.encode(
        "utf-16-le", "surrogatepass") + b"\0\0"


def _link_info(path: str, drive_type: int, serial: int, label: str) -> bytes:
    volume = _volume_id(drive_type, serial, label)
    volume = struct.pack("<I", len(volume)) + volume[4:]
    header_size = 0x24
    ansi = path.encode("cp1252", "replace") + b"\0"
    volume_at = header_size
    base_at = volume_at + len(volume)
    suffix_at = base_at + len(ansi)
    base_unicode_at = suffix_at + 1
    unicode_path = path.encode("utf-16-le", "surrogatepass") + b"\0\0"
    suffix_unicode_at = base_unicode_at + len(unicode_path)
    body = volume + ansi + b"\0" + unicode_path + b"\0\0"
    size = header_size + len(body)
    return struct.pack("<IIIIIIIII", size, header_size, 1, volume_at, base_at, 0, suffix_at,
                       base_unicode_at, suffix_unicode_at) + body


def _network_info(share: str, suffix: str) -> bytes:
    """LinkInfo with a CommonNetworkRelativeLink (2.3.2) naming `share`, and the path below it."""
    name = share.encode("cp1252") + b"\0"
    link = struct.pack("<IIIII", 0x14 + len(name), 0, 0x14, 0, 0x20000) + name
    header_size = 0x1C
    suffix_bytes = suffix.encode("cp1252") + b"\0"
    body = link + suffix_bytes
    return struct.pack("<IIIIIII", header_size + len(body), header_size, 2, 0, 0, header_size,
                       header_size + len(link)) + body


def network_shortcut(share: str, suffix: str) -> bytes:
    """A shortcut to `suffix` on the network share `share` ('\\\\nas\\photos')."""
    flags = HAS_LINK_INFO | IS_UNICODE
    header = struct.pack("<I16sIIQQQIiIHHII", 0x4C, LINK_CLSID, flags, 0x20, 0, 0, 0, 0, 0, 1,
                         0, 0, 0, 0)
    return header + _network_info(share, suffix) + struct.pack("<I", 0)


def _counted(text: str) -> bytes:
    encoded = text.encode("utf-16-le", "surrogatepass")
    return struct.pack("<H", len(encoded) // 2) + encoded


def _tracker(machine: str) -> bytes:
    name = machine.encode("ascii")[:15].ljust(16, b"\0")
    droids = bytes(range(64))
    return struct.pack("<IIII", 0x60, 0xA0000003, 0x58, 0) + name + droids


def shortcut(target: str, *, drive_type: int = DRIVE_FIXED, serial: int = 0x1234ABCD,
             label: str = "", created: dt.datetime | None = None,
             modified: dt.datetime | None = None, accessed: dt.datetime | None = None,
             size: int = 0, machine: str = "desktop-alex", description: str = "") -> bytes:
    """The bytes of a shortcut to `target` (a full Windows path such as 'E:\\\\x.jpg')."""
    flags = HAS_LINK_INFO | HAS_RELATIVE_PATH | HAS_WORKING_DIR | IS_UNICODE
    strings = b""
    if description:
        flags |= HAS_NAME
        strings += _counted(description)
    folder, _, name = target.rpartition("\\")
    strings += _counted(".\\" + name) + _counted(folder)
    header = struct.pack("<I16sIIQQQIiIHHII", 0x4C, LINK_CLSID, flags, 0x20, filetime(created),
                         filetime(accessed), filetime(modified), size, 0, 1, 0, 0, 0, 0)
    return (header + _link_info(target, drive_type, serial, label) + strings + _tracker(machine)
            + struct.pack("<I", 0))


def custom_destinations(links: list[bytes]) -> bytes:
    """A custom destinations jump list: version 2, one custom category "Recent" holding the
    shortcuts, each behind the LNK class identifier, then the footer signature."""
    name = "Recent".encode("utf-16-le")
    out = struct.pack("<III", 2, 1, 0) + struct.pack("<IH", 0, 6) + name
    out += struct.pack("<I", len(links))
    for link in links:
        out += LINK_CLSID + link
    return out + struct.pack("<I", 0xBABFFBAB)
