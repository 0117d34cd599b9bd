"""Schema 1: reports, their devices and their findings."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reports",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("report_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("folder_sha256", sa.String(64), nullable=False),
        sa.Column("folder", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("accepted_untrusted", sa.Boolean, nullable=False),
        sa.Column("signer", sa.String(200)),
        sa.Column("countersigned", sa.Boolean, nullable=False),
        sa.Column("countersigners", sa.Text, nullable=False),
        sa.Column("started_utc", sa.String(32)),
        sa.Column("finished_utc", sa.String(32)),
        sa.Column("ingested_utc", sa.String(32), nullable=False),
        sa.Column("case_ref", sa.Text),
        sa.Column("officer", sa.Text),
        sa.Column("subject", sa.String(200)),
        sa.Column("tool_version", sa.String(40)),
        sa.Column("verdict", sa.String(8), nullable=False),
        sa.Column("complete", sa.Boolean, nullable=False),
        sa.Column("incomplete_reasons", sa.Text, nullable=False),
        sa.Column("findings_count", sa.Integer, nullable=False),
    )
    op.create_index("reports_subject_started", "reports", ["subject", "started_utc"])
    op.create_index("reports_started", "reports", ["started_utc"])
    op.create_table(
        "devices",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("report_id", sa.Integer, sa.ForeignKey("reports.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("device_key", sa.String(300), nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("model", sa.Text),
        sa.Column("serial", sa.Text),
        sa.Column("size", sa.BigInteger),
        sa.Column("first_mib_sha256", sa.String(64)),
        sa.Column("last_mib_sha256", sa.String(64)),
    )
    op.create_index("devices_key", "devices", ["device_key"])
    op.create_index("devices_report", "devices", ["report_id"])
    op.create_table(
        "findings",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("report_id", sa.Integer, sa.ForeignKey("reports.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("device_key", sa.String(300)),
        sa.Column("finding_key", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("hashset", sa.Text),
        sa.Column("rule", sa.Text),
        sa.Column("category", sa.Text),
        sa.Column("sha256", sa.String(64)),
        sa.Column("path", sa.Text),
        sa.Column("address", sa.Text),
    )
    op.create_index("findings_report", "findings", ["report_id"])
    op.create_index("findings_key", "findings", ["finding_key"])


def downgrade() -> None:
    op.drop_table("findings")
    op.drop_table("devices")
    op.drop_table("reports")
