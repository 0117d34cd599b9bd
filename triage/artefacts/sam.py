"""The SAM hive: local user accounts with their RIDs, when each was made, last logged in and
how often, from each account's F (times, counts, flags) and V (names) values."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from regipy.registry import RegistryHive

from triage.artefacts.base import Extractor, Origin
from triage.artefacts.hive import (
    LOG_SUFFIXES,
    as_bytes,
    filetime,
    guarded,
    key,
    open_hive,
    subkeys,
    values,
    written,
)
from triage.artefacts.record import Artefact
from triage.model import iso_utc

USERS = "\\SAM\\Domains\\Account\\Users"
# F: FILETIMEs at 8 (last login), 24 (password set), 40 (last failed login); the RID at 48;
# the account flags at 56 (0x0001 disabled); failed and successful logins at 64 and 66.
# V: 12-byte (offset, length, ?) entries; name at 0x0C, full name 0x18, comment 0x24; the
# offsets count from the end of the 0xCC-byte header. Sources: RegRipper samparse.pl,
# regipy's samparse plugin, and plaso's SAM users parser, which read the same layout.
_F_TIMES = {8: "last_login", 24: "password_set", 40: "last_failed_login"}
_V_TEXTS = {0x0C: "name", 0x18: "full_name", 0x24: "comment"}
_V_HEADER = 0xCC


def _f_fields(data: bytes) -> dict[str, Any]:
    if len(data) < 68:
        return {}
    out: dict[str, Any] = {name: iso_utc(filetime(struct.unpack_from("<Q", data, offset)[0]))
                           for offset, name in _F_TIMES.items()}
    out["disabled"] = bool(struct.unpack_from("<H", data, 56)[0] & 0x0001)
    out["failed_logins"], out["login_count"] = struct.unpack_from("<HH", data, 64)
    return out


def _v_fields(data: bytes) -> dict[str, str]:
    out = {}
    for entry, name in _V_TEXTS.items():
        if len(data) < entry + 8:
            break
        offset, length = struct.unpack_from("<II", data, entry)
        start = _V_HEADER + offset
        if length and start + length <= len(data):
            out[name] = data[start:start + length].decode("utf-16-le", "replace")
    return out


class SamHive(Extractor):
    name = "windows-sam"
    patterns = ("*/windows/system32/config/sam",)
    companions = LOG_SUFFIXES

    def extract(self, copy: Path, origin: Origin) -> Iterator[Artefact]:
        yield from guarded(self._accounts(open_hive(copy), origin), copy, "SAM hive")

    def _accounts(self, hive: RegistryHive, origin: Origin) -> Iterator[Artefact]:
        # The Names subkey per account: its default value's type is the RID, and it is
        # written when the account is made (RegRipper's "account created").
        created = {}
        for named in subkeys(key(hive, f"{USERS}\\Names")):
            for value in named.iter_values():
                try:
                    created[int(value.value_type)] = (named.name, written(named))
                except ValueError:
                    pass  # a type regipy named: not a RID
                break
        for account in subkeys(key(hive, USERS)):
            try:
                rid = int(account.name, 16)
            except ValueError:
                continue  # the Names subkey
            yield self._account(rid, values(account), created.get(rid), origin)

    @staticmethod
    def _account(rid: int, found: dict[str, Any], named: tuple[str, float | None] | None,
                 origin: Origin) -> Artefact:
        fields: dict[str, Any] = {"rid": rid, **_v_fields(as_bytes(found.get("V")) or b"")}
        fields.update(_f_fields(as_bytes(found.get("F")) or b""))
        when = named[1] if named else None
        if named and not fields.get("name"):
            fields["name"] = named[0]
        fields["created"] = iso_utc(when)
        fields["evidence"] = "SAM"
        return Artefact("user-account", when, origin.address, None, fields)
