"""Recording many reports at once, on SQLite and PostgreSQL, by each back end's own write
strategy and by SQLAlchemy's executemany (the old path, kept as a baseline): the same report
once, a refused report leaves nothing of itself, strings the database cannot hold."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from tests.store.visits import KNOWN, SIMILAR, visit
from triage import keys
from triage.errors import UsageError
from triage.store import ingest_report, new_since, open_store
from triage.store import store_url as resolve
from triage.store.engine import Store
from triage.store.ingest import ALREADY, INGESTED, REFUSED, Prepared, prepare, record_many
from triage.store.queries import history
from triage.store.schema import devices, findings, reports
from triage.store.writers import STRATEGIES, Strategy, register, strategy_for, write_batch

Lab = tuple[keys.SigningKey, keys.SigningKey, Path]
POISON = {**KNOWN, "path": "/Users/p/other.jpg", "sha256": "e" * 64, "title": "poison"}


@pytest.fixture(params=["default", "executemany"])
def store(request: pytest.FixtureRequest, store_url: str) -> Iterator[tuple[Store, str | None]]:
    """An empty store and the write strategy to use on it (None: the back end's own)."""
    strategy = None if request.param == "default" else request.param
    opened = open_store(resolve(store_url))
    try:
        yield opened, strategy
    finally:
        opened.close()


def _counts(store: Store) -> tuple[int, int, int]:
    with store.engine.connect() as connection:
        return tuple(connection.execute(select(func.count()).select_from(table)).scalar_one()
                     for table in (reports, devices, findings))  # type: ignore[return-value]


def _refuse_poison(store: Store) -> None:
    """A real refusal by the database of any finding titled 'poison'."""
    with store.engine.begin() as connection:
        if store.is_sqlite:
            connection.execute(text(
                "CREATE TRIGGER disk_trouble BEFORE INSERT ON findings "
                "WHEN NEW.title = 'poison' BEGIN SELECT RAISE(ABORT, 'disk_trouble'); END"))
        else:
            connection.execute(text(
                "ALTER TABLE findings ADD CONSTRAINT disk_trouble CHECK (title <> 'poison')"))


def test_the_same_report_twice_in_one_batch_is_one_row(store: tuple[Store, str | None],
                                                       lab: Lab, tmp_path: Path) -> None:
    db, strategy = store
    stick, _, trusted = lab
    a = visit(tmp_path / "a", stick, found=[KNOWN, SIMILAR])
    b = visit(tmp_path / "b", stick, started="2026-02-10T09:00:00Z")
    outcomes = list(record_many(db, [prepare(f, trusted) for f in (a, b, a)],
                                strategy=strategy))
    assert [o.outcome for o in outcomes] == [INGESTED, INGESTED, ALREADY]
    assert outcomes[2].report_id == outcomes[0].report_id != outcomes[1].report_id
    assert _counts(db) == (2, 2, 3)


def test_idempotent_across_batches_and_runs(store: tuple[Store, str | None], lab: Lab,
                                            tmp_path: Path) -> None:
    db, strategy = store
    stick, _, trusted = lab
    folders = [visit(tmp_path / f"v{month}", stick, started=f"2026-0{month}-10T09:00:00Z")
               for month in (1, 2, 3)]
    items = [prepare(f, trusted) for f in (*folders, folders[0])]
    first = list(record_many(db, items, batch=2, strategy=strategy))
    assert [o.outcome for o in first] == [INGESTED] * 3 + [ALREADY]
    again = list(record_many(db, reversed(items), batch=3, strategy=strategy))
    assert [o.outcome for o in again] == [ALREADY] * 4
    assert [o.report_id for o in again] == [o.report_id for o in reversed(first)]
    assert _counts(db) == (3, 3, 3)


def test_a_refused_report_leaves_nothing_of_itself(store: tuple[Store, str | None], lab: Lab,
                                                   tmp_path: Path) -> None:
    db, strategy = store
    stick, _, trusted = lab
    _refuse_poison(db)
    # The refused finding comes after one that was already sent: mid-COPY on PostgreSQL.
    folders = [visit(tmp_path / "a", stick, started="2026-01-01T00:00:00Z"),
               visit(tmp_path / "b", stick, started="2026-02-01T00:00:00Z",
                     found=[KNOWN, POISON]),
               visit(tmp_path / "c", stick, started="2026-03-01T00:00:00Z")]
    outcomes = list(record_many(db, (prepare(f, trusted) for f in folders), strategy=strategy))
    assert [o.outcome for o in outcomes] == [INGESTED, REFUSED, INGESTED]
    refusal = outcomes[1].message
    assert "disk_trouble" in refusal and "nothing of it was written" in refusal
    assert refusal.count(". ") == 0 and "\n" not in refusal
    assert _counts(db) == (2, 2, 2)
    _, found = history(db, "P-1001")
    assert [v.started_utc[:7] for v in found] == ["2026-01", "2026-03"]
    # Alone, outside a batch, the refusal is the database's error and nothing is written.
    with pytest.raises(DBAPIError, match="disk_trouble"):
        ingest_report(db, folders[1], trusted)
    assert _counts(db) == (2, 2, 2)


def test_strings_the_database_cannot_hold_are_stored_visibly(store: tuple[Store, str | None],
                                                             lab: Lab, tmp_path: Path) -> None:
    db, strategy = store
    stick, _, trusted = lab
    # A name that is not UTF-8 on the suspect's disk (kept by the scan as a surrogate escape),
    # a NUL inside a string, a size beyond 64 bits: the report is signed and must be stored.
    odd = {**KNOWN, "path": "/Users/p/caf\udce9.jpg", "title": "Known\x00image"}
    folder = visit(tmp_path / "odd", stick, found=[odd], size=1 << 70)
    (outcome,) = record_many(db, [prepare(folder, trusted)], strategy=strategy)
    assert outcome.outcome == INGESTED, outcome.message
    (new,) = new_since(db, "P-1001").new
    assert new["path"] == "/Users/p/caf\\xe9.jpg" and new["title"] == "Known\\u0000image"
    with db.engine.connect() as connection:
        assert connection.execute(select(devices.c.size)).scalar_one() is None


def test_a_report_stored_meanwhile_by_another_ingest(pg_cluster, lab: Lab,  # noqa: ANN001
                                                     tmp_path: Path) -> None:
    pg_cluster.psql("DROP TABLE IF EXISTS findings, devices, reports, alembic_version CASCADE;")
    stick, _, trusted = lab
    prepared = prepare(visit(tmp_path / "a", stick), trusted)
    assert isinstance(prepared, Prepared)
    first, second = open_store(pg_cluster.url()), open_store(pg_cluster.url())
    try:
        outcomes = []
        with first.engine.begin() as connection:
            ((report_id, new),) = write_batch(connection, [prepared.rows],
                                              strategy_for("postgresql"))
            # The other ingest waits for this transaction, then finds the report stored.
            other = threading.Thread(target=lambda: outcomes.extend(
                record_many(second, [prepared])))
            other.start()
            other.join(0.5)
            assert other.is_alive()
        other.join(30)
        assert new and [(o.outcome, o.report_id) for o in outcomes] == [(ALREADY, report_id)]
        assert _counts(first) == (1, 1, 1)
    finally:
        first.close()
        second.close()


def test_strategies_are_checked() -> None:
    with pytest.raises(UsageError, match="'copy' does not work on sqlite; use one of "
                                         "executemany, positional"):
        strategy_for("sqlite", "copy")
    assert strategy_for("postgresql").name == "copy"
    assert strategy_for("sqlite").name == "positional"
    with pytest.raises(ValueError, match="already registered"):
        register(Strategy("copy", frozenset({"postgresql"}), STRATEGIES["copy"].write_rows))
