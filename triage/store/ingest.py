"""Ingest: verify a report folder, then record it in one transaction (the same report once)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError

from triage.errors import InvalidInputError
from triage.model import utc_text
from triage.plan.journal import JOURNAL_DIR
from triage.report.sign import REPORT_NAME, load_report
from triage.report.verify import VERIFIED, VerifyResult, verify_report
from triage.store.engine import Store
from triage.store.facts import visit_facts
from triage.store.schema import devices, findings, reports

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


def folder_digest(folder: Path) -> str:
    """SHA-256 over every file of a report folder: its relative path and its own SHA-256."""
    outer = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()):
        inner = hashlib.sha256()
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                inner.update(chunk)
        rel = path.relative_to(folder).as_posix()
        outer.update(f"{rel}\0{inner.hexdigest()}\n".encode("utf-8", "surrogateescape"))
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
    row: dict[str, Any]
    devices: list[dict[str, Any]]
    findings: list[dict[str, Any]]


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
    facts = visit_facts(report)
    signer = result.signer
    row = {
        **facts.visit, "report_sha256": hashlib.sha256(report_bytes).hexdigest(),
        "folder_sha256": folder_digest(folder), "folder": str(folder.resolve()),
        "status": status, "accepted_untrusted": status != VERIFIED,
        "signer": None if signer is None else f"{signer.name} ({signer.key})"[:200],
        "countersigned": bool(result.countersigners) and status == VERIFIED,
        "countersigners": json.dumps([f"{s.name} ({s.key})" for s in result.countersigners])}
    return Prepared(folder, status, row, facts.devices, facts.findings)


def _write(connection: Connection, batch: list[Prepared]) -> list[IngestOutcome]:
    """Insert the rows of `batch` on `connection`, inside the caller's transaction.

    Three statements for the whole batch (reports with their new ids, then every device and
    every finding) rather than three per report: per-statement overhead, not the database,
    bounded ingest (bench/store_bench.py).
    """
    digests = [p.row["report_sha256"] for p in batch]
    existing = dict(connection.execute(select(reports.c.report_sha256, reports.c.id).where(
        reports.c.report_sha256.in_(digests))).all())
    now = utc_text()
    new: list[Prepared] = []
    for prepared in batch:
        digest = prepared.row["report_sha256"]
        if digest not in existing:
            existing[digest] = None  # the same report twice in one batch is recorded once
            new.append(prepared)
    ids: list[int] = []
    if new:
        ids = list(connection.execute(
            insert(reports).returning(reports.c.id, sort_by_parameter_order=True),
            [{**p.row, "ingested_utc": now} for p in new]).scalars())
    for prepared, report_id in zip(new, ids, strict=True):
        existing[prepared.row["report_sha256"]] = report_id
    for table, key in ((devices, "devices"), (findings, "findings")):
        rows = [{**row, "report_id": i} for p, i in zip(new, ids, strict=True)
                for row in getattr(p, key)]
        if rows:
            connection.execute(insert(table), rows)
    fresh = {id(p) for p in new}
    outcomes = []
    for prepared in batch:
        folder, status = prepared.folder, prepared.status
        report_id = existing[prepared.row["report_sha256"]]
        if id(prepared) not in fresh:
            outcomes.append(IngestOutcome(folder, ALREADY, status,
                                          f"{folder}: already in the store.", report_id))
            continue
        shown = "" if status == VERIFIED else f" as {status.upper()} (accepted untrusted)"
        outcomes.append(IngestOutcome(
            folder, INGESTED, status,
            f"{folder}: ingested{shown}, {len(prepared.findings)} finding(s).", report_id))
    return outcomes


def record(store: Store, prepared: Prepared) -> IngestOutcome:
    """Write one prepared report in a single transaction; the same report twice is one row."""
    try:
        with store.engine.begin() as connection:
            return _write(connection, [prepared])[0]
    except IntegrityError:
        # Another process may have ingested the same report between our check and our
        # insert; any other integrity failure is a real error and the transaction is undone.
        with store.engine.connect() as connection:
            existing = connection.execute(select(reports.c.id).where(
                reports.c.report_sha256 == prepared.row["report_sha256"])).scalar()
        if existing is None:
            raise
        return IngestOutcome(prepared.folder, ALREADY, prepared.status,
                             f"{prepared.folder}: already in the store.", existing)


def _record_alone(store: Store, prepared: Prepared) -> IngestOutcome:
    """Record one report of a failed batch; a report the database refuses is an outcome."""
    try:
        return record(store, prepared)
    except DBAPIError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        return IngestOutcome(prepared.folder, REFUSED, prepared.status,
                             f"{prepared.folder}: not recorded, the store refused it ({reason}); "
                             "nothing of it was written.")


def record_many(store: Store, items: Iterable[Prepared | IngestOutcome],
                batch: int = RECORD_BATCH) -> Iterator[IngestOutcome]:
    """Record prepared reports, many to a transaction; refusals pass through.

    One commit per report costs an fsync each (most of an ingest's time on SQLite). A batch
    is still all-or-nothing per report: if any insert of the batch fails, the batch is rolled
    back and its reports are recorded again one transaction each.
    """
    pending: list[Prepared] = []

    def flush() -> Iterator[IngestOutcome]:
        try:
            with store.engine.begin() as connection:
                done = _write(connection, pending)
        except DBAPIError:
            done = [_record_alone(store, prepared) for prepared in pending]
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
