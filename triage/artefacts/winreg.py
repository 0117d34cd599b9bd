"""Windows registry hives (regipy): USB storage devices, installed programs, programs run,
typed addresses and Explorer searches; transaction logs applied when they lie beside the hive."""

from __future__ import annotations

import codecs
import datetime as dt
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from construct.core import ConstructError
from regipy.exceptions import RegipyException
from regipy.recovery import apply_transaction_logs
from regipy.registry import NKRecord, RegistryHive

from triage.artefacts.base import ExtractError, Extractor, Origin
from triage.artefacts.record import Artefact, to_posix
from triage.artefacts.searches import host_of

_FILETIME_EPOCH = dt.datetime(1601, 1, 1, tzinfo=dt.UTC)
# The device property keys Windows 8+ keeps per USB storage device (DEVPKEY_Device_*).
_DEVICE_TIMES = {"0064": "first_connected", "0066": "last_connected", "0067": "last_removed"}
_PROPERTIES = "Properties\\{83da6326-97a6-4088-9453-a1923f573b29}"
_USERASSIST = "\\Software\\Microsoft\\Windows\\CurrentVersion\\Explorer\\UserAssist"


def filetime(value: int | None) -> float | None:
    """A Windows FILETIME (100 ns ticks since 1601) as POSIX seconds; None for 0 or nonsense."""
    if not value or value <= 0 or value > 0x7FFF_FFFF_FFFF_FFFF:
        return None
    try:
        return (_FILETIME_EPOCH + dt.timedelta(microseconds=value // 10)).timestamp()
    except OverflowError:
        return None


def _key(hive: RegistryHive, path: str) -> NKRecord | None:
    try:
        return hive.get_key(path)
    except (RegipyException, ConstructError):
        return None


def _values(key: NKRecord) -> dict[str, Any]:
    try:
        return {value.name: value.value for value in key.iter_values()}
    except RegipyException:
        return {}


def _subkeys(key: NKRecord | None) -> list[NKRecord]:
    if key is None:
        return []
    try:
        return list(key.iter_subkeys())
    except RegipyException:
        return []


def _binary_filetime(raw: Any) -> float | None:
    if isinstance(raw, dt.datetime):  # regipy decodes DEVPROP_TYPE_FILETIME values itself
        return to_posix(raw)
    if isinstance(raw, str):  # regipy hands some binary values back as hex text
        try:
            raw = bytes.fromhex(raw)
        except ValueError:
            return None
    if isinstance(raw, int):
        return filetime(raw)
    if isinstance(raw, bytes | bytearray) and len(raw) >= 8:
        return filetime(struct.unpack_from("<Q", raw)[0])
    return None


def _serial(instance: str) -> str:
    """The device's own serial from a USBSTOR instance name ('4C5300012303&0'), or '' when
    Windows made one up because the device has none ('7&1f3e2a9&0&000000': '&' second)."""
    if instance[1:2] == "&":
        return ""
    return instance.rsplit("&", 1)[0] if "&" in instance else instance


class RegistryHives(Extractor):
    name = "windows-registry"
    patterns = ("*/windows/system32/config/system", "*/windows/system32/config/software",
                "*/ntuser.dat")
    companions = ("{name}.LOG1", "{name}.LOG2", "{name}.LOG")

    def extract(self, copy: Path, origin: Origin) -> Iterator[Artefact]:
        hive_path = self._recovered(copy)
        try:
            hive = RegistryHive(str(hive_path))
        except (RegipyException, ConstructError, OSError, ValueError, struct.error) as exc:
            raise ExtractError(f"not a readable registry hive ({exc})") from exc
        name = origin.path.lower().rsplit("/", 1)[-1]
        try:
            if name == "system":
                yield from self._system(hive, origin)
            elif name == "software":
                yield from self._software(hive, origin)
            else:
                yield from self._user(hive, origin)
        except (RegipyException, ConstructError, struct.error, ValueError) as exc:
            raise ExtractError(f"damaged hive ({exc}); the records read so far are kept") \
                from exc

    @staticmethod
    def _recovered(copy: Path) -> Path:
        """The hive with its transaction logs applied, when they were copied beside it."""
        logs = [copy.with_name(copy.name + suffix) for suffix in (".LOG1", ".LOG2", ".LOG")]
        present = [log for log in logs if log.is_file() and log.stat().st_size]
        if not present:
            return copy
        restored = copy.with_name(copy.name + ".recovered")
        try:
            apply_transaction_logs(str(copy), str(present[0]),
                                   str(present[1]) if len(present) > 1 else None,
                                   str(restored))
        except (RegipyException, ConstructError, OSError, ValueError, struct.error):
            return copy  # logs that do not apply: the hive as it is on disk
        return restored if restored.is_file() else copy

    def _control_set(self, hive: RegistryHive) -> str:
        current = _values(_key(hive, "\\Select")).get("Current") if _key(hive, "\\Select") \
            else None
        return f"\\ControlSet{int(current):03d}" if isinstance(current, int) else \
            "\\ControlSet001"

    def _system(self, hive: RegistryHive, origin: Origin) -> Iterator[Artefact]:
        control = self._control_set(hive)
        for device in _subkeys(_key(hive, f"{control}\\Enum\\USBSTOR")):
            kind, _, rest = device.name.partition("&")
            parts = dict(p.split("_", 1) for p in rest.split("&") if "_" in p)
            for instance in _subkeys(device):
                times = self._device_times(hive, f"{control}\\Enum\\USBSTOR\\{device.name}\\"
                                                 f"{instance.name}")
                values = _values(instance)
                yield Artefact(
                    "usb-device", times.get("first_connected") or filetime(
                        instance.header.last_modified), origin.address, None,
                    {"type": kind, "vendor": parts.get("Ven", ""),
                     "product": parts.get("Prod", ""), "revision": parts.get("Rev", ""),
                     "serial": _serial(instance.name),
                     "friendly_name": values.get("FriendlyName", ""),
                     **{k: v for k, v in times.items()}, "evidence": "USBSTOR"})
        for sid_key in (f"{control}\\Services\\bam\\State\\UserSettings",
                        f"{control}\\Services\\bam\\UserSettings"):
            for sid in _subkeys(_key(hive, sid_key)):
                for program, raw in _values(sid).items():
                    if not program.startswith("\\"):
                        continue  # SequenceNumber, Version
                    yield Artefact("program-run", _binary_filetime(raw), origin.address, None,
                                   {"name": program.replace("\\", "/").rsplit("/", 1)[-1],
                                    "path": program, "user_sid": sid.name, "evidence": "BAM"})
        shutdown = _values(_key(hive, f"{control}\\Control\\Windows") or _key(hive, "\\"))
        when = _binary_filetime(shutdown.get("ShutdownTime"))
        if when is not None:
            yield Artefact("system-event", when, origin.address, None,
                           {"event": "last shutdown", "evidence": "ShutdownTime"})

    def _device_times(self, hive: RegistryHive, instance: str) -> dict[str, float]:
        out = {}
        for code, field in _DEVICE_TIMES.items():
            key = _key(hive, f"{instance}\\{_PROPERTIES}\\{code}")
            if key is None:
                continue
            for raw in _values(key).values():
                when = _binary_filetime(raw)
                if when is not None:
                    out[field] = when
                    break
        return out

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
                data = bytes.fromhex(raw) if isinstance(raw, str) else raw
                if not isinstance(data, bytes | bytearray) or len(data) < 68:
                    continue  # the UEME_CTLSESSION entry and pre-Windows 7 formats
                runs = struct.unpack_from("<I", data, 4)[0]
                yield Artefact("program-run", _binary_filetime(data[60:68]), origin.address,
                               origin.profile,
                               {"name": name.replace("\\", "/").rsplit("/", 1)[-1],
                                "path": name, "count": runs, "evidence": "UserAssist"})
        typed = _key(hive, "\\Software\\Microsoft\\Internet Explorer\\TypedURLs")
        for url in (_values(typed) if typed is not None else {}).values():
            if isinstance(url, str) and url:
                yield Artefact("typed-url", filetime(typed.header.last_modified),
                               origin.address, origin.profile, {"url": url, "host": host_of(url)})
        words = _key(hive, "\\Software\\Microsoft\\Windows\\CurrentVersion\\Explorer\\"
                           "WordWheelQuery")
        for value_name, raw in (_values(words) if words is not None else {}).items():
            if value_name == "MRUListEx":
                continue
            data = bytes.fromhex(raw) if isinstance(raw, str) else raw
            if isinstance(data, bytes | bytearray):
                terms = data.decode("utf-16-le", "replace").split("\0", 1)[0]
                if terms:
                    yield Artefact("explorer-search", filetime(words.header.last_modified),
                                   origin.address, origin.profile, {"terms": terms})
