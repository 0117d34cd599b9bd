"""Amcache.hve (regipy): programs Windows inventoried as run, with SHA-1, path and first-run
time (InventoryApplicationFile on Windows 10 and 11, Root\\File on 8 and early 10), and
programs installed with their install dates (InventoryApplication)."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from triage.artefacts.base import Extractor, Origin
from triage.artefacts.hive import (
    LOG_SUFFIXES,
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

# An entry is written when the Compatibility Appraiser first records the file, usually at its
# first run; it can also list files of installed programs that never ran (ANSSI, "Analysis of
# the AmCache", 2019), so each record says so and carries the SHA-1 to check.
MEANING = "inventoried by Windows, usually when first run"
# Root\File values on Windows 8: numbered names (RegRipper amcache.pl, regipy's amcache plugin).
_FILE_VALUES = {"15": "path", "101": "file_id", "0": "product", "1": "publisher",
                "5": "version", "c": "description"}


def _sha1(file_id: Any) -> str:
    """The SHA-1 in a FileId ('0000' then 40 hex digits)."""
    text = str(file_id or "")
    return text[4:].lower() if len(text) == 44 else ""


def _size(raw: Any) -> int | None:
    """Size is a number, or hex text ('0x7fac0') in Windows 10's first Amcache format."""
    if isinstance(raw, int):
        return raw
    try:
        return int(str(raw), 16) if str(raw).lower().startswith("0x") else None
    except ValueError:
        return None


def _install_date(text: Any) -> float | None:
    """InventoryApplication's InstallDate ('05/02/2019 13:21:07', the computer's UTC)."""
    try:
        return dt.datetime.strptime(str(text), "%m/%d/%Y %H:%M:%S").replace(
            tzinfo=dt.UTC).timestamp()
    except ValueError:
        return None


class AmcacheHive(Extractor):
    name = "windows-amcache"
    patterns = ("*/windows/appcompat/programs/amcache.hve",)
    companions = LOG_SUFFIXES

    def extract(self, copy: Path, origin: Origin) -> Iterator[Artefact]:
        hive = open_hive(copy)
        yield from guarded(itertools.chain(self._files(hive, origin),
                                           self._applications(hive, origin)),
                           copy, "Amcache hive")

    @staticmethod
    def _files(hive: Any, origin: Origin) -> Iterator[Artefact]:
        for entry in subkeys(key(hive, "\\Root\\InventoryApplicationFile")):
            found = values(entry)
            path = str(found.get("LowerCaseLongPath") or "")
            yield Artefact("program-run", written(entry), origin.address, None, {
                "name": str(found.get("Name") or path.rsplit("\\", 1)[-1]), "path": path,
                "sha1": _sha1(found.get("FileId")), "publisher": str(found.get("Publisher") or ""),
                "version": str(found.get("Version") or ""),
                "product": str(found.get("ProductName") or ""), "size": _size(found.get("Size")),
                "meaning": MEANING, "evidence": "Amcache"})
        for volume in subkeys(key(hive, "\\Root\\File")):
            for entry in subkeys(volume):
                raw = values(entry)
                found = {field: raw.get(name) for name, field in _FILE_VALUES.items()}
                path = str(found["path"] or "")
                yield Artefact("program-run", written(entry), origin.address, None, {
                    "name": path.rsplit("\\", 1)[-1], "path": path,
                    "sha1": _sha1(found["file_id"]), "publisher": str(found["publisher"] or ""),
                    "version": str(found["version"] or ""),
                    "product": str(found["product"] or ""),
                    "modified": iso_utc(filetime(raw.get("17"))),
                    "meaning": MEANING, "evidence": "Amcache"})

    @staticmethod
    def _applications(hive: Any, origin: Origin) -> Iterator[Artefact]:
        for entry in subkeys(key(hive, "\\Root\\InventoryApplication")):
            found = values(entry)
            name = found.get("Name")
            if not isinstance(name, str) or not name:
                continue
            yield Artefact("program-installed", _install_date(found.get("InstallDate")) or
                           written(entry), origin.address, None, {
                               "name": name, "version": str(found.get("Version") or ""),
                               "publisher": str(found.get("Publisher") or ""),
                               "location": str(found.get("RootDirPath") or ""),
                               "source": str(found.get("Source") or ""),
                               "evidence": "Amcache"})
