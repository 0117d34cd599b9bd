"""Shared fixtures for these tests: the quick pure-Python demo disk."""

from tests.demo_disk import demo_disk  # noqa: F401 - a pytest fixture
