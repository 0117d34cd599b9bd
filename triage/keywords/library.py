"""The scan's keyword lists (HASHSETS/keywords/*): checked once, then matched against every
artefact record's search words, address and page title."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from triage import keys
from triage.errors import TriageError
from triage.hashdb.manifest import MANIFEST
from triage.keywords.bundle import KEYWORDS_DIR, KeywordList, open_list
from triage.keywords.terms import readable, words

# The record fields a list is matched against (issue 19: search terms, URLs and page titles).
MATCHED_FIELDS = ("terms", "url", "title")
# Lines of one list noted per record field: a list full of common words would otherwise note
# thousands per record (and the finding shows at most limits.KEYWORD_LINES_SHOWN anyway).
MAX_LINES_PER_FIELD = 20


@dataclass
class KeywordLibrary:
    """Usable lists, provenance of every list found, and why any was not used."""

    lists: list[KeywordList] = field(default_factory=list)
    provenance: list[dict[str, Any]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # one sentence per list not used

    @classmethod
    def load(cls, hashsets: Path, trusted_keys: Path | None) -> KeywordLibrary:
        """Every list in HASHSETS/keywords/; never raises for a bad one."""
        library = cls()
        folder = hashsets / KEYWORDS_DIR
        if not folder.is_dir():
            return library
        try:
            trusted = keys.load_trusted(trusted_keys)
        except TriageError as exc:
            trusted = {}
            library.refused.append(f"keyword lists could not be checked: trusted keys could "
                                   f"not be loaded ({exc})")
        for child in sorted(p for p in folder.iterdir() if (p / MANIFEST).is_file()):
            try:
                loaded, record, problem = open_list(child, trusted)
            except TriageError as exc:  # its terms could not be read after the checks
                loaded, record = None, {"name": child.name, "kind": "keyword list",
                                        "problems": [str(exc)]}
                problem = f"keyword list {child.name!r} was not used: {exc}"
            library.provenance.append(record)
            if loaded is None:
                library.refused.append(problem or f"keyword list {child.name!r} was not used")
            else:
                library.lists.append(loaded)
        return library

    def hits(self, record: dict[str, Any]) -> list[dict[str, Any]]:
        """Every (list, line) whose term is in the record's words, address or title; the
        term itself is never copied (the list's line number names it)."""
        fields = record.get("fields") or {}
        texts = [(name, words(readable(str(fields[name]), is_url=name == "url")))
                 for name in MATCHED_FIELDS if fields.get(name)]
        found = []
        for kl in self.lists:
            for name, tokens in texts:
                lines = kl.index.lines_in_words(tokens, MAX_LINES_PER_FIELD)
                for line in sorted(lines)[:MAX_LINES_PER_FIELD]:
                    found.append({"list": kl.name, "version": kl.version, "line": line,
                                  "field": name})
        return found

    def annotate(self, records: list[dict[str, Any]]) -> int:
        """Add `keyword_hits` to each record a list matches (what the `keywords` rule
        condition reads); the number of records matched."""
        matched = 0
        if not self.lists:
            return 0
        for record in records:
            found = self.hits(record)
            if found:
                record["keyword_hits"] = found
                matched += 1
        return matched
