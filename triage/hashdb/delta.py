"""Differences between two bundle versions, delta files, and applying them as a new version."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from triage import keys
from triage.errors import InvalidInputError
from triage.hashdb.algorithms import WIDTHS, parse_hex
from triage.hashdb.build import write_bundle
from triage.hashdb.bundle import Bundle
from triage.hashdb.collect import EntryCollector
from triage.hashdb.columns import CATEGORY, REFERENCE
from triage.hashdb.formats import registry, textio
from triage.hashdb.formats.registry import ImportOptions
from triage.hashdb.importing import FORMAT_MODULES  # noqa: F401  (registers the formats)
from triage.hashdb.setinfo import SetInfo, SetKind
from triage.model import Severity

DELTA_HEADER = "# triage-hashset-delta/1"


@dataclass(frozen=True)
class Change:
    """One line of a delta: an added or removed digest."""

    action: str  # "+" or "-"
    algorithm: str
    hex: str
    category: str | None = None
    reference: str | None = None


@dataclass
class Diff:
    """What changed from one version of a set to another, per algorithm."""

    old: Bundle
    new: Bundle
    added: dict[str, int] = field(default_factory=dict)
    removed: dict[str, int] = field(default_factory=dict)
    recategorised: dict[str, int] = field(default_factory=dict)
    changes: list[Change] = field(default_factory=list)


def _category_ids(bundle: Bundle, algorithm: str, names: dict[str, int]) -> np.ndarray:
    """Each row's category as an id shared by both bundles of a diff (0 = none)."""
    column = bundle.sorted_digests(algorithm).columns.get(CATEGORY.name)
    if column is None:
        return np.zeros(bundle.counts.get(algorithm, 0), dtype=np.int64)
    shared = np.array([0] + [names.setdefault(c, len(names) + 1) for c in bundle.categories])
    return shared[np.asarray(column, dtype=np.int64)]


def diff(old: Bundle, new: Bundle) -> Diff:
    """Compare two bundles digest by digest (a recategorised digest is removed and re-added)."""
    result = Diff(old, new)
    for algorithm in sorted(old.algorithms | new.algorithms, key=list(WIDTHS).index):
        old_digests = _all(old, algorithm)
        new_digests = _all(new, algorithm)
        in_old = old.find(algorithm, new_digests)  # per new row: its old row or -1
        added = np.flatnonzero(in_old < 0)
        removed = np.flatnonzero(new.find(algorithm, old_digests) < 0)
        both = np.flatnonzero(in_old >= 0)
        moved = np.array([], dtype=np.int64)
        if len(both):
            names: dict[str, int] = {}
            before = _category_ids(old, algorithm, names)[in_old[both]]
            after = _category_ids(new, algorithm, names)[both]
            moved = both[before != after]
        result.added[algorithm] = len(added)
        result.removed[algorithm] = len(removed)
        result.recategorised[algorithm] = len(moved)
        gone = np.concatenate([removed, in_old[moved]]).astype(np.int64)
        for row in np.sort(gone).tolist():
            result.changes.append(Change("-", algorithm, bytes(old_digests[row]).hex()))
        for row in np.sort(np.concatenate([added, moved])).tolist():
            entry = new.entry(algorithm, row)
            digest = bytes(new_digests[row]).hex()
            result.changes.append(Change("+", algorithm, digest, entry.category, entry.reference))
    return result


def _all(bundle: Bundle, algorithm: str) -> np.ndarray:
    if algorithm not in bundle.algorithms:
        return np.zeros((0, WIDTHS[algorithm]), dtype=np.uint8)
    return bundle.sorted_digests(algorithm).digests()


def write_delta(result: Diff, path: Path) -> None:
    """A tab-separated delta file `update` can apply: `+|-  algorithm  hex  category  ref`."""
    with path.open("w", encoding="utf-8") as handle:
        handle.write(
            f"{DELTA_HEADER} name={result.new.name} from={result.old.version} "
            f"to={result.new.version}\n"
        )
        for change in result.changes:
            fields = [change.action, change.algorithm, change.hex]
            if change.action == "+":
                fields += [change.category or "", (change.reference or "").replace("\t", " ")]
            handle.write("\t".join(fields).rstrip("\t") + "\n")


def is_delta(path: Path) -> bool:
    return textio.head_text(path, 64).startswith(DELTA_HEADER)


def read_delta(path: Path) -> Iterator[Change]:
    """The changes of a delta file; a malformed line is an error naming `file:line`."""
    for number, line in textio.iter_lines(path):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        action, algorithm = parts[0], parts[1] if len(parts) > 1 else ""
        parsed = parse_hex(parts[2], algorithm) if len(parts) > 2 else None
        if action not in ("+", "-") or parsed is None:
            raise InvalidInputError(f"{path}:{number}: not a delta line; regenerate the delta.")
        category = parts[3] if len(parts) > 3 and parts[3] else None
        reference = parts[4] if len(parts) > 4 and parts[4] else None
        yield Change(action, algorithm, parts[2].lower(), category, reference)


