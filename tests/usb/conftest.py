"""Fixtures for the stick's pieces: the console's modules loaded from usb/."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

USB = Path(__file__).resolve().parents[2] / "usb"


# On the stick officer.py and bootfacts.py sit in one folder, which Python puts on sys.path.
sys.path.insert(0, str(USB))


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"usb_{name}", USB / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def officer() -> ModuleType:
    return _load("officer")


@pytest.fixture(scope="session")
def bootfacts() -> ModuleType:
    return _load("bootfacts")


@pytest.fixture(scope="session")
def lockfile() -> ModuleType:
    return _load("lockfile")
