"""USB devices in the SYSTEM hive: the serial and connection times every device instance
keeps, and the devices that hold pictures but never appear under USBSTOR: UASP drives (fast
external SSDs, enumerated as SCSI disks with the UASPStor driver) and portable devices (phones
and cameras over MTP or PTP, Windows' WPD class)."""

from __future__ import annotations

from collections.abc import Iterator

from regipy.registry import RegistryHive

from triage.artefacts.hive import binary_filetime, filetime, key, subkeys, values

# The device property keys Windows 8+ keeps per device instance (DEVPKEY_Device_*).
_DEVICE_TIMES = {"0064": "first_connected", "0066": "last_connected", "0067": "last_removed"}
_PROPERTIES = "Properties\\{83da6326-97a6-4088-9453-a1923f573b29}"
# The Windows Portable Devices setup class (GUID_DEVCLASS_WPD).
WPD_CLASS = "{eec5ad98-8080-425f-922a-dabf3de3f69a}"
UASP = "UASP storage"
PORTABLE = "portable device (MTP/PTP)"


def device_serial(instance: str) -> str:
    """The device's own serial from an instance name ('4C5300012303&0'), or '' when Windows
    made one up because the device has none ('7&1f3e2a9&0&000000': '&' second)."""
    if instance[1:2] == "&":
        return ""
    return instance.rsplit("&", 1)[0] if "&" in instance else instance


def device_times(hive: RegistryHive, instance: str) -> dict[str, float]:
    """first_connected, last_connected, last_removed of the device instance at key path
    `instance`, as far as its properties keep them."""
    out = {}
    for code, field in _DEVICE_TIMES.items():
        found = key(hive, f"{instance}\\{_PROPERTIES}\\{code}")
        if found is None:
            continue
        for raw in values(found).values():
            when = binary_filetime(raw)
            if when is not None:
                out[field] = when
                break
    return out


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


def other_usb_devices(hive: RegistryHive, control: str
                      ) -> Iterator[tuple[float | None, dict[str, object]]]:
    """(time, fields) of each UASP drive and portable device under Enum\\USB."""
    for device in subkeys(key(hive, f"{control}\\Enum\\USB")):
        ids = dict(p.split("_", 1) for p in device.name.split("&") if "_" in p)
        for instance in subkeys(device):
            found = values(instance)
            kind = _kind(found)
            if kind is None:
                continue  # hubs, keyboards, and sticks (which USBSTOR lists)
            times = device_times(hive, f"{control}\\Enum\\USB\\{device.name}\\{instance.name}")
            yield (times.get("first_connected") or filetime(instance.header.last_modified), {
                "type": kind, "vendor": f"VID_{ids.get('VID', '')}",
                "product": f"PID_{ids.get('PID', '')}", "revision": "",
                "serial": device_serial(instance.name),
                "friendly_name": _text(found.get("FriendlyName") or found.get("DeviceDesc")),
                "manufacturer": _text(found.get("Mfg")), **times,
                "drive_letters": [], "volume_guids": [], "evidence": "Enum\\USB"})
