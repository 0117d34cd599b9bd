"""Windows event logs (python-evtx): logs cleared, clock changes, boots and shutdowns,
services and devices installed. Bounded in time: a huge log is read part-way and says so."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Iterator
from pathlib import Path

from Evtx.Evtx import Evtx

from triage.artefacts.base import ExtractError, Extractor, Origin
from triage.artefacts.record import Artefact

# python-evtx is pure Python (~1 ms a record): a log gets this long before it is cut short.
LOG_LIMIT_S = 120.0
_EVENT_ID = re.compile(r"<EventID[^>]*>(\d+)</EventID>")
_PROVIDER = re.compile(r'<Provider Name="([^"]*)"')
_CREATED = re.compile(r'<TimeCreated SystemTime="([^"]+)"')
_CHANNEL = re.compile(r"<Channel>([^<]*)</Channel>")  # the first: the event's own log
_DATA = re.compile(r'<Data Name="([^"]+)"[^>]*>([^<]*)</Data>')
# Events such as 1102 and 104 (LogFileCleared) keep their values as named elements in
# UserData, not as Data elements: <SubjectUserName>alex</SubjectUserName>, <Channel>…
_USER_DATA = re.compile(r"<([A-Za-z]+)>([^<]*)</\1>")

# (provider, event id) -> (kind, description). Sources: Microsoft's event documentation
# (Security 1102 "The audit log was cleared", 4616 "The system time was changed"; System 104
# "The System log file was cleared"; Kernel-General 1 time change, 12/13 start/shutdown;
# EventLog 6005/6006 service start/stop at boot/shutdown; 7045 a service was installed;
# UserPnp 20001/20003 a device driver was installed).
EVENTS: dict[tuple[str, str], tuple[str, str]] = {
    ("Microsoft-Windows-Eventlog", "1102"): ("log-cleared", "the Security log was cleared"),
    ("Microsoft-Windows-Eventlog", "104"): ("log-cleared", "an event log was cleared"),
    ("Microsoft-Windows-Security-Auditing", "4616"): ("clock-changed",
                                                      "the system time was changed"),
    ("Microsoft-Windows-Kernel-General", "1"): ("clock-changed",
                                                "the system time was changed"),
    ("Microsoft-Windows-Kernel-General", "12"): ("system-event", "the system started"),
    ("Microsoft-Windows-Kernel-General", "13"): ("system-event", "the system shut down"),
    ("EventLog", "6005"): ("system-event", "the event log service started (boot)"),
    ("EventLog", "6006"): ("system-event", "the event log service stopped (shutdown)"),
    ("Service Control Manager", "7045"): ("system-event", "a service was installed"),
    ("Microsoft-Windows-UserPnp", "20001"): ("system-event", "a device driver was installed"),
    ("Microsoft-Windows-UserPnp", "20003"): ("system-event", "a device service was added"),
}
_WANTED_IDS = frozenset(event_id for _, event_id in EVENTS)


def _utc(text: str) -> float | None:
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


class EventLogs(Extractor):
    name = "windows-event-logs"
    patterns = ("*/windows/system32/winevt/logs/security.evtx",
                "*/windows/system32/winevt/logs/system.evtx",
                "*/windows/system32/winevt/logs/microsoft-windows-kernel-pnp%4configuration.evtx")

    def extract(self, copy: Path, origin: Origin) -> Iterator[Artefact]:
        deadline = time.monotonic() + LOG_LIMIT_S
        try:
            with Evtx(str(copy)) as log:
                for record in log.records():
                    if time.monotonic() > deadline:
                        raise ExtractError(f"stopped after {LOG_LIMIT_S:.0f} s (a huge log); "
                                           "the records read so far are kept")
                    try:
                        xml = record.xml()
                    except Exception:  # noqa: BLE001, S112 - a damaged record: skip it
                        continue
                    yield from self._event(xml, origin)
        except ExtractError:
            raise
        except Exception as exc:  # noqa: BLE001 - python-evtx raises bare errors on damage
            raise ExtractError(f"damaged event log ({type(exc).__name__}: {exc}); the records "
                               "read so far are kept") from exc

    @staticmethod
    def _event(xml: str, origin: Origin) -> Iterator[Artefact]:
        found = _EVENT_ID.search(xml)
        if found is None or found.group(1) not in _WANTED_IDS:
            return
        provider = _PROVIDER.search(xml)
        meaning = EVENTS.get((provider.group(1) if provider else "", found.group(1)))
        if meaning is None:
            return
        created = _CREATED.search(xml)
        data = dict(_DATA.findall(xml))
        user_data = xml.partition("<UserData>")[2]  # not <System>'s own Channel
        data.update((k, v) for k, v in _USER_DATA.findall(user_data) if k not in data)
        fields = {"event_id": int(found.group(1)), "provider": provider.group(1),
                  "event": meaning[1]}
        for name in ("SubjectUserName", "PreviousTime", "NewTime", "OldTime", "ServiceName",
                     "ImagePath", "DeviceInstanceId", "Channel", "BackupPath"):
            if data.get(name):
                fields[name] = data[name]
        if meaning[0] == "log-cleared":  # which log: 104 names it, 1102 is Security's own
            own = _CHANNEL.search(xml)
            fields["log"] = data.get("Channel") or (own.group(1) if own else "")
            fields["user"] = data.get("SubjectUserName", "")
        yield Artefact(meaning[0], _utc(created.group(1)) if created else None,
                       origin.address, None, fields)
