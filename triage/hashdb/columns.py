"""Per-entry columns stored beside the sorted digests; other stages register their own."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Column:
    """A fixed-width value per digest, aligned with the sorted digest arrays of a bundle."""

    name: str
    dtype: str  # numpy dtype string with explicit byte order, e.g. "<u2"
    missing: int  # the value stored for entries that have none

    def empty(self, count: int) -> np.ndarray:
        return np.full(count, self.missing, dtype=np.dtype(self.dtype))


COLUMNS: dict[str, Column] = {}


def register_column(column: Column) -> Column:
    """Make a column known to importers and bundles; a duplicate name is an error."""
    if column.name in COLUMNS:
        raise ValueError(f"hash set column {column.name!r} is already registered.")
    if not column.name.isidentifier():
        raise ValueError(f"hash set column name {column.name!r} must be an identifier.")
    COLUMNS[column.name] = column
    return column


# Index into the manifest's category list, 0 meaning "no category".
CATEGORY = register_column(Column("category", "<u2", 0))
# Index into the bundle's reference table (MediaID, file name...), all ones meaning "none".
REFERENCE = register_column(Column("ref", "<u4", 0xFFFFFFFF))
