"""The store's tables (SQLAlchemy Core): one row per report, its devices and its findings.

Nothing here holds a picture, a thumbnail or a file's content: only what report.json says.
The migrations in migrations/versions/ create exactly these tables; a test compares the two.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

reports = Table(
    "reports", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # SHA-256 of report.json: the same report ingested twice is one row.
    Column("report_sha256", String(64), nullable=False, unique=True),
    # SHA-256 over every file of the folder (path and digest), so `store verify` can re-check.
    Column("folder_sha256", String(64), nullable=False),
    Column("folder", Text, nullable=False),
    Column("status", String(16), nullable=False),  # verified | untrusted | unsigned | ...
    Column("accepted_untrusted", Boolean, nullable=False),
    Column("signer", String(200)),
    Column("countersigned", Boolean, nullable=False),
    Column("countersigners", Text, nullable=False),  # JSON list of "name (key)"
    Column("started_utc", String(32)),
    Column("finished_utc", String(32)),
    Column("ingested_utc", String(32), nullable=False),
    Column("case_ref", Text),
    Column("officer", Text),
    Column("subject", String(200)),
    Column("tool_version", String(40)),
    Column("verdict", String(8), nullable=False),
    Column("complete", Boolean, nullable=False),
    Column("incomplete_reasons", Text, nullable=False),  # JSON list of sentences
    Column("findings_count", Integer, nullable=False),
)
Index("reports_subject_started", reports.c.subject, reports.c.started_utc)
Index("reports_started", reports.c.started_utc)

devices = Table(
    "devices", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("report_id", Integer, ForeignKey("reports.id", ondelete="CASCADE"), nullable=False),
    Column("device_key", String(300), nullable=False),  # see triage.store.facts.device_key
    Column("source", Text, nullable=False),
    Column("model", Text),
    Column("serial", Text),
    Column("size", BigInteger),
    Column("first_mib_sha256", String(64)),
    Column("last_mib_sha256", String(64)),
)
Index("devices_key", devices.c.device_key)
Index("devices_report", devices.c.report_id)

findings = Table(
    "findings", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("report_id", Integer, ForeignKey("reports.id", ondelete="CASCADE"), nullable=False),
    Column("device_key", String(300)),
    Column("finding_key", String(64), nullable=False),  # same thing across visits
    Column("kind", String(16), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("title", Text, nullable=False),
    Column("hashset", Text),
    Column("rule", Text),
    Column("category", Text),
    Column("sha256", String(64)),
    Column("path", Text),
    Column("address", Text),
)
Index("findings_report", findings.c.report_id)
# No index on finding_key: no query looks a finding up by it (migration 0002).

TABLES = (reports, devices, findings)
