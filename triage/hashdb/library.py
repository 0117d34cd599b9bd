"""The scan-side view of every hash set on the stick: trust checks, provenance and lookups."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from triage import keys
from triage.errors import TriageError
from triage.files import sha256_file
from triage.hashdb.algorithms import WIDTHS, parse_hex
from triage.hashdb.bundle import Bundle
from triage.hashdb.formats import registry
from triage.hashdb.importing import Collected, collect
from triage.hashdb.lookup import find_one, find_rows
from triage.hashdb.manifest import MANIFEST
from triage.hashdb.policy import KNOWN_GOOD_SEVERITY, severity_for
from triage.hashdb.setinfo import SetInfo, SetKind
from triage.model import Severity

PLAIN_LIST_SUFFIXES = (".md5", ".sha1", ".sha256", ".txt")
_PLAIN_LIST_FORMATS = ("md5sum", "sha1sum", "sha256sum")
# A match cites the strongest digest when a file matches one set under several algorithms.
_CITATION_ORDER = ("sha256", "sha1", "md5")


@dataclass(frozen=True)
class HashMatch:
    """One file digest found in one hash set."""

    set_name: str
    set_version: str
    category: str | None
    severity: Severity
    known_good: bool
    reference: str | None
    algorithm: str


@dataclass
class _PlainList:
    """A text hash list imported in memory; unsigned by nature."""

    name: str
    collected: Collected
    digest: str

    @cached_property
    def algorithms(self) -> frozenset[str]:
        # Asked for every hashed file (lookup); the list never changes once imported.
        return frozenset(a for a, e in self.collected.compiled.items() if len(e))

    @property
    def needed_algorithms(self) -> frozenset[str]:
        return self.algorithms  # a text list says nothing of which digests cover which

    def find(self, algorithm: str, digests: np.ndarray) -> np.ndarray:
        entries = self.collected.compiled.get(algorithm)
        if entries is None:
            return np.full(len(digests), -1, dtype=np.int64)
        return find_rows(entries.keys, entries.tails, digests)

    def find_one(self, algorithm: str, digest: bytes) -> int:
        entries = self.collected.compiled.get(algorithm)
        if entries is None:
            return -1
        return find_one(entries.keys, entries.tails, digest, None)


@dataclass
class _Loaded:
    """One usable set and what the checks said about it."""

    name: str
    version: str
    kind: SetKind
    source: Bundle | _PlainList
    info: dict[str, Any]
    problems: list[str] = field(default_factory=list)


class HashSetLibrary:
    """Every hash set found in one folder, checked once, looked up for every hashed file."""

    def __init__(
        self,
        sets: list[_Loaded],
        provenance: list[dict[str, Any]],
        problems: list[str] | None = None,
    ) -> None:
        self._sets = sets
        self._provenance = provenance
        self._problems = problems or []  # about the library as a whole (the trusted keys)
        # Asked for every hashed file: worked out once (the sets never change once loaded).
        self._algorithms = frozenset(a for loaded in sets
                                     for a in loaded.source.needed_algorithms)

    @classmethod
    def load(
        cls,
        directory: Path,
        trusted_keys: Path | None = None,
        now: dt.datetime | None = None,
        *,
        check_content: bool = True,
    ) -> HashSetLibrary:
        """Load every bundle and plain hash list in `directory`; never raises for a bad set."""
        now = now or dt.datetime.now(dt.UTC)
        sets: list[_Loaded] = []
        provenance: list[dict[str, Any]] = []
        if not directory.is_dir():
            return cls(sets, provenance)
        trust_errors: list[str] = []
        try:
            trusted = keys.load_trusted(trusted_keys)
        except TriageError as exc:
            trusted = {}
            trust_errors.append(f"trusted keys could not be loaded: {exc}")
        try:
            children = sorted(directory.iterdir())
        except OSError as exc:
            problem = f"hash-set folder {directory} could not be read ({exc.strerror})"
            return cls(sets, provenance, [problem])
        seen: dict[str, str] = {}
        for child in children:
            if child.is_dir() and (child / MANIFEST).exists():
                loaded, record = _load_bundle(child, trusted, now, check_content)
            elif child.is_file() and child.suffix.lower() in PLAIN_LIST_SUFFIXES:
                loaded, record = _load_plain(child)
            else:
                continue
            if record is None:
                continue
            if loaded is not None and loaded.name in seen:
                # Two copies (often two versions) of one set would report every hit twice.
                record["problems"].append(
                    f"hash set {loaded.name!r} is present twice ({seen[loaded.name]} and "
                    f"{child.name}); only {seen[loaded.name]} was used"
                )
                loaded = None
            provenance.append(record)
            if loaded is not None:
                seen[loaded.name] = child.name
                sets.append(loaded)
        return cls(sets, provenance, trust_errors if provenance else [])

    @property
    def algorithms(self) -> frozenset[str]:
        """The digests a scanned file needs so that every entry of every set can be found."""
        return self._algorithms

    @property
    def is_empty(self) -> bool:
        return not self._sets

    @property
    def untrusted_sets(self) -> frozenset[str]:
        """Names of the sets in use that nobody vouches for (unsigned, untrusted signer,
        expired): their exact matches are leads, not RED."""
        return frozenset(s.name for s in self._sets
                         if not s.info.get("trusted") or s.info.get("problems"))

    @property
    def trust_problems(self) -> list[str]:
        per_set = [problem for record in self._provenance for problem in record["problems"]]
        return self._problems + per_set

    def provenance(self) -> list[dict[str, Any]]:
        return [dict(record) for record in self._provenance]

    def lookup(
        self, md5: str | None = None, sha1: str | None = None, sha256: str | None = None
    ) -> list[HashMatch]:
        """Every set that holds one of the file's digests (one match per set)."""
        queries: dict[str, bytes] = {}
        for algorithm, text in (("sha256", sha256), ("sha1", sha1), ("md5", md5)):
            parsed = parse_hex(text, algorithm) if text else None
            if parsed is not None:
                queries[algorithm] = parsed[1]
        matches = []
        for loaded in self._sets:
            for algorithm in _CITATION_ORDER:
                if algorithm not in queries or algorithm not in loaded.source.algorithms:
                    continue
                row = loaded.source.find_one(algorithm, queries[algorithm])
                if row >= 0:
                    matches.append(_match(loaded, algorithm, row))
                    break
        return matches

    def lookup_many(self, algorithm: str, digests: np.ndarray) -> dict[str, np.ndarray]:
        """Batch form: per set name, the row of each (n, width) digest or -1 (benchmarks)."""
        if digests.ndim != 2 or digests.shape[1] != WIDTHS[algorithm]:
            raise ValueError(f"{algorithm} digests must be an (n, {WIDTHS[algorithm]}) array.")
        return {s.name: s.source.find(algorithm, digests) for s in self._sets}


