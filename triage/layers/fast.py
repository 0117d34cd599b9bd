"""The optional C helper `_sectors` (setup.py), or None where it was not built: numpy then."""

from __future__ import annotations

from types import ModuleType

sectors: ModuleType | None
try:  # several times faster than the numpy passes it replaces, same bytes
    from triage.layers import _sectors as sectors
except ImportError:  # installed without a C compiler
    sectors = None
