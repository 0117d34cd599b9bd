"""Alembic migrations of the reports store (run in-process by triage.store.engine)."""
