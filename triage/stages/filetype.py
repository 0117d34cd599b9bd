"""Content type from the first bytes (libmagic), and the extension-mismatch fact."""

from __future__ import annotations

import threading

import magic

from triage.model import FileRecord
from triage.stages.extensions import extension_mismatch

# libmagic decides from the start of a file; 16 KiB covers every signature it needs for the
# types triage cares about (Office documents need a little more than the usual 2 KiB).
HEAD_BYTES = 16 * 1024

_local = threading.local()


def _magic() -> magic.Magic:
    # A libmagic handle must not be shared between threads.
    handle = getattr(_local, "magic", None)
    if handle is None:
        handle = _local.magic = magic.Magic(mime=True)
    return handle


def identify(record: FileRecord, head: bytes) -> None:
    """Set `mime` and `ext_mismatch` on the record from its first bytes."""
    if not head:
        record.mime = "application/x-empty" if record.size == 0 else None
        record.ext_mismatch = None
        return
    try:
        record.mime = _magic().from_buffer(head)
    except magic.MagicException:
        record.mime = None
    record.ext_mismatch = extension_mismatch(record.mime, record.extension)
