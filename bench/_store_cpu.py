"""CPU time of an ingest, split by who spent it: this process, its worker processes, and the
PostgreSQL server's processes (read from /proc), so a loaded machine's wall time can be read."""

from __future__ import annotations

import os
import resource
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text

from triage.store.engine import Store

_TICK = os.sysconf("SC_CLK_TCK")


def _process_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0  # the process has ended: its time is lost, the server figure is a floor
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime + stime


def _server_cpu(store: Store) -> dict[int, float]:
    """CPU seconds so far of every process of the server (backends and background workers)."""
    if store.is_sqlite:
        return {}
    with store.engine.connect() as connection:
        pids = [int(pid) for pid in connection.execute(
            text("SELECT pid FROM pg_stat_activity")).scalars()]
    return {pid: _process_cpu(pid) for pid in pids}


@dataclass
class CpuSplit:
    """Seconds of CPU spent between start() and stop()."""

    main: float = 0.0
    workers: float = 0.0
    server: float = 0.0

    def per_report_ms(self, reports: int) -> dict[str, float]:
        return {name: seconds * 1000 / reports for name, seconds in
                (("main", self.main), ("workers", self.workers), ("server", self.server))}


class CpuMeter:
    """Measures a CpuSplit around a block whose worker processes have ended by its end."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.split = CpuSplit()

    def __enter__(self) -> CpuSplit:
        self._main = time.process_time()
        self._children = resource.getrusage(resource.RUSAGE_CHILDREN)
        self._server = _server_cpu(self.store)
        return self.split

    def __exit__(self, *_: object) -> None:
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.split.main = time.process_time() - self._main
        self.split.workers = (children.ru_utime + children.ru_stime
                              - self._children.ru_utime - self._children.ru_stime)
        after = _server_cpu(self.store)
        self.split.server = sum(cpu - self._server.get(pid, 0.0) for pid, cpu in after.items())
