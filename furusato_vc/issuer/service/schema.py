"""The issuer database (SQLAlchemy Core tables; Alembic migration 0001 creates them).

Times are NumericDates (BIGINT seconds, UTC) so that SQLite and PostgreSQL behave alike.
Personal data is limited to what re-issuing a card needs (names, birthdate, stay, member
number, home prefecture); never a 個人番号, a certificate or an address. The app's account
identifier is kept only as an HMAC (``persons.person_ref``).

Uniqueness that the service relies on is enforced here, not in Python:

* ``status_entries`` primary key ``(status_list_pk, idx)``: a status index is never given
  twice, across processes (draft-ietf-oauth-status-list-20 §12.5.1 random allocation, retried
  on conflict);
* ``registrations (person_id, body_code)``: one registration per person and body;
* ``idempotency_keys (scope, key)``: a retried POST never runs twice;
* ``audit_log (body_code, seq)``: the hash chain of a body has no fork.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)

__all__ = [
    "activities",
    "attendances",
    "audit_log",
    "benefits",
    "bodies",
    "body_documents",
    "dashboard_snapshots",
    "evidence",
    "idempotency_keys",
    "identities",
    "imported_members",
    "metadata",
    "notices",
    "offers",
    "persons",
    "premium_applications",
    "registrations",
    "signing_keys",
    "staff",
    "status_entries",
    "status_lists",
    "status_tokens",
]

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

bodies = Table(
    "bodies",
    metadata,
    Column("code", String(6), primary_key=True),
    Column("issuer_id", String(512), nullable=False, unique=True),
    Column("accepting", Boolean, nullable=False, default=True),
    Column("created_at", BigInteger, nullable=False),
    # premium (0002): approve complete applications without a reviewer
    Column("premium_auto_approve", Boolean, nullable=False, default=False),
)

signing_keys = Table(
    "signing_keys",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("body_code", String(6), ForeignKey("bodies.code"), nullable=False),
    Column("kid", String(128), nullable=False),
    Column("public_jwk", Text, nullable=False),
    Column("sealed_private", LargeBinary, nullable=False),  # AES-256-GCM, see keystore.py
    Column("not_before", BigInteger, nullable=False),
    Column("not_after", BigInteger, nullable=True),
    Column("active", Boolean, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    UniqueConstraint("body_code", "kid"),
)

persons = Table(
    "persons",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("person_ref", LargeBinary(32), nullable=False, unique=True),
    Column("created_at", BigInteger, nullable=False),
)

registrations = Table(
    "registrations",
    metadata,
    Column("id", String(64), primary_key=True),  # the registration_id claim
    Column("body_code", String(6), nullable=False),
    Column("person_id", String(32), ForeignKey("persons.id"), nullable=False),
    Column("tier", String(16), nullable=False),
    Column("state", String(16), nullable=False),  # active | suspended | revoked
    Column("valid_from", String(10), nullable=False),  # ISO date (Japan)
    Column("valid_until", String(10), nullable=True),
    Column("relationship_types", Text, nullable=False),  # JSON array
    Column("interests", Text, nullable=False),  # JSON array
    Column("profile", Text, nullable=False),  # JSON: optional names, birthdate, stay, …
    Column("via_registration_id", String(64), nullable=True),  # prefecture record of …
    Column("premium_approved_at", BigInteger, nullable=True),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    # premium (0002): NULL (never premium) | active | suspended | revoked
    Column("premium_state", String(16), nullable=True),
    Column("premium_from", String(10), nullable=True),  # ISO date: start of the premium year
    Column("premium_until", String(10), nullable=True),  # ISO date: end of the premium year
    # the identity assurance a premium card states (method and date, nothing else)
    Column("premium_identity_method", String(16), nullable=True),
    Column("premium_identity_verified_on", String(10), nullable=True),
    # the proofed person key the premium was granted to (the platform-wide cap counts it)
    Column("premium_person_key", String(128), nullable=True),
    Column("state_reason", String(64), nullable=True),  # why premium ended (told to holder)
    UniqueConstraint("person_id", "body_code"),
    Index(None, "body_code", "created_at"),
    Index(None, "premium_person_key"),
)

offers = Table(
    "offers",
    metadata,
    Column("code_hash", LargeBinary(32), primary_key=True),  # SHA-256 of the pre-auth code
    Column("registration_id", String(64), ForeignKey("registrations.id"), nullable=False),
    Column("body_code", String(6), nullable=False),
    Column("tx_code_hash", LargeBinary(32), nullable=True),
    Column("configuration_ids", Text, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("used_at", BigInteger, nullable=True),
    Column("failed_attempts", Integer, nullable=False, default=0),
)

status_lists = Table(
    "status_lists",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("body_code", String(6), ForeignKey("bodies.code"), nullable=False),
    Column("list_id", Integer, nullable=False),  # the short id QR credentials carry
    Column("size", Integer, nullable=False),
    Column("bits", SmallInteger, nullable=False),
    Column("allocated", Integer, nullable=False),
    Column("open", Boolean, nullable=False),  # still takes new cards
    Column("created_at", BigInteger, nullable=False),
    UniqueConstraint("body_code", "list_id"),
)

status_entries = Table(
    "status_entries",
    metadata,
    Column("status_list_pk", Integer, ForeignKey("status_lists.id"), nullable=False),
    Column("idx", Integer, nullable=False),
    Column("registration_id", String(64), ForeignKey("registrations.id"), nullable=False),
    Column("value", SmallInteger, nullable=False),  # 0 VALID, 1 INVALID, 2 SUSPENDED
    Column("created_at", BigInteger, nullable=False),
    # (0002) the tier of the card this entry belongs to, and the RFC 7638 thumbprint of
    # its holder key: check-ins are accepted only from keys issued to the registration
    Column("tier", String(16), nullable=True),
    Column("holder_jkt", LargeBinary(32), nullable=True),
    PrimaryKeyConstraint("status_list_pk", "idx"),
    Index(None, "registration_id"),
)

status_tokens = Table(
    "status_tokens",
    metadata,
    Column("status_list_pk", Integer, ForeignKey("status_lists.id"), primary_key=True),
    Column("sequence", Integer, nullable=False),
    Column("issued_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("jwt", Text, nullable=False),
    Column("cwt", LargeBinary, nullable=False),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("scope", String(200), nullable=False),
    Column("key", String(255), nullable=False),
    Column("request_hash", LargeBinary(32), nullable=False),
    Column("status_code", Integer, nullable=True),  # NULL while the first request runs
    Column("content_type", String(100), nullable=True),
    Column("response_body", LargeBinary, nullable=True),
    Column("created_at", BigInteger, nullable=False),
    PrimaryKeyConstraint("scope", "key"),
)

staff = Table(
    "staff",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("body_code", String(6), ForeignKey("bodies.code"), nullable=False),
    Column("username", String(128), nullable=False),
    Column("role", String(16), nullable=False),  # admin | reviewer | viewer
    Column("token_hash", LargeBinary(32), nullable=False, unique=True),
    Column("created_at", BigInteger, nullable=False),
    UniqueConstraint("body_code", "username"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("body_code", String(6), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("at", BigInteger, nullable=False),
    Column("actor", String(160), nullable=False),
    Column("action", String(64), nullable=False),
    Column("target", String(128), nullable=False),
    Column("detail", Text, nullable=False),
    Column("prev_hash", LargeBinary(32), nullable=False),
    Column("hash", LargeBinary(32), nullable=False),
    UniqueConstraint("body_code", "seq"),
)


# ---------------------------------------------------------------------------- premium (0002)

# Derived identity facts of the latest proofing of one app account (never the certificate,
# the name, the full address or a 12-digit number; see docs/identity-proofing.md).
identities = Table(
    "identities",
    metadata,
    Column("person_id", String(32), ForeignKey("persons.id"), primary_key=True),
    Column("person_key", String(128), nullable=False),  # HMAC under the server secret
    Column("method", String(16), nullable=False),
    Column("verified_on", String(10), nullable=False),  # ISO date (Japan)
    Column("address_code", String(6), nullable=True),
    Column("birth_year", Integer, nullable=True),
    # HMAC of what was proofed with (certificate issuer + serial, or OIDC iss + sub), to see
    # that the certificate changed (a move or a new name revokes the old one)
    Column("evidence_ref", LargeBinary(32), nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Index(None, "person_key"),
)

activities = Table(
    "activities",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("body_code", String(6), ForeignKey("bodies.code"), nullable=False),
    Column("activity_id", String(64), nullable=False),  # the token's jti
    Column("title_ja", String(64), nullable=False),
    Column("title_en", String(64), nullable=False),
    Column("place", String(200), nullable=False),
    Column("capacity", Integer, nullable=True),
    Column("not_before", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("designated", Boolean, nullable=False),
    Column("check_in_mode", String(16), nullable=False),  # qr | qr_location | location
    Column("geofence_lat_e6", Integer, nullable=True),  # micro-degrees (exact on both DBs)
    Column("geofence_lon_e6", Integer, nullable=True),
    Column("geofence_radius_m", Integer, nullable=True),
    Column("token", Text, nullable=False),  # the signed activity JWS (the poster's QR)
    Column("attendance_count", Integer, nullable=False, default=0),
    Column("created_at", BigInteger, nullable=False),
    Column("created_by", String(160), nullable=False),
    UniqueConstraint("body_code", "activity_id"),
)

# One row per registration and activity: the primary key is "once per person per activity".
attendances = Table(
    "attendances",
    metadata,
    Column("activity_pk", Integer, ForeignKey("activities.id"), nullable=False),
    Column("registration_id", String(64), ForeignKey("registrations.id"), nullable=False),
    Column("source", String(16), nullable=False),  # check_in | evidence
    Column("attended_on", String(10), nullable=False),  # ISO date (Japan)
    Column("created_at", BigInteger, nullable=False),
    PrimaryKeyConstraint("activity_pk", "registration_id"),
    Index(None, "registration_id"),
)

evidence = Table(
    "evidence",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("body_code", String(6), nullable=False),
    Column("registration_id", String(64), ForeignKey("registrations.id"), nullable=False),
    Column("activity_pk", Integer, ForeignKey("activities.id"), nullable=False),
    Column("attended_on", String(10), nullable=False),
    Column("note", String(500), nullable=False),
    Column("media_type", String(40), nullable=False),
    Column("size", Integer, nullable=False),
    Column("sha256", LargeBinary(32), nullable=False),
    Column("content", LargeBinary, nullable=True),  # deleted once decided
    Column("state", String(16), nullable=False),  # pending | accepted | rejected
    Column("reason", String(500), nullable=True),
    Column("submitted_at", BigInteger, nullable=False),
    Column("decided_at", BigInteger, nullable=True),
    Column("decided_by", String(160), nullable=True),
    Index(None, "body_code", "state", "submitted_at"),
)

premium_applications = Table(
    "premium_applications",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("body_code", String(6), nullable=False),
    Column("registration_id", String(64), ForeignKey("registrations.id"), nullable=False),
    # set while pending, NULL once decided: at most one pending application per registration
    Column("pending_registration_id", String(64), nullable=True, unique=True),
    Column("kind", String(16), nullable=False),  # new | renewal
    Column("state", String(16), nullable=False),  # pending | approved | rejected
    Column("checklist", Text, nullable=False),  # JSON: the rule outcomes at submission
    Column("guardian_consent", Boolean, nullable=False),  # declared; staff confirm it
    Column("person_key", String(128), nullable=False),
    Column("reason", String(500), nullable=True),
    Column("submitted_at", BigInteger, nullable=False),
    Column("decided_at", BigInteger, nullable=True),
    Column("decided_by", String(160), nullable=True),
    Index(None, "body_code", "state", "submitted_at"),
)


# ---------------------------------------------------------------------------- notices and benefits
# (issue 9, migration 0004_notices_benefits). Both are public information of a body: no
# personal data. Withdrawn rows are kept (state "withdrawn") for the audit trail.

notices = Table(
    "notices",
    metadata,
    Column("body_code", String(6), ForeignKey("bodies.code"), nullable=False),
    Column("notice_id", String(64), nullable=False),
    Column("category", String(16), nullable=False),  # event | volunteer | disaster | info
    Column("title_ja", Text, nullable=False),
    Column("title_en", Text, nullable=True),
    Column("text_ja", Text, nullable=False),
    Column("text_en", Text, nullable=True),
    Column("audience", String(16), nullable=False),  # basic | premium | any
    Column("interests", Text, nullable=False),  # JSON array of tags
    Column("valid_from", BigInteger, nullable=False),
    Column("valid_until", BigInteger, nullable=False),
    Column("link", Text, nullable=True),
    Column("state", String(16), nullable=False),  # active | withdrawn
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    PrimaryKeyConstraint("body_code", "notice_id"),
)

benefits = Table(
    "benefits",
    metadata,
    Column("body_code", String(6), ForeignKey("bodies.code"), nullable=False),
    Column("benefit_id", String(64), nullable=False),
    Column("kind", String(16), nullable=False),  # shop | facility
    Column("name_ja", Text, nullable=False),
    Column("name_en", Text, nullable=True),
    Column("offer_ja", Text, nullable=False),
    Column("offer_en", Text, nullable=True),
    Column("tier", String(16), nullable=False),  # basic | premium (the least tier)
    Column("valid_from", BigInteger, nullable=False),
    Column("valid_until", BigInteger, nullable=False),
    Column("state", String(16), nullable=False),  # active | withdrawn
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    PrimaryKeyConstraint("body_code", "benefit_id"),
)

# The latest signed document of each kind ("notices", "benefits") per body; ``sequence``
# only goes up (the row is updated under the same transaction as the change it publishes).
body_documents = Table(
    "body_documents",
    metadata,
    Column("body_code", String(6), ForeignKey("bodies.code"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("sequence", Integer, nullable=False),
    Column("issued_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("jws", Text, nullable=False),
    PrimaryKeyConstraint("body_code", "kind"),
)


# ---------------------------------------------------------------------------- member import
# (issue 9, migration 0005_member_import; docs/member-import.md)
#
# ``imported_members (body_code, member_number)`` is the primary key: a member of a body's fan
# club or digital-resident list is imported once, however often or concurrently the file is
# imported again. The row is claimed (INSERT … ON CONFLICT DO NOTHING) before the person,
# registration and offer rows of the same transaction are written, so ``registration_id``
# carries no foreign key (it would be checked before the registration row exists).
# ``row_hash`` is the SHA-256 of what the registration stores, to tell a re-import from a
# changed row. The contact (e-mail, phone) is never stored: it only goes to the outbox.

imported_members = Table(
    "imported_members",
    metadata,
    Column("body_code", String(6), ForeignKey("bodies.code"), nullable=False),
    Column("member_number", String(64), nullable=False),
    Column("registration_id", String(64), nullable=False, unique=True),
    Column("row_hash", LargeBinary(32), nullable=False),
    Column("import_id", String(32), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    PrimaryKeyConstraint("body_code", "member_number"),
)


# ---------------------------------------------------------------------------- dashboards
# (migration 0003_dashboard) Denormalised copies of two JSON fields, written by
# store.register and backfilled by the migration, so the dashboards group 1M rows by plain
# indexed columns instead of parsing JSON text per row (docs/dashboard.md, "Performance").

#: JIS X 0401 code (2 digits) of ``profile.home_prefecture``; NULL when not given
registrations.append_column(Column("home_prefecture", String(2), nullable=True))
#: bit ``i`` set when relationship type ``i`` (① = bit 0 … ④ = bit 3) is declared
registrations.append_column(
    Column("relationship_mask", SmallInteger, nullable=False, server_default="0")
)
#: one index serving every dashboard query of a body: PostgreSQL answers them from the
#: index alone (index-only scans), without reading the wide JSON rows
Index(
    "ix_registrations_dashboard",
    registrations.c.body_code,
    registrations.c.state,
    registrations.c.tier,
    registrations.c.valid_until,
    registrations.c.home_prefecture,
    registrations.c.relationship_mask,
    registrations.c.created_at,
    registrations.c.premium_approved_at,
    registrations.c.via_registration_id,
)
#: the national view counts distinct persons with a current registration: an index-only,
#: already sorted walk over this one
Index(
    "ix_registrations_person_current",
    registrations.c.person_id,
    registrations.c.state,
    registrations.c.valid_until,
    registrations.c.tier,
    registrations.c.via_registration_id,
)

# (migration 0006_dashboard_snapshots) The raw counts of a dashboard view as of
# ``counted_at``: heavy views (national, prefecture) are counted once per refresh, not once
# per page load (docs/dashboard.md, "Snapshots"). ``refreshing_until`` is the lease of the
# server process refreshing it, so several processes do not count the same view at once;
# ``count_ms`` is how long the last count took (slow views are refreshed in the background).
dashboard_snapshots = Table(
    "dashboard_snapshots",
    metadata,
    Column("view_key", String(8), primary_key=True),  # a body code, or "national"
    Column("japan_date", String(10), nullable=False),  # the Japan date it was counted for
    Column("counted_at", BigInteger, nullable=False),
    Column("counts", Text, nullable=False),  # furusato_vc.issuer.dashboard.snapshot
    Column("refreshing_until", BigInteger, nullable=True),
    Column("count_ms", Integer, nullable=False),
)
