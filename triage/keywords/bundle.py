"""A signed keyword-list folder: the lab's text file byte for byte, a manifest pinning it, and
the lab's signature, written and checked with the hash sets' own manifest and signing code."""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from triage import keys
from triage.errors import InvalidInputError, TriageError
from triage.files import sha256_file
from triage.hashdb import manifest as mf
from triage.hashdb import signing
from triage.hashdb.build import atomic_directory, check_name
from triage.keywords.terms import TermIndex
from triage.model import utc_text

FORMAT = "triage-keywords/1"
KEYWORDS_DIR = "keywords"  # beside the hash sets: HASHSETS/keywords/NAME/
TERMS = "terms.txt"
WHAT = "keyword list"
# A list of a million terms is a few tens of MB; anything larger is not a keyword list.
MAX_LIST_BYTES = 64 * 1024 * 1024
_RECOPY = "copy it again from the lab or add it again with `triage keywords add`"


def list_path(into: Path, name: str) -> Path:
    """Where `triage keywords add --into HASHSETS --name NAME` puts the list."""
    return into / KEYWORDS_DIR / check_name(name)


def _read_terms(path: Path) -> list[str]:
    try:
        size = path.stat().st_size
        if size > MAX_LIST_BYTES:
            raise InvalidInputError(f"{path} is {size:,} bytes, more than a keyword list can be "
                                    f"({MAX_LIST_BYTES:,}); split it into several lists.")
        return path.read_bytes().decode("utf-8-sig").splitlines()
    except UnicodeDecodeError as exc:
        raise InvalidInputError(f"{path} is not UTF-8 text (byte {exc.start}); save it as UTF-8 "
                                "and add it again.") from exc
    except OSError as exc:
        raise InvalidInputError(f"cannot read {path}: {exc.strerror}.") from exc


@dataclass(frozen=True)
class Added:
    """What `add` wrote: where, how many terms, which lines hold no word (and are ignored)."""

    target: Path
    terms: int
    wordless: list[int]


def add(source: Path, *, name: str, version: str, into: Path, signer: keys.SigningKey,
        origin: str = "", replace: bool = False) -> Added:
    """Copy the lab's list into HASHSETS/keywords/NAME with a manifest, signed by `signer`."""
    index, wordless = TermIndex.from_lines(_read_terms(source))
    if not index.count:
        raise InvalidInputError(f"{source} holds no terms (one term per line; '#' starts a "
                                "comment); check the file.")
    target = list_path(into, name)
    with atomic_directory(target, replace=replace) as work:
        # Byte for byte, so a line number in a report is the line in the lab's own file.
        shutil.copyfile(source, work / TERMS)
        manifest: dict[str, Any] = {
            "format": FORMAT, "name": name, "version": version, "kind": "keywords",
            "source": origin or source.name, "created": utc_text(None),
            "counts": {"terms": index.count},
            "files": {TERMS: {"size": (work / TERMS).stat().st_size,
                              "sha256": sha256_file(work / TERMS)}},
        }
        raw = mf.encode(manifest)
        (work / mf.MANIFEST).write_bytes(raw)
        signing.sign(work, raw, signer)
    return Added(target, index.count, wordless)


@dataclass
class KeywordList:
    """A list that passed every check: its identity and its terms' index."""

    name: str
    version: str
    index: TermIndex
    record: dict[str, Any]  # provenance: name, version, kind, count, digest, signer, trusted


def open_list(folder: Path, trusted: dict[str, Ed25519PublicKey] | None
              ) -> tuple[KeywordList | None, dict[str, Any], str | None]:
    """(the list, its provenance, None) when it is intact and signed by a trusted key; else
    (None, provenance, the sentence saying why it is not used and how to fix that)."""
    record: dict[str, Any] = {"name": folder.name, "version": None, "kind": WHAT, "count": 0,
                              "digest": None, "signer": None, "trusted": False, "problems": []}

    def refused(problem: str, fix: str) -> tuple[None, dict[str, Any], str]:
        label = f"{WHAT} {record['name']!r} "
        said = f"it {problem.removeprefix(label)}" if problem.startswith(label) else problem
        sentence = f"{label}was not used: {said}; {fix}"
        record["problems"].append(sentence)
        return None, record, sentence

    try:
        manifest, raw = mf.read(folder, FORMAT, WHAT)
    except TriageError as exc:
        return refused(f"its manifest is unusable ({str(exc).rstrip('.')})", _RECOPY)
    record.update(name=str(manifest["name"]), version=str(manifest["version"]),
                  digest=hashlib.sha256(raw).hexdigest())
    altered = mf.altered_files(folder, manifest["files"], f"{WHAT} {record['name']!r}")
    if altered or TERMS not in manifest["files"]:
        return refused(altered[0] if altered else f"it has no {TERMS}", _RECOPY)
    check = signing.check(folder, raw, trusted, record["name"], WHAT)
    record["signer"], record["trusted"] = check.signer, check.trusted
    if not check.trusted:
        return refused(check.problem or "it is not signed by a trusted key",
                       f"sign it with a lab key (`triage keywords add LIST --name "
                       f"{record['name']} --sign LAB.key --into HASHSETS`) and give that key's "
                       ".pub in --trusted-keys")
    index, _ = TermIndex.from_lines(_read_terms(folder / TERMS))
    record["count"] = index.count
    return KeywordList(record["name"], record["version"], index, record), record, None
