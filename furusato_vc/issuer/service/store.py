"""Database work of the issuer service: every function takes an open ``AsyncConnection``
inside a transaction the caller owns, so one request is one transaction (all or nothing) and a
retried request either replays (idempotency) or runs again from the start.

Rows never leave this package: functions return frozen dataclasses.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import Table, and_, bindparam, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from furusato_vc.core.encoding import b64url_encode
from furusato_vc.core.errors import (
    ErrorCode,
    IssuanceError,
    RequestError,
    StorageError,
    VerificationError,
)
from furusato_vc.core.jose.jwk import PublicJwk, parse_public_jwk
from furusato_vc.core.oid4vci.token import create_pre_authorized_code, create_tx_code
from furusato_vc.core.registration.claims import (
    IdentityAssurance,
    IdentityMethod,
    PersonName,
    RegistrationClaims,
    RelationshipType,
    StayPeriod,
    Tier,
)
from furusato_vc.core.statuslist.allocation import StatusSlot, draw_index
from furusato_vc.core.statuslist.encoding import StatusListBuilder, StatusType
from furusato_vc.issuer.service import schema as t
from furusato_vc.issuer.service.keystore import open_signing_key
from furusato_vc.issuer.status import sign_status_list_tokens

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.ext.asyncio import AsyncConnection

    from furusato_vc.core.jose.signer import Signer
    from furusato_vc.core.oid4vci.offer import TxCode
    from furusato_vc.core.randomness import RandomSource
    from furusato_vc.issuer.service.settings import ServiceSettings

__all__ = [
    "Allocation",
    "BodyRecord",
    "OfferGrant",
    "RegistrationRecord",
    "add_body",
    "allocate_slots",
    "basic_registration_row",
    "change_status",
    "count_allocation",
    "create_offer",
    "load_registration",
    "offer_row",
    "publish_status_list",
    "publish_unpublished",
    "record_from_row",
    "redeem_offer",
    "register",
    "relationship_mask",
    "republish_due",
]


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def insert_ignore(conn: AsyncConnection, table: Table, *returning: str) -> Any:
    """``INSERT … ON CONFLICT DO NOTHING [RETURNING …]`` for the connection's dialect, to
    execute with parameters (see :func:`_ignoring`)."""
    return _ignoring(conn.dialect.name, table, *returning)


@functools.cache
def _ignoring(dialect: str, table: Table, *returning: str) -> Any:
    """A prepared ``INSERT … ON CONFLICT DO NOTHING [RETURNING …]`` for ``dialect``, built
    once: the hot paths execute prepared statements with parameters, so SQLAlchemy's
    compiled cache is hit without rebuilding (and re-keying) a statement per request."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement: Any = insert(table).on_conflict_do_nothing()
    if returning:
        statement = statement.returning(*(table.c[name] for name in returning))
    return statement


# prepared statements of the per-request paths (parameters by name)
_PERSON_BY_REF: Final = select(t.persons.c.id).where(t.persons.c.person_ref == bindparam("ref"))
_PERSON_REGISTRATIONS: Final = select(
    t.registrations.c.body_code, t.registrations.c.via_registration_id, t.registrations.c.state
).where(t.registrations.c.person_id == bindparam("person_id"))
_REGISTRATION_BY_ID: Final = select(t.registrations).where(
    t.registrations.c.id == bindparam("registration_id")
)
_INSERT_REGISTRATION: Final = t.registrations.insert()
_INSERT_OFFER: Final = t.offers.insert()
# the token endpoint's happy path in one statement: an unused, unexpired code of this body
# whose tx_code matches and which has attempts left is marked used (anything else falls
# back to the detailed checks that name the failure and count the attempt)
_REDEEM: Final = (
    update(t.offers)
    .where(
        and_(
            t.offers.c.code_hash == bindparam("b_code_hash"),
            t.offers.c.body_code == bindparam("b_body_code"),
            t.offers.c.used_at.is_(None),
            t.offers.c.expires_at > bindparam("now"),
            t.offers.c.failed_attempts < bindparam("max_attempts"),
            or_(
                t.offers.c.tx_code_hash.is_(None),
                t.offers.c.tx_code_hash == bindparam("b_tx_code_hash"),
            ),
        )
    )
    .values(used_at=bindparam("now"))
    .returning(t.offers.c.registration_id, t.offers.c.body_code, t.offers.c.configuration_ids)
)
_OPEN_LIST: Final = (
    select(t.status_lists.c.id, t.status_lists.c.list_id, t.status_lists.c.size)
    .where(and_(t.status_lists.c.body_code == bindparam("body_code"), t.status_lists.c.open))
    .order_by(t.status_lists.c.list_id)
    .limit(1)
)
_COUNT_ALLOCATED: Final = (
    update(t.status_lists)
    .where(t.status_lists.c.id == bindparam("list_pk"))
    .values(allocated=t.status_lists.c.allocated + bindparam("count"))
    .returning(t.status_lists.c.allocated, t.status_lists.c.size, t.status_lists.c.open)
)


