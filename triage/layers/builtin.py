"""The built-in layers, imported in probe order: virtual disk formats, then volume systems."""

from triage.layers import qcow, vhdi, vmdk

__all__ = ["qcow", "vhdi", "vmdk"]
