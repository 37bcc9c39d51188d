"""Premium registration routes (issue 8): identity proofing, designated activities and
check-in, evidence and its review, applications with the eligibility checklist, approval.

The app authenticates a person as for offers: the ``account`` in a POST's JSON, or the
``Furusato-Account`` header on a GET (stored only as an HMAC). An attendance record needs no
account: its key-binding signature, by a key the body issued to the registration, is the
proof. Staff routes use the body's staff roles (:mod:`.routes_staff`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import warnings
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Annotated, Any, Final

from cryptography import x509
from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy import and_, select, update
from starlette.concurrency import run_in_threadpool

from furusato_vc.core.activity import (
    ActivityContent,
    ActivityName,
    encode_activity_qr,
    serialize_attendance_record,
    sign_activity_token,
)
from furusato_vc.core.activity import AttendanceRecord as AttendanceRecordModel
from furusato_vc.core.encoding import b64url_decode, b64url_encode
from furusato_vc.core.errors import (
    ErrorCode,
    FormatError,
    IssuanceError,
    RequestError,
    VerificationError,
)
from furusato_vc.core.identity.jpki import verify_jpki_signature
from furusato_vc.core.jose.jws import decode_unverified_jws
from furusato_vc.core.jose.jwt import to_numeric_date
from furusato_vc.core.oid4vci.sealed import SealedCodec
from furusato_vc.core.premium.eligibility import RuleId
from furusato_vc.core.premium.evidence import EvidencePolicy, check_evidence
from furusato_vc.core.premium.identity_facts import IdentityFacts
from furusato_vc.core.premium.location import (
    CheckInMode,
    Geofence,
    check_location,
    parse_location_fix,
)
from furusato_vc.core.premium.oidc_identity import verify_id_token
from furusato_vc.core.registration.claims import (
    BASIC_VCT,
    JST,
    PREMIUM_VCT,
    parse_registration_claims,
)
from furusato_vc.core.registration.metadata import registration_type_metadata
from furusato_vc.core.sdjwt.verification import KeyBindingPolicy
from furusato_vc.core.sdjwtvc.credential import SdJwtVcPolicy, verify_sd_jwt_vc
from furusato_vc.core.trust import StaticTrust, TrustedIssuer
from furusato_vc.issuer import poster
from furusato_vc.issuer.activity import verify_attendance
from furusato_vc.issuer.service import schema as t
from furusato_vc.issuer.service.audit import append_audit
from furusato_vc.issuer.service.deps import ServiceState, run_idempotent, state_of
from furusato_vc.issuer.service.ocsp_fetch import fetch_ocsp_responses
from furusato_vc.issuer.service.premium import (
    REASON_TEXT,
    EndReason,
    OwnStatus,
    already_decided,
    applicant_for,
    application_json,
    approve_application,
    check_not_premium_elsewhere,
    check_own_card,
    checklist_json,
    end_premium,
    evaluate,
    load_identity,
    lock_person_key,
    not_found,
    premium_at_address,
    save_identity,
)
from furusato_vc.issuer.service.routes_staff import Role, staff_member
from furusato_vc.issuer.service.store import (
    RegistrationRecord,
    insert_ignore,
    is_owner,
    load_registration,
    person_for_ref,
    person_ref,
)

if TYPE_CHECKING:
    from furusato_vc.core.identity.ocsp import FetchedOcspResponse

__all__ = ["NotEligibleError", "router"]

router = APIRouter()

_ACCOUNT: Final = re.compile(r"[A-Za-z0-9_-]{22,128}")
_ACCOUNT_FIELD = Field(min_length=22, max_length=128, pattern=r"^[A-Za-z0-9_-]+$")


class NotEligibleError(IssuanceError):
    """``premium_not_eligible`` with the checklist as a problem extension member."""

    def __init__(self, checklist: list[dict[str, Any]]) -> None:
        super().__init__(ErrorCode.PREMIUM_NOT_ELIGIBLE, "a rule is not met")
        self.extensions = {"checklist": checklist}


# ---------------------------------------------------------------------------- helpers


def _proofing_nonces(state: ServiceState) -> SealedCodec:
    return SealedCodec(
        state.settings.secrets,
        purpose="identity proofing nonce",
        failure=ErrorCode.IDENTITY_NONCE_INVALID,
        max_lifetime=3600,
    )


def _account_ref(state: ServiceState, account: str | None) -> bytes:
    if account is None or not _ACCOUNT.fullmatch(account):
        raise RequestError(ErrorCode.RESOURCE_NOT_FOUND, "no such registration")
    return person_ref(account, secret=state.settings.secrets[0])


async def _person_id(conn: Any, ref: bytes) -> str:
    found = await person_for_ref(conn, ref)
    if found is None:  # proofing comes after a first registration
        raise RequestError(ErrorCode.RESOURCE_NOT_FOUND, "no registration for this account")
    return found


async def _owned(
    conn: Any, state: ServiceState, registration_id: str, account: str | None
) -> RegistrationRecord:
    record = await load_registration(conn, registration_id)
    if not await is_owner(conn, record, _account_ref(state, account)):
        raise RequestError(ErrorCode.RESOURCE_NOT_FOUND, "no such registration")
    return record


def _evidence_ref(state: ServiceState, label: bytes, *parts: bytes) -> bytes:
    message = label + b"".join(b"\x00" + part for part in parts)
    return hmac.new(state.settings.person_key_secret, message, hashlib.sha256).digest()


def _own_trust(state: ServiceState) -> StaticTrust:
    return StaticTrust.of(
        TrustedIssuer(body_code=code, issuer_id=body.issuer_id, keys=body.keys)
        for code, body in state.bodies.items()
    )


def _today(state: ServiceState) -> date:
    return state.now().astimezone(JST).date()


# ---------------------------------------------------------------------------- proofing


class AccountIn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    account: str = _ACCOUNT_FIELD


class JpkiProofIn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    account: str = _ACCOUNT_FIELD
    nonce: str = Field(min_length=16, max_length=256)
    certificate: str = Field(min_length=16, max_length=16_384)  # base64url DER
    signature: str = Field(min_length=16, max_length=1_024)  # base64url


class OidcProofIn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    account: str = _ACCOUNT_FIELD
    nonce: str = Field(min_length=16, max_length=256)
    id_token: str = Field(min_length=16, max_length=32_768)


@router.post("/identity/nonce")
async def proofing_nonce(payload: AccountIn, request: Request) -> JSONResponse:
    """A fresh nonce for the card to sign (JPKI) or to send as the OpenID Connect ``nonce``;
    sealed and bound to the account, so any server process can check it."""
    state = state_of(request)
    ref = _account_ref(state, payload.account)
    lifetime = int(state.settings.premium.proofing_nonce_lifetime.total_seconds())
    nonce = _proofing_nonces(state).seal(
        {"a": b64url_encode(ref[:16])}, now=state.now_s(), lifetime=lifetime, random=state.random
    )
    return JSONResponse(
        {"nonce": nonce, "expires_in": lifetime}, headers={"Cache-Control": "no-store"}
    )


def _open_nonce(state: ServiceState, nonce: str, ref: bytes) -> None:
    opened = _proofing_nonces(state).open(nonce, now=state.now_s())
    if opened.payload.get("a") != b64url_encode(ref[:16]):
        raise VerificationError(ErrorCode.IDENTITY_NONCE_INVALID, "nonce of another account")


async def _store_proofing(
    request: Request,
    *,
    ref: bytes,
    facts: IdentityFacts,
    person_key: str,
    evidence_ref: bytes,
) -> Response:
    state = state_of(request)
    rules = state.settings.premium.rules

    async def handler(conn: Any) -> tuple[int, dict[str, Any]]:
        person_id = await _person_id(conn, ref)
        now = state.now_s()
        await lock_person_key(conn, person_key)
        changed = await save_identity(
            conn,
            person_id=person_id,
            facts=facts,
            person_key=person_key,
            evidence_ref=evidence_ref,
            now=now,
        )
        ended = []
        for record in await premium_at_address(
            conn,
            person_id=person_id,
            person_key=person_key,
            address_code=facts.address_municipality_code,
            exclude_own_prefecture=rules.exclude_own_prefecture,
        ):
            body = state.bodies.get(record.body_code)
            if body is None:  # a body hosted elsewhere learns it at renewal
                continue
            await end_premium(
                conn,
                registrations=[record],
                reason=EndReason.MOVED_INTO_MUNICIPALITY,
                body=body,
                now=now,
                settings=state.settings,
            )
            ended.append(record.id)
        address = facts.address_municipality_code
        entry = None if address is None else state.registry.find(address)
        return 200, {
            "method": facts.method.value,
            "verified_on": facts.verified_on.isoformat(),
            "address_municipality_code": address,
            "address_municipality_name_ja": None if entry is None else entry.name_ja,
            "certificate_changed": changed,
            "premium_revoked": ended,
        }

    return await run_idempotent(request, scope="identity", required=False, handler=handler)


@router.post("/identity/jpki")
async def proof_jpki(payload: JpkiProofIn, request: Request) -> Response:
    """Identity proofing with the My Number Card's signing certificate (JPKI): the card's
    signature over our nonce and its certificate. Only derived facts are stored."""
    state = state_of(request)
    config = state.settings.premium.jpki
    if config is None:
        raise RequestError(ErrorCode.RESOURCE_NOT_FOUND, "JPKI proofing is not configured")
    ref = _account_ref(state, payload.account)
    _open_nonce(state, payload.nonce, ref)
    certificate = b64url_decode(payload.certificate)
    ocsp_answers: list[FetchedOcspResponse] = []
    source = config.ocsp
    if source is not None:
        try:
            leaf = x509.load_der_x509_certificate(certificate)
        except ValueError:
            leaf = None  # not DER: the core refuses it (identity_certificate_untrusted)
        if leaf is not None:  # the responder is asked in a worker thread (blocking I/O)
            ocsp_answers = await run_in_threadpool(
                fetch_ocsp_responses,
                source,
                certificate=leaf,
                intermediates=config.intermediates,
                trust_roots=config.trust_roots,
                random=state.random,
            )
    proofed = verify_jpki_signature(
        payload.nonce.encode("ascii"),
        b64url_decode(payload.signature),
        certificate=certificate,
        trust_roots=config.trust_roots,
        intermediates=config.intermediates,
        crls=() if config.revocation is None else config.revocation.current_crls(),
        ocsp_responses=ocsp_answers,
        now=state.now(),
        secret=state.settings.person_key_secret,
        bodies=state.registry,
    )
    parsed = x509.load_der_x509_certificate(certificate)  # verified above
    evidence_ref = _evidence_ref(
        state,
        b"jpki-certificate",
        parsed.issuer.public_bytes(),
        parsed.serial_number.to_bytes(20, "big", signed=False),
    )
    return await _store_proofing(
        request,
        ref=ref,
        facts=IdentityFacts.from_proofed(proofed),
        person_key=proofed.person_key,
        evidence_ref=evidence_ref,
    )


@router.post("/identity/oidc")
async def proof_oidc(payload: OidcProofIn, request: Request) -> Response:
    """Identity proofing with a verified-identity OpenID provider: an ID token issued for
    our nonce. The pairwise ``sub`` becomes a salted person key; nothing else is kept."""
    state = state_of(request)
    provider = state.settings.premium.oidc
    if provider is None:
        raise RequestError(
            ErrorCode.RESOURCE_NOT_FOUND, "OpenID Connect proofing is not configured"
        )
    ref = _account_ref(state, payload.account)
    _open_nonce(state, payload.nonce, ref)
    verified = verify_id_token(
        payload.id_token,
        provider=provider,
        nonce=payload.nonce,
        now=state.now(),
        person_key_secret=state.settings.person_key_secret,
    )
    return await _store_proofing(
        request,
        ref=ref,
        facts=verified.facts,
        person_key=verified.person_key,
        evidence_ref=_evidence_ref(state, b"oidc-subject", verified.person_key.encode()),
    )


# ---------------------------------------------------------------------------- claiming


class ClaimIn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    account: str = _ACCOUNT_FIELD
    nonce: str = Field(min_length=16, max_length=256)
    presentation: str = Field(min_length=16, max_length=30_000)


@router.post("/registrations/{registration_id}/claim")
async def claim_registration(registration_id: str, payload: ClaimIn, request: Request) -> Response:
    """An app account takes over a registration made by a member import (docs/member-import.md):
    the app proves it holds the imported card — a presentation of its SD-JWT VC disclosing
    ``registration_id``, key-bound to this body and to a nonce from ``POST /identity/nonce``
    sealed to the account — and the registration (with its prefecture's record) becomes the
    account's. Only imported registrations can be claimed; one already the account's answers
    the same again."""
    state = state_of(request)
    ref = _account_ref(state, payload.account)
    _open_nonce(state, payload.nonce, ref)
    async with state.transaction() as conn:
        record = await load_registration(conn, registration_id)
    body = state.body(record.body_code)
    status = OwnStatus()
    skew = 60
    verified = verify_sd_jwt_vc(
        payload.presentation,
        policy=SdJwtVcPolicy(
            accepted_vcts=frozenset({BASIC_VCT, PREMIUM_VCT}),
            key_binding=KeyBindingPolicy(
                audience=body.issuer_id,
                nonce=payload.nonce,
                max_age_seconds=int(state.settings.premium.proofing_nonce_lifetime.total_seconds()),
                max_future_seconds=skew,
            ),
            status_checker=status,
            type_metadata=registration_type_metadata(),
            clock_skew_seconds=skew,
        ),
        issuer_keys=_own_trust(state),
        now=state.now(),
    )
    presented = parse_registration_claims(verified.claims, disclosed_paths=verified.disclosed_paths)
    if presented.registration_id != registration_id or presented.issuing_body != body.code:
        raise VerificationError(ErrorCode.CREDENTIAL_MISMATCH, "a card of another registration")
    assert verified.key_binding is not None  # the policy requires key binding
    holder_jkt = verified.key_binding.holder_key.thumbprint()

    async def handler(conn: Any) -> tuple[int, dict[str, Any]]:
        await check_own_card(
            conn,
            body=body,
            seen=status.seen,
            registration_id=registration_id,
            holder_jkt=holder_jkt,
        )
        current = await load_registration(conn, registration_id)
        if await is_owner(conn, current, ref):
            return 200, {"registration_id": registration_id, "claimed": True}
        imported = await conn.scalar(
            select(t.imported_members.c.member_number).where(
                t.imported_members.c.registration_id == registration_id
            )
        )
        if imported is None:  # an app's own registration is never taken over
            raise RequestError(ErrorCode.RESOURCE_NOT_FOUND, "no such registration")
        account_person = await person_for_ref(conn, ref)
        moved = [registration_id]
        if account_person is None:  # the imported person becomes the account's person
            await conn.execute(
                update(t.persons).where(t.persons.c.id == current.person_id).values(person_ref=ref)
            )
        else:
            held = set(
                (
                    await conn.execute(
                        select(t.registrations.c.body_code).where(
                            t.registrations.c.person_id == account_person
                        )
                    )
                )
                .scalars()
                .all()
            )
            if current.body_code in held:
                raise IssuanceError(
                    ErrorCode.REGISTRATION_EXISTS, "the account is registered with this body"
                )
            now = state.now_s()
            await conn.execute(
                update(t.registrations)
                .where(t.registrations.c.id == registration_id)
                .values(person_id=account_person, updated_at=now)
            )
            # its prefecture's record follows unless the account already has one there
            records = (
                await conn.execute(
                    select(t.registrations.c.id, t.registrations.c.body_code).where(
                        t.registrations.c.via_registration_id == registration_id
                    )
                )
            ).all()
            for record_id, code in records:
                if code not in held:
                    await conn.execute(
                        update(t.registrations)
                        .where(t.registrations.c.id == record_id)
                        .values(person_id=account_person, updated_at=now)
                    )
                    moved.append(record_id)
        await append_audit(
            conn,
            body_code=current.body_code,
            at=state.now_s(),
            actor="app",
            action="member-claim",
            target=registration_id,
            detail={"moved": moved},
        )
        return 200, {"registration_id": registration_id, "claimed": True}

    return await run_idempotent(
        request, scope=f"claim:{registration_id}", required=True, handler=handler
    )


# ---------------------------------------------------------------------------- activities


class GeofenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    radius_m: int = Field(ge=50, le=5000)


class ActivityIn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    activity_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9._-]{1,64}$")
    title_ja: str = Field(min_length=1, max_length=64)
    title_en: str = Field(min_length=1, max_length=64)
    place: str = Field(min_length=1, max_length=64)  # as printed on the poster
    capacity: int | None = Field(default=None, ge=1, le=100_000)
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    designated: bool = True
    check_in_mode: CheckInMode = CheckInMode.QR
    geofence: GeofenceIn | None = None


def _geofence(row: Any) -> Geofence | None:
    if row["geofence_radius_m"] is None:
        return None
    return Geofence(
        lat=row["geofence_lat_e6"] / 1e6,
        lon=row["geofence_lon_e6"] / 1e6,
        radius_m=row["geofence_radius_m"],
    )


def _activity_json(row: Any, *, with_qr: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "activity_id": row["activity_id"],
        "body_code": row["body_code"],
        "title_ja": row["title_ja"],
        "title_en": row["title_en"],
        "place": row["place"],
        "capacity": row["capacity"],
        "attendance_count": row["attendance_count"],
        "starts_at": row["not_before"],
        "ends_at": row["expires_at"],
        "designated": row["designated"],
        "check_in_mode": row["check_in_mode"],
    }
    fence = _geofence(row)
    if fence is not None:
        out["geofence"] = {"lat": fence.lat, "lon": fence.lon, "radius_m": fence.radius_m}
    if with_qr:
        out["check_in_qr"] = encode_activity_qr(row["token"])
    return out


async def _activity_row(conn: Any, code: str, activity_id: str) -> Any:
    row = (
        (
            await conn.execute(
                select(t.activities).where(
                    and_(
                        t.activities.c.body_code == code, t.activities.c.activity_id == activity_id
                    )
                )
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        raise RequestError(ErrorCode.RESOURCE_NOT_FOUND, "no such activity")
    return row


@router.post("/staff/bodies/{code}/activities", status_code=201)
async def create_activity(
    code: str,
    payload: ActivityIn,
    request: Request,
    authorization: Annotated[str | None, Header()] = None,
) -> Response:
    """Staff create a designated activity; the response carries the signed check-in QR
    text (``FA1:`` + activity token) that the poster shows."""
    member = await staff_member(request, code, authorization, Role.REVIEWER)
    state = state_of(request)
    body = state.body(code)
    now = state.now_s()
    starts, ends = to_numeric_date(payload.starts_at), to_numeric_date(payload.ends_at)
    if ends <= starts or ends <= now:
        raise FormatError(ErrorCode.MALFORMED_REQUEST, "ends_at must be after starts_at and now")
    mode = payload.check_in_mode
    if mode is not CheckInMode.QR and payload.geofence is None:
        raise FormatError(ErrorCode.MALFORMED_REQUEST, "this check-in mode needs a geofence")
    activity_id = payload.activity_id or b64url_encode(state.random.token_bytes(9))
    token = sign_activity_token(
        ActivityContent(
            issuer=body.issuer_id,
            body_code=code,
            activity_id=activity_id,
            name=ActivityName(ja=payload.title_ja, en=payload.title_en),
            issued_at=now,
            not_before=starts,
            expires_at=ends,
            designated=payload.designated,
        ),
        signer=body.signer,
    )
    fence = payload.geofence

    async def handler(conn: Any) -> tuple[int, dict[str, Any]]:
        exists = await conn.scalar(
            select(t.activities.c.id).where(
                and_(t.activities.c.body_code == code, t.activities.c.activity_id == activity_id)
            )
        )
        if exists is not None:
            raise IssuanceError(ErrorCode.REGISTRATION_EXISTS, "activity id already used")
        await conn.execute(
            t.activities.insert().values(
                body_code=code,
                activity_id=activity_id,
                title_ja=payload.title_ja,
                title_en=payload.title_en,
                place=payload.place,
                capacity=payload.capacity,
                not_before=starts,
                expires_at=ends,
                designated=payload.designated,
                check_in_mode=mode.value,
                geofence_lat_e6=None if fence is None else round(fence.lat * 1e6),
                geofence_lon_e6=None if fence is None else round(fence.lon * 1e6),
                geofence_radius_m=None if fence is None else fence.radius_m,
                token=token,
                attendance_count=0,
                created_at=now,
                created_by=f"staff:{member.id}",
            )
        )
        await append_audit(
            conn,
            body_code=code,
            at=now,
            actor=f"staff:{member.id}",
            action="activity-create",
            target=activity_id,
            detail={"designated": payload.designated, "mode": mode.value},
        )
        row = await _activity_row(conn, code, activity_id)
        return 201, _activity_json(row, with_qr=True)

    return await run_idempotent(
        request, scope=f"staff:{code}:activities", required=True, handler=handler
    )


@router.get("/staff/bodies/{code}/activities")
async def list_activities(
    code: str, request: Request, authorization: Annotated[str | None, Header()] = None
) -> JSONResponse:
    await staff_member(request, code, authorization, Role.VIEWER)
    async with state_of(request).transaction() as conn:
        rows = (
            (
                await conn.execute(
                    select(t.activities)
                    .where(t.activities.c.body_code == code)
                    .order_by(t.activities.c.not_before.desc())
                    .limit(500)
                )
            )
            .mappings()
            .all()
        )
    return JSONResponse(
        {"items": [_activity_json(row, with_qr=False) for row in rows]},
        headers={"Cache-Control": "no-store"},
    )


@router.get("/staff/bodies/{code}/activities/{activity_id}")
async def get_activity(
    code: str,
    activity_id: str,
    request: Request,
    authorization: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    await staff_member(request, code, authorization, Role.VIEWER)
    async with state_of(request).transaction() as conn:
        row = await _activity_row(conn, code, activity_id)
    return JSONResponse(_activity_json(row, with_qr=True), headers={"Cache-Control": "no-store"})


@router.get("/staff/bodies/{code}/activities/{activity_id}/poster.{form}")
async def activity_poster(
    code: str,
    activity_id: str,
    form: str,
    request: Request,
    authorization: Annotated[str | None, Header()] = None,
) -> Response:
    """The printable check-in poster (A4, Japanese first): the signed activity QR with the
    title, place, window and the signing key's fingerprint, as PNG or PDF."""
    if form not in ("png", "pdf"):
        raise RequestError(ErrorCode.RESOURCE_NOT_FOUND, "poster.png or poster.pdf")
    await staff_member(request, code, authorization, Role.VIEWER)
    state = state_of(request)
    body = state.body(code)
    async with state.transaction() as conn:
        row = await _activity_row(conn, code, activity_id)
    token = row["token"]
    kid = decode_unverified_jws(token).kid
    key = next((k for k in body.keys if k.kid == kid), body.signer.public_jwk)
    entry = state.registry.get(code)
    content = poster.PosterContent(
        qr_text=encode_activity_qr(token),
        title=ActivityName(ja=row["title_ja"], en=row["title_en"]),
        body_name_ja=entry.display_name_ja,
        body_name_en=entry.display_name_en,
        place=row["place"],
        window_start=datetime.fromtimestamp(row["not_before"], UTC),
        window_end=datetime.fromtimestamp(row["expires_at"], UTC),
        key_fingerprint=poster.signing_key_fingerprint(key),
        capacity=row["capacity"],
    )
    render = poster.render_poster_png if form == "png" else poster.render_poster_pdf
    with warnings.catch_warnings():  # no Japanese font: drawn in English, said on the page
        warnings.simplefilter("ignore", poster.PosterFontWarning)
        data = await run_in_threadpool(render, content)
    return Response(
        data,
        media_type="image/png" if form == "png" else "application/pdf",
        headers={
            "Cache-Control": "no-store",
            "Content-Disposition": f'inline; filename="poster-{activity_id}.{form}"',
        },
    )


@router.get("/bodies/{code}/activities")
async def public_activities(code: str, request: Request) -> JSONResponse:
    """Current and coming designated activities, for the app. Location-only activities
    carry their check-in code here (presence is shown by location, not by scanning)."""
    state = state_of(request)
    state.body(code)
    async with state.transaction() as conn:
        rows = (
            (
                await conn.execute(
                    select(t.activities)
                    .where(
                        and_(
                            t.activities.c.body_code == code,
                            t.activities.c.expires_at > state.now_s(),
                        )
                    )
                    .order_by(t.activities.c.not_before)
                    .limit(200)
                )
            )
            .mappings()
            .all()
        )
    items = []
    for row in rows:
        item = _activity_json(row, with_qr=row["check_in_mode"] == CheckInMode.LOCATION.value)
        item.pop("attendance_count")
        items.append(item)
    return JSONResponse({"items": items}, headers={"Cache-Control": "public, max-age=60"})


# ---------------------------------------------------------------------------- attendance


class RecordIn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    activity: str = Field(min_length=1, max_length=2048)
    presentation: str = Field(min_length=1, max_length=30_000)


class AttendanceIn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    record: RecordIn
    location: dict[str, Any] | None = None


@router.post("/bodies/{code}/attendances", status_code=201)
async def submit_attendance(code: str, payload: AttendanceIn, request: Request) -> Response:
    """The wallet's attendance record for one of this body's activities. Accepted once per
    registration and activity, while the activity was open at the check-in, only from a
    holder key this body issued to that registration; location is checked (when the
    activity asks for it) and then discarded."""
    state = state_of(request)
    body = state.body(code)
    record = serialize_attendance_record(
        AttendanceRecordModel(
            activity=payload.record.activity, presentation=payload.record.presentation
        )
    )
    status = OwnStatus()
    attendance = verify_attendance(
        record,
        trust=_own_trust(state),
        body_code=code,
        now=state.now(),
        status_checker=status,
        max_age=state.settings.premium.attendance_max_age,
    )
    fix = parse_location_fix(payload.location)
    attended_on = attendance.checked_in_at.astimezone(JST).date().isoformat()
    now = state.now_s()

    async def handler(conn: Any) -> tuple[int, dict[str, Any]]:
        activity = await _activity_row(conn, code, attendance.activity_id)
        check_location(
            CheckInMode(activity["check_in_mode"]), geofence=_geofence(activity), fix=fix
        )
        await check_own_card(
            conn,
            body=body,
            seen=status.seen,
            registration_id=attendance.registration_id,
            holder_jkt=attendance.holder_jkt,
        )
        registration = await load_registration(conn, attendance.registration_id)
        if registration.state != "active":
            raise IssuanceError(ErrorCode.REGISTRATION_NOT_ACTIVE, "registration not active")
        inserted = await conn.scalar(
            insert_ignore(conn, t.attendances, "activity_pk"),
            {
                "activity_pk": activity["id"],
                "registration_id": registration.id,
                "source": "check_in",
                "attended_on": attended_on,
                "created_at": now,
            },
        )
        if inserted is None:
            raise VerificationError(ErrorCode.ATTENDANCE_ALREADY_RECORDED, "already recorded")
        counted = await conn.execute(
            update(t.activities)
            .where(
                and_(
                    t.activities.c.id == activity["id"],
                    (t.activities.c.capacity.is_(None))
                    | (t.activities.c.attendance_count < t.activities.c.capacity),
                )
            )
            .values(attendance_count=t.activities.c.attendance_count + 1)
        )
        if counted.rowcount != 1:
            raise IssuanceError(ErrorCode.ACTIVITY_FULL, "activity is full")
        return 201, {
            "registration_id": registration.id,
            "activity_id": attendance.activity_id,
            "designated": attendance.designated,
            "attended_on": attended_on,
        }

    return await run_idempotent(
        request, scope=f"attendance:{code}", required=False, handler=handler
    )


# ---------------------------------------------------------------------------- evidence


@router.post("/registrations/{registration_id}/evidence", status_code=201)
async def upload_evidence(
    registration_id: str,
    request: Request,
    activity_id: Annotated[str, Query(pattern=r"^[A-Za-z0-9._-]{1,64}$")],
    attended_on: Annotated[date, Query()],
    note: Annotated[str, Query(max_length=500)] = "",
    content_type: Annotated[str | None, Header()] = None,
    furusato_account: Annotated[str | None, Header()] = None,
) -> Response:
    """Evidence for a designated activity done outside check-in (e.g. a side-job contract):
    PDF, JPEG or PNG, size-limited, into the body's review queue."""
    state = state_of(request)
    limit = state.settings.premium.max_evidence_bytes
    data = bytearray()
    async for chunk in request.stream():
        data.extend(chunk)
        if len(data) > limit:
            raise RequestError(ErrorCode.REQUEST_TOO_LARGE, "evidence too large")
    declared = (content_type or "").split(";", 1)[0].strip().lower()
    info = check_evidence(
        bytes(data), declared_type=declared, policy=EvidencePolicy(max_bytes=limit)
    )
    if attended_on > _today(state):
        raise FormatError(ErrorCode.MALFORMED_REQUEST, "attended_on is in the future")
    now = state.now_s()

    async def handler(conn: Any) -> tuple[int, dict[str, Any]]:
        registration = await _owned(conn, state, registration_id, furusato_account)
        activity = await _activity_row(conn, registration.body_code, activity_id)
        evidence_id = b64url_encode(state.random.token_bytes(12))
        await conn.execute(
            t.evidence.insert().values(
                id=evidence_id,
                body_code=registration.body_code,
                registration_id=registration.id,
                activity_pk=activity["id"],
                attended_on=attended_on.isoformat(),
                note=note,
                media_type=info.media_type,
                size=info.size,
                sha256=bytes.fromhex(info.sha256),
                content=bytes(data),
                state="pending",
                submitted_at=now,
            )
        )
        return 201, {"evidence_id": evidence_id, "state": "pending", "sha256": info.sha256}

    return await run_idempotent(
        request,
        scope=f"evidence:{registration_id}",
        required=True,
        handler=handler,
        body=bytes(data),
    )


def _evidence_json(row: Any) -> dict[str, Any]:
    return {
        "evidence_id": row["id"],
        "registration_id": row["registration_id"],
        "attended_on": row["attended_on"],
        "note": row["note"],
        "media_type": row["media_type"],
        "size": row["size"],
        "sha256": bytes(row["sha256"]).hex(),
        "state": row["state"],
        "reason": row["reason"],
        "submitted_at": row["submitted_at"],
        "decided_at": row["decided_at"],
    }


@router.get("/staff/bodies/{code}/evidence")
async def list_evidence(
    code: str,
    request: Request,
    authorization: Annotated[str | None, Header()] = None,
    state_filter: Annotated[
        str, Query(alias="state", pattern="^(pending|accepted|rejected)$")
    ] = "pending",
) -> JSONResponse:
    await staff_member(request, code, authorization, Role.REVIEWER)
    async with state_of(request).transaction() as conn:
        rows = (
            (
                await conn.execute(
                    select(t.evidence, t.activities.c.activity_id)
                    .join(t.activities, t.activities.c.id == t.evidence.c.activity_pk)
                    .where(and_(t.evidence.c.body_code == code, t.evidence.c.state == state_filter))
                    .order_by(t.evidence.c.submitted_at)
                    .limit(500)
                )
            )
            .mappings()
            .all()
        )
    return JSONResponse(
        {"items": [{**_evidence_json(r), "activity_id": r["activity_id"]} for r in rows]},
        headers={"Cache-Control": "no-store"},
    )


async def _evidence_row(conn: Any, code: str, evidence_id: str) -> Any:
    row = (
        (
            await conn.execute(
                select(t.evidence).where(
                    and_(t.evidence.c.body_code == code, t.evidence.c.id == evidence_id)
                )
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        raise not_found()
    return row


@router.get("/staff/bodies/{code}/evidence/{evidence_id}/content")
async def evidence_content(
    code: str,
    evidence_id: str,
    request: Request,
    authorization: Annotated[str | None, Header()] = None,
) -> Response:
    """The uploaded file, as a download that browsers must not sniff or run."""
    await staff_member(request, code, authorization, Role.REVIEWER)
    async with state_of(request).transaction() as conn:
        row = await _evidence_row(conn, code, evidence_id)
    if row["content"] is None:
        raise RequestError(ErrorCode.RESOURCE_NOT_FOUND, "deleted after the decision")
    return Response(
        bytes(row["content"]),
        media_type=row["media_type"],
        headers={
            "Cache-Control": "no-store",
            "Content-Disposition": f'attachment; filename="evidence-{evidence_id}"',
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox; default-src 'none'",
        },
    )


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    reason: str | None = Field(default=None, max_length=500)


@router.post("/staff/bodies/{code}/evidence/{evidence_id}/{decision}")
async def decide_evidence(
    code: str,
    evidence_id: str,
    decision: str,
    payload: DecisionIn,
    request: Request,
    authorization: Annotated[str | None, Header()] = None,
) -> Response:
    """Accept (it counts as an attendance of its activity) or reject, with a reason. The
    file is deleted either way: only its hash and the decision stay."""
    if decision not in ("accept", "reject"):
        raise RequestError(ErrorCode.RESOURCE_NOT_FOUND, "no such action")
    member = await staff_member(request, code, authorization, Role.REVIEWER)
    state = state_of(request)
    if decision == "reject" and not payload.reason:
        raise FormatError(ErrorCode.MALFORMED_REQUEST, "a rejection needs a reason")

    async def handler(conn: Any) -> tuple[int, dict[str, Any]]:
        row = await _evidence_row(conn, code, evidence_id)
        if row["state"] != "pending":
            raise already_decided()
        now = state.now_s()
        new_state = "accepted" if decision == "accept" else "rejected"
        done = await conn.execute(
            update(t.evidence)
            .where(and_(t.evidence.c.id == evidence_id, t.evidence.c.state == "pending"))
            .values(
                state=new_state,
                reason=payload.reason,
                content=None,
                decided_at=now,
                decided_by=f"staff:{member.id}",
            )
        )
        if done.rowcount != 1:
            raise already_decided()
        if decision == "accept":
            await conn.execute(
                insert_ignore(conn, t.attendances),
                {
                    "activity_pk": row["activity_pk"],
                    "registration_id": row["registration_id"],
                    "source": "evidence",
                    "attended_on": row["attended_on"],
                    "created_at": now,
                },
            )
        await append_audit(
            conn,
            body_code=code,
            at=now,
            actor=f"staff:{member.id}",
            action=f"evidence-{decision}",
            target=evidence_id,
            detail={"registration": row["registration_id"]},
        )
        after = await _evidence_row(conn, code, evidence_id)
        return 200, _evidence_json(after)

    return await run_idempotent(
        request, scope=f"staff:{code}:evidence:{evidence_id}", required=True, handler=handler
    )


# ---------------------------------------------------------------------------- applications


class ApplicationIn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    account: str = _ACCOUNT_FIELD
    guardian_consent: bool = False


def _consent_relied_on(result: Any) -> bool:
    """The minors' rule passed only because a guardian consented (staff must see it)."""
    outcome = result.outcome(RuleId.MINORS)
    return bool(
        outcome.passed
        and outcome.limit is not None
        and (outcome.count is None or outcome.count < outcome.limit)
    )


async def _latest_application(conn: Any, registration_id: str) -> Any:
    return (
        (
            await conn.execute(
                select(t.premium_applications)
                .where(t.premium_applications.c.registration_id == registration_id)
                .order_by(t.premium_applications.c.submitted_at.desc())
                .limit(1)
            )
        )
        .mappings()
        .first()
    )


@router.post("/registrations/{registration_id}/premium-applications", status_code=201)
async def apply_premium(registration_id: str, payload: ApplicationIn, request: Request) -> Response:
    """Apply for premium (or its yearly renewal). Every rule is evaluated; if one fails the
    answer is ``premium_not_eligible`` with the whole checklist. A complete application waits
    for a reviewer, or is approved at once where the body opted into auto-approval (never
    when a guardian's consent is what the minors' rule rests on)."""
    state = state_of(request)

    async def handler(conn: Any) -> tuple[int, dict[str, Any]]:
        registration = await _owned(conn, state, registration_id, payload.account)
        if registration.state != "active":
            raise IssuanceError(ErrorCode.REGISTRATION_NOT_ACTIVE, "registration not active")
        today = _today(state)
        kind = "new"
        if registration.premium_state == "active":
            assert registration.premium_until is not None
            opens = registration.premium_until - state.settings.premium.renewal_window
            if today < opens:
                raise IssuanceError(
                    ErrorCode.STATUS_CHANGE_NOT_ALLOWED, f"renewal opens on {opens.isoformat()}"
                )
            kind = "renewal"
        if await conn.scalar(
            select(t.premium_applications.c.id).where(
                t.premium_applications.c.pending_registration_id == registration.id
            )
        ):
            raise IssuanceError(ErrorCode.PREMIUM_APPLICATION_EXISTS, "already waiting")
        identity = await load_identity(conn, registration.person_id)
        if identity is not None:  # before counting this person's premium registrations
            await lock_person_key(conn, identity.person_key)
        applicant = await applicant_for(
            conn, registration, identity=identity, guardian_consent=payload.guardian_consent
        )
        result = evaluate(applicant, bodies=state.registry, settings=state.settings, today=today)
        checklist = checklist_json(result)
        if not result.eligible or identity is None:
            raise NotEligibleError(checklist)
        await check_not_premium_elsewhere(
            conn, person_key=identity.person_key, registration=registration
        )
        now = state.now_s()
        application = {
            "id": b64url_encode(state.random.token_bytes(12)),
            "body_code": registration.body_code,
            "registration_id": registration.id,
            "pending_registration_id": registration.id,
            "kind": kind,
            "state": "pending",
            "checklist": json.dumps(checklist, ensure_ascii=False),
            "guardian_consent": payload.guardian_consent,
            "person_key": identity.person_key,
            "reason": None,
            "submitted_at": now,
            "decided_at": None,
            "decided_by": None,
        }
        await conn.execute(t.premium_applications.insert().values(**application))
        auto = await conn.scalar(
            select(t.bodies.c.premium_auto_approve).where(t.bodies.c.code == registration.body_code)
        )
        until = None
        if auto and not _consent_relied_on(result):
            until = await approve_application(
                conn,
                application=application,
                registration=registration,
                identity=identity,
                actor="system:auto-approval",
                now=now,
                today=today,
                settings=state.settings,
            )
            application.update(state="approved", decided_at=now)
        return 201, {
            **application_json(application),
            "premium_until": None if until is None else until.isoformat(),
        }

    return await run_idempotent(
        request, scope=f"premium:{registration_id}", required=True, handler=handler
    )


@router.get("/registrations/{registration_id}/premium")
async def premium_status(
    registration_id: str,
    request: Request,
    furusato_account: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    """What the app shows: tier, premium year, why premium ended (if it did), the live
    checklist, the latest application and the recorded attendances."""
    state = state_of(request)
    async with state.transaction() as conn:
        registration = await _owned(conn, state, registration_id, furusato_account)
        applicant = await applicant_for(
            conn,
            registration,
            identity=await load_identity(conn, registration.person_id),
            guardian_consent=False,
        )
        latest = await _latest_application(conn, registration.id)
        attended = (
            (
                await conn.execute(
                    select(
                        t.activities.c.activity_id,
                        t.activities.c.title_ja,
                        t.activities.c.title_en,
                        t.activities.c.designated,
                        t.attendances.c.attended_on,
                        t.attendances.c.source,
                    )
                    .join(t.activities, t.activities.c.id == t.attendances.c.activity_pk)
                    .where(t.attendances.c.registration_id == registration.id)
                    .order_by(t.attendances.c.attended_on)
                )
            )
            .mappings()
            .all()
        )
    today = _today(state)
    result = evaluate(applicant, bodies=state.registry, settings=state.settings, today=today)
    reason = registration.state_reason
    text = REASON_TEXT.get(reason) if reason else None
    renewal_opens = None
    if registration.premium_state == "active" and registration.premium_until is not None:
        renewal_opens = (
            registration.premium_until - state.settings.premium.renewal_window
        ).isoformat()
    return JSONResponse(
        {
            "registration_id": registration.id,
            "tier": registration.tier.value,
            "premium_state": registration.premium_state,
            "premium_until": None
            if registration.premium_until is None
            else registration.premium_until.isoformat(),
            "renewal_opens_on": renewal_opens,
            "reason": None
            if reason is None
            else {
                "code": reason,
                "message_ja": None if text is None else text[0],
                "message_en": None if text is None else text[1],
            },
            "eligible": result.eligible,
            "checklist": checklist_json(result),
            "application": None if latest is None else application_json(latest),
            "attendances": [dict(row) for row in attended],
        },
        headers={"Cache-Control": "no-store"},
    )


@router.get("/staff/bodies/{code}/premium-applications")
async def list_applications(
    code: str,
    request: Request,
    authorization: Annotated[str | None, Header()] = None,
    state_filter: Annotated[
        str, Query(alias="state", pattern="^(pending|approved|rejected)$")
    ] = "pending",
) -> JSONResponse:
    """The review queue (checklists as submitted)."""
    await staff_member(request, code, authorization, Role.REVIEWER)
    async with state_of(request).transaction() as conn:
        rows = (
            (
                await conn.execute(
                    select(t.premium_applications)
                    .where(
                        and_(
                            t.premium_applications.c.body_code == code,
                            t.premium_applications.c.state == state_filter,
                        )
                    )
                    .order_by(t.premium_applications.c.submitted_at)
                    .limit(500)
                )
            )
            .mappings()
            .all()
        )
    return JSONResponse(
        {"items": [application_json(row) for row in rows]}, headers={"Cache-Control": "no-store"}
    )


@router.post("/staff/bodies/{code}/premium-applications/{application_id}/{decision}")
async def decide_application(
    code: str,
    application_id: str,
    decision: str,
    payload: DecisionIn,
    request: Request,
    authorization: Annotated[str | None, Header()] = None,
) -> Response:
    """Approve (the rules are evaluated again now; premium for a year, both formats offered
    from then on) or reject with a reason the holder sees."""
    if decision not in ("approve", "reject"):
        raise RequestError(ErrorCode.RESOURCE_NOT_FOUND, "no such action")
    member = await staff_member(request, code, authorization, Role.REVIEWER)
    state = state_of(request)
    if decision == "reject" and not payload.reason:
        raise FormatError(ErrorCode.MALFORMED_REQUEST, "a rejection needs a reason")

    async def handler(conn: Any) -> tuple[int, dict[str, Any]]:
        row = (
            (
                await conn.execute(
                    select(t.premium_applications).where(
                        and_(
                            t.premium_applications.c.id == application_id,
                            t.premium_applications.c.body_code == code,
                        )
                    )
                )
            )
            .mappings()
            .first()
        )
        if row is None:
            raise not_found()
        if row["state"] != "pending":
            raise already_decided()
        now = state.now_s()
        actor = f"staff:{member.id}"
        registration = await load_registration(conn, row["registration_id"])
        if decision == "reject":
            await conn.execute(
                update(t.premium_applications)
                .where(t.premium_applications.c.id == application_id)
                .values(
                    state="rejected",
                    pending_registration_id=None,
                    reason=payload.reason,
                    decided_at=now,
                    decided_by=actor,
                )
            )
            await append_audit(
                conn,
                body_code=code,
                at=now,
                actor=actor,
                action="premium-reject",
                target=registration.id,
                detail={"application": application_id},
            )
            until = None
        else:
            if registration.state != "active":
                raise IssuanceError(ErrorCode.REGISTRATION_NOT_ACTIVE, "registration not active")
            await lock_person_key(conn, row["person_key"])
            identity = await load_identity(conn, registration.person_id)
            applicant = await applicant_for(
                conn,
                registration,
                identity=identity,
                guardian_consent=bool(row["guardian_consent"]),
            )
            today = _today(state)
            result = evaluate(
                applicant, bodies=state.registry, settings=state.settings, today=today
            )
            if not result.eligible or identity is None:
                raise NotEligibleError(checklist_json(result))
            await check_not_premium_elsewhere(
                conn, person_key=identity.person_key, registration=registration
            )
            until = await approve_application(
                conn,
                application=dict(row),
                registration=registration,
                identity=identity,
                actor=actor,
                now=now,
                today=today,
                settings=state.settings,
            )
        after = (
            (
                await conn.execute(
                    select(t.premium_applications).where(
                        t.premium_applications.c.id == application_id
                    )
                )
            )
            .mappings()
            .one()
        )
        return 200, {
            **application_json(after),
            "premium_until": None if until is None else until.isoformat(),
        }

    return await run_idempotent(
        request,
        scope=f"staff:{code}:premium:{application_id}:{decision}",
        required=True,
        handler=handler,
    )


class PremiumSettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    auto_approve: bool


@router.post("/staff/bodies/{code}/premium-settings")
async def premium_settings(
    code: str,
    payload: PremiumSettingsIn,
    request: Request,
    authorization: Annotated[str | None, Header()] = None,
) -> Response:
    """A body opts into (or out of) auto-approval of complete applications (admin)."""
    member = await staff_member(request, code, authorization, Role.ADMIN)
    state = state_of(request)

    async def handler(conn: Any) -> tuple[int, dict[str, Any]]:
        await conn.execute(
            update(t.bodies)
            .where(t.bodies.c.code == code)
            .values(premium_auto_approve=payload.auto_approve)
        )
        await append_audit(
            conn,
            body_code=code,
            at=state.now_s(),
            actor=f"staff:{member.id}",
            action="premium-settings",
            target=code,
            detail={"auto_approve": payload.auto_approve},
        )
        return 200, {"body_code": code, "auto_approve": payload.auto_approve}

    return await run_idempotent(
        request, scope=f"staff:{code}:premium-settings", required=True, handler=handler
    )
