"""md5sum / sha1sum / sha256sum lists: `hash  path`, `hash *path`, bare hashes, BSD tags."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from triage.hashdb.algorithms import BY_HEX_LENGTH, WIDTHS, hex_rows_to_bytes, parse_hex
from triage.hashdb.collect import EntryCollector
from triage.hashdb.formats.registry import ImportOptions, register
from triage.hashdb.formats.textio import detect_encoding, utf8_chunks
from triage.hashdb.setinfo import SetKind

_COMMENT_PREFIXES = ("#", ";", "//")
_BSD = re.compile(r"^(MD5|SHA1|SHA256|SHA-1|SHA-256)\s*\((?P<path>.*)\)\s*=\s*(?P<hex>\S+)$", re.I)
_NEWLINE, _SPACE, _TAB, _CR = 10, 32, 9, 13


def first_data_line(head: bytes) -> str | None:
    """The first line of a text head that is neither blank nor a comment."""
    codec, bom = detect_encoding(head)
    text = head[bom:].decode(codec, errors="replace")
    for line in text.splitlines()[:50]:
        line = line.strip()
        if line and not line.startswith(_COMMENT_PREFIXES):
            return line
    return None


def parse_line(text: str, algorithm: str) -> tuple[bytes | None, str | None]:
    """(digest, None) for a data line, (None, None) to skip it, (None, reason) to reject it."""
    line = text.strip()
    if not line or line.startswith(_COMMENT_PREFIXES):
        return None, None
    bsd = _BSD.match(line)
    token = bsd.group("hex") if bsd else line.split(None, 1)[0].lstrip("\\")
    found = parse_hex(token)
    if found is None:
        return None, f"not a hex {algorithm.upper()} digest ({len(token)} characters)"
    name, digest = found
    if name != algorithm:
        return None, f"a {name.upper()} digest in a {algorithm.upper()} list"
    return digest, None


@dataclass(frozen=True)
class HashList:
    """A list of one algorithm's digests, one per line."""

    algorithm: str
    name: str
    description: str
    priority: int | None = 90
    kind: SetKind | None = None

    def sniff(self, head: bytes, path: Path) -> bool:
        line = first_data_line(head)
        if line is None:
            return False
        bsd = _BSD.match(line)
        token = bsd.group("hex") if bsd else line.split(None, 1)[0].lstrip("\\")
        return BY_HEX_LENGTH.get(len(token)) == self.algorithm and parse_hex(token) is not None

    def run(self, path: Path, sink: EntryCollector, options: ImportOptions) -> None:
        where = str(path)
        line_base = 0
        for chunk in utf8_chunks(path):
            line_base += self._chunk(chunk, line_base, where, sink)

    def _chunk(self, chunk: bytes, line_base: int, where: str, sink: EntryCollector) -> int:
        """Digest every line of a chunk: numpy for the regular lines, Python for the rest."""
        hex_len = 2 * WIDTHS[self.algorithm]
        data = np.frombuffer(chunk, dtype=np.uint8)
        ends = np.flatnonzero(data == _NEWLINE)
        starts = np.empty_like(ends)
        starts[0] = 0
        starts[1:] = ends[:-1] + 1
        stops = ends.copy()
        has_cr = (stops > starts) & (data[np.maximum(stops - 1, 0)] == _CR)
        stops[has_cr] -= 1
        lengths = stops - starts
        long_enough = np.flatnonzero(lengths >= hex_len)
        after = data[starts[long_enough] + hex_len]  # the '\n' at worst, so always in range
        regular = long_enough[
            (lengths[long_enough] == hex_len) | (after == _SPACE) | (after == _TAB)
        ]
        irregular = np.ones(len(ends), dtype=bool)
        if len(regular):
            # A window view costs nothing; indexing it copies just the hex digits of each line.
            windows = np.lib.stride_tricks.sliding_window_view(data, hex_len)
            digests, valid = hex_rows_to_bytes(windows[starts[regular]])
            sink.add_many(self.algorithm, digests[valid])
            irregular[regular[valid]] = False
        for index in np.flatnonzero(irregular).tolist():
            raw = chunk[starts[index] : stops[index]].decode("utf-8", errors="replace")
            digest, reason = parse_line(raw, self.algorithm)
            if digest is not None:
                sink.add(self.algorithm, digest)
            elif reason is not None:
                sink.stats.reject(where, line_base + index + 1, reason)
        return len(ends)


MD5SUM = register(HashList("md5", "md5sum", "md5sum list: `hash  path`, bare hashes, BSD tags"))
SHA1SUM = register(HashList("sha1", "sha1sum", "sha1sum list (same layout as md5sum)"))
SHA256SUM = register(HashList("sha256", "sha256sum", "sha256sum list (same layout as md5sum)"))
