"""`triage review --store`: the visits and each person's news, on screen and as one page."""

from __future__ import annotations

from pathlib import Path

import click

from triage.store.engine import open_store, store_url
from triage.store.page import render_store_review
from triage.store.queries import new_since, subjects, visits


def review_from_store(given: str | None, html_out: Path | None) -> None:
    """Print every visit and, per person, what is new since their last complete visit."""
    store = open_store(store_url(given), create=False)
    try:
        rows = visits(store)
        click.echo(f"{len(rows)} visit(s) in {store.name}.")
        for visit in rows:
            scan = "complete" if visit.complete else \
                "INCOMPLETE (" + "; ".join(visit.incomplete_reasons) + ")"
            counter = "countersigned" if visit.countersigned else "not countersigned"
            status = "" if visit.status == "verified" else f" [{visit.status.upper()}]"
            click.echo(f"  {visit.started_utc}  {visit.subject or '-':12}  "
                       f"{visit.verdict.upper():5}  {visit.findings_count:>4} finding(s)  "
                       f"{scan}, {counter}{status}")
        for subject in subjects(store):
            news = new_since(store, subject)
            base = news.baseline.started_utc if news.baseline else "no earlier complete visit"
            click.echo(f"Person {subject}: {len(news.new)} new since {base}.")
        if html_out is not None:
            html_out.write_text(render_store_review(store), encoding="utf-8")
            click.echo(f"Wrote {html_out}.")
    finally:
        store.close()
