"""Session-wide pytest fixtures: the fixture disk images (built once, cached) and their checks."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

# `tests.fixtures` must import whether pytest was started as `pytest` or `python -m pytest`,
# and whether or not tests/ is a package; the repository root on sys.path covers every case.
_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from tests.fixtures import RECIPES, FixtureImage, assert_unchanged, build  # noqa: E402
from tests.fixtures.builders import skip_reason  # noqa: E402
from tests.fixtures.tools import missing_tools  # noqa: E402
from triage import keys  # noqa: E402

_built: dict[str, FixtureImage] = {}


def fixture_image(name: str) -> FixtureImage:
    """The named fixture image (cached for the session), or skip the test saying why."""
    if name not in _built:
        reason = skip_reason(name)
        if reason:
            pytest.skip(reason)
        _built[name] = build(name)
    return _built[name]


@pytest.fixture(scope="session")
def fixture_images() -> Callable[[str], FixtureImage]:
    """Get any fixture image by name: `fixture_images("gpt4")`."""
    return fixture_image


@pytest.fixture(scope="session")
def check_unchanged() -> Callable[[Path, str], None]:
    """`check_unchanged(path, before_sha256)`: the evidence was not modified."""
    return assert_unchanged


def _image_fixture(name: str) -> Callable[[], FixtureImage]:
    def _fixture() -> FixtureImage:
        return fixture_image(name)

    _fixture.__doc__ = f"The {name} fixture image, built once per session."
    return pytest.fixture(scope="session", name=f"{name}_image")(_fixture)


for _name in RECIPES:
    globals()[f"{_name}_image"] = _image_fixture(_name)


@pytest.fixture()
def sleuthkit() -> None:
    """Skip unless sleuthkit (fls, icat, mmls, fsstat: the reference) is installed."""
    missing = missing_tools("reference")
    if missing:
        pytest.skip(f"the reference listing needs {', '.join(missing)}; install sleuthkit")


def pytest_report_header() -> str:
    cache = os.environ.get("TRIAGE_FIXTURE_CACHE", "/tmp/triage-fixtures-<version>")  # noqa: S108
    return f"triage fixture cache: {cache}"


@pytest.fixture
def lab_key(tmp_path: Path) -> keys.SigningKey:
    """A lab signing key (hash sets, keyword lists, rules) made for the test."""
    return keys.generate(tmp_path / "keys", "lab")


@pytest.fixture
def trusted_dir(tmp_path: Path, lab_key: keys.SigningKey) -> Path:
    """A folder of trusted public keys holding the lab key."""
    folder = tmp_path / "trusted"
    folder.mkdir()
    (folder / "lab.pub").write_bytes((tmp_path / "keys" / "lab.pub").read_bytes())
    return folder
