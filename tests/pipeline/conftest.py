"""Shared fixtures for these tests: the quick pure-Python demo disk, a tiny real tmpfs."""

from tests.demo_disk import demo_disk  # noqa: F401 - a pytest fixture
from tests.layers.conftest import bitlocker_volume, luks_volume  # noqa: E402, F401 - fixtures
from tests.report.test_full_disk import small_disk  # noqa: F401 - a pytest fixture
