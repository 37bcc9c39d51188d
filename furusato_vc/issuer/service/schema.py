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
    "audit_log",
    "bodies",
    "idempotency_keys",
    "metadata",
    "offers",
    "persons",
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
    UniqueConstraint("person_id", "body_code"),
    Index(None, "body_code", "created_at"),
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
