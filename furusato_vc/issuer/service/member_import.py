"""Member import into the database (docs/member-import.md): each new member of a checked
CSV (:mod:`furusato_vc.issuer.member_import`) becomes a person, a basic registration (and
its prefecture record, as with the app) and a credential offer, in batches of
``settings.member_import.batch_size`` rows, one transaction per batch.

Exactly once: ``imported_members (body_code, member_number)`` is the primary key, and every
batch claims its members there first (``INSERT … ON CONFLICT DO NOTHING RETURNING``) in the
same transaction as their rows. A batch that fails leaves nothing; run the import again and
the committed batches report ``already_imported`` while the rest is imported. Two imports
of one file at the same time import each member once (the second waits on the key, then
finds it taken).

Imported members have no app account. Their person is keyed by
:func:`imported_person_ref`, an HMAC of body and member number under the server secret,
until the app claims it (docs/member-import.md, "Claiming by the app").
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import and_, bindparam, select, update
from sqlalchemy.exc import IntegrityError

from furusato_vc.core.encoding import b64url_encode
from furusato_vc.core.errors import ErrorCode, FormatError, IssuanceError
from furusato_vc.core.oid4vci.offer import CredentialOffer, TxCode, offer_to_uri
from furusato_vc.core.oid4vci.token import create_pre_authorized_code, create_tx_code
from furusato_vc.core.registration.bodies import prefecture_code_of
from furusato_vc.core.registration.claims import Tier, validate_registration
from furusato_vc.issuer.member_import import (
    MemberRow,
    OutboxEntry,
    ParsedMembers,
    ReportRow,
    RowStatus,
)
from furusato_vc.issuer.service import schema as t
from furusato_vc.issuer.service.audit import append_audit
from furusato_vc.issuer.service.routes_public import CONFIGURATIONS
from furusato_vc.issuer.service.store import (
    basic_registration_row,
    insert_ignore,
    offer_row,
    record_from_row,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from contextlib import AbstractAsyncContextManager
    from datetime import date

    from sqlalchemy.ext.asyncio import AsyncConnection

    from furusato_vc.core.randomness import RandomSource
    from furusato_vc.core.registration.bodies import BodyRegistry
    from furusato_vc.issuer.service.settings import ServiceSettings

__all__ = [
    "IMPORTED_TX_CODE_DESCRIPTION",
    "ImportResult",
    "ImportSummary",
    "import_members",
    "imported_person_ref",
]

# the offer's own words for where the member finds the transaction code
IMPORTED_TX_CODE_DESCRIPTION: Final = "お知らせに記載の確認コード / the code in your notice"
# the OpenID4VCI credential configurations of a basic registration, as the app's offers
_BASIC_CONFIGURATIONS: Final = tuple(
    cid for cid, (tier, _format) in CONFIGURATIONS.items() if tier is Tier.BASIC
)

_EXISTING: Final = select(
    t.imported_members.c.member_number,
    t.imported_members.c.row_hash,
    t.imported_members.c.registration_id,
).where(
    and_(
        t.imported_members.c.body_code == bindparam("body_code"),
        t.imported_members.c.member_number.in_(bindparam("numbers", expanding=True)),
    )
)


_REDEEMED: Final = select(t.offers.c.registration_id).where(
    and_(
        t.offers.c.registration_id.in_(bindparam("ids", expanding=True)),
        t.offers.c.used_at.is_not(None),
    )
)
_ACTIVE: Final = select(t.registrations.c.id).where(
    and_(
        t.registrations.c.id.in_(bindparam("ids", expanding=True)),
        t.registrations.c.state == "active",
    )
)
# an offer that is replaced expires now (``used_at`` stays NULL: it was never redeemed)
_RETIRE_OFFERS: Final = (
    update(t.offers)
    .where(
        and_(
            t.offers.c.registration_id.in_(bindparam("ids", expanding=True)),
            t.offers.c.used_at.is_(None),
            t.offers.c.expires_at > bindparam("now"),
        )
    )
    .values(expires_at=bindparam("now"))
)


def imported_person_ref(body_code: str, member_number: str, *, secret: bytes) -> bytes:
    """The stored key of an imported member's person before the app claims it: an HMAC of
    body and member number under the server secret (domain-separated from the app's
    account key, :func:`~furusato_vc.issuer.service.store.person_ref`), so the database
    alone does not link a person to a fan club's member list."""
    message = b"imported\x00" + body_code.encode() + b"\x00" + member_number.encode()
    return hmac.new(secret, message, hashlib.sha256).digest()


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportSummary:
    rows: int
    imported: int
    already_imported: int
    changed: int
    duplicate: int
    rejected: int
    reissued: int = 0

    def to_json(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "imported": self.imported,
            "already_imported": self.already_imported,
            "changed": self.changed,
            "duplicate": self.duplicate,
            "rejected": self.rejected,
            "reissued": self.reissued,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportResult:
    """What one import did: ``report`` holds every row not imported as new (by row),
    ``outbox`` one offer per member imported now (empty for a dry run)."""

    import_id: str
    body_code: str
    dry_run: bool
    encoding: str
    summary: ImportSummary
    report: tuple[ReportRow, ...]
    outbox: tuple[OutboxEntry, ...]
    offer_expires_at: int

    @property
    def complete(self) -> bool:
        """Every row is imported (now or before): nothing rejected, duplicate or changed."""
        return not any(item.code is not None for item in self.report)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Context:
    body_code: str
    issuer_id: str
    prefecture_code: str | None
    import_id: str
    now: int
    today: date
    valid_until: date
    offer_expires_at: int
    tx_spec: TxCode
    secret: bytes
    bodies: BodyRegistry
    random: RandomSource
    dry_run: bool
    reissue: bool


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _registrations(
    ctx: _Context, member: MemberRow, *, person_id: str
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The rows of the body's registration and of its prefecture's record (``None`` for a
    prefecture's own import), as ``store.register`` writes them for the app."""
    profile = member.profile.to_json()
    main = basic_registration_row(
        registration_id=b64url_encode(ctx.random.token_bytes(16)),
        body_code=ctx.body_code,
        person_id=person_id,
        valid_from=ctx.today,
        valid_until=ctx.valid_until,
        relationship_types=member.relationship_types,
        interests=member.interests,
        profile_json=_json(profile),
        home_prefecture=member.profile.home_prefecture,
        via_registration_id=None,
        now=ctx.now,
    )
    if ctx.prefecture_code is None:
        return main, None
    prefecture = {
        **main,
        "id": b64url_encode(ctx.random.token_bytes(16)),
        "body_code": ctx.prefecture_code,
        "via_registration_id": main["id"],
    }
    return main, prefecture


async def _write_batch(
    conn: AsyncConnection, ctx: _Context, batch: Sequence[MemberRow]
) -> tuple[list[ReportRow], list[OutboxEntry], int]:
    """One batch in the caller's transaction: classify against earlier imports, claim the
    new members, then write their persons, registrations and offers (multi-row inserts).
    Returns the report rows, the outbox entries and how many were (or would be) imported."""
    report: list[ReportRow] = []
    found = await conn.execute(
        _EXISTING, {"body_code": ctx.body_code, "numbers": [m.member_number for m in batch]}
    )
    existing = {
        row.member_number: (bytes(row.row_hash), str(row.registration_id)) for row in found.all()
    }
    fresh: list[tuple[MemberRow, dict[str, Any], dict[str, Any] | None]] = []
    again: list[tuple[MemberRow, str]] = []  # imported before with the same data
    for member in batch:
        known = existing.get(member.member_number)
        if known is not None:
            same = hmac.compare_digest(known[0], member.fingerprint)
            if same and ctx.reissue:
                again.append((member, known[1]))
            else:
                report.append(_known(member, same=same))
            continue
        person_id = b64url_encode(ctx.random.token_bytes(16))
        main, prefecture = _registrations(ctx, member, person_id=person_id)
        try:  # the claims as they would be signed (the API checks them the same way)
            validate_registration(
                record_from_row(main).claims(), bodies=ctx.bodies, today=ctx.today
            )
        except (IssuanceError, FormatError) as error:
            report.append(
                ReportRow(
                    row=member.row,
                    member_number=member.member_number,
                    status=RowStatus.REJECTED,
                    code=error.code,
                    detail=error.detail,
                )
            )
            continue
        fresh.append((member, main, prefecture))
    outbox: list[OutboxEntry] = []
    if again:
        report.extend(await _reissue(conn, ctx, again, outbox))
    if ctx.dry_run or not fresh:
        return report, outbox, len(fresh)

    claimed = set(
        (
            await conn.execute(
                insert_ignore(conn, t.imported_members, "member_number"),
                [
                    {
                        "body_code": ctx.body_code,
                        "member_number": member.member_number,
                        "registration_id": main["id"],
                        "row_hash": member.fingerprint,
                        "import_id": ctx.import_id,
                        "created_at": ctx.now,
                    }
                    for member, main, _prefecture in fresh
                ],
            )
        )
        .scalars()
        .all()
    )
    if len(claimed) < len(fresh):  # another import of the same members got there first
        report.extend(
            _known(member, same=True)
            for member, _m, _p in fresh
            if member.member_number not in claimed
        )
        fresh = [item for item in fresh if item[0].member_number in claimed]
        if not fresh:
            return report, outbox, 0

    persons = []
    registrations = []
    offers = []
    for member, main, prefecture in fresh:
        persons.append(
            {
                "id": main["person_id"],
                "person_ref": imported_person_ref(
                    ctx.body_code, member.member_number, secret=ctx.secret
                ),
                "created_at": ctx.now,
            }
        )
        registrations.append(main)
        if prefecture is not None:
            registrations.append(prefecture)
        offer, entry = _new_offer(ctx, member, registration_id=main["id"])
        offers.append(offer)
        outbox.append(entry)
    await conn.execute(t.persons.insert(), persons)
    await conn.execute(t.registrations.insert(), registrations)
    await conn.execute(t.offers.insert(), offers)
    return report, outbox, len(fresh)


def _new_offer(
    ctx: _Context, member: MemberRow, *, registration_id: str
) -> tuple[dict[str, Any], OutboxEntry]:
    """The batch form of ``store.create_offer``: the offer's row (``store.offer_row``) and
    the outbox entry with both codes in clear."""
    code = create_pre_authorized_code(random=ctx.random)
    tx_code = create_tx_code(ctx.tx_spec, random=ctx.random)
    row = offer_row(
        code=code,
        tx_code=tx_code,
        registration_id=registration_id,
        body_code=ctx.body_code,
        configuration_ids=_BASIC_CONFIGURATIONS,
        expires_at=ctx.offer_expires_at,
    )
    offer = CredentialOffer(
        credential_issuer=ctx.issuer_id,
        credential_configuration_ids=_BASIC_CONFIGURATIONS,
        pre_authorized_code=code,
        tx_code=ctx.tx_spec,
    )
    entry = OutboxEntry(
        row=member.row,
        member_number=member.member_number,
        contact=member.contact,
        registration_id=registration_id,
        credential_offer_uri=offer_to_uri(offer),
        tx_code=tx_code,
        expires_at=ctx.offer_expires_at,
    )
    return row, entry


async def _reissue(
    conn: AsyncConnection,
    ctx: _Context,
    again: Sequence[tuple[MemberRow, str]],
    outbox: list[OutboxEntry],
) -> list[ReportRow]:
    """``--reissue-unredeemed``: a new offer for each member imported before whose
    registration is active and has never redeemed an offer (a lost outbox line, an expired
    letter); their earlier offers expire now, so only the newest one works."""
    ids = [registration_id for _member, registration_id in again]
    redeemed = set((await conn.execute(_REDEEMED, {"ids": ids})).scalars().all())
    active = set((await conn.execute(_ACTIVE, {"ids": ids})).scalars().all())
    report: list[ReportRow] = []
    due: list[str] = []
    offers: list[dict[str, Any]] = []
    for member, registration_id in again:
        if registration_id in redeemed or registration_id not in active:
            report.append(_known(member, same=True))
            continue
        report.append(
            ReportRow(row=member.row, member_number=member.member_number, status=RowStatus.REISSUED)
        )
        if ctx.dry_run:
            continue
        offer, entry = _new_offer(ctx, member, registration_id=registration_id)
        due.append(registration_id)
        offers.append(offer)
        outbox.append(entry)
    if offers:
        await conn.execute(_RETIRE_OFFERS, {"ids": due, "now": ctx.now})
        await conn.execute(t.offers.insert(), offers)
    return report


def _known(member: MemberRow, *, same: bool) -> ReportRow:
    if same:
        return ReportRow(
            row=member.row, member_number=member.member_number, status=RowStatus.ALREADY_IMPORTED
        )
    return ReportRow(
        row=member.row,
        member_number=member.member_number,
        status=RowStatus.CHANGED,
        code=ErrorCode.IMPORT_MEMBER_CHANGED,
        detail="imported before with other data; not updated",
    )


async def import_members(
    transaction: Callable[[], AbstractAsyncContextManager[AsyncConnection]],
    *,
    parsed: ParsedMembers,
    body_code: str,
    issuer_id: str,
    settings: ServiceSettings,
    bodies: BodyRegistry,
    now: int,
    today: date,
    random: RandomSource,
    actor: str,
    dry_run: bool = False,
    reissue_unredeemed: bool = False,
    on_batch: Callable[[int, Sequence[OutboxEntry]], None] | None = None,
    audit_attempts: int = 5,
) -> ImportResult:
    """Import the valid rows of ``parsed`` for ``body_code``, one ``transaction()`` per
    batch (the staff API passes one transaction for all). With ``reissue_unredeemed``,
    members imported before (same data) whose registration is active and never redeemed an
    offer get a new one, and their earlier offers expire. The audit entry comes last, in its
    own transaction, retried ``audit_attempts`` times when another writer of the body's
    chain gets there first (the staff API passes 1: its one transaction cannot be retried
    inside, the client retries the request). ``on_batch(rows_done, outbox)``
    runs after each batch is committed: the CLI writes the outbox and its progress bar.

    Raises:
        StorageError: ``database_unavailable`` (from ``transaction``); the batches
            committed before stay, and a second run imports the rest.
    """
    import_id = b64url_encode(random.token_bytes(12))
    prefecture = prefecture_code_of(body_code)
    lifetime = int(settings.member_import.offer_lifetime.total_seconds())
    ctx = _Context(
        body_code=body_code,
        issuer_id=issuer_id,
        prefecture_code=None if prefecture == body_code else prefecture,
        import_id=import_id,
        now=now,
        today=today,
        valid_until=today + settings.basic_registration_lifetime - timedelta(days=1),
        offer_expires_at=now + lifetime,
        tx_spec=TxCode(
            input_mode="numeric",
            length=settings.tx_code_length,
            description=IMPORTED_TX_CODE_DESCRIPTION,
        ),
        secret=settings.secrets[0],
        bodies=bodies,
        random=random,
        dry_run=dry_run,
        reissue=reissue_unredeemed,
    )
    report: list[ReportRow] = list(parsed.rejected)
    outbox: list[OutboxEntry] = []
    imported = 0
    size = settings.member_import.batch_size
    rows = parsed.rows
    done = parsed.total_rows - len(rows)  # rows the reading already rejected
    for start in range(0, len(rows), size):
        batch = rows[start : start + size]
        async with transaction() as conn:
            batch_report, batch_outbox, count = await _write_batch(conn, ctx, batch)
        report.extend(batch_report)
        outbox.extend(batch_outbox)
        imported += count
        done += len(batch)
        if on_batch is not None:
            on_batch(done, batch_outbox)
    if not rows and on_batch is not None:
        on_batch(done, ())
    report.sort(key=lambda item: (item.row, item.column or ""))
    statuses = [item.status for item in report]
    rejected_rows = {item.row for item in report if item.status == RowStatus.REJECTED}
    summary = ImportSummary(
        rows=parsed.total_rows,
        imported=imported,
        already_imported=statuses.count(RowStatus.ALREADY_IMPORTED),
        changed=statuses.count(RowStatus.CHANGED),
        duplicate=statuses.count(RowStatus.DUPLICATE),
        rejected=len(rejected_rows),
        reissued=statuses.count(RowStatus.REISSUED),
    )
    for attempt in range(audit_attempts if not dry_run else 0):
        try:
            async with transaction() as conn:
                await append_audit(
                    conn,
                    body_code=body_code,
                    at=now,
                    actor=actor,
                    action="member_import",
                    target=import_id,
                    detail=summary.to_json(),
                )
            break
        except IntegrityError:  # another writer took the chain's next seq: read it again
            if attempt + 1 == audit_attempts:
                raise
    return ImportResult(
        import_id=import_id,
        body_code=body_code,
        dry_run=dry_run,
        encoding=parsed.encoding,
        summary=summary,
        report=tuple(report),
        outbox=tuple(outbox),
        offer_expires_at=ctx.offer_expires_at,
    )
