"""The scan-side view of the block filters on the stick: loaded, trust-checked, described."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from triage import keys
from triage.blocks.filter import BlockFilter
from triage.blocks.store import BLOCKS_DIR
from triage.errors import TriageError
from triage.hashdb.manifest import MANIFEST


@dataclass
class LoadedFilters:
    """Usable filters, what each is (provenance), and why any cannot be trusted."""

    filters: list[BlockFilter] = field(default_factory=list)
    provenance: list[dict[str, Any]] = field(default_factory=list)
    trust_problems: list[str] = field(default_factory=list)  # usable, but a hit is a lead
    load_problems: list[str] = field(default_factory=list)  # left out entirely
    untrusted: frozenset[str] = frozenset()  # names of usable filters nobody vouches for


def load_filters(hashsets: Path | None, trusted_keys: Path | None, *,
                 check_content: bool = True) -> LoadedFilters:
    """Every filter in HASHSETS/blocks/; never raises for a bad one."""
    loaded = LoadedFilters()
    folder = hashsets / BLOCKS_DIR if hashsets is not None else None
    if folder is None or not folder.is_dir():
        return loaded
    try:
        trusted = keys.load_trusted(trusted_keys)
    except TriageError as exc:
        trusted = {}
        loaded.trust_problems.append(f"trusted keys could not be loaded: {exc}")
    for child in sorted(p for p in folder.iterdir() if (p / MANIFEST).is_file()):
        try:
            blocks = BlockFilter.open(child)
        except TriageError as exc:
            loaded.load_problems.append(f"block filter in {child.name} could not be used: {exc}")
            continue
        record: dict[str, Any] = {
            "name": blocks.name, "version": blocks.version, "kind": "block filter",
            "count": len(blocks), "references": blocks.reference_count,
            "signer": None, "trusted": False, "problems": [],
        }
        altered = blocks.check_files() if check_content else []
        if altered:
            # Altered content could raise false hits: left out, and the scan says why.
            record["problems"] = altered
            loaded.load_problems.extend(altered)
            loaded.provenance.append(record)
            continue
        signature = blocks.check_signature(trusted)
        record["signer"], record["trusted"] = signature.signer, signature.trusted
        if signature.problem:
            record["problems"].append(signature.problem)
            loaded.trust_problems.append(signature.problem)
            loaded.untrusted = loaded.untrusted | {blocks.name}
        loaded.provenance.append(record)
        loaded.filters.append(blocks)
    return loaded
