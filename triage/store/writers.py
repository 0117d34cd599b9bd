"""How a batch of verified reports becomes rows: one insert of the reports, then their devices
and findings by the back end's fastest way (SQLite: the driver's executemany; PostgreSQL: COPY).

Both ways run inside the caller's transaction and send values apart from the statement (bound
parameters, or COPY's data stream): no SQL is ever built with a value in it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from triage.errors import UsageError
from triage.model import utc_text
from triage.store.facts import DEVICE_COLUMNS, FINDING_COLUMNS, Row
from triage.store.schema import devices, findings, reports


@dataclass(frozen=True)
class ReportRows:
    """One report's rows: the reports table's columns (all but id and ingested_utc), its
    devices (DEVICE_COLUMNS) and its findings (FINDING_COLUMNS)."""

    row: dict[str, Any]
    devices: list[Row]
    findings: list[Row]

    @property
    def digest(self) -> str:
        return str(self.row["report_sha256"])


# Writes `rows` (tuples in the order of `columns`) into `table`, in the caller's transaction.
RowWriter = Callable[[Connection, Table, Sequence[str], list[Row]], None]


@dataclass(frozen=True)
class Strategy:
    """A way of writing a batch's devices and findings, and the back ends it works on."""

    name: str
    dialects: frozenset[str]
    write_rows: RowWriter


STRATEGIES: dict[str, Strategy] = {}
# Each back end's fastest (bench/store_bench.py, 100 findings a report): on PostgreSQL, COPY
# takes a third of executemany's CPU per report; on SQLite, the driver's own executemany on
# tuples takes 0.5 ms of the recording process's time where SQLAlchemy's took 1.2 ms.
DEFAULT_STRATEGY = {"sqlite": "positional", "postgresql": "copy"}


def register(strategy: Strategy) -> None:
    if strategy.name in STRATEGIES:
        raise ValueError(f"a write strategy named {strategy.name!r} is already registered")
    STRATEGIES[strategy.name] = strategy


def strategy_for(dialect: str, name: str | None = None) -> Strategy:
    """The named strategy (default: the back end's fastest), refused where it cannot run."""
    name = name or DEFAULT_STRATEGY.get(dialect, "executemany")
    strategy = STRATEGIES.get(name)
    if strategy is None or dialect not in strategy.dialects:
        usable = sorted(s.name for s in STRATEGIES.values() if dialect in s.dialects)
        raise UsageError(f"the write strategy {name!r} does not work on {dialect}; use one "
                         f"of {', '.join(usable)}.")
    return strategy


def _executemany(connection: Connection, table: Table, columns: Sequence[str],
                 rows: list[Row]) -> None:
    connection.execute(insert(table), [dict(zip(columns, row, strict=True)) for row in rows])


def _copy(connection: Connection, table: Table, columns: Sequence[str],
          rows: list[Row]) -> None:
    # PostgreSQL parses and plans a statement once and streams every row through it: an
    # executemany costs one server round of parse/bind/execute per row.
    import psycopg
    from psycopg import sql

    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(sql.Identifier(c) for c in columns))
    driver = connection.connection.driver_connection
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
            for row in rows:
                copy.write_row(row)
    except psycopg.Error as exc:
        # Raised as SQLAlchemy raises the driver's errors, so callers catch one kind.
        raise DBAPIError.instance(statement.as_string(driver), None, exc,
                                  psycopg.Error) from exc


def _positional(connection: Connection, table: Table, columns: Sequence[str],
                rows: list[Row]) -> None:
    # The statement as SQLAlchemy compiles it for this back end (placeholders, no values),
    # run by the driver's own executemany on the tuples as they came: SQLite's loop is in C,
    # where executemany through SQLAlchemy builds and converts a dict per row in Python.
    statement = insert(table).compile(dialect=connection.dialect,
                                      column_keys=list(columns))
    names = list(statement.positiontup or ())
    if names != list(columns):
        raise ValueError(f"{table.name}: compiled columns {names} are not {list(columns)}")
    connection.exec_driver_sql(str(statement), rows)


register(Strategy("executemany", frozenset({"sqlite", "postgresql"}), _executemany))
register(Strategy("positional", frozenset({"sqlite"}), _positional))
register(Strategy("copy", frozenset({"postgresql"}), _copy))


def _insert_reports(connection: Connection, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Insert the reports not yet stored; their ids by digest. A report already there (or
    written meanwhile by another ingest) is skipped by the database, not an error."""
    if not rows:
        return {}
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = (dialect.insert(reports)
                 .on_conflict_do_nothing(index_elements=[reports.c.report_sha256])
                 .returning(reports.c.report_sha256, reports.c.id))
    return {digest: report_id for digest, report_id in connection.execute(statement, rows)}


def _stored_ids(connection: Connection, digests: list[str]) -> dict[str, int]:
    if not digests:
        return {}
    return {digest: report_id for digest, report_id in connection.execute(
        select(reports.c.report_sha256, reports.c.id)
        .where(reports.c.report_sha256.in_(digests)))}


def write_batch(connection: Connection, batch: Sequence[ReportRows],
                strategy: Strategy) -> list[tuple[int, bool]]:
    """Write `batch` in the caller's transaction; per report, its id and whether it is new.

    The same report twice (in the batch, or already stored) is one row: the second is
    reported as not new, with the id of the first.
    """
    now = utc_text()
    unique: dict[str, ReportRows] = {}
    for rows in batch:
        unique.setdefault(rows.digest, rows)
    new_ids = _insert_reports(connection, [{**rows.row, "ingested_utc": now}
                                           for rows in unique.values()])
    ids = {**_stored_ids(connection, [d for d in unique if d not in new_ids]), **new_ids}
    fresh = [rows for rows in unique.values() if rows.digest in new_ids]
    for table, columns, part in ((devices, DEVICE_COLUMNS, "devices"),
                                 (findings, FINDING_COLUMNS, "findings")):
        children = [(new_ids[rows.digest], *row) for rows in fresh
                    for row in getattr(rows, part)]
        if children:
            strategy.write_rows(connection, table, ("report_id", *columns), children)
    written: list[tuple[int, bool]] = []
    first = set(new_ids)
    for rows in batch:
        written.append((ids[rows.digest], rows.digest in first))
        first.discard(rows.digest)
    return written
