"""USB devices that hold pictures but never appear under USBSTOR: UASP drives (fast external
SSDs, enumerated as SCSI disks with the UASPStor driver) and portable devices (phones and
cameras over MTP or PTP, Windows' WPD class)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from regipy.registry import RegistryHive

from triage.artefacts.hive import filetime, key, subkeys, values

# The Windows Portable Devices setup class (GUID_DEVCLASS_WPD).
WPD_CLASS = "{eec5ad98-8080-425f-922a-dabf3de3f69a}"
UASP = "UASP storage"
PORTABLE = "portable device (MTP/PTP)"


def _kind(found: dict[str, object]) -> str | None:
    service = str(found.get("Service", "")).lower()
    if service == "uaspstor":
        return UASP
    if str(found.get("ClassGUID", "")).lower() == WPD_CLASS:
        return PORTABLE
    return None


def _text(value: object) -> str:
    """A device description without its resource reference ('@oem12.inf,%desc%;Galaxy S23')."""
    text = str(value or "")
    return text.rsplit(";", 1)[-1] if text.startswith("@") else text


def other_usb_devices(hive: RegistryHive, control: str,
                      device_times: Callable[[str], dict[str, float]]
                      ) -> Iterator[tuple[float | None, dict[str, object]]]:
    """(time, fields) of each UASP drive and portable device under Enum\\USB; `device_times`
    reads an instance's first/last connected times from its device properties."""
    for device in subkeys(key(hive, f"{control}\\Enum\\USB")):
        ids = dict(p.split("_", 1) for p in device.name.split("&") if "_" in p)
        for instance in subkeys(device):
            found = values(instance)
            kind = _kind(found)
            if kind is None:
                continue  # hubs, keyboards, and sticks (which USBSTOR lists)
            times = device_times(f"{control}\\Enum\\USB\\{device.name}\\{instance.name}")
            # Windows makes up an instance name ('6&2c9d1f0&0&2', '&' second) for a device
            # without a serial number of its own.
            serial = "" if instance.name[1:2] == "&" else instance.name
            yield (times.get("first_connected") or filetime(instance.header.last_modified), {
                "type": kind, "vendor": f"VID_{ids.get('VID', '')}",
                "product": f"PID_{ids.get('PID', '')}", "revision": "", "serial": serial,
                "friendly_name": _text(found.get("FriendlyName") or found.get("DeviceDesc")),
                "manufacturer": _text(found.get("Mfg")), **times,
                "drive_letters": [], "volume_guids": [], "evidence": "Enum\\USB"})
