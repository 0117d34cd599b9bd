"""The built-in layers, imported in probe order: virtual disk formats, then volume systems,
then encryption, then the views beside a volume (snapshots)."""

from triage.layers import bde, fvde, luks1, luks2, lvm, modi, qcow, vdi, vhdi, vmdk, vss

__all__ = ["bde", "fvde", "luks1", "luks2", "lvm", "modi", "qcow", "vdi", "vhdi", "vmdk", "vss"]
