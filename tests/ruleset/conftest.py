"""Helpers for rule tests: write a rule pack into a temporary folder and make records."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from triage.model import Address, FileRecord, PartitionRef

RULE_HEAD = """\
id: {id}
title: Test rule {id}
description: A rule written by a test.
severity: high
condition: no-p2p
author: test
version: 1
references: [test]
"""


def rule_text(rule_id: str, body: str) -> str:
    """A complete rule: the fixed header fields plus `body` (match:, count:, tests: ...)."""
    return RULE_HEAD.format(id=rule_id) + textwrap.dedent(body)


@pytest.fixture
def pack(tmp_path: Path) -> Callable[..., Path]:
    """Write {file name: YAML text} into a fresh rules folder and return the folder."""

    def write(files: dict[str, str]) -> Path:
        folder = tmp_path / "rules"
        folder.mkdir(exist_ok=True)
        for name, text in files.items():
            (folder / name).write_text(text, encoding="utf-8")
        return folder

    return write


def record(path: str, **fields: object) -> FileRecord:
    """A file record at `path` on partition 1 of source 'disk.img'."""
    return FileRecord(address=Address("disk.img", PartitionRef(1, 1048576, "ntfs"), path, 5),
                      name=path.rpartition("/")[2], size=int(fields.pop("size", 1000)),
                      **fields)  # type: ignore[arg-type]
