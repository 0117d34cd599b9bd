"""What a hash-set folder holds, in one table: bundles, lists, perceptual sets, block filters."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from triage import keys
from triage.blocks.filter import BlockFilter
from triage.blocks.store import BLOCKS_DIR
from triage.errors import TriageError
from triage.hashdb import signing
from triage.hashdb.library import HashSetLibrary
from triage.hashdb.manifest import MANIFEST
from triage.hashdb.verify import Verification, verify
from triage.keywords.bundle import KEYWORDS_DIR, open_list
from triage.perceptual.refset import SetError, load_set
from triage.stages.perceptual import PERCEPTUAL_DIR

# One wording for a set's trust, shared by `list` and `verify` so the two never disagree.
TRUSTED = "trusted"
NOT_CHECKED = "signer not checked (no --trusted given)"
NOT_TRUSTED = "NOT TRUSTED"
NOT_USABLE = "NOT USABLE"
HEADER = ("NAME", "VERSION", "KIND", "ENTRIES", "SIGNER", "EXPIRES", "STATE")


@dataclass
class Listing:
    """The table's rows (header first), the problems in the words a scan would use, and how
    many sets a scan would leave out."""

    rows: list[tuple[str, ...]] = field(default_factory=lambda: [HEADER])
    problems: list[str] = field(default_factory=list)
    unusable: int = 0

    def add(self, row: tuple[str, ...], problems: list[str], label: str) -> None:
        self.rows.append(row)
        self.problems.extend(f"  {label}: {problem}" for problem in problems)
        self.unusable += row[-1] == NOT_USABLE


def trust_state(result: Verification, *, checked: bool) -> str:
    """A bundle's state in the words both `list` and `verify` print.

    NOT USABLE: it cannot be opened or its content was altered, so scans leave it out;
    NOT TRUSTED: scans use it but it can make the verdict at most AMBER.
    """
    if result.bundle is None or result.altered:
        return NOT_USABLE
    return _signed_state(result.ok, result.trusted, checked)


def _signed_state(valid: bool, trusted: bool, checked: bool) -> str:
    if valid and trusted:
        return TRUSTED
    if valid and not checked:
        return NOT_CHECKED
    return NOT_TRUSTED


def list_folder(directory: Path, trusted: Path | None) -> Listing:
    """Every set a scan given `directory` as --hashsets would load, with its trust state."""
    listing = Listing()
    plain = {r["name"]: r for r in HashSetLibrary.load(directory, trusted, check_content=False)
             .provenance() if r["version"] == "unversioned"}
    for child in sorted(directory.iterdir()):
        if child.is_dir() and (child / MANIFEST).exists():
            result = verify(child, trusted)
            opened = result.bundle
            listing.add((
                opened.name if opened else child.name, opened.version if opened else "-",
                opened.kind.value if opened else "-", str(len(opened)) if opened else "-",
                result.signer or "-",
                opened.expires.isoformat() if opened and opened.expires else "-",
                trust_state(result, checked=trusted is not None)), result.problems, child.name)
        elif child.name in plain:
            record = plain[child.name]
            left_out = record["count"] == 0 or any("left out" in p for p in record["problems"])
            listing.add((child.name, "-", record["kind"], str(record["count"]), "-", "-",
                         NOT_USABLE if left_out else NOT_TRUSTED), record["problems"], child.name)
    _perceptual(directory / PERCEPTUAL_DIR, trusted, listing)
    _block_filters(directory / BLOCKS_DIR, trusted, listing)
    _keyword_lists(directory / KEYWORDS_DIR, trusted, listing)
    return listing


def _signed_folders(folder: Path) -> list[Path]:
    """The folders under `folder` that hold a manifest (none when `folder` is absent)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if (p / MANIFEST).is_file())


def _keyword_lists(folder: Path, trusted: Path | None, listing: Listing) -> None:
    """Keyword lists (HASHSETS/keywords/NAME): a scan uses one only when intact and signed by a
    trusted key, so anything else is NOT USABLE (`triage keywords list` says the same)."""
    children = _signed_folders(folder)
    if not children:
        return  # no trusted keys read for nothing
    known = keys.load_trusted(trusted) if trusted is not None else {}
    for child in children:
        loaded, record, problem = open_list(child, known)
        listing.add((str(record["name"]), str(record["version"] or "-"), "keyword list",
                     str(record["count"]), str(record["signer"] or "-"), "-",
                     TRUSTED if loaded else NOT_USABLE), [problem] if problem else [],
                    f"{KEYWORDS_DIR}/{child.name}")


def _perceptual(folder: Path, trusted: Path | None, listing: Listing) -> None:
    """Perceptual sets (HASHSETS/perceptual/NAME), checked as the scan's perceptual stage does."""
    children = _signed_folders(folder)
    if not children:
        return  # no trusted keys read for nothing
    known = keys.load_trusted(trusted) if trusted is not None else None
    for child in children:
        label = f"{PERCEPTUAL_DIR}/{child.name}"
        try:
            ref_set = load_set(child)
        except SetError as exc:
            listing.add((child.name, "-", "perceptual", "-", "-", "-", NOT_USABLE),
                        [str(exc)], label)
            continue
        check = signing.check(child, (child / MANIFEST).read_bytes(), known, ref_set.name)
        listing.add((ref_set.name, ref_set.version, "perceptual", str(len(ref_set)),
                     check.signer or "-", "-",
                     _signed_state(check.valid, check.trusted, trusted is not None)),
                    [check.problem] if check.problem else [], label)


def _block_filters(folder: Path, trusted: Path | None, listing: Listing) -> None:
    """Block filters (HASHSETS/blocks/NAME) for the quick pass, checked as the scan checks them."""
    children = _signed_folders(folder)
    if not children:
        return  # no trusted keys read for nothing
    known = keys.load_trusted(trusted) if trusted is not None else None
    for child in children:
        label = f"{BLOCKS_DIR}/{child.name}"
        try:
            blocks = BlockFilter.open(child)
        except TriageError as exc:
            listing.add((child.name, "-", "block filter", "-", "-", "-", NOT_USABLE),
                        [str(exc)], label)
            continue
        altered = blocks.check_files()
        check = blocks.check_signature(known)
        state = (NOT_USABLE if altered
                 else _signed_state(check.valid, check.trusted, trusted is not None))
        listing.add((blocks.name, blocks.version, "block filter", str(len(blocks)),
                     check.signer or "-", "-", state),
                    altered or ([check.problem] if check.problem else []), label)
