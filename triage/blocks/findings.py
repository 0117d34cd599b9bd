"""From block hits to findings: per known file and place, how many of its blocks were seen."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from triage.blocks.filter import BlockFilter
from triage.blocks.owners import Owner
from triage.blocks.policy import BLOCK_SIZE, MAX_BLOCKS_PER_FILE, RED_MIN_BLOCKS
from triage.hashdb.policy import DEFAULT_SEVERITY, severity_for
from triage.model import Finding, Severity

# An AMBER lead: listed and shown, never RED by itself (report/verdict.py).
LEAD_SEVERITY = Severity.MEDIUM
# Offsets listed per finding (the count is always exact): all of them for a file within the
# default per-file limit, so an examiner can carve it from the listed places.
OFFSETS_LISTED = MAX_BLOCKS_PER_FILE
RULE = (f"RED when at least {RED_MIN_BLOCKS} different distinctive 4 KiB blocks of one known "
        "file are found in one place (distinct blocks: Garfinkel et al., DFRWS 2010; Young et "
        "al., IEEE Computer 2012; several blocks against non-probative ones: Garfinkel & "
        "McCarrin, DFRWS 2015); fewer is an AMBER lead")


def block_findings(filters: list[BlockFilter], offsets: np.ndarray, filter_ids: np.ndarray,
                   rows: np.ndarray, owners: dict[int, Owner]) -> list[Finding]:
    """One finding per (known file, place holding its blocks), in a stable order."""
    groups: dict[tuple[int, int, str], dict[int, int]] = defaultdict(dict)
    owner_of: dict[str, Owner] = {}
    for offset, number, row in zip(offsets.tolist(), filter_ids.tolist(), rows.tolist(),
                                   strict=True):
        blocks = filters[number]
        owner = owners[offset]
        owner_of[owner.address] = owner
        key = (number, int(blocks.refs[row]), owner.address)
        groups[key].setdefault(int(blocks.blocks[row]), offset)  # block number -> first offset
    findings = []
    for (number, ref, where), seen in sorted(groups.items()):
        blocks = filters[number]
        owner = owner_of[where]
        kept = int(blocks.ref_kept[ref])
        reference = blocks.reference(ref)
        category = blocks.category(ref)
        red = len(seen) >= RED_MIN_BLOCKS
        severity = severity_for(category, {}, DEFAULT_SEVERITY) if red else LEAD_SEVERITY
        found_at = sorted(seen.values())
        detail = {
            "blocks_seen": len(seen), "distinctive_blocks": kept,
            "reference_size": int(blocks.ref_sizes[ref]), "where": owner.kind,
            "offsets": found_at[:OFFSETS_LISTED],
            "bytes_matched": len(seen) * BLOCK_SIZE, "rule": RULE,
            "filter": blocks.name,
        }
        if owner.record is None:
            detail["address"] = where
        category_text = f", category {category}" if category else ""
        level = "known file" if red else "possible known file (lead)"
        findings.append(Finding(
            kind="block", severity=severity, record=owner.record,
            title=(f"{level.capitalize()} from block filter '{blocks.name}'{category_text}: "
                   f"{len(seen)} of its {kept} distinctive blocks in {owner.kind}"),
            hashset=blocks.name, hashset_version=blocks.version, category=category,
            reference=reference, detail=detail))
    return findings