def _match(loaded: _Loaded, algorithm: str, row: int) -> HashMatch:
    known_good = loaded.kind is SetKind.KNOWN_GOOD
    source = loaded.source
    if isinstance(source, Bundle):
        entry = source.entry(algorithm, row)
        category, reference = entry.category, entry.reference
        severity = KNOWN_GOOD_SEVERITY if known_good else source.severity(category)
    else:
        collector = source.collected.collector
        index = int(source.collected.compiled[algorithm].columns["category"][row])
        category = collector.categories[index - 1] if index else None
        reference = None
        severity = severity_for(category, {}, collector.info.default_severity)
    return HashMatch(
        set_name=loaded.name,
        set_version=loaded.version,
        category=category,
        severity=severity,
        known_good=known_good,
        reference=reference,
        algorithm=algorithm,
    )


def _record(name: str, version: str | None, kind: str | None) -> dict[str, Any]:
    return {
        "name": name,
        "version": version,
        "kind": kind,
        "count": 0,
        "digest": None,
        "signer": None,
        "trusted": False,
        "expires": None,
        "problems": [],
    }


def _load_bundle(
    path: Path, trusted: dict, now: dt.datetime, check_content: bool
) -> tuple[_Loaded | None, dict[str, Any]]:
    try:
        bundle = Bundle.open(path)
    except TriageError as exc:
        record = _record(path.name, None, None)
        record["problems"].append(f"hash set in {path.name} could not be used: {exc}")
        return None, record
    record = _record(bundle.name, bundle.version, bundle.kind.value)
    record.update(
        count=len(bundle),
        digest=bundle.digest,
        expires=bundle.expires.isoformat() if bundle.expires else None,
    )
    altered = bundle.check_files() if check_content else []
    if altered:
        # Altered content could raise false hits; the set is left out and the scan says why.
        record["problems"].extend(altered)
        return None, record
    signature = bundle.check_signature(trusted)
    record["signer"] = signature.signer
    record["trusted"] = signature.trusted
    if signature.problem:
        record["problems"].append(signature.problem)
    if bundle.expired(now):
        record["trusted"] = False
        record["problems"].append(f"hash set {bundle.name!r} expired on {bundle.expires}")
    loaded = _Loaded(bundle.name, bundle.version, bundle.kind, bundle, record)
    return loaded, record


def _load_plain(path: Path) -> tuple[_Loaded | None, dict[str, Any] | None]:
    record = _record(path.name, "unversioned", SetKind.NOTABLE.value)
    record["problems"].append(f"hash set {path.name!r} is not signed")
    try:
        with path.open("rb") as handle:
            head = handle.read(8192)
        fmt = next((f for f in _PLAIN_LIST_FORMATS if registry.get(f).sniff(head, path)), None)
        if fmt is None:
            if path.suffix.lower() == ".txt":
                return None, None  # a README or notes beside the sets, not a hash list
            record["problems"].append(f"{path.name} is not a hash list and was left out")
            return None, record
        done = collect([path], SetInfo(name=path.name, version="unversioned"), fmt=fmt)
    except (TriageError, OSError) as exc:
        record["problems"].append(f"{path.name} could not be read and was left out: {exc}")
        return None, record
    if done.stats.rejected:
        record["problems"].append(
            f"{path.name}: {done.stats.rejected} malformed lines were skipped "
            f"(first: {done.stats.problems[0]})"
        )
    record["count"] = done.stats.accepted
    record["digest"] = sha256_file(path)
    plain = _PlainList(path.name, done, record["digest"])
    return _Loaded(path.name, "unversioned", SetKind.NOTABLE, plain, record), record
