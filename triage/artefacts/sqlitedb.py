"""Reading a copied SQLite database (with its -wal beside it) safely and within a time bound."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from triage.artefacts.base import ExtractError

# A hostile or huge database must not hold the scan: queries are stopped after this long.
QUERY_LIMIT_S = 60.0


@contextmanager
def opened(copy: Path, limit_s: float = QUERY_LIMIT_S) -> Iterator[sqlite3.Connection]:
    """Open the copy (never the evidence) so SQLite may replay its -wal; stop slow queries."""
    try:
        db = sqlite3.connect(f"file:{copy}?mode=rw", uri=True)
    except sqlite3.Error as exc:
        raise ExtractError(f"not an SQLite database ({exc})") from exc
    deadline = time.monotonic() + limit_s
    # Called every 10,000 virtual-machine steps; a non-zero answer interrupts the query.
    db.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
    try:
        db.execute("PRAGMA query_only=ON")
        yield db
    except sqlite3.DatabaseError as exc:
        if time.monotonic() > deadline:
            raise ExtractError(f"stopped after {limit_s:.0f} s (a huge or damaged database); "
                               "the records read so far are kept") from exc
        raise ExtractError(f"damaged or locked database ({exc}); the records read so far "
                           "are kept") from exc
    finally:
        db.close()


def tables(db: sqlite3.Connection) -> set[str]:
    return {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
