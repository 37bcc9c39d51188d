"""premium registration: identity facts, designated activities, attendance, evidence,
applications; premium columns on registrations, tier and holder key on status entries

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("bodies") as batch:
        batch.add_column(
            sa.Column(
                "premium_auto_approve", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    with op.batch_alter_table("registrations") as batch:
        batch.add_column(sa.Column("premium_state", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("premium_from", sa.String(length=10), nullable=True))
        batch.add_column(sa.Column("premium_until", sa.String(length=10), nullable=True))
        batch.add_column(sa.Column("premium_identity_method", sa.String(length=16), nullable=True))
        batch.add_column(
            sa.Column("premium_identity_verified_on", sa.String(length=10), nullable=True)
        )
        batch.add_column(sa.Column("premium_person_key", sa.String(length=128), nullable=True))
        batch.add_column(sa.Column("state_reason", sa.String(length=64), nullable=True))
        batch.create_index(
            op.f("ix_registrations_premium_person_key"), ["premium_person_key"], unique=False
        )
    with op.batch_alter_table("status_entries") as batch:
        batch.add_column(sa.Column("tier", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("holder_jkt", sa.LargeBinary(length=32), nullable=True))
    op.create_table(
        "identities",
        sa.Column("person_id", sa.String(length=32), nullable=False),
        sa.Column("person_key", sa.String(length=128), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("verified_on", sa.String(length=10), nullable=False),
        sa.Column("address_code", sa.String(length=6), nullable=True),
        sa.Column("birth_year", sa.Integer(), nullable=True),
        sa.Column("evidence_ref", sa.LargeBinary(length=32), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_identities_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_identities")),
    )
    op.create_index(op.f("ix_identities_person_key"), "identities", ["person_key"])
    op.create_table(
        "activities",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("body_code", sa.String(length=6), nullable=False),
        sa.Column("activity_id", sa.String(length=64), nullable=False),
        sa.Column("title_ja", sa.String(length=64), nullable=False),
        sa.Column("title_en", sa.String(length=64), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("not_before", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("designated", sa.Boolean(), nullable=False),
        sa.Column("check_in_mode", sa.String(length=16), nullable=False),
        sa.Column("geofence_lat_e6", sa.Integer(), nullable=True),
        sa.Column("geofence_lon_e6", sa.Integer(), nullable=True),
        sa.Column("geofence_radius_m", sa.Integer(), nullable=True),
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("attendance_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.String(length=160), nullable=False),
        sa.ForeignKeyConstraint(
            ["body_code"], ["bodies.code"], name=op.f("fk_activities_body_code_bodies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activities")),
        sa.UniqueConstraint(
            "body_code", "activity_id", name=op.f("uq_activities_body_code_activity_id")
        ),
    )
    op.create_table(
        "attendances",
        sa.Column("activity_pk", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("attended_on", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["activity_pk"], ["activities.id"], name=op.f("fk_attendances_activity_pk_activities")
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registrations.id"],
            name=op.f("fk_attendances_registration_id_registrations"),
        ),
        sa.PrimaryKeyConstraint("activity_pk", "registration_id", name=op.f("pk_attendances")),
    )
    op.create_index(op.f("ix_attendances_registration_id"), "attendances", ["registration_id"])
    op.create_table(
        "evidence",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("body_code", sa.String(length=6), nullable=False),
        sa.Column("registration_id", sa.String(length=64), nullable=False),
        sa.Column("activity_pk", sa.Integer(), nullable=False),
        sa.Column("attended_on", sa.String(length=10), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("media_type", sa.String(length=40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.LargeBinary(length=32), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("submitted_at", sa.BigInteger(), nullable=False),
        sa.Column("decided_at", sa.BigInteger(), nullable=True),
        sa.Column("decided_by", sa.String(length=160), nullable=True),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registrations.id"],
            name=op.f("fk_evidence_registration_id_registrations"),
        ),
        sa.ForeignKeyConstraint(
            ["activity_pk"], ["activities.id"], name=op.f("fk_evidence_activity_pk_activities")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence")),
    )
    op.create_index(
        op.f("ix_evidence_body_code_state_submitted_at"),
        "evidence",
        ["body_code", "state", "submitted_at"],
    )
    op.create_table(
        "premium_applications",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("body_code", sa.String(length=6), nullable=False),
        sa.Column("registration_id", sa.String(length=64), nullable=False),
        sa.Column("pending_registration_id", sa.String(length=64), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("checklist", sa.Text(), nullable=False),
        sa.Column("guardian_consent", sa.Boolean(), nullable=False),
        sa.Column("person_key", sa.String(length=128), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("submitted_at", sa.BigInteger(), nullable=False),
        sa.Column("decided_at", sa.BigInteger(), nullable=True),
        sa.Column("decided_by", sa.String(length=160), nullable=True),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registrations.id"],
            name=op.f("fk_premium_applications_registration_id_registrations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_premium_applications")),
        sa.UniqueConstraint(
            "pending_registration_id",
            name=op.f("uq_premium_applications_pending_registration_id"),
        ),
    )
    op.create_index(
        op.f("ix_premium_applications_body_code_state_submitted_at"),
        "premium_applications",
        ["body_code", "state", "submitted_at"],
    )


def downgrade() -> None:
    op.drop_table("premium_applications")
    op.drop_table("evidence")
    op.drop_table("attendances")
    op.drop_table("activities")
    op.drop_table("identities")
    with op.batch_alter_table("status_entries") as batch:
        batch.drop_column("holder_jkt")
        batch.drop_column("tier")
    with op.batch_alter_table("registrations") as batch:
        batch.drop_index(op.f("ix_registrations_premium_person_key"))
        batch.drop_column("state_reason")
        batch.drop_column("premium_person_key")
        batch.drop_column("premium_identity_verified_on")
        batch.drop_column("premium_identity_method")
        batch.drop_column("premium_until")
        batch.drop_column("premium_from")
        batch.drop_column("premium_state")
    with op.batch_alter_table("bodies") as batch:
        batch.drop_column("premium_auto_approve")
