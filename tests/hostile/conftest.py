"""A watched scan for hostile evidence: the scan runs in a subprocess, so a hang fails the test."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.fuzz.harness import OK, ScanWorker, check_output

ScanFn = Callable[..., dict[str, Any]]


@pytest.fixture(scope="module")
def watched_worker(tmp_path_factory):
    with ScanWorker(tmp_path_factory.mktemp("hostile-worker")) as worker:
        yield worker


@pytest.fixture()
def watched_scan(watched_worker, tmp_path) -> ScanFn:
    """`watched_scan(source, hashsets=None, timeout=60)`: the report of a scan that finished."""

    def scan(source: Path, hashsets: Path | None = None, timeout: float = 60.0
             ) -> dict[str, Any]:
        out = tmp_path / f"out-{len(list(tmp_path.glob('out-*')))}"
        status, answer = watched_worker.scan(source, out, timeout, hashsets)
        assert status == OK, answer
        assert check_output(out) is None
        report = json.loads((out / "report.json").read_text(encoding="utf-8"))
        report["_out"] = str(out)
        return report

    return scan


def warnings_for(report: dict[str, Any], name: str) -> list[str]:
    """Messages of the report's warnings whose address ends with `name`."""
    return [w["message"] for w in report["warnings"] if w["address"].split(" · ")[2:3]
            and w["address"].split(" · ")[2].endswith(name)]
