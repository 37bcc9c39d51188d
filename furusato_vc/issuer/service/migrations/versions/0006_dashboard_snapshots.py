"""dashboard snapshots: the raw counts of a view, refreshed in the background

Revision ID: 0006_dashboard_snapshots
Revises: 0005_member_import
Create Date: 2026-11-24 06:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_dashboard_snapshots"
down_revision = "0005_member_import"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dashboard_snapshots",
        sa.Column("view_key", sa.String(length=8), nullable=False),
        sa.Column("japan_date", sa.String(length=10), nullable=False),
        sa.Column("counted_at", sa.BigInteger(), nullable=False),
        sa.Column("counts", sa.Text(), nullable=False),
        sa.Column("refreshing_until", sa.BigInteger(), nullable=True),
        sa.Column("count_ms", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("view_key", name=op.f("pk_dashboard_snapshots")),
    )


def downgrade() -> None:
    op.drop_table("dashboard_snapshots")
