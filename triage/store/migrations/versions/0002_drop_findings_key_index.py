"""Schema 2: no index on findings.finding_key.

No query looks findings up by their key (new-since reads both visits' findings by report, the
findings_report index), so the index only cost writing time (a fifth of PostgreSQL's work per
finding at ingest, bench/store_bench.py) and space (a quarter of a SQLite store; on
PostgreSQL 5-20 %, less where B-tree deduplication folds repeated keys).
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("findings_key", table_name="findings")


def downgrade() -> None:
    op.create_index("findings_key", "findings", ["finding_key"])
