"""The pruned libmagic database answers exactly as libmagic does, on every kind of buffer."""

from __future__ import annotations

import io
import os
import random
import struct
import sys
import zipfile
from pathlib import Path

import magic
import pytest

from triage.stages import magicdb
from triage.stages.filetype import HEAD_BYTES, TEXT_BYTES
from triage.stages.magicdb import MARK, MimeTyper, pruned

# file 5.43-5.45 write the compiled format the pruning reads (VERSIONNO 18); Debian 12 has 5.44.
KNOWN_FORMAT = 543 <= magic.version() <= 545
# A Perl module with a C include: libmagic's Perl rule (no MIME type) matches before its C
# rule (text/x-c), so the answer is the text check's "text/plain"; the pruned copy, which has
# no Perl rule, reaches the C rule and must not be believed.
PRE_EMPTED = b"package Foo;\nuse strict;\n#include <stdio.h>\n"


@pytest.fixture(scope="module")
def typer() -> MimeTyper:
    return MimeTyper()


@pytest.fixture(scope="module")
def libmagic() -> magic.Magic:
    return magic.Magic(mime=True)


def _default() -> bytes:
    path = magicdb._default_database()
    assert path is not None
    return path.read_bytes()


@pytest.mark.skipif(not KNOWN_FORMAT, reason="libmagic's compiled format differs")
def test_the_pruned_database_is_used_and_keeps_every_mime_rule_in_order(typer):
    assert typer.pruned
    full, cut = _default(), pruned(_default())
    assert cut is not None

    def rules(data: bytes) -> list[bytes]:
        count = struct.unpack_from("<I", data, 8)[0]
        return [data[376 * i : 376 * (i + 1)] for i in range(1, 1 + count)]

    def mimes(entries: list[bytes]) -> list[bytes]:
        return [e[224:304].split(b"\0")[0] for e in entries if e[224]]

    before, after = rules(full), rules(cut)
    assert len(after) < len(before) / 2  # most rules name no MIME type
    # every MIME annotation is kept, in the same order, and marked
    assert [MARK.encode() + m for m in mimes(before)] == mimes(after)
    # the kept entries are a subsequence of the original ones (order of strength kept)
    originals = iter(e[:224] for e in before)
    assert all(any(o == e[:224] for o in originals) for e in after)


@pytest.mark.parametrize("bad", [b"", b"\0" * 376, b"x" * 1000])
def test_a_database_of_another_format_is_left_alone(bad):
    assert pruned(bad) is None


@pytest.mark.skipif(not KNOWN_FORMAT, reason="libmagic's compiled format differs")
def test_a_database_whose_size_does_not_match_its_header_is_left_alone():
    assert pruned(_default()[:-376]) is None
    other_version = bytearray(_default())
    other_version[4] = 17
    assert pruned(bytes(other_version)) is None


def test_without_the_pruned_database_libmagic_answers_alone(monkeypatch, libmagic):
    monkeypatch.setattr(magicdb, "_pruned_buffer", lambda: None)
    plain = MimeTyper()
    assert not plain.pruned
    assert plain.mime(PRE_EMPTED) == libmagic.from_buffer(PRE_EMPTED) == "text/plain"


@pytest.mark.skipif(not KNOWN_FORMAT, reason="libmagic's compiled format differs")
def test_a_rule_without_a_mime_type_that_matches_first_still_wins(typer, libmagic):
    assert typer._quick is not None
    assert typer._quick.from_buffer(PRE_EMPTED) == MARK + "text/x-c"  # the copy alone is wrong
    assert typer.mime(PRE_EMPTED) == libmagic.from_buffer(PRE_EMPTED) == "text/plain"


def _crafted() -> list[bytes]:
    """Buffers of the kinds a disk holds, including near-misses of common signatures."""
    rng = random.Random(23)
    noise = [rng.randbytes(HEAD_BYTES) for _ in range(300)]
    out = list(noise)
    for prefix in (b"MZ", b"MZ\x90\0\3\0\0\0\4\0\0\0\xff\xff", b"\x7fELF\2\1\1", b"PK\3\4",
                   b"SQLite format 3\0", b"ID3\3\0", b"\xff\xfb", b"OggS", b"RIFF\0\0\0\0WAVE",
                   b"\x1f\x8b\x08", b"BZh9", b"7z\xbc\xaf\x27\x1c", b"Rar!\x1a\x07",
                   b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"%!PS-Adobe-3.0", b"{\\rtf1",
                   b"\0\0\0\x18ftypmp42", b"\x1aE\xdf\xa3", b"regf", b"ElfFile\0"):
        out.extend(prefix + n[len(prefix):] for n in noise[:5])
    texts = [b"Dear council,\nabout the bins.\n", b"#!/bin/sh\necho hi\n",
             b"#!/usr/bin/env python3\nimport os\n", b"<!DOCTYPE html><html><body>hi",
             b"<?xml version=\"1.0\"?>\n<a/>\n", b"#include <stdio.h>\nint main(){}\n",
             b"{\"a\": [1, 2, 3]}\n", b"a,b,c\n1,2,3\n4,5,6\n", PRE_EMPTED,
             b"package Foo;\nsub x { 1 }\n", b"From: a@b\nTo: c@d\nSubject: x\n\nhi\n",
             "Grüße, naïve café\n".encode(), "Grüße".encode("utf-16")]
    out.extend((t * (TEXT_BYTES // len(t) + 1))[:TEXT_BYTES] for t in texts)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    out.append(archive.getvalue())
    return out


def _system_heads(limit: int) -> list[bytes]:
    heads: list[bytes] = []
    roots = (Path(sys.prefix) / "lib", Path("/usr/lib/x86_64-linux-gnu"), Path("/usr/share"),
             Path("/usr/bin"))
    for root in roots:
        for folder, _, names in os.walk(root):
            for name in names:
                path = Path(folder) / name
                try:
                    head = path.read_bytes()[:HEAD_BYTES] if path.is_file() else b""
                except OSError:
                    continue
                if head:
                    heads.append(head)
                    heads.append(head[:TEXT_BYTES])  # what content_type gives text
            if len(heads) >= limit:
                return heads
    return heads


def test_the_same_answers_as_libmagic_on_system_files_and_crafted_buffers(typer, libmagic):
    heads = _crafted() + _system_heads(6000)
    differences = [(h[:32], typer.mime(h), libmagic.from_buffer(h)) for h in heads
                   if typer.mime(h) != libmagic.from_buffer(h)]
    assert differences == []
    if typer.pruned:  # both paths were taken: the copy's own answers and the full database's
        quick = typer._quick
        assert quick is not None
        answers = [quick.from_buffer(h) for h in heads]
        assert sum(MARK in a for a in answers) > 100
        assert sum(MARK not in a for a in answers) > 100
