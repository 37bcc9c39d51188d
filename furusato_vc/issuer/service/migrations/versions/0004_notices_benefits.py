"""notices and benefits (issue 9)

Revision ID: 0004_notices_benefits
Revises: 0003_dashboard
Create Date: 2026-11-24 03:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_notices_benefits"
down_revision = "0003_dashboard"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notices",
        sa.Column("body_code", sa.String(length=6), nullable=False),
        sa.Column("notice_id", sa.String(length=64), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("title_ja", sa.Text(), nullable=False),
        sa.Column("title_en", sa.Text(), nullable=True),
        sa.Column("text_ja", sa.Text(), nullable=False),
        sa.Column("text_en", sa.Text(), nullable=True),
        sa.Column("audience", sa.String(length=16), nullable=False),
        sa.Column("interests", sa.Text(), nullable=False),
        sa.Column("valid_from", sa.BigInteger(), nullable=False),
        sa.Column("valid_until", sa.BigInteger(), nullable=False),
        sa.Column("link", sa.Text(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["body_code"], ["bodies.code"], name=op.f("fk_notices_body_code_bodies")
        ),
        sa.PrimaryKeyConstraint("body_code", "notice_id", name=op.f("pk_notices")),
    )
    op.create_table(
        "benefits",
        sa.Column("body_code", sa.String(length=6), nullable=False),
        sa.Column("benefit_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name_ja", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text(), nullable=True),
        sa.Column("offer_ja", sa.Text(), nullable=False),
        sa.Column("offer_en", sa.Text(), nullable=True),
        sa.Column("tier", sa.String(length=16), nullable=False),
        sa.Column("valid_from", sa.BigInteger(), nullable=False),
        sa.Column("valid_until", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["body_code"], ["bodies.code"], name=op.f("fk_benefits_body_code_bodies")
        ),
        sa.PrimaryKeyConstraint("body_code", "benefit_id", name=op.f("pk_benefits")),
    )
    op.create_table(
        "body_documents",
        sa.Column("body_code", sa.String(length=6), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("issued_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("jws", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["body_code"], ["bodies.code"], name=op.f("fk_body_documents_body_code_bodies")
        ),
        sa.PrimaryKeyConstraint("body_code", "kind", name=op.f("pk_body_documents")),
    )


def downgrade() -> None:
    op.drop_table("body_documents")
    op.drop_table("benefits")
    op.drop_table("notices")
