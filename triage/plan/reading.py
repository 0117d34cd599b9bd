"""Reading: the plan in priority order, through the workers, into the listing and findings."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from triage.artefacts import ArtefactCollector
from triage.ledger import STOPPED_ON_RED, GapKind, Ledger
from triage.ledger.serial import to_json
from triage.model import Content, FileRecord, utc_text
from triage.plan.journal import Journal
from triage.plan.planner import Plan
from triage.plan.priority import CLASSES
from triage.report.listing import ListingWriter
from triage.report.thumbnail import make_thumbnail
from triage.stages.digests import fill_digests
from triage.stages.matching import Matchers
from triage.stages.process import (
    HALTED,
    Batch,
    Halt,
    HeadCached,
    Item,
    Processed,
    Reopen,
    batches,
    process_batch,
)

# Batches in flight between the plan and the listing: bounds memory, keeps both workers busy.
IN_FLIGHT = 8
# Flagged pictures larger than this get no thumbnail (decoding them is not worth a preview).
THUMBNAIL_MAX_BYTES = 64 * 1024 * 1024


def read_plan(plan: Plan, state: Ledger, pool: ThreadPoolExecutor, matchers: Matchers,
               listing: ListingWriter, journal: Journal,
               checkpoint_s: float) -> None:
    """Read, hash and match the planned files in priority order; list the ones not reached.

    A resumed scan starts after the entries its checkpoint had finished. The journal is
    saved between batches, at most every `checkpoint_s`, when every file counted so far is
    in the listing on disk.
    """
    order = plan.order()
    state.planned = plan.totals()
    state.progress.planned(len(order), sum(b for _, b in state.planned.values()))
    state.next_entry = state.done_entries
    pending: deque[Future[Batch]] = deque()

    def finish_oldest() -> None:
        # Settled here, on this thread, so the workers go on reading while pictures are hashed.
        for done in pending.popleft().result().settle():
            _finish(done, state, matchers, listing)
        if time.monotonic() - state.last_checkpoint >= checkpoint_s:
            checkpoint(journal, state, plan, listing, matchers)

    halt = Halt(state.halt, state.is_red if state.stop_on_red else None)
    for batch in batches(_planned_items(plan, order, state)):
        pending.append(pool.submit(process_batch, batch, matchers, halt))
        while len(pending) >= IN_FLIGHT:
            finish_oldest()
    while pending:
        finish_oldest()
    if state.halt.is_set():
        state.stopped = state.stopped or STOPPED_ON_RED
    if state.next_entry < len(order):
        _list_unreached(plan, order[state.next_entry:], state, listing)
    _plan_coverage(plan, state)
    if state.stopped:
        _unreached_gaps(plan, state)


def _plan_coverage(plan: Plan, state: Ledger) -> None:
    """Files and bytes planned and reached, by priority class and by volume, for the report."""
    by_class: dict[int, list[int]] = {}
    by_volume: dict[int, list[int]] = {}
    for (vol, rank), (files, size) in state.planned.items():
        reached = state.reached.get((vol, rank), [0, 0])
        for key, table in ((rank, by_class), (vol, by_volume)):
            row = table.setdefault(key, [0, 0, 0, 0])
            row[0] += files
            row[1] += size
            row[2] += reached[0]
            row[3] += reached[1]
    state.priority = [
        {"order": rank + 1, "class": CLASSES[rank].name, "files": row[0], "bytes": row[1],
         "files_reached": row[2], "bytes_reached": row[3]}
        for rank, row in sorted(by_class.items())]
    for vol, row in by_volume.items():
        info = plan.volumes[vol].info
        info.bytes, info.files_reached, info.bytes_reached = row[1], row[2], row[3]
    if state.stopped:
        state.stopped_early = {
            "reason": state.stopped,
            "files_not_reached": sum(r["files"] - r["files_reached"] for r in state.priority),
            "bytes_not_reached": sum(r["bytes"] - r["bytes_reached"] for r in state.priority)}


def _planned_items(plan: Plan, order: Any, state: Ledger
                   ) -> Iterator[Item]:
    """Planned files with how to reopen their content, until the budget ends or a stop is
    asked (the worker that reads a file opens it)."""
    current_class = -1
    for position in range(state.next_entry, len(order)):
        index = order[position]
        if state.out_of_time() or state.stopped or state.halt.is_set():
            return
        entry = plan.entry(int(index))
        if entry.rank != current_class:
            current_class = entry.rank
            state.progress.class_started(CLASSES[current_class].name)
        volume = plan.volumes[entry.volume]
        content = Reopen(volume.opener, volume.lock, entry.token) if entry.readable else None
        state.in_flight[id(entry.record)] = (entry.volume, entry.rank,
                                             entry.record.size if entry.readable else 0)
        state.next_entry = position + 1
        yield entry.record, content


def _list_unreached(plan: Plan, rest: Any, state: Ledger, listing: ListingWriter) -> None:
    """Every planned file the scan did not reach goes into the listing, marked as such."""
    reason = f"not reached: {state.stopped}"
    for entry in plan.entries(rest):
        entry.record.facts["skipped"] = reason
        listing.write(entry.record)
        state.file_done(entry.record, reached=False)


def _unreached_gaps(plan: Plan, state: Ledger) -> None:
    """One gap per volume for its planned files that were not read (planned minus reached:
    those never handed out and those a stop left unread in the workers' hands)."""
    by_volume: dict[int, list[int]] = {}
    for (vol, rank), (files, size) in state.planned.items():
        reached = state.reached.get((vol, rank), [0, 0])
        counts = by_volume.setdefault(vol, [0, 0])
        counts[0] += files - reached[0]
        counts[1] += size - reached[1]
    for vol, (files, size) in sorted(by_volume.items()):
        if not files:
            continue
        volume = plan.volumes[vol]
        state.gap(GapKind.NOT_REACHED, volume.source,
                  f"{state.stopped}: {files:,} files in {volume.partition.label()} were "
                  "listed but not read (the lowest-priority ones; see coverage.priority)",
                  size=size, offset=volume.partition.offset)


def _finish(result: Processed, state: Ledger, matchers: Matchers,
            listing: ListingWriter) -> None:
    """Count, rule-check (on this thread: rules keep aggregates) and list one file."""
    record, content, findings, problems = result
    halted = record.facts.get("skipped") == HALTED
    if not halted:  # a file left unread at a stop is listed, not judged
        findings = findings + matchers.match_rules(record, content)
        if matchers.artefacts is not None and content is not None:
            _collect_artefact(record, content, matchers.artefacts, state)
    if findings and content is not None:
        fill_digests(record, content)  # a flagged file carries every digest in the report
    if isinstance(content, HeadCached):
        content.close()  # folder sources hold a descriptor per file until here
    reached = state.in_flight.pop(id(record), None)
    if reached is not None:  # a planned file, not a member of an archive
        state.done_entries += 1
        if not halted:
            counts = state.reached.setdefault(reached[:2], [0, 0])
            counts[0] += 1
            counts[1] += reached[2]
    for problem in problems:
        state.add_problem(problem)
    for finding in findings:
        state.finding(finding)
    if findings and state.thumbnails is not None and content is not None:
        _thumbnail(record, content, state)
    listing.write(record)
    state.file_done(record, reached=not halted)


def _collect_artefact(record: FileRecord, content: Content, collector: ArtefactCollector,
                      state: Ledger) -> None:
    """A copy of a browser history, hive or log for the extractors at the end of the scan."""
    try:
        problem = collector.collect(record, content)
    except OSError as exc:  # the evidence could not be read again (a full output disk is
        problem = f"could not be copied for artefact extraction: {exc}"  # an OutputError)
    if problem:
        state.problem(str(record.address), "artefacts", problem)


def _thumbnail(record: FileRecord, content: Content, state: Ledger) -> None:
    """A blurred greyscale thumbnail of a flagged picture, for authorised reviewers."""
    if not (record.mime or "").startswith("image/") or record.size > THUMBNAIL_MAX_BYTES:
        return
    try:
        png = make_thumbnail(content.read(0, record.size))
    except (ValueError, OSError) as exc:
        state.problem(str(record.address), "thumbnail", str(exc))
        return
    assert state.thumbnails is not None  # noqa: S101 - the caller checked
    state.thumbnails[str(record.address)] = png


def checkpoint(journal: Journal, state: Ledger, plan: Plan, listing: ListingWriter,
                matchers: Matchers) -> None:
    """Save the state at a point where every counted file is in the listing on disk."""
    state.last_checkpoint = time.monotonic()
    journal.save({
        "saved_utc": utc_text(),
        "state": state.to_json(),
        "listing": listing.checkpoint(),
        "tallies": matchers.tallies(),
        # VolumeCoverage compares by identity, so index() finds the volume's own entry.
        "plan_volumes": [{"spec": v.spec, "partition": to_json(v.partition),
                          "info": state.volumes.index(v.info)} for v in plan.volumes],
    })
