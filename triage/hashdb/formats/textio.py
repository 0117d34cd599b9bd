"""Reading lab text files in bounded chunks, whatever encoding Windows tools wrote them in."""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from pathlib import Path

CHUNK_BYTES = 4 << 20  # bounded memory per read; big enough that numpy's per-call cost vanishes
SNIFF_BYTES = 4096


def detect_encoding(head: bytes) -> tuple[str, int]:
    """(codec, BOM length) for the start of a text file: UTF-8 (with or without BOM) or UTF-16."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8", 3
    if head.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le", 2
    if head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be", 2
    sample = head[:512]
    # ASCII text in UTF-16 without a BOM has a NUL in every other byte.
    if len(sample) >= 4 and sample[1::2].count(0) > len(sample) // 4 and not sample[0::2].count(0):
        return "utf-16-le", 0
    if len(sample) >= 4 and sample[0::2].count(0) > len(sample) // 4 and not sample[1::2].count(0):
        return "utf-16-be", 0
    return "utf-8", 0


def read_head(path: Path, size: int = SNIFF_BYTES) -> bytes:
    with path.open("rb") as handle:
        return handle.read(size)


def head_text(path: Path, size: int = SNIFF_BYTES) -> str:
    """The start of a text file decoded (for format detection); '' for binary or unreadable."""
    head = read_head(path, size)
    codec, bom = detect_encoding(head)
    return head[bom:].decode(codec, errors="replace")


def utf8_chunks(path: Path) -> Iterator[bytes]:
    """The file as UTF-8 bytes in chunks that each end with a complete line ('\\n')."""
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
        codec, bom = detect_encoding(head)
        decoder = None if codec == "utf-8" else codecs.getincrementaldecoder(codec)("replace")
        carry = b""
        block = head[bom:]
        while True:
            more = handle.read(CHUNK_BYTES)
            final = not more
            if decoder is not None:
                block = decoder.decode(block, final=final).encode("utf-8", "surrogatepass")
            data = carry + block
            cut = data.rfind(b"\n") + 1
            if final:
                if data and not data.endswith(b"\n"):
                    data += b"\n"
                if data:
                    yield data
                return
            if cut:
                yield data[:cut]
            carry = data[cut:]
            block = more


def iter_lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line number from 1, text without the line ending) for every line of a text file."""
    number = 0
    for chunk in utf8_chunks(path):
        for raw in chunk.split(b"\n")[:-1]:
            number += 1
            yield number, raw.rstrip(b"\r").decode("utf-8", errors="replace")
