"""The reports store: verified ingest, per-person and per-device history, what is new since."""

from triage.store.engine import DEFAULT_STORE_NAME, open_store, store_url
from triage.store.ingest import IngestOutcome, ingest_report
from triage.store.queries import history, new_since, summary_by_month, verify_store

__all__ = ["DEFAULT_STORE_NAME", "IngestOutcome", "history", "ingest_report", "new_since",
           "open_store", "store_url", "summary_by_month", "verify_store"]