def _info_from(bundle: Bundle, version: str, expires: dt.date | None) -> SetInfo:
    manifest = bundle.manifest
    return SetInfo(
        name=bundle.name,
        version=version,
        kind=SetKind(manifest["kind"]),
        source=manifest.get("source") or "",
        expires=expires if expires is not None else bundle.expires,
        default_severity=Severity(manifest.get("default_severity", "high")),
        severities=dict(manifest.get("severities") or {}),
        category_map=manifest.get("category_map"),
    )


def _carry_over(bundle: Bundle, sink: EntryCollector, removals: dict[str, list[bytes]]) -> None:
    """Copy the old bundle's entries into `sink`, minus the removed digests; those its
    SHA-256 entries covered stay covered (a removal cannot uncover anything)."""
    covers = bundle.manifest.get("sha256_covers")
    covered = set(covers) if isinstance(covers, list) else set()
    category_ids = np.array([0] + [sink.category_id(c) for c in bundle.categories], dtype="<u2")
    old_refs = bundle.references()
    ref_ids = np.array([sink.reference_id(r) for r in old_refs] + [REFERENCE.missing], "<u4")
    for algorithm in bundle.algorithms:
        entries = bundle.sorted_digests(algorithm)
        keep = np.ones(len(entries), dtype=bool)
        if removals.get(algorithm):
            gone = np.frombuffer(b"".join(removals[algorithm]), np.uint8).reshape(
                -1, WIDTHS[algorithm]
            )
            rows = bundle.find(algorithm, gone)
            keep[rows[rows >= 0]] = False
        columns = {}
        if CATEGORY.name in entries.columns:
            columns[CATEGORY.name] = category_ids[np.asarray(entries.columns[CATEGORY.name])]
        if REFERENCE.name in entries.columns:
            old = np.asarray(entries.columns[REFERENCE.name]).astype(np.int64)
            old[old == REFERENCE.missing] = len(old_refs)  # the "missing" slot at the end
            columns[REFERENCE.name] = ref_ids[old]
        for name, values in entries.columns.items():
            if name not in columns:  # other stages' columns hold values, not ids: copy as-is
                columns[name] = np.asarray(values)
        columns = {name: values[keep] for name, values in columns.items()}
        if CATEGORY.name not in columns:
            columns[CATEGORY.name] = CATEGORY.empty(int(keep.sum()))
        sink.add_many(algorithm, entries.digests()[keep], columns=columns,
                      covered=algorithm in covered)


def apply_update(
    bundle_dir: Path,
    deltas: list[Path],
    *,
    version: str | None = None,
    out: Path | None = None,
    expires: dt.date | None = None,
    signer: keys.SigningKey | None = None,
    now: dt.datetime | None = None,
) -> tuple[Path, Bundle]:
    """Apply delta files (or plain imports, as additions) to a bundle, writing a new version."""
    old = Bundle.open(bundle_dir)
    new_version = version or _next_version(old.version)
    info = _info_from(old, new_version, expires)
    sink = EntryCollector(info)
    removals: dict[str, list[bytes]] = {}
    additions: list[Change] = []
    plain: list[Path] = []
    for path in deltas:
        if not path.is_file():
            raise InvalidInputError(f"{path} is not a readable file; check the path.")
        if is_delta(path):
            for change in read_delta(path):
                if change.action == "-":
                    removals.setdefault(change.algorithm, []).append(bytes.fromhex(change.hex))
                else:
                    additions.append(change)
        else:
            plain.append(path)
    _carry_over(old, sink, removals)
    # A delta's lines stand alone, so an added MD5 or SHA-1 is not known to have its file's
    # SHA-256 beside it: its algorithm is no longer covered (sink.add), and scans compute it.
    for change in additions:
        sink.add(
            change.algorithm,
            bytes.fromhex(change.hex),
            category=change.category,
            reference=change.reference,
        )
    inputs = []
    for path in plain:
        importer = registry.detect(path)
        importer.run(path, sink, ImportOptions(category_map=info.category_map))
        inputs.append({"file": path.name, "format": importer.name})
    inputs += [{"file": p.name, "format": "triage-delta"} for p in deltas if p not in plain]
    compiled = sink.compile()
    target = out or bundle_dir
    write_bundle(
        target,
        info,
        compiled,
        categories=sink.categories,
        references=sink.references,
        stats=sink.stats,
        inputs=inputs,
        signer=signer,
        replace=True,
        now=now,
        previous={"version": old.version, "digest": old.digest},
        sha256_covers=sink.sha256_covers(),
    )
    return target, Bundle.open(target)


def _next_version(version: str) -> str:
    """ "7" -> "8", "2026.3" -> "2026.4"; anything else gets ".1" appended."""
    head, dot, last = version.rpartition(".")
    if last.isdigit():
        return f"{head}{dot}{int(last) + 1}"
    return f"{version}.1"
