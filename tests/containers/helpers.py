"""Running expand() in tests: members as (member path, bytes) and problems as tuples."""

from __future__ import annotations

import hashlib

from triage.containers import ContainerLimits, Member, Problem, expand
from triage.model import FileRecord

from .builders import BytesContent


def run(rec: FileRecord, content: BytesContent, limits: ContainerLimits | None = None
        ) -> tuple[list[tuple[str, bytes, FileRecord]], list[Problem]]:
    """Expand fully, reading each member's bytes while they are valid."""
    members: list[tuple[str, bytes, FileRecord]] = []
    problems: list[Problem] = []
    for item in expand(rec, content, limits=limits):
        if isinstance(item, Member):
            assert item.content is not None
            data = item.content.read(0, item.content.size)
            members.append((item.record.address.member or "", data, item.record))
        else:
            problems.append(item)
    return members, problems


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
