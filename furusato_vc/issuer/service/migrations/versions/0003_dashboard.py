"""dashboard columns: home_prefecture and relationship_mask on registrations, two indexes

Revision ID: 0003_dashboard
Revises: 0002
Create Date: 2026-11-24 03:00:00

The two columns are copies of ``profile.home_prefecture`` and of ``relationship_types``
(a bitmask: ① bit 0 … ④ bit 3), so that the dashboards group by plain columns. The upgrade
backfills them from the JSON text with portable SQL (``LIKE`` on the canonical JSON that
store.register writes; the home prefecture through each dialect's JSON accessor).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_dashboard"
down_revision = "0002"
branch_labels = None
depends_on = None

# RelationshipType values in ①–④ order (furusato_vc.core.registration.claims); written out
# because a migration must not change when the code does
_TYPES = ("purchase_or_donation", "visits", "regular_activity", "dual_residence")
_COLUMNS = (
    "body_code",
    "state",
    "tier",
    "valid_until",
    "home_prefecture",
    "relationship_mask",
    "created_at",
    "premium_approved_at",
    "via_registration_id",
)


def upgrade() -> None:
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("home_prefecture", sa.String(length=2), nullable=True))
        batch_op.add_column(
            sa.Column("relationship_mask", sa.SmallInteger(), nullable=False, server_default="0")
        )
    mask = " + ".join(
        f"(CASE WHEN relationship_types LIKE '%\"{name}\"%' THEN {1 << bit} ELSE 0 END)"
        for bit, name in enumerate(_TYPES)
    )
    if op.get_context().dialect.name == "postgresql":
        home = "(profile::json ->> 'home_prefecture')"
    else:
        home = "json_extract(profile, '$.home_prefecture')"
    op.execute(f"UPDATE registrations SET relationship_mask = {mask}, home_prefecture = {home}")  # noqa: S608
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.create_index("ix_registrations_dashboard", list(_COLUMNS), unique=False)
        batch_op.create_index(
            "ix_registrations_person_current",
            ["person_id", "state", "valid_until", "tier", "via_registration_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.drop_index("ix_registrations_person_current")
        batch_op.drop_index("ix_registrations_dashboard")
        batch_op.drop_column("relationship_mask")
        batch_op.drop_column("home_prefecture")