# ---------------------------------------------------------------------------- bodies


@dataclass(frozen=True, slots=True, kw_only=True)
class BodyRecord:
    code: str
    issuer_id: str
    accepting: bool
    signer: Signer
    keys: tuple[PublicJwk, ...]


def issuer_id_for(settings: ServiceSettings, body_code: str) -> str:
    """The Credential Issuer Identifier (OpenID4VCI §12.2.1) and ``iss`` of one body."""
    return f"{settings.base_url}/bodies/{body_code}"


def status_list_uri(issuer_id: str, list_id: int) -> str:
    return f"{issuer_id}/status/{list_id}"


async def add_body(
    conn: AsyncConnection,
    *,
    code: str,
    issuer_id: str,
    kid: str,
    sealed_private: bytes,
    public_jwk: PublicJwk,
    now: int,
    settings: ServiceSettings,
) -> None:
    """Host a body: its row, its first signing key and its first status lists."""
    await conn.execute(
        t.bodies.insert().values(code=code, issuer_id=issuer_id, accepting=True, created_at=now)
    )
    await conn.execute(
        t.signing_keys.insert().values(
            body_code=code,
            kid=kid,
            public_jwk=_json(public_jwk.to_json(include_kid=False)),
            sealed_private=sealed_private,
            not_before=now - now % 86_400,  # cards carry iat rounded to the day
            not_after=None,
            active=True,
            created_at=now,
        )
    )
    await _ensure_spare_lists(conn, body_code=code, now=now, settings=settings)


async def load_bodies(conn: AsyncConnection, *, kek: bytes) -> dict[str, BodyRecord]:
    """Every hosted body with its active signer (decrypted once per process)."""
    rows = (await conn.execute(select(t.bodies))).mappings().all()
    keys = (
        (await conn.execute(select(t.signing_keys).order_by(t.signing_keys.c.id))).mappings().all()
    )
    out: dict[str, BodyRecord] = {}
    for row in rows:
        own = [key for key in keys if key["body_code"] == row["code"]]
        active = [key for key in own if key["active"]]
        if not active:
            continue
        current = active[-1]
        signer = open_signing_key(
            current["sealed_private"],
            body_code=row["code"],
            kid=current["kid"],
            kek=kek,
        )
        out[row["code"]] = BodyRecord(
            code=row["code"],
            issuer_id=row["issuer_id"],
            accepting=row["accepting"],
            signer=signer,
            keys=tuple(
                parse_public_jwk(json.loads(key["public_jwk"])).with_kid(key["kid"]) for key in own
            ),
        )
    return out


# ---------------------------------------------------------------------------- persons


def person_ref(account: str, *, secret: bytes) -> bytes:
    """The stored form of the app's account identifier: HMAC-SHA-256 under the server
    secret, so the database alone does not reveal or confirm an account id."""
    return hmac.new(secret, b"person\x00" + account.encode(), hashlib.sha256).digest()


