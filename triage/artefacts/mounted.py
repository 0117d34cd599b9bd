"""SYSTEM\\MountedDevices: the drive letters and volume GUIDs Windows gave each USB storage
device, keyed by its USBSTOR device and instance so the USBSTOR records can say which letter a
stick took."""

from __future__ import annotations

import re
from typing import Any

from regipy.registry import RegistryHive

from triage.artefacts.hive import as_bytes, key, values

# A removable volume's data is its device's PnP path in UTF-16LE ('\??\USBSTOR#Disk&Ven_X&
# Prod_Y&Rev_Z#SERIAL&0#{53f56307-…}'); fixed disks hold a disk signature or 'DMIO:ID:'+GUID.
_USBSTOR = re.compile(r"^[\\_]\?\?[\\_]USBSTOR#([^#]+)#([^#]+)#", re.IGNORECASE)
_LETTER = re.compile(r"^\\DosDevices\\([A-Z]:)$", re.IGNORECASE)
_VOLUME = re.compile(r"^\\\?\?\\Volume(\{[0-9a-f-]{36}\})$", re.IGNORECASE)


def _device(data: bytes) -> tuple[str, str] | None:
    if len(data) < 16 or data[1:2] != b"\0":  # not UTF-16LE text
        return None
    found = _USBSTOR.match(data.decode("utf-16-le", "replace"))
    return (found.group(1), found.group(2)) if found else None


def usb_mounts(hive: RegistryHive) -> dict[str, dict[str, Any]]:
    """{'<device>\\<instance>' lower-case: fields} for every USB storage volume mapped in
    MountedDevices; fields name the drive letters and volume GUIDs, and vendor, product and
    serial for a device USBSTOR no longer lists."""
    out: dict[str, dict[str, Any]] = {}
    for name, raw in values(key(hive, "\\MountedDevices")).items():
        data = as_bytes(raw)
        device = _device(data) if data is not None else None
        if device is None:
            continue
        ident, instance = device
        parts = dict(p.split("_", 1) for p in ident.split("&") if "_" in p)
        entry = out.setdefault(f"{ident}\\{instance}".lower(), {
            "type": ident.split("&", 1)[0], "vendor": parts.get("Ven", ""),
            "product": parts.get("Prod", ""), "revision": parts.get("Rev", ""),
            "serial": "" if instance[1:2] == "&" else instance.rsplit("&", 1)[0],
            "drive_letters": [], "volume_guids": [], "evidence": "MountedDevices"})
        letter, volume = _LETTER.match(name), _VOLUME.match(name)
        if letter:
            entry["drive_letters"].append(letter.group(1).upper())
        elif volume:
            entry["volume_guids"].append(volume.group(1).lower())
    return out
