"""One Windows shortcut (LNK, [MS-SHLLINK]) read into the fields of a `file-opened` record.

LnkParse3 reads the header, the LinkInfo offsets and the extra data blocks; the parts are taken
one at a time here so that a file cut short or damaged half-way still gives the parts before
the damage (its header alone holds the target's times and size) and one sentence saying where
it stopped. Strings are read here from the spec (LnkParse3 misreads an empty path suffix and
walks the rest of the file per string).
"""

from __future__ import annotations

import datetime as dt
import struct
import warnings
from dataclasses import dataclass, field
from typing import Any

from LnkParse3.extra.distributed_tracker import DistributedTracker
from LnkParse3.extra.environment import Environment
from LnkParse3.extra_data import ExtraData
from LnkParse3.info_factory import InfoFactory
from LnkParse3.lnk_header import LnkHeader
from LnkParse3.lnk_info import LnkInfo

from triage.artefacts.record import to_posix
from triage.model import iso_utc

HEADER_SIZE = 0x4C
LINK_CLSID = bytes.fromhex("0114020000000000c000000000000046")
# A shortcut is a few kilobytes; one larger than this is forged or not a shortcut, and only
# its first part is read (bounded memory for hostile files).
MAX_LINK_BYTES = 1024 * 1024
# [MS-SHLLINK] 2.3.1 VolumeID DriveType values, in the words the rules use.
DRIVE_TYPES = {0: "unknown", 1: "no root", 2: "removable", 3: "fixed", 4: "network", 5: "cd",
               6: "ram disk"}


class _CutShort(Exception):
    """A part's declared size runs past the end of the file."""


class NotAShortcut(ValueError):
    """The bytes do not start with a shell link header."""


@dataclass
class Shortcut:
    """What one shortcut says about its target; `damage` is where reading stopped, if it did."""

    fields: dict[str, Any] = field(default_factory=dict)
    target_accessed: float | None = None
    damage: str | None = None


def is_shortcut(data: bytes) -> bool:
    return len(data) >= HEADER_SIZE and data[:4] == b"L\0\0\0" and data[4:20] == LINK_CLSID


class _Parts:
    """The parts read so far (LnkParse3's LnkFile parses all or nothing): the header, its link
    flags (LnkParse3 rebuilds the list per call) and the LinkInfo once read."""

    def __init__(self, data: bytes) -> None:
        self.header = LnkHeader(indata=data)
        self.flags = frozenset(self.header.link_flags())
        self.info: Any = None


def _when(value: dt.datetime | None) -> tuple[float | None, str | None]:
    posix = to_posix(value) if isinstance(value, dt.datetime) else None
    return posix, iso_utc(posix) if posix is not None else None


def _text(value: object) -> str:
    return value.strip("\0 ") if isinstance(value, str) else ""


def _header(link: _Parts, out: Shortcut) -> None:
    header = link.header
    for name, read in (("target_created", header.creation_time),
                       ("target_modified", header.write_time),
                       ("target_accessed", header.access_time)):
        posix, text = _when(read())
        out.fields[name] = text
        if name == "target_accessed":
            out.target_accessed = posix
    out.fields["target_size"] = header.file_size()


def _unicode_at(data: bytes, offset: int | None) -> str:
    """The NUL-terminated UTF-16 string at `offset` (LnkParse3 misreads an empty suffix and
    unpaired surrogates); undecodable units become U+FFFD."""
    if not offset or offset >= len(data):
        return ""
    end = data.find(b"\0\0", offset)
    while end >= 0 and (end - offset) % 2:
        end = data.find(b"\0\0", end + 1)
    return data[offset:end if end >= 0 else len(data)].decode("utf-16-le", "replace")


def _ansi_at(data: bytes, offset: int | None) -> str:
    if not offset or offset >= len(data):
        return ""
    end = data.find(b"\0", offset)
    return data[offset:end if end >= 0 else len(data)].decode("cp1252", "replace")


def _net_name(data: bytes, link: int) -> str:
    """CommonNetworkRelativeLink's NetName ([MS-SHLLINK] 2.3.2): '\\\\nas\\photos'."""
    if not link or link + 20 > len(data):
        return ""
    (offset,) = struct.unpack_from("<I", data, link + 8)
    if offset > 0x14 and link + 24 <= len(data):  # the Unicode offsets follow
        return _unicode_at(data, link + struct.unpack_from("<I", data, link + 20)[0])
    return _ansi_at(data, link + offset)


