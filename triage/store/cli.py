"""`triage store …`: ingest verified reports, a person's or device's history, what is new."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import click

from triage.errors import ExitCode
from triage.report.cli import user_errors
from triage.report.review import find_report_folders
from triage.report.verify import load_trusted_dir
from triage.store.engine import Store, migrate, open_store, store_url
from triage.store.ingest import (
    ALREADY,
    INGESTED,
    REFUSED,
    IngestOutcome,
    prepare,
    record_many,
)
from triage.store.queries import (
    Visit,
    history,
    new_since,
    summary_by_month,
    verify_store,
    why_passed_over,
)

_DIR = click.Path(exists=True, file_okay=False, path_type=Path)
STORE_HELP = ("The store: a SQLite file path, or postgresql://user@host/db (password from "
              "$PGPASSWORD, $TRIAGE_STORE_URL or a 0600 file named by "
              "$TRIAGE_STORE_PASSWORD_FILE). Default: $TRIAGE_STORE_URL, else "
              "store.sqlite in the reports folder ($TRIAGE_REPORTS or ./triage-reports).")


def store_option(func):  # type: ignore[no-untyped-def]
    return click.option("--store", "store", metavar="URL", help=STORE_HELP)(func)


@contextmanager
def opened(given: str | None, *, create: bool = True) -> Iterator[Store]:
    store = open_store(store_url(given), create=create)
    try:
        yield store
    finally:
        store.close()


@click.group("store")
def store_group() -> None:
    """The reports store: verified ingest, history per person or device, what is new."""


@store_group.command("ingest")
@click.argument("folders", nargs=-1, required=True, type=_DIR)
@store_option
@click.option("--trusted", type=_DIR, help="Folder of trusted public keys (*.pub).")
@click.option("--accept-untrusted", is_flag=True,
              help="Record reports that are unsigned, untrusted, altered or unfinished, "
                   "marked as such (default: refuse them).")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Processes that verify reports in parallel.")
@user_errors
def ingest_command(folders: tuple[Path, ...], store: str | None, trusted: Path | None,
                   accept_untrusted: bool, workers: int) -> None:
    """Verify report folders (or folders of them) and record them; each report once."""
    load_trusted_dir(trusted)  # a bad --trusted is one error, not one per report
    todo = [found for folder in folders for found in find_report_folders(folder)]
    counts = {INGESTED: 0, ALREADY: 0, REFUSED: 0}
    with opened(store) as db:
        for outcome in _ingest_all(db, todo, trusted, accept_untrusted, workers):
            counts[outcome.outcome] += 1
            click.echo(outcome.message, err=outcome.outcome == REFUSED)
    click.echo(f"{counts[INGESTED]} ingested, {counts[ALREADY]} already in the store, "
               f"{counts[REFUSED]} refused.")
    if counts[REFUSED]:
        sys.exit(int(ExitCode.INVALID_INPUT))


def _ingest_all(db: Store, todo: list[Path], trusted: Path | None, accept: bool,
                workers: int) -> Iterator[IngestOutcome]:
    if workers == 1:
        yield from record_many(db, (prepare(folder, trusted, accept) for folder in todo))
        return
    # Verification (hashing, signatures) runs in the workers; this process writes the rows.
    with ProcessPoolExecutor(workers) as pool:
        yield from record_many(db, pool.map(prepare, todo, [trusted] * len(todo),
                                            [accept] * len(todo), chunksize=16))


def _visit_line(visit: Visit) -> str:
    scan = "complete" if visit.complete else "INCOMPLETE: " + "; ".join(visit.incomplete_reasons)
    status = "" if visit.status == "verified" else f"  [{visit.status.upper()}]"
    counter = f"  countersigned by {', '.join(visit.countersigners)}" if visit.countersigned \
        else ""
    return (f"{visit.started_utc}  {visit.verdict.upper():5}  {visit.findings_count:>5} "
            f"finding(s)  case {visit.case or '-'}  officer {visit.officer or '-'}  "
            f"({scan}){status}{counter}\n    devices: {', '.join(visit.devices) or '-'}")


@store_group.command("history")
@click.argument("ref")
@store_option
@user_errors
def history_command(ref: str, store: str | None) -> None:
    """Every visit of a person (subject reference) or of a device (its key or serial)."""
    with opened(store, create=False) as db:
        taken_as, found = history(db, ref)
    if not found:
        click.echo(f"No visits for {ref!r} in the store (neither a person nor a device); "
                   "check the reference with `triage review --store`.", err=True)
        sys.exit(int(ExitCode.USAGE))
    click.echo(f"{len(found)} visit(s) of {taken_as} {ref}:")
    for visit in found:
        click.echo(_visit_line(visit))


@store_group.command("new-since")
@click.argument("subject")
@store_option
@user_errors
def new_since_command(subject: str, store: str | None) -> None:
    """What a person's latest visit found that their last complete visit did not."""
    with opened(store, create=False) as db:
        news = new_since(db, subject)
    if news.latest is None:
        click.echo(f"No visits for the person {subject!r} in the store.", err=True)
        sys.exit(int(ExitCode.USAGE))
    click.echo(f"Latest visit: {_visit_line(news.latest)}")
    if news.baseline is None:
        click.echo("No earlier complete, verified visit: every finding of the latest visit is "
                   "listed.")
    else:
        click.echo("Compared with the last complete, verified visit: "
                   f"{news.baseline.started_utc}.")
    for visit in news.passed_over:
        click.echo(f"Not used as the baseline: {visit.started_utc} ({why_passed_over(visit)}).")
    click.echo(f"{len(news.new)} new finding(s).")
    for finding in news.new:
        click.echo(f"  {finding['kind']} {finding['severity']}: {finding['title']} — "
                   f"{finding['path'] or '-'} ({finding['device_key'] or 'device unknown'})")


@store_group.command("summary")
@store_option
@user_errors
def summary_command(store: str | None) -> None:
    """Visits by verdict per month (UTC), for the whole store."""
    with opened(store, create=False) as db:
        rows = summary_by_month(db)
    months: dict[str, dict[str, int]] = {}
    for month, verdict, count in rows:
        months.setdefault(month, {})[verdict] = count
    click.echo(f"{'month':8} {'red':>6} {'amber':>6} {'green':>6}")
    for month, counts in months.items():
        click.echo(f"{month:8} {counts.get('red', 0):>6} {counts.get('amber', 0):>6} "
                   f"{counts.get('green', 0):>6}")


@store_group.command("verify")
@store_option
@user_errors
def verify_command(store: str | None) -> None:
    """Re-check every stored report against its folder's files."""
    with opened(store, create=False) as db:
        problems = verify_store(db)
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        click.echo(f"{len(problems)} stored report(s) no longer match their folders.", err=True)
        sys.exit(int(ExitCode.INVALID_INPUT))
    click.echo("Every stored report matches its folder.")


@store_group.command("migrate")
@store_option
@user_errors
def migrate_command(store: str | None) -> None:
    """Create the store or bring its schema to this version (run as the database owner)."""
    with opened(store) as db:
        click.echo(f"The store {db.name} is at schema version {migrate(db)}.")
