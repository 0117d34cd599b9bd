"""The quick pass in a scan: every raw disk and image read block by block against the block
filters, hits named by the file (or unallocated space) holding them, before the file scan."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from triage.blocks.confidence import sampled_units, statement
from triage.blocks.engine import Span, SpanResult, run_tasks, segments
from triage.blocks.findings import RULE, block_findings
from triage.blocks.library import LoadedFilters
from triage.blocks.owners import map_owners
from triage.blocks.policy import BLOCK_SIZE, PARALLEL_MIN, SAMPLE_UNIT
from triage.errors import EvidenceError
from triage.evidence import ImageSource, open_source
from triage.evidence.base import EvidenceSource
from triage.ledger import BUDGET_REACHED, GapKind, Ledger
from triage.walk.tskimage import open_tsk_image
from triage.walk.volumes import Volume, find_volumes

NO_FILTERS = ("no block filters among the hash sets, so deleted, unallocated and reformatted "
              "space was not searched for known files")
SKIPPED = "not run (--no-quick-pass)"
# With a time budget, the quick pass stops when it has used this share of what is left, so
# the file scan (which finds what the block filters cannot: re-encoded copies, rules, archive
# members) always has the rest. A quick pass cut short reads the disk's start, not a random
# sample: use --sample to cover a large disk within a short budget.
BUDGET_SHARE = 0.5
SHARE_SPENT = f"it used its share ({BUDGET_SHARE:.0%}) of the time budget"
# Why the file scan read nothing after a --quick-pass-only run (the report's stopped reason).
STOPPED_AFTER_QUICK = "ran the quick pass only (--quick-pass-only)"


@dataclass(frozen=True)
class QuickPassRequest:
    """What the officer asked of the quick pass."""

    sample: float | None = None  # fraction of the disk read, None: all of it
    seed: int = 0  # which sample units (recorded so the pass can be repeated)
    workers: int = 1
    unit: int = SAMPLE_UNIT


def skipped(reason: str) -> dict[str, Any]:
    """The report's coverage.quick_pass when no quick pass ran, saying why."""
    return {"status": "not_run", "reason": reason, "sources": [], "filters": [],
            "confidence": None, "rule": RULE}


def run_quick_pass(sources: list[str], filters: LoadedFilters, state: Ledger,
                   request: QuickPassRequest) -> dict[str, Any]:
    """Run the quick pass over every disk and image source; returns coverage.quick_pass."""
    if not filters.filters:
        return {**skipped(NO_FILTERS), "filters": filters.provenance}
    done = []
    share_spent = _share_spent(state)
    for spec in sources:
        if state.out_of_time():
            done.append({"source": spec, "status": "not_reached", "reason": BUDGET_REACHED})
            continue
        try:
            source = open_source(spec)
        except EvidenceError as exc:
            _problem(state, spec, str(exc))  # the file scan records the source as not examined
            done.append({"source": spec, "status": "not_examined", "reason": str(exc)})
            continue
        with source:
            done.append(_one_source(spec, source, filters, state, request, share_spent))
    out: dict[str, Any] = {"status": "run", "reason": None, "sources": done,
                           "filters": filters.provenance, "rule": RULE,
                           "confidence": None if request.sample is None else statement(
                               filters.filters, request.sample, request.unit)}
    if request.sample is not None:
        out["sample"] = {"fraction": request.sample, "seed": request.seed,
                         "unit": request.unit}
    return out


def _problem(state: Ledger, address: str, message: str) -> None:
    state.problem(address, "quickpass", message)


def _ignore(address: str, message: str, gap: GapKind | None = None) -> None:
    """A walk problem met while naming owners (recorded by the file scan's walk instead)."""


def spans_for(size: int, volumes: list[Volume], phases: dict[int, list[int]]) -> list[Span]:
    """The whole source on the 4 KiB grid, plus each volume again at each other phase its
    clusters can take (small-cluster or misaligned FAT)."""
    spans = [Span(0, size, 0)]
    for volume in volumes:
        end = min(size, volume.offset + volume.size)
        spans.extend(Span(volume.offset, end, phase)
                     for phase in phases.get(volume.index, [0]) if phase)
    return spans


