"""Premium registration in the database (issue 8): identity facts, designated activities and
attendance, evidence, applications, approval, and the end of premium.

Only derived facts are stored (see :mod:`.schema` ``identities``). The rules themselves are
the pure :func:`~furusato_vc.core.premium.eligibility.evaluate_eligibility`; this module
gathers the facts for it from the database and applies its outcome, always inside the
caller's transaction, so that nothing is half-written.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import and_, or_, select, text, update

from furusato_vc.core.encoding import b64url_decode
from furusato_vc.core.errors import ErrorCode, IssuanceError, RequestError, VerificationError
from furusato_vc.core.premium.eligibility import (
    ActivityAttendance,
    Applicant,
    EligibilityResult,
    add_months,
    evaluate_eligibility,
)
from furusato_vc.core.premium.identity_facts import IdentityFacts, IdentityMethod
from furusato_vc.core.registration.bodies import prefecture_code_of
from furusato_vc.core.registration.claims import JST, Tier
from furusato_vc.core.registration.claims import IdentityMethod as ClaimsIdentityMethod
from furusato_vc.core.statuslist.encoding import StatusType
from furusato_vc.issuer.service import schema as t
from furusato_vc.issuer.service.audit import append_audit
from furusato_vc.issuer.service.store import (
    BodyRecord,
    RegistrationRecord,
    publish_status_list,
    record_from_row,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.ext.asyncio import AsyncConnection

    from furusato_vc.core.registration.bodies import BodyRegistry
    from furusato_vc.core.statuslist.reference import StatusReference
    from furusato_vc.issuer.service.settings import ServiceSettings

__all__ = [
    "EndReason",
    "OwnStatus",
    "StoredIdentity",
    "applicant_for",
    "approve_application",
    "check_not_premium_elsewhere",
    "check_own_card",
    "checklist_json",
    "end_premium",
    "expire_lapsed_premium",
    "load_identity",
    "lock_person_key",
    "premium_year",
    "save_identity",
]


class EndReason(StrEnum):
    """Why premium ended; wire-stable, shown to the holder with :data:`REASON_TEXT`."""

    MOVED_INTO_MUNICIPALITY = "moved_into_municipality"
    RENEWAL_FAILED = "renewal_failed"


REASON_TEXT: Final[dict[str, tuple[str, str]]] = {
    EndReason.MOVED_INTO_MUNICIPALITY: (
        "住所地がこの市区町村になったため、プレミアム登録は取り消されました。",
        "Premium was revoked because this municipality is now your address municipality.",
    ),
    EndReason.RENEWAL_FAILED: (
        "更新の承認がないまま有効期限を過ぎたため、プレミアム登録は停止されました。",
        "Premium was suspended because its year ended without an approved renewal.",
    ),
}


# ---------------------------------------------------------------------------- time


def premium_year(start: date, months: int) -> date:
    """The last day of a premium period starting on ``start`` (``months`` ≤ 12, so a premium
    card never lives longer than a year)."""
    return add_months(start, months) - timedelta(days=1)


# ---------------------------------------------------------------------------- identities


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredIdentity:
    facts: IdentityFacts
    person_key: str
    evidence_ref: bytes


async def save_identity(
    conn: AsyncConnection,
    *,
    person_id: str,
    facts: IdentityFacts,
    person_key: str,
    evidence_ref: bytes,
    now: int,
) -> bool:
    """Store the derived facts of a proofing (replacing the previous ones). Returns whether
    what was proofed with changed (a new certificate: moved, new name, or a new card)."""
    previous = await load_identity(conn, person_id)
    values = {
        "person_key": person_key,
        "method": facts.method.value,
        "verified_on": facts.verified_on.isoformat(),
        "address_code": facts.address_municipality_code,
        "birth_year": facts.birth_year,
        "evidence_ref": evidence_ref,
        "updated_at": now,
    }
    if previous is None:
        await conn.execute(t.identities.insert().values(person_id=person_id, **values))
        return True
    await conn.execute(
        update(t.identities).where(t.identities.c.person_id == person_id).values(**values)
    )
    return previous.evidence_ref != evidence_ref


async def load_identity(conn: AsyncConnection, person_id: str) -> StoredIdentity | None:
    row = (
        (await conn.execute(select(t.identities).where(t.identities.c.person_id == person_id)))
        .mappings()
        .first()
    )
    if row is None:
        return None
    return StoredIdentity(
        facts=IdentityFacts(
            method=IdentityMethod(row["method"]),
            verified_on=date.fromisoformat(row["verified_on"]),
            address_municipality_code=row["address_code"],
            birth_year=row["birth_year"],
        ),
        person_key=row["person_key"],
        evidence_ref=bytes(row["evidence_ref"]),
    )


async def lock_person_key(conn: AsyncConnection, person_key: str) -> None:
    """Serialise premium decisions of one person across processes (the platform-wide cap is
    a count: two approvals at once must not both see 2). PostgreSQL: a transaction-scoped
    advisory lock; SQLite has one writer already."""
    if conn.dialect.name != "postgresql":
        return
    key = int.from_bytes(hashlib.sha256(person_key.encode()).digest()[:8], "big", signed=True)
    await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


# ---------------------------------------------------------------------------- eligibility


async def _premium_codes(conn: AsyncConnection, person_key: str, person_id: str) -> tuple[str, ...]:
    rows = await conn.execute(
        select(t.registrations.c.body_code).where(
            and_(
                t.registrations.c.premium_state == "active",
                or_(
                    t.registrations.c.premium_person_key == person_key,
                    t.registrations.c.person_id == person_id,
                ),
            )
        )
    )
    return tuple(sorted(set(rows.scalars().all())))


@dataclass
class OwnStatus:
    """A presented card's status is looked up in this service's own database after its
    signatures are checked (no staleness, no fetch); this records the reference to look up
    (:func:`check_own_card`)."""

    seen: list[StatusReference] = field(default_factory=list)

    def check(self, reference: StatusReference, *, issuer: str, now: int, max_age: int) -> None:
        del issuer, now, max_age
        self.seen.append(reference)


async def check_own_card(
    conn: AsyncConnection,
    *,
    body: BodyRecord,
    seen: list[StatusReference],
    registration_id: str,
    holder_jkt: str,
) -> None:
    """The presented card was issued by ``body`` to ``registration_id``'s holder key and is
    valid now: its status entry (the one reference the verification recorded) belongs to that
    registration, records that holder key (RFC 7638 thumbprint) and holds VALID.

    Raises:
        VerificationError: ``status_not_checked`` (no status claim), ``attendance_key_not_bound``
            (another body's list, another registration or holder key, or a card issued before
            holder keys were recorded), ``credential_revoked``, ``credential_suspended``.
    """
    if len(seen) != 1:
        raise VerificationError(ErrorCode.STATUS_NOT_CHECKED, "the card has no status entry")
    reference = seen[0]
    prefix = f"{body.issuer_id}/status/"
    list_text = reference.uri[len(prefix) :] if reference.uri.startswith(prefix) else ""
    if not list_text.isdigit():
        raise VerificationError(ErrorCode.ATTENDANCE_KEY_NOT_BOUND, "not a card of this body")
    entry = (
        await conn.execute(
            select(
                t.status_entries.c.registration_id,
                t.status_entries.c.value,
                t.status_entries.c.holder_jkt,
            )
            .join(t.status_lists, t.status_lists.c.id == t.status_entries.c.status_list_pk)
            .where(
                and_(
                    t.status_lists.c.body_code == body.code,
                    t.status_lists.c.list_id == int(list_text),
                    t.status_entries.c.idx == reference.idx,
                )
            )
        )
    ).first()
    if (
        entry is None
        or entry.registration_id != registration_id
        or entry.holder_jkt is None
        or not hmac.compare_digest(bytes(entry.holder_jkt), b64url_decode(holder_jkt))
    ):
        raise VerificationError(ErrorCode.ATTENDANCE_KEY_NOT_BOUND, "key not issued to it")
    if entry.value == int(StatusType.INVALID):
        raise VerificationError(ErrorCode.CREDENTIAL_REVOKED, "card revoked")
    if entry.value != int(StatusType.VALID):
        raise VerificationError(ErrorCode.CREDENTIAL_SUSPENDED, "card suspended")


async def check_not_premium_elsewhere(
    conn: AsyncConnection, *, person_key: str, registration: RegistrationRecord
) -> None:
    """One person holds premium with a body once, whichever app account applies: the cap
    counts bodies, so a second premium at the same body (another account of the same
    proofed person) is refused here.

    Raises:
        IssuanceError: ``registration_exists``.
    """
    other = await conn.scalar(
        select(t.registrations.c.id).where(
            and_(
                t.registrations.c.premium_state == "active",
                t.registrations.c.premium_person_key == person_key,
                t.registrations.c.body_code == registration.body_code,
                t.registrations.c.id != registration.id,
            )
        )
    )
    if other is not None:
        raise IssuanceError(ErrorCode.REGISTRATION_EXISTS, "premium is already held with this body")


async def _attended(conn: AsyncConnection, registration_id: str) -> tuple[ActivityAttendance, ...]:
    rows = await conn.execute(
        select(t.activities.c.activity_id, t.activities.c.body_code, t.attendances.c.attended_on)
        .join(t.activities, t.activities.c.id == t.attendances.c.activity_pk)
        .where(
            and_(
                t.attendances.c.registration_id == registration_id,
                t.activities.c.designated.is_(True),
            )
        )
    )
    return tuple(
        ActivityAttendance(
            activity_id=activity_id, body_code=code, attended_on=date.fromisoformat(attended_on)
        )
        for activity_id, code, attended_on in rows.all()
    )


async def applicant_for(
    conn: AsyncConnection,
    registration: RegistrationRecord,
    *,
    identity: StoredIdentity | None,
    guardian_consent: bool,
) -> Applicant:
    """The facts of ``registration``'s person (proofed as ``identity``, see
    :func:`load_identity`) for the eligibility rules."""
    held: tuple[str, ...] = ()
    if identity is not None:
        held = await _premium_codes(conn, identity.person_key, registration.person_id)
    return Applicant(
        applying_to=registration.body_code,
        identity=None if identity is None else identity.facts,
        premium_registrations=held,
        activities=await _attended(conn, registration.id),
        guardian_consent=guardian_consent,
    )


def checklist_json(result: EligibilityResult) -> list[dict[str, Any]]:
    """The checklist the applicant and staff both see (same order as the rules)."""
    return [
        {
            "rule": outcome.rule.value,
            "passed": outcome.passed,
            "message_ja": outcome.message_ja,
            "message_en": outcome.message_en,
            "count": outcome.count,
            "limit": outcome.limit,
        }
        for outcome in result.outcomes
    ]


def evaluate(
    applicant: Applicant, *, bodies: BodyRegistry, settings: ServiceSettings, today: date
) -> EligibilityResult:
    return evaluate_eligibility(applicant, bodies=bodies, today=today, rules=settings.premium.rules)


# ---------------------------------------------------------------------------- decisions


async def approve_application(
    conn: AsyncConnection,
    *,
    application: dict[str, Any],
    registration: RegistrationRecord,
    identity: StoredIdentity,
    actor: str,
    now: int,
    today: date,
    settings: ServiceSettings,
) -> date:
    """Make ``registration`` premium for a year (new) or the next year (renewal), mark the
    application approved and audit it. Returns the last day of the premium year."""
    # A premium year starts on approval, a renewal's too (it is approved in the last weeks of
    # the current year, which it replaces): a premium card never covers more than a year.
    until = premium_year(today, settings.premium.premium_months)
    method = (
        ClaimsIdentityMethod.MY_NUMBER_CARD
        if identity.facts.method is IdentityMethod.JPKI_SIGNING
        else ClaimsIdentityMethod.DIGITAL_AUTH_APP
    )
    await conn.execute(
        update(t.registrations)
        .where(t.registrations.c.id == registration.id)
        .values(
            tier=Tier.PREMIUM.value,
            premium_state="active",
            premium_from=today.isoformat(),
            premium_until=until.isoformat(),
            premium_identity_method=method.value,
            premium_identity_verified_on=identity.facts.verified_on.isoformat(),
            premium_person_key=application["person_key"],
            premium_approved_at=now,
            state_reason=None,
            updated_at=now,
        )
    )
    await conn.execute(
        update(t.premium_applications)
        .where(t.premium_applications.c.id == application["id"])
        .values(state="approved", pending_registration_id=None, decided_at=now, decided_by=actor)
    )
    await append_audit(
        conn,
        body_code=registration.body_code,
        at=now,
        actor=actor,
        action="premium-approve",
        target=registration.id,
        detail={"application": application["id"], "kind": application["kind"], "until": str(until)},
    )
    return until


async def end_premium(
    conn: AsyncConnection,
    *,
    registrations: Sequence[RegistrationRecord],
    reason: EndReason,
    body: BodyRecord,
    now: int,
    settings: ServiceSettings,
) -> dict[str, int]:
    """End premium for ``registrations`` of ``body``: revoked (moved in) or suspended (renewal
    failed). Each registration stays, as basic; its premium cards get the matching status
    value in the same transaction, and each changed list is re-signed once for all of them.
    Returns list id → new sequence."""
    if not registrations:
        return {}
    revoked = reason is EndReason.MOVED_INTO_MUNICIPALITY
    value = StatusType.INVALID if revoked else StatusType.SUSPENDED
    ids = [registration.id for registration in registrations]
    await conn.execute(
        update(t.registrations)
        .where(t.registrations.c.id.in_(ids))
        .values(
            tier=Tier.BASIC.value,
            premium_state="revoked" if revoked else "suspended",
            state_reason=reason.value,
            updated_at=now,
        )
    )
    changed = await conn.execute(
        update(t.status_entries)
        .where(
            and_(
                t.status_entries.c.registration_id.in_(ids),
                t.status_entries.c.tier == Tier.PREMIUM.value,
                t.status_entries.c.value == int(StatusType.VALID),
            )
        )
        .values(value=int(value))
        .returning(t.status_entries.c.status_list_pk)
    )
    published: dict[str, int] = {}
    for status_list_pk in sorted(set(changed.scalars().all())):
        list_id, sequence = await publish_status_list(
            conn, status_list_pk=status_list_pk, body=body, now=now, settings=settings
        )
        published[str(list_id)] = sequence
    for registration_id in ids:
        await append_audit(
            conn,
            body_code=body.code,
            at=now,
            actor="system:premium",
            action="premium-revoke" if revoked else "premium-suspend",
            target=registration_id,
            detail={"reason": reason.value, "status_lists": published},
        )
    return published


async def premium_at_address(
    conn: AsyncConnection,
    *,
    person_id: str,
    person_key: str,
    address_code: str | None,
    exclude_own_prefecture: bool,
) -> list[RegistrationRecord]:
    """Active premium registrations of this person that the (new) address rules out."""
    if address_code is None:
        return []
    rows = await conn.execute(
        select(t.registrations).where(
            and_(
                t.registrations.c.premium_state == "active",
                or_(
                    t.registrations.c.premium_person_key == person_key,
                    t.registrations.c.person_id == person_id,
                ),
            )
        )
    )
    records = [record_from_row(row) for row in rows.mappings().all()]
    return [
        record
        for record in records
        if record.body_code == address_code
        or (
            exclude_own_prefecture
            and prefecture_code_of(record.body_code) == prefecture_code_of(address_code)
        )
    ]


async def expire_lapsed_premium(
    conn: AsyncConnection,
    *,
    body: BodyRecord,
    today: date,
    now: int,
    settings: ServiceSettings,
    limit: int = 500,
) -> list[str]:
    """Suspend premium whose year ended without an approved renewal (reason
    ``renewal_failed``); at most ``limit`` per call. Returns the registration ids."""
    rows = await conn.execute(
        select(t.registrations)
        .where(
            and_(
                t.registrations.c.body_code == body.code,
                t.registrations.c.premium_state == "active",
                t.registrations.c.premium_until < today.isoformat(),
            )
        )
        .limit(limit)
    )
    lapsed = [record_from_row(row) for row in rows.mappings().all()]
    await end_premium(
        conn,
        registrations=lapsed,
        reason=EndReason.RENEWAL_FAILED,
        body=body,
        now=now,
        settings=settings,
    )
    return [record.id for record in lapsed]


def today_in_japan(now_s: int) -> date:
    return datetime.fromtimestamp(now_s, UTC).astimezone(JST).date()


def application_json(row: Any) -> dict[str, Any]:
    return {
        "application_id": row["id"],
        "registration_id": row["registration_id"],
        "body_code": row["body_code"],
        "kind": row["kind"],
        "state": row["state"],
        "guardian_consent": bool(row["guardian_consent"]),
        "checklist": json.loads(row["checklist"]),
        "reason": row["reason"],
        "submitted_at": row["submitted_at"],
        "decided_at": row["decided_at"],
    }


def not_found() -> RequestError:
    return RequestError(ErrorCode.RESOURCE_NOT_FOUND, "no such item")


def already_decided() -> IssuanceError:
    return IssuanceError(ErrorCode.REVIEW_ALREADY_DECIDED, "already decided")
