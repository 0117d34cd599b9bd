"""Zip archives, zip64, encrypted zips and office documents."""

from __future__ import annotations

import zipfile

from triage.containers import is_container
from triage.stages.filetype import content_type

from . import builders as b
from .helpers import run, sha


def test_zip_stored_and_deflated_members_with_chained_addresses() -> None:
    picture, notes = b.jpeg(), b"shopping list\n" * 50
    data = b.zip_bytes({"holiday/a.jpg": picture, "notes.txt": notes})
    rec, content = b.record("photos.zip", data, deleted=True)
    members, problems = run(rec, content)
    assert problems == []
    assert [(m, sha(d)) for m, d, _ in members] == [("holiday/a.jpg", sha(picture)),
                                                     ("notes.txt", sha(notes))]
    first = members[0][2]
    assert str(first.address) == ("case.img · p1@1048576 ntfs · "
                                  "/Users/alex/photos.zip!holiday/a.jpg · inode 42")
    assert first.name == "a.jpg" and first.size == len(picture)
    assert first.deleted is True  # a deleted archive's members are deleted too
    assert first.mtime == b.MTIME


def test_stored_zip_skips_folders() -> None:
    picture = b.jpeg()
    data = b.zip_bytes({"holiday/": b"", "holiday/a.jpg": picture}, method=zipfile.ZIP_STORED)
    members, problems = run(*b.record("photos.zip", data))
    assert [(m, d) for m, d, _ in members] == [("holiday/a.jpg", picture)] and problems == []


def test_zip64_members() -> None:
    picture = b.jpeg(5)
    data = b.zip_bytes({"big/a.jpg": picture, "b.txt": b"x" * 1000}, zip64=True)
    assert b"\x01\x00" in data  # the zip64 extra field is present
    members, problems = run(*b.record("z64.zip", data))
    assert [(m, sha(d)) for m, d, _ in members] == [("big/a.jpg", sha(picture)),
                                                     ("b.txt", sha(b"x" * 1000))]
    assert problems == []


def test_encrypted_zip_member_is_named_and_not_examined() -> None:
    data = b.zipcrypto_bytes("secret/a.jpg", b.jpeg(), b"letmein")
    members, problems = run(*b.record("locked.zip", data))
    assert members == []
    assert [(p.address, p.reason, p.not_examined) for p in problems] == [
        ("case.img · p1@1048576 ntfs · /Users/alex/locked.zip!secret/a.jpg · inode 42",
         "encrypted", True)]


def test_docx_picture_falls_out_of_zip_handling() -> None:
    picture = b.jpeg(7)
    data = b.docx_bytes(picture)
    mime = content_type(data[:16384])
    rec, content = b.record("letter.docx", data, mime=mime)
    assert mime == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert is_container(rec)
    members, problems = run(rec, content)
    assert problems == []
    assert [m for m, _, _ in members] == ["[Content_Types].xml", "word/document.xml",
                                          "word/media/image1.jpeg"]
    assert sha(members[2][1]) == sha(picture)


def test_damaged_zip_is_one_problem_not_a_crash() -> None:
    data = b.zip_bytes({"a.jpg": b.jpeg()})
    members, problems = run(*b.record("broken.zip", data[: len(data) // 2]))
    assert members == []
    assert [(p.address, p.reason) for p in problems] == [
        ("case.img · p1@1048576 ntfs · /Users/alex/broken.zip · inode 42", "corrupt")]
    assert problems[0].message.startswith("not a readable zip archive")


def test_member_with_damaged_data_is_reported_and_others_still_read() -> None:
    good = b"good" * 1000
    bad = bytes(range(256)) * 12
    data = bytearray(b.zip_bytes({"bad.txt": bad, "good.txt": good}, method=zipfile.ZIP_STORED))
    start = data.index(bad[1000:1100])
    data[start : start + 20] = b"\xff" * 20  # damaged bytes: the CRC no longer matches
    members, problems = run(*b.record("half.zip", bytes(data)))
    assert [(m, d) for m, d, _ in members] == [("good.txt", good)]
    assert [(p.address.split(" · ")[2], p.reason) for p in problems] == [
        ("/Users/alex/half.zip!bad.txt", "corrupt")]