async def _person_id(
    conn: AsyncConnection, *, ref: bytes, now: int, random: RandomSource
) -> tuple[str, bool]:
    """The person's id, creating the person if new; ``True`` when created just now."""
    new_id = b64url_encode(random.token_bytes(16))
    created = await conn.scalar(
        insert_ignore(conn, t.persons, "id"),
        {"id": new_id, "person_ref": ref, "created_at": now},
    )
    if created is not None:
        return str(created), True
    found = await person_for_ref(conn, ref)
    assert found is not None
    return found, False


async def person_for_ref(conn: AsyncConnection, ref: bytes) -> str | None:
    """The id of the person an account's :func:`person_ref` belongs to, if any."""
    found = await conn.scalar(_PERSON_BY_REF, {"ref": ref})
    return None if found is None else str(found)


async def is_owner(conn: AsyncConnection, registration: RegistrationRecord, ref: bytes) -> bool:
    """Whether ``registration`` belongs to the account whose :func:`person_ref` is ``ref``."""
    owner = await conn.scalar(
        select(t.persons.c.person_ref).where(t.persons.c.id == registration.person_id)
    )
    return owner is not None and hmac.compare_digest(bytes(owner), ref)


# ---------------------------------------------------------------------------- registrations


def relationship_mask(types: Sequence[RelationshipType]) -> int:
    """The ``relationship_mask`` column: bit ``i`` for the ``i``-th type (① bit 0 … ④ bit 3)."""
    order = list(RelationshipType)
    return sum(1 << order.index(kind) for kind in set(types))


@dataclass(frozen=True, slots=True, kw_only=True)
class RegistrationRecord:
    id: str
    body_code: str
    person_id: str
    tier: Tier
    state: str
    valid_from: date
    valid_until: date | None
    relationship_types: tuple[RelationshipType, ...]
    interests: tuple[str, ...]
    profile: dict[str, Any]
    via_registration_id: str | None
    created_at: int
    premium_state: str | None = None  # active | suspended | revoked (None: never premium)
    premium_from: date | None = None
    premium_until: date | None = None
    identity_assurance: IdentityAssurance | None = None  # stated by premium cards
    state_reason: str | None = None

    def claims(self) -> RegistrationClaims:
        """The registration as the claims model the issuer library signs."""
        profile = self.profile
        premium = self.tier is Tier.PREMIUM
        name = profile.get("name")
        stay = profile.get("stay")
        return RegistrationClaims(
            issuing_body=self.body_code,
            tier=self.tier,
            registration_id=self.id,
            # a premium card is valid for its premium year only (renewed yearly)
            valid_from=self.premium_from if premium and self.premium_from else self.valid_from,
            valid_until=self.premium_until if premium else self.valid_until,
            identity_assurance=self.identity_assurance if premium else None,
            relationship_types=self.relationship_types,
            name=None if name is None else PersonName(**name),
            birthdate=None
            if profile.get("birthdate") is None
            else date.fromisoformat(profile["birthdate"]),
            home_prefecture=profile.get("home_prefecture"),
            stay=None
            if stay is None
            else StayPeriod(start=date.fromisoformat(stay[0]), end=date.fromisoformat(stay[1])),
            member_number=profile.get("member_number"),
        )


