"""Scan each fixture image once per session and share the result between the scan tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.scan.scanning import Scanned, scan


@pytest.fixture(scope="session")
def scanned(fixture_images, tmp_path_factory) -> Callable[[str], Scanned]:
    """`scanned("gpt4")`: the fixture image scanned by triage (once per session)."""
    pytest.importorskip("triage.pipeline", reason="the scanner (triage.pipeline) is not built yet")
    done: dict[str, Scanned] = {}

    def get(name: str) -> Scanned:
        if name not in done:
            image = fixture_images(name)
            done[name] = scan(image, tmp_path_factory.mktemp(f"scan-{name}") / "out")
        return done[name]

    return get
