"""MD5, SHA-1 and SHA-256 of a file's content in one streamed read, only the ones needed."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from triage.model import Content, FileRecord

# 1 MiB: large enough that hashlib releases the GIL and per-call overhead vanishes, small
# enough that two workers hold only a few MiB.
CHUNK = 1024 * 1024
ALGORITHMS = ("md5", "sha1", "sha256")


class ReadError(Exception):
    """Reading the content failed part-way; the message says where."""


def hash_content(record: FileRecord, content: Content, algorithms: Iterable[str],
                 head: bytes = b"") -> None:
    """Stream `content` once through every requested algorithm (SHA-256 always).

    `head` is the already-read start of the content, reused so no byte is read twice.
    """
    wanted = {"sha256", *algorithms}
    hashers = [(name, hashlib.new(name)) for name in ALGORITHMS if name in wanted]
    offset = 0
    size = content.size
    if head:
        head = head[:size]
        for _, hasher in hashers:
            hasher.update(head)
        offset = len(head)
    while offset < size:
        try:
            chunk = content.read(offset, min(CHUNK, size - offset))
        except OSError as exc:
            raise ReadError(f"read failed at byte {offset} of {size}: {exc}") from exc
        if not chunk:
            raise ReadError(f"content ended at byte {offset} of {size}")
        for _, hasher in hashers:
            hasher.update(chunk)
        offset += len(chunk)
    for name, hasher in hashers:
        setattr(record, name, hasher.hexdigest())
    record.bytes_hashed = offset
