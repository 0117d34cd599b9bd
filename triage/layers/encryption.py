"""The encryption layers, registered by importing this module (one module per format)."""

from triage.layers import bde, fvde, luks1, luks2
from triage.layers.entropy import HIGH_ENTROPY

ENCRYPTION_LAYERS = (bde.BitLocker.name, luks1.Luks1.name, luks2.Luks2.name,
                     fvde.FileVault.name)

__all__ = ["ENCRYPTION_LAYERS", "HIGH_ENTROPY"]