def sample_spans(spans: list[Span], size: int, fraction: float, seed: int, unit: int
                 ) -> list[Span]:
    """The spans cut down to the sampled units (each unit read whole, on its own grid)."""
    chosen = sampled_units(max(1, -(-size // unit)), fraction, seed)
    out = []
    for span in spans:
        lo, hi = span.start // unit, -(-span.end // unit)
        picked = chosen[(chosen >= lo) & (chosen < hi)]
        out.extend(Span(max(span.start, int(u) * unit), min(span.end, (int(u) + 1) * unit),
                        span.phase) for u in picked)
    return out


def _share_spent(state: Ledger) -> Callable[[], bool]:
    """Whether the quick pass has used its share of the time budget (or all of it)."""
    if state.deadline is None:
        return state.out_of_time
    until = time.monotonic() + (state.deadline - time.monotonic()) * BUDGET_SHARE
    return lambda: state.out_of_time() or time.monotonic() > until


def _spinning(source: ImageSource) -> bool:
    """Whether the source is a rotating disk: one reader is fastest there (two streams would
    make its head seek between them), and one core hashes faster than it reads."""
    from triage.evidence.blockdev import BlockDevice, read_attr, sys_block_dir

    if not isinstance(source, BlockDevice):
        return False
    found = sys_block_dir(source.path)
    rotational = read_attr(found, "queue/rotational") or (
        read_attr(found.parent, "queue/rotational") if found is not None else None)
    return rotational == "1"


def _one_source(spec: str, source: EvidenceSource, filters: LoadedFilters, state: Ledger,
                request: QuickPassRequest, share_spent: Callable[[], bool]) -> dict[str, Any]:
    # Announced (and numbered) here, before its hits, in the order the evidence was named.
    state.progress.source_started(source.name, getattr(source, "size", None))
    if not isinstance(source, ImageSource):
        return {"source": source.name, "status": "not_applicable",
                "reason": "a folder has no raw blocks; the file scan examines its files"}
    from triage.blocks.alignment import phases

    started = time.monotonic()
    img = open_tsk_image(source)
    volumes = find_volumes(img).volumes
    volume_phases = {v.index: phases(img, v) for v in volumes}
    spans = spans_for(source.size, volumes, volume_phases)
    if request.sample is not None:
        spans = sample_spans(spans, source.size, request.sample, request.seed, request.unit)
    planned = sum(s.end - s.start for s in spans)
    state.progress.class_started(f"quick pass of {source.name}")
    total = SpanResult()
    covered = 0
    workers = request.workers if planned >= PARALLEL_MIN and not _spinning(source) else 1
    for task, result in run_tasks(spec, source.read, filters.filters, segments(spans),
                                  workers, share_spent):
        total.extend(result)
        covered += sum(s.end - s.start for s in task)
    hashed_at = time.monotonic()
    for offset, length in total.unreadable:
        state.gap(GapKind.UNREADABLE, f"{source.name} @ {offset}",
                  "could not be read by the quick pass", size=length, offset=offset)
    why = BUDGET_REACHED if state.out_of_time() else SHARE_SPENT
    if covered < planned:
        state.gap(GapKind.NOT_REACHED, f"{source.name} (quick pass)",
                  f"the quick pass stopped: {why}", size=planned - covered)
    # The file scan's own walk records the walk's problems and gaps; this one, naming owners,
    # walks the same file systems again and would only count them twice.
    owners = map_owners(source.name, img, volumes, total.offsets, _ignore)
    for finding in block_findings(filters.filters, total.offsets, total.filters, total.rows,
                                  owners):
        state.finding(finding)
    seconds = time.monotonic() - started
    extra = {str(k): v for k, v in volume_phases.items() if v != [0]}
    return {
        "source": source.name, "status": "examined" if covered >= planned else "partial",
        "reason": None if covered >= planned else why,
        "size": source.size, "bytes_planned": planned, "bytes_covered": covered,
        "bytes_read": total.bytes_read, "blocks_hashed": total.blocks_hashed,
        "blocks_found": int(len(np.unique(total.offsets))), "seconds": round(seconds, 3),
        # Reading and looking up, apart from naming the owners of hits (a walk of the file
        # systems holding them): the pass's own throughput is bytes_read / read_seconds.
        "read_seconds": round(hashed_at - started, 3),
        "cpu_seconds": round(total.cpu_seconds, 3),  # reading and hashing, all workers
        "workers": workers, "block_size": BLOCK_SIZE,
        "extra_phases": extra,
    }



def load_quick_filters(options: Any, matchers: Any) -> LoadedFilters | None:
    """The block filters the options ask for (ScanOptions, Matchers), trust-checked: their
    problems join the sets', and a filter nobody vouches for is an untrusted set (its hits are
    leads, never RED)."""
    if not options.quick_pass:
        return None
    from triage.blocks.library import load_filters

    filters = load_filters(options.hashsets, options.trusted_keys)
    matchers.trust_problems.extend(filters.trust_problems)
    matchers.load_problems.extend(filters.load_problems)
    matchers.untrusted_sets = frozenset(matchers.untrusted_sets | filters.untrusted)
    return filters


def quick_pass_for(sources: list[str], options: Any, filters: LoadedFilters | None,
                   state: Ledger) -> dict[str, Any]:
    """The quick pass as the scan's options ask: coverage.quick_pass."""
    if filters is None:
        return skipped(SKIPPED)
    seed = options.sample_seed if options.sample_seed is not None else secrets.randbelow(2**31)
    request = QuickPassRequest(sample=options.sample, seed=seed, workers=options.workers)
    return run_quick_pass(sources, filters, state, request)