def _date_or_none(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def record_from_row(row: Any) -> RegistrationRecord:
    return RegistrationRecord(
        id=row["id"],
        body_code=row["body_code"],
        person_id=row["person_id"],
        tier=Tier(row["tier"]),
        state=row["state"],
        valid_from=date.fromisoformat(row["valid_from"]),
        valid_until=None if row["valid_until"] is None else date.fromisoformat(row["valid_until"]),
        relationship_types=tuple(
            RelationshipType(v) for v in json.loads(row["relationship_types"])
        ),
        interests=tuple(json.loads(row["interests"])),
        profile=json.loads(row["profile"]),
        via_registration_id=row["via_registration_id"],
        created_at=row["created_at"],
        premium_state=row["premium_state"],
        premium_from=_date_or_none(row["premium_from"]),
        premium_until=_date_or_none(row["premium_until"]),
        identity_assurance=None
        if row["premium_identity_method"] is None
        else IdentityAssurance(
            method=IdentityMethod(row["premium_identity_method"]),
            verified_on=date.fromisoformat(row["premium_identity_verified_on"]),
        ),
        state_reason=row["state_reason"],
    )


async def load_registration(conn: AsyncConnection, registration_id: str) -> RegistrationRecord:
    """Raises:
    RequestError: ``resource_not_found``.
    """
    row = (
        (await conn.execute(_REGISTRATION_BY_ID, {"registration_id": registration_id}))
        .mappings()
        .first()
    )
    if row is None:
        raise RequestError(ErrorCode.RESOURCE_NOT_FOUND, "no such registration")
    return record_from_row(row)


def basic_registration_row(
    *,
    registration_id: str,
    body_code: str,
    person_id: str,
    valid_from: date,
    valid_until: date | None,
    relationship_types: Sequence[RelationshipType],
    interests: Sequence[str],
    profile_json: str,
    home_prefecture: str | None,
    via_registration_id: str | None,
    now: int,
) -> dict[str, Any]:
    """Every column of a new, active basic registration (the app's and the member import's)."""
    return {
        # dashboard copies of two JSON fields (schema.py, migration 0003_dashboard)
        "home_prefecture": home_prefecture,
        "relationship_mask": relationship_mask(relationship_types),
        "id": registration_id,
        "body_code": body_code,
        "person_id": person_id,
        "tier": Tier.BASIC.value,
        "state": "active",
        "valid_from": valid_from.isoformat(),
        "valid_until": None if valid_until is None else valid_until.isoformat(),
        "relationship_types": _json([v.value for v in relationship_types]),
        "interests": _json(list(interests)),
        "profile": profile_json,
        "via_registration_id": via_registration_id,
        "premium_approved_at": None,
        "created_at": now,
        "updated_at": now,
        "premium_state": None,
        "premium_from": None,
        "premium_until": None,
        "premium_identity_method": None,
        "premium_identity_verified_on": None,
        "premium_person_key": None,
        "state_reason": None,
    }


async def register(
    conn: AsyncConnection,
    *,
    account_ref: bytes,
    body_code: str,
    prefecture_code: str | None,
    valid_from: date,
    valid_until: date | None,
    relationship_types: Sequence[RelationshipType],
    interests: Sequence[str],
    profile: dict[str, Any],
    now: int,
    random: RandomSource,
    max_registrations: int,
) -> tuple[RegistrationRecord, RegistrationRecord | None]:
    """A basic registration with ``body_code``, and the prefecture's record when a
    municipality is chosen (registering with a municipality also registers with its
    prefecture; an existing prefecture registration is kept).

    Raises:
        IssuanceError: ``registration_exists``, ``registration_limit_reached``.
    """
    person_id, new_person = await _person_id(conn, ref=account_ref, now=now, random=random)
    if not new_person:  # a person created just now has no registrations yet
        held = (await conn.execute(_PERSON_REGISTRATIONS, {"person_id": person_id})).all()
        if any(code == body_code for code, _via, _state in held):
            raise IssuanceError(ErrorCode.REGISTRATION_EXISTS, "already registered with this body")
        # count only registrations the person chose (prefecture records come with them)
        chosen = sum(1 for _code, via, state in held if via is None and state != "revoked")
        if chosen >= max_registrations:
            raise IssuanceError(ErrorCode.REGISTRATION_LIMIT_REACHED, "registration limit reached")

    def values(code: str, via: str | None) -> dict[str, Any]:
        return basic_registration_row(
            registration_id=b64url_encode(random.token_bytes(16)),
            body_code=code,
            person_id=person_id,
            valid_from=valid_from,
            valid_until=valid_until,
            relationship_types=relationship_types,
            interests=interests,
            profile_json=_json(profile),
            home_prefecture=profile.get("home_prefecture"),
            via_registration_id=via,
            now=now,
        )

    main = values(body_code, None)
    prefecture: RegistrationRecord | None = None
    if prefecture_code is None or prefecture_code == body_code:
        await conn.execute(_INSERT_REGISTRATION, main)
    elif new_person:  # both rows in one round trip
        record = values(prefecture_code, main["id"])
        await conn.execute(_INSERT_REGISTRATION, [main, record])
        prefecture = record_from_row(record)
    else:  # an existing prefecture registration is kept
        await conn.execute(_INSERT_REGISTRATION, main)
        record = values(prefecture_code, main["id"])
        inserted = await conn.scalar(insert_ignore(conn, t.registrations, "id"), record)
        if inserted is not None:
            prefecture = record_from_row(record)
    return record_from_row(main), prefecture


# ---------------------------------------------------------------------------- offers


@dataclass(frozen=True, slots=True, kw_only=True)
class OfferGrant:
    registration_id: str
    body_code: str
    configuration_ids: tuple[str, ...]


def offer_row(
    *,
    code: str,
    tx_code: str,
    registration_id: str,
    body_code: str,
    configuration_ids: Sequence[str],
    expires_at: int,
) -> dict[str, Any]:
    """Every column of a new offer (the app's and the member import's): only the SHA-256 of
    the pre-authorized code and of the tx_code is stored."""
    return {
        "code_hash": sha256(code.encode()),
        "registration_id": registration_id,
        "body_code": body_code,
        "tx_code_hash": sha256(tx_code.encode()),
        "configuration_ids": _json(list(configuration_ids)),
        "expires_at": expires_at,
        "used_at": None,
        "failed_attempts": 0,
    }


async def create_offer(
    conn: AsyncConnection,
    *,
    registration: RegistrationRecord,
    configuration_ids: Sequence[str],
    now: int,
    lifetime: int,
    random: RandomSource,
    tx_code: TxCode,
) -> tuple[str, str]:
    """A single-use pre-authorized code and its transaction code (OpenID4VCI §4.1.1).
    Only their SHA-256 is stored; the caller shows the tx_code to the person once.

    Raises:
        IssuanceError: ``registration_not_active``.
    """
    if registration.state != "active":
        raise IssuanceError(ErrorCode.REGISTRATION_NOT_ACTIVE, "registration is not active")
    code = create_pre_authorized_code(random=random)
    secret_tx_code = create_tx_code(tx_code, random=random)
    await conn.execute(
        _INSERT_OFFER,
        offer_row(
            code=code,
            tx_code=secret_tx_code,
            registration_id=registration.id,
            body_code=registration.body_code,
            configuration_ids=configuration_ids,
            expires_at=now + lifetime,
        ),
    )
    return code, secret_tx_code


async def redeem_offer(
    conn: AsyncConnection,
    *,
    code: str,
    tx_code: str | None,
    body_code: str,
    now: int,
    max_attempts: int,
) -> OfferGrant:
    """The token endpoint's checks (OpenID4VCI §6.1, §6.3; errata §13.6.3 guessing limit).
    A wrong tx_code counts an attempt (committed even though the request fails: the caller
    commits failures of this function); the code dies after ``max_attempts``.

    Raises:
        VerificationError: ``pre_authorized_code_invalid``, ``tx_code_missing``,
            ``tx_code_invalid``, ``tx_code_attempts_exceeded``.
    """
    code_hash = sha256(code.encode())
    redeemed = (
        await conn.execute(
            _REDEEM,
            {
                "b_code_hash": code_hash,
                "b_body_code": body_code,
                "now": now,
                "max_attempts": max_attempts,
                "b_tx_code_hash": b"" if tx_code is None else sha256(tx_code.encode()),
            },
        )
    ).first()
    if redeemed is not None:
        return OfferGrant(
            registration_id=redeemed.registration_id,
            body_code=redeemed.body_code,
            configuration_ids=tuple(json.loads(redeemed.configuration_ids)),
        )
    # the detailed checks: which failure it is, and a wrong tx_code counts an attempt
    row = (
        (
            await conn.execute(
                select(t.offers).where(t.offers.c.code_hash == code_hash).with_for_update()
            )
        )
        .mappings()
        .first()
    )
    if row is None or row["body_code"] != body_code or row["used_at"] is not None:
        raise VerificationError(ErrorCode.PRE_AUTHORIZED_CODE_INVALID, "unknown or used code")
    if now >= row["expires_at"]:
        raise VerificationError(ErrorCode.PRE_AUTHORIZED_CODE_INVALID, "code expired")
    if row["failed_attempts"] >= max_attempts:
        raise VerificationError(ErrorCode.TX_CODE_ATTEMPTS_EXCEEDED, "too many attempts")
    if row["tx_code_hash"] is not None:
        if tx_code is None:
            raise VerificationError(ErrorCode.TX_CODE_MISSING, "tx_code is required")
        if not hmac.compare_digest(sha256(tx_code.encode()), row["tx_code_hash"]):
            attempts = row["failed_attempts"] + 1
            await conn.execute(
                update(t.offers)
                .where(t.offers.c.code_hash == code_hash)
                .values(failed_attempts=attempts)
            )
            if attempts >= max_attempts:
                raise VerificationError(ErrorCode.TX_CODE_ATTEMPTS_EXCEEDED, "too many attempts")
            raise VerificationError(ErrorCode.TX_CODE_INVALID, "wrong tx_code")
    await conn.execute(
        update(t.offers).where(t.offers.c.code_hash == code_hash).values(used_at=now)
    )
    return OfferGrant(
        registration_id=row["registration_id"],
        body_code=row["body_code"],
        configuration_ids=tuple(json.loads(row["configuration_ids"])),
    )


# ---------------------------------------------------------------------------- status lists


async def _ensure_spare_lists(
    conn: AsyncConnection, *, body_code: str, now: int, settings: ServiceSettings
) -> None:
    """Keep ``spare_status_lists`` open lists beyond the one in use, so that the trust list
    (which must name every list before cards in it verify offline) is always ahead."""
    open_count = await conn.scalar(
        select(func.count())
        .select_from(t.status_lists)
        .where(and_(t.status_lists.c.body_code == body_code, t.status_lists.c.open.is_(True)))
    )
    wanted = 1 + settings.spare_status_lists - (open_count or 0)
    if wanted <= 0:
        return
    highest = await conn.scalar(
        select(func.max(t.status_lists.c.list_id)).where(t.status_lists.c.body_code == body_code)
    )
    for offset in range(1, wanted + 1):
        await conn.execute(
            insert_ignore(conn, t.status_lists),
            {
                "body_code": body_code,
                "list_id": (highest or 0) + offset,
                "size": settings.status_lists.size,
                "bits": settings.status_lists.bits,
                "allocated": 0,
                "open": True,
                "created_at": now,
            },
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Allocation:
    """Status entries taken for one issuance, not yet counted against the list's fill
    limit (``count_allocation`` does that last, see there)."""

    slots: tuple[StatusSlot, ...]
    list_pk: int
    lists_created: bool


async def allocate_slots(
    conn: AsyncConnection,
    *,
    body_code: str,
    issuer_id: str,
    registration_id: str,
    holder_jkts: Sequence[bytes],
    tier: Tier,
    now: int,
    random: RandomSource,
    settings: ServiceSettings,
) -> Allocation:
    """One fresh status entry per holder key (slots in the order of ``holder_jkts``, the
    RFC 7638 thumbprints of the cards' keys) at random indices of the body's open list
    (draft-ietf-oauth-status-list-20 §12.5.1). Each entry records the card's tier and holder
    key, so that premium can end without touching basic cards and check-ins are accepted
    only from keys issued to the registration. Uniqueness is the database's primary key:
    ``INSERT … ON CONFLICT DO NOTHING`` and a redraw for every index that was taken,
    by this or any other process. Nothing here locks a row other transactions need.

    Raises:
        StorageError: ``status_list_exhausted`` if no open list can take the entries.
    """
    created = False
    for _attempt in range(8):
        row = (await conn.execute(_OPEN_LIST, {"body_code": body_code})).first()
        if row is None:
            await _ensure_spare_lists(conn, body_code=body_code, now=now, settings=settings)
            created = True
            continue
        list_pk, list_id, size = row
        uri = status_list_uri(issuer_id, list_id)
        insert = insert_ignore(conn, t.status_entries, "idx")
        slot_of: dict[bytes, StatusSlot] = {}
        for _draw in range(64):
            waiting = [jkt for jkt in holder_jkts if jkt not in slot_of]
            if not waiting:
                break
            indices = sorted({draw_index(random, size) for _ in waiting})
            holder_at = dict(zip(indices, waiting, strict=False))
            rows = [
                {
                    "status_list_pk": list_pk,
                    "idx": idx,
                    "registration_id": registration_id,
                    "value": 0,
                    "created_at": now,
                    "tier": tier.value,
                    "holder_jkt": jkt,
                }
                for idx, jkt in holder_at.items()
            ]
            inserted = await conn.execute(insert, rows[0] if len(rows) == 1 else rows)
            for idx in inserted.scalars().all():
                slot_of[holder_at[idx]] = StatusSlot(list_id=list_id, uri=uri, idx=idx)
        if len(slot_of) < len(holder_jkts):
            raise StorageError(ErrorCode.STATUS_LIST_EXHAUSTED, "no free index found")
        slots = tuple(slot_of[jkt] for jkt in holder_jkts)
        return Allocation(slots=slots, list_pk=list_pk, lists_created=created)
    raise StorageError(ErrorCode.STATUS_LIST_EXHAUSTED, "no open status list")


async def count_allocation(
    conn: AsyncConnection,
    allocation: Allocation,
    *,
    body_code: str,
    now: int,
    settings: ServiceSettings,
) -> bool:
    """Count the allocation against the list's fill limit (``max_fill`` of its size, so a
    card's index hides among many) and close the list when it is reached, opening spares.
    Returns whether new lists were created (the caller publishes them).

    Call it last in the transaction: it updates the list's row, which every issuance of the
    body also updates, so the row lock is held only until the commit right after it, not
    while credentials are signed."""
    allocated, size, still_open = (
        await conn.execute(
            _COUNT_ALLOCATED,
            {"list_pk": allocation.list_pk, "count": len(allocation.slots)},
        )
    ).one()
    created = allocation.lists_created
    if still_open and allocated >= int(size * settings.status_lists.max_fill):
        await conn.execute(
            update(t.status_lists)
            .where(t.status_lists.c.id == allocation.list_pk)
            .values(open=False)
        )
        await _ensure_spare_lists(conn, body_code=body_code, now=now, settings=settings)
        created = True
    return created


# action → (states it may start from, the registration's new state, the status value written)
_TRANSITIONS: Final = {
    "suspend": (("active",), "suspended", StatusType.SUSPENDED),
    "reinstate": (("suspended",), "active", StatusType.VALID),
    "revoke": (("active", "suspended"), "revoked", StatusType.INVALID),
}


async def change_status(
    conn: AsyncConnection, *, registration: RegistrationRecord, action: str, now: int
) -> list[int]:
    """Suspend, reinstate or revoke every credential of a registration; returns the
    primary keys of the status lists that changed (to republish in the same transaction).

    Raises:
        IssuanceError: ``status_change_not_allowed`` (revoked is final; suspend only an
            active registration, reinstate only a suspended one).
    """
    allowed_from, new_state, value = _TRANSITIONS[action]
    if registration.state not in allowed_from:
        raise IssuanceError(ErrorCode.STATUS_CHANGE_NOT_ALLOWED, f"cannot {action} this")
    await conn.execute(
        update(t.registrations)
        .where(t.registrations.c.id == registration.id)
        .values(state=new_state, updated_at=now)
    )
    changed = await conn.execute(
        update(t.status_entries)
        .where(t.status_entries.c.registration_id == registration.id)
        .values(value=int(value))
        .returning(t.status_entries.c.status_list_pk)
    )
    return sorted(set(changed.scalars().all()))


async def publish_status_list(
    conn: AsyncConnection,
    *,
    status_list_pk: int,
    body: BodyRecord,
    now: int,
    settings: ServiceSettings,
) -> tuple[int, int]:
    """Sign the list's current state in both forms and store it as the published token
    (the sequence goes up by one). Returns the list's short id and its new sequence."""
    row = (
        (await conn.execute(select(t.status_lists).where(t.status_lists.c.id == status_list_pk)))
        .mappings()
        .one()
    )
    entries = await conn.execute(
        select(t.status_entries.c.idx, t.status_entries.c.value).where(
            and_(
                t.status_entries.c.status_list_pk == status_list_pk,
                t.status_entries.c.value != 0,
            )
        )
    )
    builder = StatusListBuilder(size=row["size"], bits=row["bits"])
    for idx, value in entries.all():
        builder.set(idx, value)
    signed = sign_status_list_tokens(
        builder.freeze(),
        uri=status_list_uri(body.issuer_id, row["list_id"]),
        list_id=row["list_id"],
        issuer=body.issuer_id,
        signer=body.signer,
        issued_at=now,
        config=settings.status_lists,
    )
    previous = await conn.scalar(
        select(t.status_tokens.c.sequence)
        .where(t.status_tokens.c.status_list_pk == status_list_pk)
        .with_for_update()
    )
    sequence = (previous or 0) + 1
    values = {
        "sequence": sequence,
        "issued_at": now,
        "expires_at": signed.expires_at,
        "jwt": signed.jwt,
        "cwt": signed.cwt,
    }
    if previous is None:
        await conn.execute(t.status_tokens.insert().values(status_list_pk=status_list_pk, **values))
    else:
        await conn.execute(
            update(t.status_tokens)
            .where(t.status_tokens.c.status_list_pk == status_list_pk)
            .values(**values)
        )
    return row["list_id"], sequence


async def publish_unpublished(
    conn: AsyncConnection, *, body: BodyRecord, now: int, settings: ServiceSettings
) -> list[int]:
    """Publish every list of ``body`` that has no token yet (new and spare lists are
    published empty, so verifiers hold them before the first card refers to them)."""
    pending = (
        (
            await conn.execute(
                select(t.status_lists.c.id)
                .select_from(
                    t.status_lists.outerjoin(
                        t.status_tokens, t.status_tokens.c.status_list_pk == t.status_lists.c.id
                    )
                )
                .where(
                    and_(
                        t.status_lists.c.body_code == body.code,
                        t.status_tokens.c.sequence.is_(None),
                    )
                )
            )
        )
        .scalars()
        .all()
    )
    for status_list_pk in pending:
        await publish_status_list(
            conn, status_list_pk=status_list_pk, body=body, now=now, settings=settings
        )
    return list(pending)


async def republish_due(
    conn: AsyncConnection, *, body: BodyRecord, now: int, settings: ServiceSettings
) -> list[int]:
    """Re-sign the lists whose token is older than half its ``ttl`` (run by
    ``furusato-vc issuer publish`` from cron, and by the service's background task)."""
    due = now - int(settings.status_lists.ttl.total_seconds()) // 2
    stale = (
        (
            await conn.execute(
                select(t.status_tokens.c.status_list_pk)
                .join(t.status_lists, t.status_lists.c.id == t.status_tokens.c.status_list_pk)
                .where(
                    and_(
                        t.status_lists.c.body_code == body.code, t.status_tokens.c.issued_at <= due
                    )
                )
            )
        )
        .scalars()
        .all()
    )
    for status_list_pk in stale:
        await publish_status_list(
            conn, status_list_pk=status_list_pk, body=body, now=now, settings=settings
        )
    return list(stale) + await publish_unpublished(conn, body=body, now=now, settings=settings)
