"""Store fixtures: every store test runs against SQLite and a real PostgreSQL cluster."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.store import postgres
from triage import keys


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[postgres.Cluster]:
    if postgres.server_bin() is None:
        pytest.skip("PostgreSQL's server is not installed; .ci/run installs Debian's postgresql")
    with postgres.cluster() as cluster:
        yield cluster


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty store of each kind (a fresh database each test)."""
    if request.param == "sqlite":
        yield str(tmp_path / "store.sqlite")
        return
    cluster: postgres.Cluster = request.getfixturevalue("pg_cluster")
    cluster.psql("DROP TABLE IF EXISTS findings, devices, reports, alembic_version CASCADE;")
    yield cluster.url()


@pytest.fixture
def lab(tmp_path: Path) -> tuple[keys.SigningKey, keys.SigningKey, Path]:
    """The stick's key, a supervisor's key and a folder trusting both."""
    stick = keys.generate(tmp_path / "keys", "stick07")
    supervisor = keys.generate(tmp_path / "keys", "supervisor")
    trusted = tmp_path / "trusted"
    trusted.mkdir()
    for name in ("stick07", "supervisor"):
        (trusted / f"{name}.pub").write_bytes((tmp_path / "keys" / f"{name}.pub").read_bytes())
    return stick, supervisor, trusted
