"""EnCase legacy `.hash` sets: binary MD5 records after a fixed header."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from triage.errors import InvalidInputError
from triage.hashdb.collect import EntryCollector
from triage.hashdb.formats.registry import ImportOptions, register
from triage.hashdb.setinfo import SetKind

MAGIC = b"HASH\r\n\xff\x00"
RECORDS_OFFSET = 1152  # EnCase's header (set name, category) fills the bytes before this
RECORD_SIZE = 18  # 16-byte MD5 + 2 bytes EnCase uses internally
RECORDS_PER_READ = 1 << 16


@dataclass(frozen=True)
class EnCaseHash:
    name: str = "encase"
    description: str = "EnCase legacy .hash (binary MD5 records)"
    priority: int | None = 10
    kind: SetKind | None = None

    def sniff(self, head: bytes, path: Path) -> bool:
        return head.startswith(MAGIC)

    def run(self, path: Path, sink: EntryCollector, options: ImportOptions) -> None:
        where = str(path)
        size = path.stat().st_size
        with path.open("rb") as handle:
            if handle.read(len(MAGIC)) != MAGIC:
                raise InvalidInputError(f"{where} is not an EnCase .hash file (wrong magic).")
            if size < RECORDS_OFFSET:
                raise InvalidInputError(
                    f"{where} is shorter than an EnCase .hash header ({size} bytes)."
                )
            handle.seek(RECORDS_OFFSET)
            offset = RECORDS_OFFSET
            while block := handle.read(RECORD_SIZE * RECORDS_PER_READ):
                whole = len(block) - len(block) % RECORD_SIZE
                records = np.frombuffer(block[:whole], dtype=np.uint8).reshape(-1, RECORD_SIZE)
                sink.add_many("md5", records[:, :16])
                offset += whole
                if whole != len(block):
                    sink.stats.reject(
                        where,
                        f"offset {offset}",
                        f"{len(block) - whole} trailing bytes do not "
                        f"make a whole {RECORD_SIZE}-byte record",
                    )


ENCASE = register(EnCaseHash())
