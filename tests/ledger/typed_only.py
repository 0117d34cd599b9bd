"""A dataclass whose transient field names a type imported only for type checking."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from triage.keys import SigningKey


@dataclass
class Holder:
    """Saved: `count`; never saved: `key` (its annotation cannot be evaluated at run time)."""

    count: int
    key: SigningKey | None = field(default=None, metadata={"transient": True})
