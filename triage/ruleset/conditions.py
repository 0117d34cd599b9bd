"""Every leaf condition, registered by importing the modules that define them."""

from __future__ import annotations

from triage.ruleset import (
    artefact_conditions,
    byte_conditions,
    file_conditions,
    volume_conditions,
)
from triage.ruleset.registry import LEAVES, Anchor, Leaf, LeafSpec

# Imported for their registrations; named here so that linters keep the imports.
MODULES = (file_conditions, byte_conditions, volume_conditions, artefact_conditions)

__all__ = ["LEAVES", "MODULES", "Anchor", "Leaf", "LeafSpec"]
