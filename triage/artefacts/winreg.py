"""Windows registry hives (regipy): USB storage devices (USBSTOR, UASP drives, phones and
cameras), installed programs, programs run, typed addresses, Explorer searches, the time zone
and the last shutdown; transaction logs applied when they lie beside the hive."""

from __future__ import annotations

import codecs
import datetime as dt
import struct
from collections.abc import Iterator
from pathlib import Path

from regipy.registry import NKRecord, RegistryHive

from triage.artefacts.base import Extractor, Origin
from triage.artefacts.hive import LOG_SUFFIXES, as_bytes, filetime, guarded, open_hive
from triage.artefacts.hive import binary_filetime as _binary_filetime
from triage.artefacts.hive import key as _key
from triage.artefacts.hive import subkeys as _subkeys
from triage.artefacts.hive import values as _values
from triage.artefacts.mounted import usb_mounts
from triage.artefacts.recentdocs import mru_order, recent_docs
from triage.artefacts.record import Artefact
from triage.artefacts.searches import host_of
from triage.artefacts.usbdevices import device_serial, device_times, other_usb_devices

__all__ = ["RegistryHives", "filetime"]

_USERASSIST = "\\Software\\Microsoft\\Windows\\CurrentVersion\\Explorer\\UserAssist"


def _signed32(value: object) -> int | None:
    """A REG_DWORD read as the signed minutes Windows means (Bias -60 is 0xFFFFFFC4)."""
    if not isinstance(value, int) or not 0 <= value <= 0xFFFFFFFF:
        return None
    return value - (1 << 32) if value & 0x80000000 else value


def _time_zone(key: NKRecord, origin: Origin) -> Artefact:
    """The time zone record: Windows keeps Bias = UTC - local time in minutes, so the offset
    shown (+01:00 for Paris in winter) is its negation; ActiveTimeBias includes daylight
    saving as it stood when the key was last written."""
    values = _values(key)
    fields: dict[str, object] = {
        "name": str(values.get("TimeZoneKeyName") or values.get("StandardName") or ""),
        "evidence": "TimeZoneInformation",
        "changed": filetime(key.header.last_modified),
    }
    for value, field in (("Bias", "utc_offset"), ("ActiveTimeBias", "active_utc_offset")):
        bias = _signed32(values.get(value))
        if bias is not None and abs(bias) <= 24 * 60:
            sign = "-" if bias > 0 else "+"
            fields[field] = f"{sign}{abs(bias) // 60:02d}:{abs(bias) % 60:02d}"
    if isinstance(values.get("DynamicDaylightTimeDisabled"), int):
        fields["daylight_saving"] = not values["DynamicDaylightTimeDisabled"]
    return Artefact("time-zone", None, origin.address, None, fields)


def _typed_urls(hive: RegistryHive, origin: Origin) -> Iterator[Artefact]:
    """TypedURLs: url1 is the newest. Windows 8+ keeps each address's time in TypedURLsTime;
    without it only url1's time is known (the key's last change), the others have none."""
    typed = _key(hive, "\\Software\\Microsoft\\Internet Explorer\\TypedURLs")
    if typed is None:
        return
    times = _values(_key(hive, "\\Software\\Microsoft\\Internet Explorer\\TypedURLsTime"))
    for name, url in _values(typed).items():
        if not (isinstance(url, str) and url):
            continue
        when = _binary_filetime(times.get(name))
        if when is None and name.lower() == "url1":
            when = filetime(typed.header.last_modified)
        yield Artefact("typed-url", when, origin.address, origin.profile,
                       {"url": url, "host": host_of(url), "position": name})


def _explorer_searches(hive: RegistryHive, origin: Origin) -> Iterator[Artefact]:
    """WordWheelQuery: only the newest search (first in MRUListEx) has a time, the key's."""
    words = _key(hive, "\\Software\\Microsoft\\Windows\\CurrentVersion\\Explorer\\WordWheelQuery")
    if words is None:
        return
    found = _values(words)
    order = mru_order(found.get("MRUListEx"))
    for value_name, raw in found.items():
        data = as_bytes(raw) if value_name != "MRUListEx" else None
        terms = data.decode("utf-16-le", "replace").split("\0", 1)[0] if data else ""
        if terms:
            newest = bool(order) and value_name == str(order[0])
            yield Artefact("explorer-search",
                           filetime(words.header.last_modified) if newest else None,
                           origin.address, origin.profile, {"terms": terms})


