"""A throw-away PostgreSQL cluster for the store's tests: Debian's server, an unprivileged user,
a private socket folder, no TCP; stopped and removed afterwards."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

OWNER = "triage_owner"  # creates and migrates the schema
APP = "triage_app"  # what triage uses day to day: only the rows of its own tables
DATABASE = "triage"


def server_bin() -> Path | None:
    """The newest installed PostgreSQL server's bin folder (Debian: /usr/lib/postgresql/N/bin)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
                   key=lambda p: int(Path(p).parent.parent.name))
    return Path(found[-1]).parent if found else None


@dataclass(frozen=True)
class Cluster:
    socket_dir: Path

    def url(self, role: str = OWNER, database: str = DATABASE) -> str:
        return f"postgresql://{role}@/{database}?host={self.socket_dir}"

    def create_database(self, name: str) -> str:
        """Another empty database of the cluster (owned by OWNER); its URL."""
        subprocess.run(["createdb", "-h", str(self.socket_dir), "-U", OWNER, name],
                       check=True, capture_output=True)
        return self.url(database=name)

    def psql(self, sql: str, role: str = OWNER) -> None:
        subprocess.run(["psql", "-v", "ON_ERROR_STOP=1", "-q", "-h", str(self.socket_dir),
                        "-U", role, "-d", DATABASE, "-c", sql], check=True,
                       capture_output=True)


def _as_user(user: str | None, argv: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root; as root, run them as Debian's `postgres` user.
    return ["runuser", "-u", user, "--", *argv] if user else argv


@contextmanager
def cluster() -> Iterator[Cluster]:
    bindir = server_bin()
    if bindir is None:
        raise RuntimeError("PostgreSQL's server is not installed (apt-get install postgresql)")
    user = None
    if os.geteuid() == 0:
        user = "postgres"
        pwd.getpwnam(user)  # KeyError: the Debian package's user is missing
    base = Path(tempfile.mkdtemp(prefix="triage-pg-"))
    data, sockets = base / "data", base / "sock"
    sockets.mkdir()
    if user:
        entry = pwd.getpwnam(user)
        for path in (base, sockets):
            os.chown(path, entry.pw_uid, entry.pw_gid)
    run = {"check": True, "capture_output": True}
    try:
        subprocess.run(_as_user(user, [str(bindir / "initdb"), "-D", str(data), "-U", OWNER,
                                       "--auth=trust", "-E", "UTF8", "--no-sync"]), **run)
        subprocess.run(_as_user(user, [
            str(bindir / "pg_ctl"), "-D", str(data), "-w", "-l", str(base / "log"), "-o",
            f"-k {sockets} -c listen_addresses='' -c fsync=off", "start"]), **run)
        subprocess.run(["createdb", "-h", str(sockets), "-U", OWNER, DATABASE], **run)
        subprocess.run(["psql", "-q", "-h", str(sockets), "-U", OWNER, "-d", DATABASE, "-c",
                        f"CREATE ROLE {APP} LOGIN; REVOKE CREATE ON SCHEMA public FROM PUBLIC;"],
                       **run)
        yield Cluster(sockets)
    finally:
        subprocess.run(_as_user(user, [str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast",
                                       "-w", "stop"]), capture_output=True, check=False)
        shutil.rmtree(base, ignore_errors=True)


def grant_app(c: Cluster) -> None:
    """The least the day-to-day role needs: read and add rows, use the id sequences."""
    c.psql(f"GRANT USAGE ON SCHEMA public TO {APP}; "
           f"GRANT SELECT, INSERT ON reports, devices, findings TO {APP}; "
           f"GRANT SELECT ON alembic_version TO {APP}; "
           f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {APP};")
