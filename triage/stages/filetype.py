"""Content type from the first bytes (libmagic), and the extension-mismatch fact."""

from __future__ import annotations

import threading

import magic

from triage.model import FileRecord
from triage.stages.extensions import extension_mismatch
from triage.stages.magicdb import MimeTyper

# libmagic decides from the start of a file; 16 KiB covers every signature it needs for the
# types triage cares about (Office documents need a little more than the usual 2 KiB).
HEAD_BYTES = 16 * 1024

# libmagic costs 13 µs on a JPEG but 0.4-1.7 ms on text (its text tests scan the whole buffer)
# and ~150 µs on unknown binary data (measured by bench/scan_bench.py's profile). Two savings,
# measured over 272,994 files of this machine's /usr, Python and fixture trees against libmagic
# given the full 16 KiB head (tests/stages/test_filetype.py repeats the check on a sample):
# - signatures that libmagic always names the same way are answered here, without libmagic
#   (16,857 such files, no difference; SQLite added later, checked the same way);
FAST_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
    # Browser histories, phone backups and app data: libmagic 5.44 names every SQLite 3 file
    # this way whatever its application id or user version (tests/stages/test_filetype.py).
    (b"SQLite format 3\x00", "application/vnd.sqlite3"),
)
# - text (no NUL byte near the start) is given only its first 4 KiB. That changed the answer for
#   0.46% of files, all text sub-types (application/json or text/x-script.python becoming
#   text/plain) and none a type used for extension mismatches. Containers whose type is decided
#   deep inside (Office, zip-based formats) always get the whole head.
TEXT_BYTES = 4096
_CONTAINER_PREFIXES = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")

_local = threading.local()


def _typer() -> MimeTyper:
    # A libmagic handle must not be shared between threads.
    typer = getattr(_local, "typer", None)
    if typer is None:
        typer = _local.typer = MimeTyper()
    return typer


def identify(record: FileRecord, head: bytes) -> None:
    """Set `mime` and `ext_mismatch` on the record from its first bytes."""
    if not head:
        record.mime = "application/x-empty" if record.size == 0 else None
        record.ext_mismatch = None
        return
    record.mime = content_type(head)
    record.ext_mismatch = extension_mismatch(record.mime, record.extension)


def content_type(head: bytes) -> str | None:
    """The MIME type libmagic gives these first bytes, taking the measured shortcuts."""
    for signature, mime in FAST_SIGNATURES:
        if head.startswith(signature):
            return mime
    if len(head) > TEXT_BYTES and b"\0" not in head[:512] and not head.startswith(
            _CONTAINER_PREFIXES):
        head = head[:TEXT_BYTES]
    try:
        return _typer().mime(head)
    except magic.MagicException:
        return None