class RegistryHives(Extractor):
    name = "windows-registry"
    patterns = ("*/windows/system32/config/system", "*/windows/system32/config/software",
                "*/ntuser.dat")
    companions = LOG_SUFFIXES

    def extract(self, copy: Path, origin: Origin) -> Iterator[Artefact]:
        hive = open_hive(copy)
        name = origin.path.lower().rsplit("/", 1)[-1]
        read = {"system": self._system, "software": self._software}.get(name, self._user)
        yield from guarded(read(hive, origin), copy, "hive")

    def _control_set(self, hive: RegistryHive) -> str:
        current = _values(_key(hive, "\\Select")).get("Current") if _key(hive, "\\Select") \
            else None
        return f"\\ControlSet{int(current):03d}" if isinstance(current, int) else \
            "\\ControlSet001"

    def _system(self, hive: RegistryHive, origin: Origin) -> Iterator[Artefact]:
        control = self._control_set(hive)
        mounts = usb_mounts(hive)
        for device in _subkeys(_key(hive, f"{control}\\Enum\\USBSTOR")):
            kind, _, rest = device.name.partition("&")
            parts = dict(p.split("_", 1) for p in rest.split("&") if "_" in p)
            for instance in _subkeys(device):
                times = device_times(hive, f"{control}\\Enum\\USBSTOR\\{device.name}\\"
                                           f"{instance.name}")
                values = _values(instance)
                mount = mounts.pop(f"{device.name}\\{instance.name}".lower(), {})
                yield Artefact(
                    "usb-device", times.get("first_connected") or filetime(
                        instance.header.last_modified), origin.address, None,
                    {"type": kind, "vendor": parts.get("Ven", ""),
                     "product": parts.get("Prod", ""), "revision": parts.get("Rev", ""),
                     "serial": device_serial(instance.name),
                     "friendly_name": values.get("FriendlyName", ""),
                     **{k: v for k, v in times.items()},
                     "drive_letters": mount.get("drive_letters", []),
                     "volume_guids": mount.get("volume_guids", []),
                     "evidence": "USBSTOR"})
        # A stick MountedDevices remembers but USBSTOR does not: its key was deleted.
        yield from (Artefact("usb-device", None, origin.address, None, fields)
                    for fields in mounts.values())
        for when, fields in other_usb_devices(hive, control):
            yield Artefact("usb-device", when, origin.address, None, fields)
        for sid_key in (f"{control}\\Services\\bam\\State\\UserSettings",
                        f"{control}\\Services\\bam\\UserSettings"):
            for sid in _subkeys(_key(hive, sid_key)):
                for program, raw in _values(sid).items():
                    if not program.startswith("\\"):
                        continue  # SequenceNumber, Version
                    yield Artefact("program-run", _binary_filetime(raw), origin.address, None,
                                   {"name": program.replace("\\", "/").rsplit("/", 1)[-1],
                                    "path": program, "user_sid": sid.name, "evidence": "BAM"})
        zone = _key(hive, f"{control}\\Control\\TimeZoneInformation")
        if zone is not None:
            yield _time_zone(zone, origin)
        shutdown = _values(_key(hive, f"{control}\\Control\\Windows") or _key(hive, "\\"))
        when = _binary_filetime(shutdown.get("ShutdownTime"))
        if when is not None:
            yield Artefact("system-event", when, origin.address, None,
                           {"event": "last shutdown", "evidence": "ShutdownTime"})

    def _software(self, hive: RegistryHive, origin: Origin) -> Iterator[Artefact]:
        for root in ("\\Microsoft\\Windows\\CurrentVersion\\Uninstall",
                     "\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall"):
            for program in _subkeys(_key(hive, root)):
                values = _values(program)
                name = values.get("DisplayName")
                if not isinstance(name, str) or not name:
                    continue
                when = None
                date = values.get("InstallDate")
                if isinstance(date, str) and len(date) == 8 and date.isdigit():
                    try:
                        when = dt.datetime.strptime(date, "%Y%m%d").replace(
                            tzinfo=dt.UTC).timestamp()
                    except ValueError:
                        when = None
                yield Artefact("program-installed", when or filetime(
                    program.header.last_modified), origin.address, None,
                    {"name": name, "version": str(values.get("DisplayVersion") or ""),
                     "publisher": str(values.get("Publisher") or ""),
                     "location": str(values.get("InstallLocation") or ""),
                     "evidence": "Uninstall key"})

    def _user(self, hive: RegistryHive, origin: Origin) -> Iterator[Artefact]:
        for guid in _subkeys(_key(hive, _USERASSIST)):
            count = _key(hive, f"{_USERASSIST}\\{guid.name}\\Count")
            for encoded, raw in (_values(count) if count is not None else {}).items():
                name = codecs.decode(encoded, "rot13")
                data = as_bytes(raw)
                if data is None or len(data) < 68:
                    continue  # the UEME_CTLSESSION entry and pre-Windows 7 formats
                runs = struct.unpack_from("<I", data, 4)[0]
                yield Artefact("program-run", _binary_filetime(data[60:68]), origin.address,
                               origin.profile,
                               {"name": name.replace("\\", "/").rsplit("/", 1)[-1],
                                "path": name, "count": runs, "evidence": "UserAssist"})
        yield from _typed_urls(hive, origin)
        yield from _explorer_searches(hive, origin)
        yield from recent_docs(hive, origin)
