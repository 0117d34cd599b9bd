"""Compiled helpers (optional): everything is in pyproject.toml except the C extensions.

Each extension is optional: a machine without a C compiler installs the pure-Python package,
whose numpy code gives the same bytes, only slower.
"""

from setuptools import Extension, setup

EXTENSIONS: list[Extension] = []

setup(ext_modules=EXTENSIONS)
