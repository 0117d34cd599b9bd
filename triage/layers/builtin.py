"""The built-in layers, imported in probe order: virtual disk formats, then volume systems,
then the views beside a volume (snapshots)."""

from triage.layers import lvm, modi, qcow, vdi, vhdi, vmdk, vss

__all__ = ["lvm", "modi", "qcow", "vdi", "vhdi", "vmdk", "vss"]
