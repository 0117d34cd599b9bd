"""Shared fixtures for these tests: the quick pure-Python demo disk, a tiny real tmpfs."""

from tests.demo_disk import demo_disk  # noqa: F401 - a pytest fixture
from tests.layers.conftest import luks_volume  # noqa: E402, F401 - LUKS volumes for scans
from tests.report.test_full_disk import small_disk  # noqa: F401 - a pytest fixture