def _location(link: _Parts, data: bytes, out: Shortcut) -> None:
    """LinkInfo: where the target lay (local path on a volume with its type, serial and label,
    or a network share)."""
    if len(data) < 4 or struct.unpack_from("<I", data)[0] > len(data):
        raise _CutShort
    header = LnkInfo(indata=data)
    info = InfoFactory(header).info_class()
    if info is None:
        return
    part = info(indata=data)
    suffix = (_unicode_at(data, header.common_path_suffix_offset_unicode())
              or _ansi_at(data, header.common_path_suffix_offset()))
    if type(part).__name__ == "Local":
        base = (_unicode_at(data, header.local_base_path_offset_unicode())
                or _ansi_at(data, header.local_base_path_offset()))
        out.fields["target_path"] = base + suffix
        out.fields["drive_type"] = DRIVE_TYPES.get(part.r_drive_type(), "unknown")
        out.fields["volume_serial"] = f"{int(part.drive_serial_number(), 16):08X}"
        volume = part.volume_id_offset()
        label = part.volume_label_unicode_offset()
        out.fields["volume_label"] = (_unicode_at(data, volume + label) if label
                                      else _ansi_at(data, volume + part.volume_label_offset()))
    else:
        share = _net_name(data, header.common_network_relative_link_offset())
        out.fields["target_path"] = "\\".join(p for p in (share, suffix) if p)
        out.fields["drive_type"] = "network"
        out.fields["network_share"] = share
    link.info = part


def _extra_blocks_end(data: bytes) -> None:
    """Raise _CutShort unless the extra data blocks run to their terminal block."""
    offset = 0
    while True:
        if offset + 4 > len(data):
            raise _CutShort
        (size,) = struct.unpack_from("<I", data, offset)
        if size < 4:
            return
        if offset + size > len(data):
            raise _CutShort
        offset += size


# [MS-SHLLINK] 2.4: the StringData present, in this order, each flagged in LinkFlags.
_STRINGS = (("HasName", "description"), ("HasRelativePath", "relative_path"),
            ("HasWorkingDir", "working_directory"), ("HasArguments", "arguments"),
            ("HasIconLocation", None))


def _strings(link: _Parts, data: bytes, out: Shortcut) -> int:
    """Read the counted strings (UTF-16 when IsUnicode, else the ANSI code page); return their
    size. (LnkParse3's reader walks the rest of the file two bytes at a time per string.)"""
    flags = link.flags
    width, codec = (2, "utf-16-le") if "IsUnicode" in flags else (1, "cp1252")
    offset = 0
    for flag, name in _STRINGS:
        if flag not in flags:
            continue
        if offset + 2 > len(data):
            raise _CutShort
        (count,) = struct.unpack_from("<H", data, offset)
        end = offset + 2 + count * width
        if end > len(data):
            raise _CutShort
        text = data[offset + 2:end].decode(codec, "replace").strip("\0 ")
        if name and text:
            out.fields[name] = text
        offset = end
    return offset


def _strings_and_extras(link: _Parts, data: bytes, out: Shortcut) -> None:
    extra = data[_strings(link, data, out):]
    for block in ExtraData(indata=extra):
        if isinstance(block, DistributedTracker):
            out.fields["machine_id"] = _text(block.machine_id())
        elif isinstance(block, Environment) and not out.fields.get("target_path"):
            out.fields["target_path"] = _text(block.target_unicode()) or _text(
                block.target_ansi())
    _extra_blocks_end(extra)


def read_shortcut(data: bytes) -> Shortcut:
    """The fields of the shortcut in `data`; NotAShortcut when it has no shell link header."""
    if not is_shortcut(data):
        raise NotAShortcut("not a Windows shortcut (no shell link header)")
    out = Shortcut()
    data = data[:MAX_LINK_BYTES]
    stage = "header"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # LnkParse3 warns on damage; the damage is said once
        try:
            link = _Parts(data)
            _header(link, out)
            index = link.header.size()
            if "HasTargetIDList" in link.flags:
                # Skipped by its size: the shell items repeat the path LinkInfo gives.
                stage = "target ID list"
                if index + 2 > len(data):
                    raise _CutShort
                (size,) = struct.unpack_from("<H", data, index)
                if index + 2 + size > len(data):
                    raise _CutShort
                index += 2 + size
            if "HasLinkInfo" in link.flags and "ForceNoLinkInfo" not in link.flags:
                stage = "link info"
                _location(link, data[index:], out)
                if link.info is not None:
                    index += link.info.size()
            stage = "strings and extra data"
            _strings_and_extras(link, data[index:], out)
        except _CutShort:
            out.damage = f"cut short in its {stage}; the parts before it are kept"
        except Exception as exc:  # noqa: BLE001 - a hostile file makes the parser raise anything
            out.damage = (f"damaged in its {stage} ({type(exc).__name__}); the parts before "
                          "it are kept")
    if not out.fields.get("target_path") and out.fields.get("relative_path"):
        out.fields["target_path"] = out.fields["relative_path"]
    return out
