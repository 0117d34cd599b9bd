"""What expanding a container yields: members (record + bytes) and their addresses."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from triage.model import Content, FileRecord


@dataclass(frozen=True, slots=True)
class Member:
    """One file found inside a container, with its bytes (valid until the next member)."""

    record: FileRecord
    content: Content | None


def member_record(parent: FileRecord, path: str, size: int, mtime: float | None,
                  ) -> FileRecord:
    """A record for `path` inside `parent`: chained address, parent's deletion state."""
    chained = f"{parent.address.member}!{path}" if parent.address.member else path
    name = path.rstrip("/").rsplit("/", 1)[-1] or path
    return FileRecord(address=dataclasses.replace(parent.address, member=chained), name=name,
                      size=size, deleted=parent.deleted, mtime=mtime)


def member_address(parent: FileRecord, path: str) -> str:
    """The printable address of `path` inside `parent`, for problems about a member."""
    return str(member_record(parent, path, 0, None).address)
