"""Which store a command uses, how it connects (secrets never on the command line), migrations."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from triage.errors import InvalidInputError, UsageError

DEFAULT_STORE_NAME = "store.sqlite"
# A PostgreSQL URL (with its password, if any) may come from the environment instead of argv.
URL_ENV = "TRIAGE_STORE_URL"
# Or the password alone from a file readable only by its owner (like libpq's ~/.pgpass rule).
PASSWORD_FILE_ENV = "TRIAGE_STORE_PASSWORD_FILE"  # noqa: S105 - a variable's name
_MIGRATIONS = Path(__file__).parent / "migrations"


def reports_base() -> Path:
    """Where scans put their reports by default (the same rule as `triage scan`)."""
    return Path(os.environ.get("TRIAGE_REPORTS", "triage-reports"))


def store_url(given: str | None) -> str:
    """The store named by --store, else $TRIAGE_STORE_URL, else a SQLite file beside the reports.

    A plain path means a SQLite file. A password written into a URL given on the command line
    is refused: argv is visible to every user of the machine and kept in shell histories.
    """
    if given is None:
        from_env = os.environ.get(URL_ENV)
        if from_env:
            return from_env
        return f"sqlite:///{(reports_base() / DEFAULT_STORE_NAME).resolve()}"
    if "://" not in given:
        return f"sqlite:///{Path(given).resolve()}"
    try:
        url = make_url(given)
    except ArgumentError as exc:
        raise UsageError(f"--store {given!r} is not a database URL; give a path or "
                         "postgresql://user@host/db.") from exc
    if url.password:
        raise UsageError("the --store URL holds a password; put it in $PGPASSWORD, "
                         f"${URL_ENV} or a 0600 file named by ${PASSWORD_FILE_ENV} instead.")
    return given


def _password_from_file() -> str | None:
    name = os.environ.get(PASSWORD_FILE_ENV)
    if not name:
        return None
    path = Path(name)
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise UsageError(f"${PASSWORD_FILE_ENV} names {path}, which cannot be read "
                         f"({exc.strerror}).") from exc
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise UsageError(f"{path} can be read by other users; `chmod 600 {path}` and try again.")
    return path.read_text("utf-8").strip()


def _engine_url(text: str) -> URL:
    url = make_url(text)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    if url.drivername.startswith("postgresql"):
        password = _password_from_file()
        if password and not url.password:
            url = url.set(password=password)
    elif not url.drivername.startswith("sqlite"):
        raise UsageError(f"the store must be SQLite or PostgreSQL, not {url.drivername}.")
    return url


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")  # readers do not wait for an ingest
    cursor.execute("PRAGMA synchronous=NORMAL")  # durable at each commit's checkpoint in WAL
    cursor.close()


@dataclass
class Store:
    """An open store: the engine and what it is called in messages (never with a password)."""

    engine: Engine
    name: str

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def close(self) -> None:
        self.engine.dispose()


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    return config


def schema_head() -> str:
    """The newest schema version this triage knows."""
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None  # noqa: S101 - the package ships its migrations
    return head


def migrate(store: Store) -> str:
    """Bring the store's schema to the newest version; returns it."""
    config = _alembic_config()
    with store.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    return schema_head()


def schema_version(store: Store) -> str | None:
    with store.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def open_store(url: str, *, create: bool = True) -> Store:
    """Connect and make sure the schema is current (created or migrated when allowed).

    The PostgreSQL role triage uses day to day may lack the right to change tables: then the
    store must already be at the current version (`triage store migrate` run by its owner).
    """
    engine_url = _engine_url(url)
    if engine_url.drivername.startswith("sqlite") and engine_url.database:
        folder = Path(engine_url.database).parent
        if not folder.is_dir():
            raise UsageError(f"the folder for the store {engine_url.database} does not exist; "
                             "create it or give --store.")
    engine = create_engine(engine_url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    store = Store(engine, engine_url.render_as_string(hide_password=True))
    try:
        current = schema_version(store)
        if current != schema_head():
            if not create and current is None:
                raise InvalidInputError(f"{store.name} holds no triage store; ingest reports "
                                        "into it first.")
            migrate(store)
    except DBAPIError as exc:
        store.close()
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise InvalidInputError(f"cannot use the store {store.name} ({reason}); check the URL "
                                "and that its owner has run `triage store migrate`.") from exc
    return store
