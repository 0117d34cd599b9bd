"""A keyword list's terms, folded and split into words, and finding them in a record's text."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import unquote_plus

# A word: letters and digits (any script). Underscores, punctuation and spaces separate words,
# so 'pthc' is found in 'site.com/pthc-video?q=x' and 'pthc_2024' but not inside 'pthcx'.
_WORD = re.compile(r"[^\W_]+")
COMMENT = "#"


def fold(text: str) -> str:
    """Lower case without accents ('Été' and 'ete' alike): casefold, NFKD, combining marks
    dropped (ASCII text skips the decomposition, most of a history)."""
    folded = text.casefold()
    if folded.isascii():
        return folded
    return "".join(c for c in unicodedata.normalize("NFKD", folded)
                   if not unicodedata.combining(c))


def words(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(fold(text)))


def readable(text: str, *, is_url: bool) -> str:
    """An address with its %-escapes and '+' spaces decoded, so 'été' matches '%C3%A9t%C3%A9'."""
    return unquote_plus(text, errors="replace") if is_url else text


@dataclass
class TermIndex:
    """Terms by their words, each with the line numbers it stands on in the lab's file.

    Looked up by whole word sequences, one dictionary probe per word of the text and per
    distinct term length: a list of 100,000 terms costs what a list of ten does.
    """

    by_words: dict[tuple[str, ...], list[int]] = field(default_factory=dict)
    lengths: tuple[int, ...] = ()
    count: int = 0

    @classmethod
    def from_lines(cls, lines: Iterable[str]) -> tuple[TermIndex, list[int]]:
        """The index of a list's lines, and the numbers of term lines that hold no word.

        Blank lines and lines starting with '#' are not terms; numbering counts every line,
        so a line number points at the same line of the file the lab wrote.
        """
        index = cls()
        wordless = []
        for number, line in enumerate(lines, start=1):
            text = line.strip()
            if not text or text.startswith(COMMENT):
                continue
            found = words(text)
            if not found:
                wordless.append(number)
                continue
            index.by_words.setdefault(found, []).append(number)
            index.count += 1
        index.lengths = tuple(sorted({len(term) for term in index.by_words}))
        return index, wordless

    def lines_in(self, text: str) -> set[int]:
        """Line numbers of every term found in `text` as whole words."""
        return self.lines_in_words(words(text))

    def lines_in_words(self, tokens: tuple[str, ...], limit: int | None = None) -> set[int]:
        """`lines_in` for a text already split by `words` (split once, matched per list); with
        `limit`, stops once that many lines are found."""
        found: set[int] = set()
        table = self.by_words
        for start in range(len(tokens)):
            for length in self.lengths:
                if start + length > len(tokens):
                    break
                lines = table.get(tokens[start:start + length])
                if lines:
                    found.update(lines)
                    if limit is not None and len(found) >= limit:
                        return found
        return found
