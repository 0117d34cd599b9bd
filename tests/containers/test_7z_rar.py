"""7z archives (py7zr) and RAR archives (rarfile)."""

from __future__ import annotations

import io
import os
from pathlib import Path

import py7zr
import pytest

from . import builders as b
from .helpers import run, sha


def _seven(members: dict[str, bytes], password: str | None = None,
           header_encryption: bool = False) -> bytes:
    out = io.BytesIO()
    with py7zr.SevenZipFile(out, "w", password=password,
                            header_encryption=header_encryption) as archive:
        for name, data in members.items():
            archive.writestr(data, name)
    return out.getvalue()


def test_7z_members(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # py7zr must write nothing: the folder stays empty
    picture, notes = b.jpeg(8), b"notes " * 300
    inner = b.zip_bytes({"b.jpg": b.jpeg(9)})
    data = _seven({"holiday/a.jpg": picture, "notes.txt": notes, "more.zip": inner})
    members, problems = run(*b.record("pics.7z", data))
    assert problems == []
    assert sorted((m, sha(d)) for m, d, _ in members) == sorted([
        ("holiday/a.jpg", sha(picture)), ("notes.txt", sha(notes)), ("more.zip", sha(inner)),
        ("more.zip!b.jpg", sha(b.jpeg(9)))])
    assert os.listdir(tmp_path) == []


def test_encrypted_7z_lists_names_as_not_examined() -> None:
    data = _seven({"secret/a.jpg": b.jpeg(), "b.txt": b"b"}, password="pw")  # noqa: S106 - a test fixture
    members, problems = run(*b.record("locked.7z", data))
    assert members == []
    assert sorted((p.address.split(" · ")[2], p.reason) for p in problems) == [
        ("/Users/alex/locked.7z!b.txt", "encrypted"),
        ("/Users/alex/locked.7z!secret/a.jpg", "encrypted")]


def test_7z_with_encrypted_names_is_one_problem() -> None:
    data = _seven({"secret/a.jpg": b.jpeg()}, password="pw",  # noqa: S106
                  header_encryption=True)
    members, problems = run(*b.record("locked.7z", data))
    assert members == []
    assert [(p.address.split(" · ")[2], p.reason) for p in problems] == [
        ("/Users/alex/locked.7z", "encrypted")]


def test_damaged_7z_is_a_problem() -> None:
    data = _seven({"a.jpg": b.jpeg()})
    members, problems = run(*b.record("broken.7z", data[:40]))
    assert members == [] and [p.reason for p in problems] == ["corrupt"]


@pytest.fixture
def no_rar_tools(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    import rarfile

    from triage.containers.rar import extractor_available

    for tool in ("UNRAR_TOOL", "UNAR_TOOL", "BSDTAR_TOOL", "SEVENZIP_TOOL", "SEVENZIP2_TOOL"):
        monkeypatch.setattr(rarfile, tool, "triage-no-such-tool")
    extractor_available.cache_clear()
    yield
    monkeypatch.undo()
    extractor_available.cache_clear()
    rarfile.tool_setup(force=True)


def _rar() -> bytes:
    return b.rar4_bytes([("holiday/a.jpg", b.jpeg(), 0x30),
                         ("packed.bin", b"\x01not really rar data" * 4, 0x33)])


def test_rar_stored_member_is_read_without_any_tool(no_rar_tools: None) -> None:
    members, problems = run(*b.record("a.rar", _rar()))
    assert [(m, sha(d)) for m, d, _ in members] == [("holiday/a.jpg", sha(b.jpeg()))]
    assert members[0][2].mtime == b.MTIME  # the DOS time (2-s steps), read as UTC
    assert [(p.address.split(" · ")[2], p.reason) for p in problems] == [
        ("/Users/alex/a.rar!packed.bin", "unsupported")]
    assert "install the Debian package unar" in problems[0].message


@pytest.mark.skipif(not __import__("shutil").which("unar"), reason="needs the unar tool")
def test_rar_compressed_member_goes_through_the_tool_and_leaves_no_files(
        tmp_path: Path) -> None:
    from triage.containers import ContainerLimits

    members, problems = run(*b.record("a.rar", _rar()), ContainerLimits(spill_dir=tmp_path))
    assert [m for m, _, _ in members] == ["holiday/a.jpg"]
    # The packed bytes are not real RAR data: the tool ran and failed, cleanly.
    assert [(p.address.split(" · ")[2], p.reason) for p in problems] == [
        ("/Users/alex/a.rar!packed.bin", "corrupt")]
    assert list(tmp_path.iterdir()) == []


def test_7z_abandoned_at_a_limit_stops_its_helper_thread() -> None:
    import threading

    from triage.containers import ContainerLimits

    before = threading.active_count()
    data = _seven({f"{n}.txt": bytes([n]) * 100 for n in range(5)})
    members, problems = run(*b.record("many.7z", data), ContainerLimits(max_members=2))
    assert len(members) == 2 and [p.reason for p in problems] == ["bomb"]
    assert threading.active_count() == before
