"""What supervisors ask of the store: a person's or device's visits, what is new, summaries."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_, select

from triage.report.verify import VERIFIED
from triage.store.engine import Store
from triage.store.ingest import folder_digest
from triage.store.schema import devices, findings, reports

VISIT_COLUMNS = (reports.c.id, reports.c.started_utc, reports.c.case_ref, reports.c.officer,
                 reports.c.subject, reports.c.verdict, reports.c.complete,
                 reports.c.incomplete_reasons, reports.c.status, reports.c.countersigned,
                 reports.c.countersigners, reports.c.findings_count, reports.c.folder)


@dataclass(frozen=True)
class Visit:
    """One report as the store shows it."""

    id: int
    started_utc: str
    case: str
    officer: str
    subject: str
    verdict: str
    complete: bool
    incomplete_reasons: list[str]
    status: str
    countersigned: bool
    countersigners: list[str]
    findings_count: int
    folder: str
    devices: list[str] = field(default_factory=list)


def _visit(row: Any, device_keys: list[str]) -> Visit:
    return Visit(row.id, row.started_utc or "?", row.case_ref or "", row.officer or "",
                 row.subject or "", row.verdict, bool(row.complete),
                 json.loads(row.incomplete_reasons), row.status, bool(row.countersigned),
                 json.loads(row.countersigners), row.findings_count, row.folder, device_keys)


def _with_devices(store: Store, rows: list[Any]) -> list[Visit]:
    ids = [row.id for row in rows]
    keys: dict[int, list[str]] = {i: [] for i in ids}
    if ids:
        with store.engine.connect() as connection:
            for report_id, key in connection.execute(
                    select(devices.c.report_id, devices.c.device_key)
                    .where(devices.c.report_id.in_(ids)).order_by(devices.c.id)):
                keys[report_id].append(key)
    return [_visit(row, keys[row.id]) for row in rows]


def visits(store: Store, subject: str | None = None) -> list[Visit]:
    """Every visit (of one person when `subject` is given), oldest first."""
    query = select(*VISIT_COLUMNS).order_by(reports.c.started_utc, reports.c.id)
    if subject is not None:
        query = query.where(reports.c.subject == subject)
    with store.engine.connect() as connection:
        rows = connection.execute(query).all()
    return _with_devices(store, rows)


def history(store: Store, ref: str) -> tuple[str, list[Visit]]:
    """The visits of a person (subject reference) or, failing that, of a device (its key as
    shown by `history`, or its serial). Returns what `ref` was taken as, and the visits."""
    found = visits(store, ref)
    if found:
        return "subject", found
    device_reports = select(devices.c.report_id).where(
        or_(devices.c.device_key == ref, devices.c.serial == ref))
    query = (select(*VISIT_COLUMNS).where(reports.c.id.in_(device_reports))
             .order_by(reports.c.started_utc, reports.c.id))
    with store.engine.connect() as connection:
        rows = connection.execute(query).all()
    return ("device", _with_devices(store, rows)) if rows else ("nothing", [])


@dataclass(frozen=True)
class NewSince:
    """What the latest visit found that the last complete, verified visit before it did not."""

    latest: Visit | None
    baseline: Visit | None  # the last complete verified visit before the latest; None: none
    passed_over: list[Visit]  # visits after the baseline: incomplete, or not verified
    new: list[dict[str, Any]]


def why_passed_over(visit: Visit) -> str:
    """Why a visit is not a baseline: its report did not verify, or it did not see everything."""
    if visit.status != VERIFIED:
        return f"its report is {visit.status} (accepted untrusted)"
    return "incomplete: " + "; ".join(visit.incomplete_reasons)


_FINDING_COLUMNS = (findings.c.kind, findings.c.severity, findings.c.title, findings.c.hashset,
                    findings.c.rule, findings.c.sha256, findings.c.path, findings.c.device_key)


def new_since(store: Store, subject: str) -> NewSince:
    """New findings at the person's latest visit against their last complete visit before it.

    An incomplete scan (time budget, stop, partitions not examined) never serves as the
    baseline: what it did not reach would otherwise look new at the next visit. Nor does a
    report accepted untrusted: its findings may have been edited away.
    """
    with store.engine.connect() as connection:
        rows = connection.execute(
            select(*VISIT_COLUMNS).where(reports.c.subject == subject)
            .order_by(reports.c.started_utc.desc(), reports.c.id.desc())).all()
        if not rows:
            return NewSince(None, None, [], [])
        latest, earlier = rows[0], rows[1:]
        baseline = next((row for row in earlier
                         if row.complete and row.status == VERIFIED), None)
        between = [row for row in earlier
                   if baseline is None or (row.started_utc or "") > (baseline.started_utc or "")]
        query = select(*_FINDING_COLUMNS).where(findings.c.report_id == latest.id)
        if baseline is not None:
            seen = select(findings.c.finding_key).where(findings.c.report_id == baseline.id)
            query = query.where(findings.c.finding_key.not_in(seen))
        new = [dict(row._mapping) for row in connection.execute(query.order_by(findings.c.id))]
    wanted = [latest, *([baseline] if baseline is not None else []), *between]
    shown = {v.id: v for v in _with_devices(store, wanted)}
    return NewSince(shown[latest.id], None if baseline is None else shown[baseline.id],
                    [shown[row.id] for row in reversed(between)], new)


def summary_by_month(store: Store) -> list[tuple[str, str, int]]:
    """Visits by verdict per month (UTC), oldest first: the force-wide picture."""
    month = func.substr(reports.c.started_utc, 1, 7)
    query = (select(month.label("month"), reports.c.verdict, func.count())
             .group_by(month, reports.c.verdict).order_by(month, reports.c.verdict))
    with store.engine.connect() as connection:
        return [(m or "?", v, int(n)) for m, v, n in connection.execute(query)]


def subjects(store: Store) -> list[str]:
    """Every person reference in the store, sorted."""
    with store.engine.connect() as connection:
        rows = connection.execute(select(reports.c.subject).where(reports.c.subject.is_not(None))
                                  .distinct().order_by(reports.c.subject))
        return [row[0] for row in rows]


def verify_store(store: Store) -> list[str]:
    """Re-check every stored report against its folder; one sentence per problem."""
    problems = []
    with store.engine.connect() as connection:
        rows = connection.execute(select(reports.c.folder, reports.c.folder_sha256)
                                  .order_by(reports.c.id)).all()
    for folder, digest in rows:
        path = Path(folder)
        if not path.is_dir():
            problems.append(f"{folder}: the report folder is missing.")
        elif folder_digest(path) != digest:
            problems.append(f"{folder}: the files changed since they were ingested.")
    return problems
