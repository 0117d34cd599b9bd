"""Content type and extension mismatch: our shortcuts agree with libmagic where it matters."""

from __future__ import annotations

import contextlib
import io
import os
import sqlite3
import sys
import zipfile
from pathlib import Path

import magic
import pytest
from PIL import Image

from triage.model import Address, FileRecord
from triage.stages.extensions import EXPECTED_EXTENSIONS
from triage.stages.filetype import FAST_SIGNATURES, HEAD_BYTES, content_type, identify


def _picture(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(out, fmt)
    return out.getvalue()


def _docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


def _sqlite(tmp: Path, application_id: int) -> bytes:
    """A real SQLite database with a table, stamped with an application id (GeoPackage's,
    MBTiles'...) and a user version, as apps stamp theirs."""
    path = tmp / f"{application_id}.db"
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute(f"PRAGMA application_id = {application_id}")
        db.execute("PRAGMA user_version = 7")
        db.execute("CREATE TABLE visits (id INTEGER PRIMARY KEY, url TEXT)")
        db.executemany("INSERT INTO visits (url) VALUES (?)", [(f"https://example.org/{n}",)
                                                                for n in range(200)])
        db.commit()
    return path.read_bytes()


@pytest.mark.parametrize("application_id", [0, 0x47504B47, 0x4D504258, 0x0F055112])
def test_every_sqlite_database_is_named_as_libmagic_names_it(tmp_path, application_id):
    head = _sqlite(tmp_path, application_id)[:HEAD_BYTES]
    assert content_type(head) == magic.Magic(mime=True).from_buffer(head)


SAMPLES = {
    "jpeg": _picture("JPEG"), "png": _picture("PNG"), "gif": _picture("GIF"),
    "bmp": _picture("BMP"), "webp": _picture("WEBP"), "tiff": _picture("TIFF"),
    "pdf": b"%PDF-1.7\n" + b"1 0 obj << >> endobj\n" * 500, "docx": _docx(),
    "text": b"Dear council,\nabout the bins.\n" * 800, "empty-ish": b"\n",
    "binary": bytes(range(256)) * 70,
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_shortcuts_agree_with_libmagic_on_types_that_matter(name):
    head = SAMPLES[name][:HEAD_BYTES]
    expected = magic.Magic(mime=True).from_buffer(head)
    assert content_type(head) == expected


def _system_files(limit: int) -> list[Path]:
    found: list[Path] = []
    for root in (Path(sys.prefix) / "lib", Path("/usr/share/doc")):
        for folder, _, names in os.walk(root):
            found.extend(Path(folder) / n for n in names)
            if len(found) >= limit:
                return found[:limit]
    return found


def test_no_difference_from_libmagic_on_any_mismatch_relevant_type():
    libmagic = magic.Magic(mime=True)
    checked = 0
    for path in _system_files(4000):
        try:
            head = path.read_bytes()[:HEAD_BYTES] if path.is_file() else b""
        except OSError:
            continue
        if not head:
            continue
        checked += 1
        expected, ours = libmagic.from_buffer(head), content_type(head)
        if head.startswith(tuple(s for s, _ in FAST_SIGNATURES)):
            assert ours == expected, path
        if expected in EXPECTED_EXTENSIONS or ours in EXPECTED_EXTENSIONS:
            assert ours == expected, path
    assert checked > 1000


def _record(name: str, size: int) -> FileRecord:
    return FileRecord(Address("t", None, f"/{name}"), name, size)


def test_a_jpeg_named_dll_is_an_extension_mismatch():
    record = _record("system32.dll", len(SAMPLES["jpeg"]))
    identify(record, SAMPLES["jpeg"])
    assert (record.mime, record.ext_mismatch) == ("image/jpeg", True)


def test_a_jpeg_named_jpg_is_not_and_text_is_not_judged():
    record = _record("HOLIDAY.JPG", len(SAMPLES["jpeg"]))
    identify(record, SAMPLES["jpeg"])
    assert record.ext_mismatch is False
    text = _record("notes.dll", len(SAMPLES["text"]))
    identify(text, SAMPLES["text"])
    assert (text.mime, text.ext_mismatch) == ("text/plain", None)


def test_empty_file():
    record = _record("empty.jpg", 0)
    identify(record, b"")
    assert (record.mime, record.ext_mismatch) == ("application/x-empty", None)
