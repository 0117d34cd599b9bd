"""Ingest: verify a report folder, then record it in one transaction (the same report once)."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.exc import DBAPIError

from triage.errors import InvalidInputError
from triage.plan.journal import JOURNAL_DIR
from triage.report.sign import REPORT_NAME, load_report
from triage.report.verify import VERIFIED, VerifyResult, verify_report
from triage.store.engine import Store
from triage.store.facts import visit_facts
from triage.store.writers import ReportRows, Strategy, strategy_for, write_batch

UNFINISHED = "unfinished"
INGESTED, ALREADY, REFUSED = "ingested", "already in the store", "refused"
# Reports written per transaction by record_many: one fsync per batch instead of per report.
RECORD_BATCH = 64


@dataclass(frozen=True)
class IngestOutcome:
    """What happened to one folder; `message` is the sentence the CLI prints."""

    folder: Path
    outcome: str  # INGESTED | ALREADY | REFUSED
    status: str  # verified | untrusted | unsigned | tampered | unfinished
    message: str
    report_id: int | None = None


def _regular_files(folder: str, parts: tuple[str, ...] = ()
                   ) -> Iterator[tuple[tuple[str, ...], str]]:
    """(relative parts, path) of every regular file under `folder`; links are neither followed
    nor listed and an unreadable folder is passed over (what Path.rglob did, at a third of its
    cost: ingest digests every folder it records)."""
    try:
        with os.scandir(folder) as found:
            entries = list(found)
    except PermissionError:
        return
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            yield from _regular_files(entry.path, (*parts, entry.name))
        elif entry.is_file(follow_symlinks=False):
            yield (*parts, entry.name), entry.path


def folder_digest(folder: Path) -> str:
    """SHA-256 over every file of a report folder: its relative path and its own SHA-256.

    Files in the order of their relative paths' parts (as Path objects sort), so stores
    written before keep matching their folders.
    """
    outer = hashlib.sha256()
    for parts, path in sorted(_regular_files(str(folder))):
        with open(path, "rb") as handle:
            inner = hashlib.file_digest(handle, "sha256").hexdigest()
        rel = "/".join(parts)
        outer.update(f"{rel}\0{inner}\n".encode("utf-8", "surrogateescape"))
    return outer.hexdigest()


def _status(folder: Path, result: VerifyResult) -> str:
    if (folder / JOURNAL_DIR).exists():
        return UNFINISHED
    return VERIFIED if result.ok else result.status


def _refusal(folder: Path, status: str, result: VerifyResult) -> str:
    why = {UNFINISHED: "the scan never finished",
           "unsigned": "it is not signed",
           "untrusted": "its signer is not among the trusted keys",
           "tampered": "it does not match its manifest or signature"}[status]
    first = f" ({result.problems[0]})" if result.problems else ""
    return (f"{folder}: refused, {why}{first}; check it with `triage verify`, or record it "
            "as such with --accept-untrusted.")


@dataclass(frozen=True)
class Prepared:
    """A verified report's rows, ready to record (built in a worker process when asked)."""

    folder: Path
    status: str
    rows: ReportRows


def prepare(folder: Path, trusted: Path | None, accept_untrusted: bool = False
            ) -> Prepared | IngestOutcome:
    """Verify `folder` against the trusted keys and read its rows; a refusal is an outcome."""
    result = verify_report(folder, trusted)
    status = _status(folder, result)
    if status != VERIFIED and not accept_untrusted:
        return IngestOutcome(folder, REFUSED, status, _refusal(folder, status, result))
    try:
        report_bytes = (folder / REPORT_NAME).read_bytes()
        report = load_report(folder)
    except (OSError, InvalidInputError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else str(exc)
        return IngestOutcome(folder, REFUSED, status,
                             f"{folder}: refused, its report cannot be read ({reason}).")
    facts = visit_facts(report, report_bytes)
    signer = result.signer
    row = {
        **facts.visit, "report_sha256": hashlib.sha256(report_bytes).hexdigest(),
        "folder_sha256": folder_digest(folder), "folder": str(folder.resolve()),
        "status": status, "accepted_untrusted": status != VERIFIED,
        "signer": None if signer is None else f"{signer.name} ({signer.key})"[:200],
        "countersigned": bool(result.countersigners) and status == VERIFIED,
        "countersigners": json.dumps([f"{s.name} ({s.key})" for s in result.countersigners])}
    return Prepared(folder, status, ReportRows(row, facts.devices, facts.findings))


def _outcome(prepared: Prepared, report_id: int, new: bool) -> IngestOutcome:
    folder, status = prepared.folder, prepared.status
    if not new:
        return IngestOutcome(folder, ALREADY, status, f"{folder}: already in the store.",
                             report_id)
    shown = "" if status == VERIFIED else f" as {status.upper()} (accepted untrusted)"
    return IngestOutcome(
        folder, INGESTED, status,
        f"{folder}: ingested{shown}, {len(prepared.rows.findings)} finding(s).", report_id)


def _write(store: Store, batch: list[Prepared], strategy: Strategy) -> list[IngestOutcome]:
    """Record `batch` in one transaction: all of it, or (on any error) none of it."""
    with store.engine.begin() as connection:
        written = write_batch(connection, [p.rows for p in batch], strategy)
    return [_outcome(p, report_id, new) for p, (report_id, new) in zip(batch, written,
                                                                        strict=True)]


def record(store: Store, prepared: Prepared, strategy: str | None = None) -> IngestOutcome:
    """Write one prepared report in a single transaction; the same report twice is one row."""
    return _write(store, [prepared], strategy_for(store.engine.dialect.name, strategy))[0]


def _record_alone(store: Store, prepared: Prepared, strategy: Strategy) -> IngestOutcome:
    """Record one report of a failed batch; a report the database refuses is an outcome."""
    try:
        return _write(store, [prepared], strategy)[0]
    except DBAPIError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        return IngestOutcome(prepared.folder, REFUSED, prepared.status,
                             f"{prepared.folder}: not recorded, the store refused it ({reason}); "
                             "nothing of it was written.")


def record_many(store: Store, items: Iterable[Prepared | IngestOutcome],
                batch: int = RECORD_BATCH, strategy: str | None = None
                ) -> Iterator[IngestOutcome]:
    """Record prepared reports, many to a transaction; refusals pass through.

    One commit per report costs an fsync each (most of an ingest's time on SQLite). A batch
    is still all-or-nothing per report: if any row of the batch is refused, the batch is
    rolled back and its reports are recorded again one transaction each. `strategy` names
    how rows are written (writers.STRATEGIES; default: the back end's fastest).
    """
    chosen = strategy_for(store.engine.dialect.name, strategy)
    pending: list[Prepared] = []

    def flush() -> Iterator[IngestOutcome]:
        try:
            done = _write(store, pending, chosen)
        except DBAPIError:
            done = [_record_alone(store, prepared, chosen) for prepared in pending]
        pending.clear()
        yield from done

    for item in items:
        if isinstance(item, IngestOutcome):
            yield item
            continue
        pending.append(item)
        if len(pending) >= batch:
            yield from flush()
    if pending:
        yield from flush()


def ingest_report(store: Store, folder: Path, trusted: Path | None,
                  accept_untrusted: bool = False) -> IngestOutcome:
    """Verify `folder` against the trusted keys and record it (idempotent, atomic)."""
    prepared = prepare(folder, trusted, accept_untrusted)
    return prepared if isinstance(prepared, IngestOutcome) else record(store, prepared)
