"""member import: imported_members (one row per body and member number)

Revision ID: 0005_member_import
Revises: 0004_notices_benefits
Create Date: 2026-11-24 03:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_member_import"
down_revision = "0004_notices_benefits"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "imported_members",
        sa.Column("body_code", sa.String(length=6), nullable=False),
        sa.Column("member_number", sa.String(length=64), nullable=False),
        sa.Column("registration_id", sa.String(length=64), nullable=False),
        sa.Column("row_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("import_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["body_code"], ["bodies.code"], name=op.f("fk_imported_members_body_code_bodies")
        ),
        sa.PrimaryKeyConstraint("body_code", "member_number", name=op.f("pk_imported_members")),
        sa.UniqueConstraint("registration_id", name=op.f("uq_imported_members_registration_id")),
    )


def downgrade() -> None:
    op.drop_table("imported_members")
