"""Public routes: issuer metadata, the app's registration API, OpenID4VCI 1.0 (token, nonce,
credential) and the publication of status lists and trust-list entries."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any, Final

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import and_, select

from furusato_vc.core.encoding import b64url_decode, b64url_encode, parse_json
from furusato_vc.core.errors import (
    ErrorCode,
    FormatError,
    IssuanceError,
    RequestError,
    VerificationError,
)
from furusato_vc.core.oid4vci.constants import COMPACT_FORMAT, SD_JWT_VC_FORMAT
from furusato_vc.core.oid4vci.credential_request import (
    CredentialResponse,
    parse_credential_request,
)
from furusato_vc.core.oid4vci.metadata import (
    Display,
    compact_configuration,
    issuer_metadata,
    sd_jwt_vc_configuration,
)
from furusato_vc.core.oid4vci.offer import CredentialOffer, TxCode, offer_to_uri
from furusato_vc.core.oid4vci.proof import verify_proofs
from furusato_vc.core.oid4vci.sealed import AccessGrant
from furusato_vc.core.oid4vci.token import TokenResponse, parse_token_request_body
from furusato_vc.core.oid4vci.well_known import (
    authorization_server_metadata,
    jwt_vc_issuer_metadata,
)
from furusato_vc.core.registration.bodies import prefecture_code_of
from furusato_vc.core.registration.claims import (
    JST,
    RelationshipType,
    Tier,
    validate_registration,
    vct_for_tier,
)
from furusato_vc.core.registration.metadata import registration_type_metadata
from furusato_vc.core.registration.profile import ProfileInput, check_profile
from furusato_vc.core.trustlist.codec import trust_list_entry_to_json
from furusato_vc.core.trustlist.edit import entry_for_body
from furusato_vc.core.trustlist.model import StatusListLocation, TrustedKey
from furusato_vc.issuer.credentials import (
    IssuingBody,
    issue_registration_compact,
    issue_registration_credential,
)
from furusato_vc.issuer.service import schema as t
from furusato_vc.issuer.service.deps import run_idempotent, state_of
from furusato_vc.issuer.service.store import (
    BodyRecord,
    RegistrationRecord,
    allocate_slots,
    count_allocation,
    create_offer,
    is_owner,
    load_registration,
    person_ref,
    publish_unpublished,
    redeem_offer,
    register,
    status_list_uri,
)

__all__ = ["CONFIGURATIONS", "router"]

router = APIRouter()

# OpenID4VCI credential configuration ids (§12.2.4): one per tier and format
CONFIGURATIONS: Final = {
    "registration_basic_sd_jwt": (Tier.BASIC, SD_JWT_VC_FORMAT),
    "registration_basic_compact": (Tier.BASIC, COMPACT_FORMAT),
    "registration_premium_sd_jwt": (Tier.PREMIUM, SD_JWT_VC_FORMAT),
    "registration_premium_compact": (Tier.PREMIUM, COMPACT_FORMAT),
}


def _configurations_for(tier: Tier) -> tuple[str, ...]:
    return tuple(cid for cid, (each, _fmt) in CONFIGURATIONS.items() if each is tier)


def _issuer_display(body: BodyRecord, request: Request) -> list[Display]:
    entry = state_of(request).registry.get(body.code)
    return [
        Display(name=entry.display_name_ja, locale="ja"),
        Display(name=entry.display_name_en, locale="en"),
    ]


# ---------------------------------------------------------------------------- metadata


@router.get("/.well-known/openid-credential-issuer/bodies/{code}")
async def credential_issuer_metadata(code: str, request: Request) -> JSONResponse:
    """OpenID4VCI §12.2.2: the metadata of one body's Credential Issuer."""
    state = state_of(request)
    body = state.body(code)
    configurations = []
    for cid, (tier, fmt) in CONFIGURATIONS.items():
        display = (
            Display(name=f"ふるさと住民登録証（{tier.label_ja}）", locale="ja"),
            Display(name=f"Furusato Resident Registration Card ({tier.label_en})", locale="en"),
        )
        if fmt == SD_JWT_VC_FORMAT:
            configurations.append(
                sd_jwt_vc_configuration(id=cid, vct=vct_for_tier(tier), display=display)
            )
        else:
            configurations.append(compact_configuration(id=cid, display=display))
    document = issuer_metadata(
        body.issuer_id,
        credential_endpoint=f"{body.issuer_id}/credential",
        nonce_endpoint=f"{body.issuer_id}/nonce",
        batch_size=state.settings.batch_size,
        display=_issuer_display(body, request),
        configurations=configurations,
        allow_insecure_localhost=True,
    )
    document["token_endpoint"] = f"{body.issuer_id}/token"
    return JSONResponse(document, headers={"Cache-Control": "public, max-age=300"})


@router.get("/.well-known/oauth-authorization-server/bodies/{code}")
async def oauth_authorization_server(code: str, request: Request) -> JSONResponse:
    """RFC 8414 metadata: each body is its own authorization server for the pre-authorized
    code grant (OpenID4VCI §12.3, ``pre-authorized_grant_anonymous_access_supported``)."""
    body = state_of(request).body(code)
    return JSONResponse(
        authorization_server_metadata(
            body.issuer_id,
            token_endpoint=f"{body.issuer_id}/token",
            allow_insecure_localhost=True,
        ),
        headers={"Cache-Control": "public, max-age=300"},
    )


@router.get("/.well-known/jwt-vc-issuer/bodies/{code}")
async def jwt_vc_issuer(code: str, request: Request) -> JSONResponse:
    """SD-JWT VC draft -18 §5: the issuer's keys (the trust list is what verifiers trust)."""
    body = state_of(request).body(code)
    return JSONResponse(
        jwt_vc_issuer_metadata(body.issuer_id, body.keys, allow_insecure_localhost=True),
        headers={"Cache-Control": "public, max-age=300"},
    )


@router.get("/bodies/{code}/jwks.json")
async def jwks(code: str, request: Request) -> JSONResponse:
    body = state_of(request).body(code)
    return JSONResponse(
        {"keys": [key.to_json() for key in body.keys]},
        headers={"Cache-Control": "public, max-age=300"},
    )


@router.get("/type-metadata/{tier}")
async def type_metadata(tier: str) -> Response:
    """The SD-JWT VC Type Metadata documents, byte for byte (``vct#integrity`` covers them)."""
    try:
        chosen = Tier(tier)
    except ValueError:
        raise RequestError(ErrorCode.RESOURCE_NOT_FOUND, "no such type") from None
    return Response(
        registration_type_metadata()[vct_for_tier(chosen)],
        media_type="application/json",
        headers={"Cache-Control": "public, max-age=86400"},
    )


# ---------------------------------------------------------------------------- registration


class ProfileIn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    family_name: str | None = Field(default=None, max_length=64)
    given_name: str | None = Field(default=None, max_length=64)
    family_name_kana: str | None = Field(default=None, max_length=64)
    given_name_kana: str | None = Field(default=None, max_length=64)
    birthdate: date | None = None
    home_prefecture: str | None = Field(default=None, max_length=2)
    member_number: str | None = Field(default=None, max_length=64)
    stay_from: date | None = None
    stay_until: date | None = None


class RegistrationIn(BaseModel):
    """What the app sends. ``account`` is the app's stable, unguessable identifier of the
    person (≥ 128 bits); it is stored only as an HMAC and is the bearer credential for the
    person's registrations until identity proofing (premium) exists."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    account: str = Field(min_length=22, max_length=128, pattern=r"^[A-Za-z0-9_-]+$")
    body_code: str = Field(pattern=r"^[0-9]{6}$")
    relationship_types: list[RelationshipType] = Field(default_factory=list, max_length=4)
    interests: list[Annotated[str, Field(min_length=1, max_length=32)]] = Field(
        default_factory=list, max_length=20
    )
    profile: ProfileIn = Field(default_factory=ProfileIn)


class OfferIn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    account: str = Field(min_length=22, max_length=128, pattern=r"^[A-Za-z0-9_-]+$")


def _profile_json(profile: ProfileIn, *, today: date) -> dict[str, Any]:
    """The stored profile, checked by the rules the member import shares
    (:mod:`furusato_vc.core.registration.profile`)."""
    checked = ProfileInput(**profile.model_dump())
    check_profile(checked, today=today)
    return checked.to_json()


async def _offer_payload(
    request: Request, registration: RegistrationRecord, conn: Any
) -> dict[str, Any]:
    state = state_of(request)
    body = state.body(registration.body_code)
    configuration_ids = _configurations_for(registration.tier)
    tx_spec = TxCode(
        input_mode="numeric",
        length=state.settings.tx_code_length,
        description="アプリに表示された確認コード / the code shown in the app",
    )
    code, tx_code = await create_offer(
        conn,
        registration=registration,
        configuration_ids=configuration_ids,
        now=state.now_s(),
        lifetime=int(state.settings.offer_lifetime.total_seconds()),
        random=state.random,
        tx_code=tx_spec,
    )
    offer = CredentialOffer(
        credential_issuer=body.issuer_id,
        credential_configuration_ids=configuration_ids,
        pre_authorized_code=code,
        tx_code=tx_spec,
    )
    return {
        "credential_offer": offer.to_json(),
        "credential_offer_uri": offer_to_uri(offer),
        "tx_code": tx_code,
        "expires_in": int(state.settings.offer_lifetime.total_seconds()),
    }


@router.post("/registrations", status_code=201)
async def create_registration(payload: RegistrationIn, request: Request) -> Response:
    """A basic registration; the response carries a credential offer (pre-authorized code
    and transaction code) for the app's wallet."""
    state = state_of(request)
    body = state.body(payload.body_code)
    if not body.accepting:
        raise IssuanceError(ErrorCode.BODY_NOT_ISSUING, "body does not accept registrations")
    today = state.now().astimezone(JST).date()
    profile = _profile_json(payload.profile, today=today)
    lifetime = state.settings.basic_registration_lifetime
    valid_until = today + lifetime - timedelta(days=1)
    prefecture = prefecture_code_of(payload.body_code)

    async def handler(conn: Any) -> tuple[int, dict[str, Any]]:
        main, pref = await register(
            conn,
            account_ref=person_ref(payload.account, secret=state.settings.secrets[0]),
            body_code=payload.body_code,
            prefecture_code=prefecture if prefecture != payload.body_code else None,
            valid_from=today,
            valid_until=valid_until,
            relationship_types=payload.relationship_types,
            interests=payload.interests,
            profile=profile,
            now=state.now_s(),
            random=state.random,
            max_registrations=state.settings.max_registrations_per_person,
        )
        validate_registration(main.claims(), bodies=state.registry, today=today)
        offer = await _offer_payload(request, main, conn)
        return 201, {
            "registration_id": main.id,
            "body_code": main.body_code,
            "tier": main.tier.value,
            "valid_from": main.valid_from.isoformat(),
            "valid_until": None if main.valid_until is None else main.valid_until.isoformat(),
            "prefecture_registration_id": None if pref is None else pref.id,
            **offer,
        }

    return await run_idempotent(request, scope="registrations", required=True, handler=handler)


@router.post("/registrations/{registration_id}/offers", status_code=201)
async def new_offer(registration_id: str, payload: OfferIn, request: Request) -> Response:
    """A new credential offer for an existing registration (a new phone, more copies, or
    the prefecture registration recorded with a municipality)."""
    state = state_of(request)

    async def handler(conn: Any) -> tuple[int, dict[str, Any]]:
        registration = await load_registration(conn, registration_id)
        account = person_ref(payload.account, secret=state.settings.secrets[0])
        if not await is_owner(conn, registration, account):
            raise RequestError(ErrorCode.RESOURCE_NOT_FOUND, "no such registration")
        return 201, {
            "registration_id": registration.id,
            **await _offer_payload(request, registration, conn),
        }

    return await run_idempotent(
        request, scope=f"offers:{registration_id}", required=True, handler=handler
    )


# ---------------------------------------------------------------------------- OpenID4VCI


@router.post("/bodies/{code}/token")
async def token(code: str, request: Request) -> Response:
    """OpenID4VCI §6: the pre-authorized code grant. A wrong tx_code is counted even though
    the request fails (errata §13.6.3: the code dies after a few wrong guesses)."""
    state = state_of(request)
    body = state.body(code)
    parsed = parse_token_request_body(await request.body())
    failure: VerificationError | None = None
    grant = None
    async with state.transaction() as conn:
        try:
            grant = await redeem_offer(
                conn,
                code=parsed.pre_authorized_code,
                tx_code=parsed.tx_code,
                body_code=body.code,
                now=state.now_s(),
                max_attempts=state.settings.tx_code_max_attempts,
            )
        except VerificationError as error:
            failure = error  # commit the attempt counter, then fail
    if failure is not None:
        raise failure
    assert grant is not None
    lifetime = int(state.settings.access_token_lifetime.total_seconds())
    access_token = state.access_tokens.create_access_token(
        AccessGrant(
            registration_id=grant.registration_id,
            body_code=grant.body_code,
            credential_configuration_ids=grant.configuration_ids,
        ),
        now=state.now_s(),
        random=state.random,
    )
    response = TokenResponse(access_token=access_token, expires_in=lifetime)
    return JSONResponse(
        response.to_json(), headers={"Cache-Control": "no-store", "Pragma": "no-cache"}
    )


@router.post("/bodies/{code}/nonce")
async def nonce(code: str, request: Request) -> JSONResponse:
    """OpenID4VCI §7: a fresh c_nonce (sealed, so any server process can check it)."""
    state = state_of(request)
    state.body(code)
    value = state.nonces.create_nonce(now=state.now_s(), random=state.random)
    return JSONResponse({"c_nonce": value}, headers={"Cache-Control": "no-store"})


@router.post("/bodies/{code}/credential")
async def credential(
    code: str,
    request: Request,
    authorization: Annotated[str | None, Header()] = None,
) -> Response:
    """OpenID4VCI §8: one credential per proof key (batch issuance, §8.3), each with its own
    salts and its own random status entry, so copies cannot be linked."""
    state = state_of(request)
    body = state.body(code)
    if authorization is None or not authorization.startswith("Bearer "):
        raise VerificationError(ErrorCode.ACCESS_TOKEN_INVALID, "no bearer token")
    now_s = state.now_s()
    grant = state.access_tokens.verify_access_token(
        authorization[len("Bearer ") :], now=now_s
    ).grant
    if grant.body_code != body.code:
        raise VerificationError(ErrorCode.ACCESS_TOKEN_INVALID, "token of another issuer")
    raw = await request.body()
    try:
        value = parse_json(raw)
    except FormatError as exc:
        raise VerificationError(ErrorCode.CREDENTIAL_REQUEST_INVALID, "not JSON") from exc
    parsed = parse_credential_request(
        value, known_configuration_ids=grant.credential_configuration_ids
    )
    proofs = verify_proofs(
        parsed.proof_jwts,
        audience=body.issuer_id,
        now=now_s,
        batch_size=state.settings.batch_size,
        nonce_check=state.nonces.nonce_check(now=now_s),
    )
    tier, fmt = CONFIGURATIONS[parsed.credential_configuration_id]
    now = state.now()
    policy = state.issuance_policy

    async def handler(conn: Any) -> tuple[int, dict[str, Any]]:
        registration = await load_registration(conn, grant.registration_id)
        if (
            registration.state != "active"
            or registration.tier is not tier
            or (tier is Tier.PREMIUM and registration.premium_state != "active")
        ):
            raise VerificationError(
                ErrorCode.CREDENTIAL_REQUEST_INVALID, "registration not active for this type"
            )
        claims = registration.claims()
        allocation = await allocate_slots(
            conn,
            body_code=body.code,
            issuer_id=body.issuer_id,
            registration_id=registration.id,
            holder_jkts=[b64url_decode(proof.key.thumbprint()) for proof in proofs],
            tier=tier,
            now=now_s,
            random=state.random,
            settings=state.settings,
        )
        slots = allocation.slots
        issuing = IssuingBody(
            code=body.code,
            issuer_id=body.issuer_id,
            signer=body.signer,
            status_list_uri=slots[0].uri,
            status_list_id=slots[0].list_id,
        )
        credentials: list[str] = []
        for proof, slot in zip(proofs, slots, strict=True):
            if fmt == SD_JWT_VC_FORMAT:
                issued = issue_registration_credential(
                    claims,
                    body=issuing,
                    holder_key=proof.key,
                    status_slot=slot,
                    now=now,
                    random=state.random,
                    bodies=state.registry,
                    policy=policy,
                )
                credentials.append(issued.serialize())
            else:
                compact = issue_registration_compact(
                    claims,
                    body=issuing,
                    holder_key=proof.key,
                    status_slot=slot,
                    now=now,
                    random=state.random,
                    bodies=state.registry,
                    policy=policy,
                )
                credentials.append(b64url_encode(compact.encode()))
        # last: the list's fill counter (a row every issuance of this body updates)
        if await count_allocation(
            conn, allocation, body_code=body.code, now=now_s, settings=state.settings
        ):
            await publish_unpublished(conn, body=body, now=now_s, settings=state.settings)
        return 200, CredentialResponse(credentials=tuple(credentials)).to_json()

    return await run_idempotent(
        request, scope=f"credential:{grant.registration_id}", required=False, handler=handler
    )


# ---------------------------------------------------------------------------- publication


def _etag(sequence: int, issued_at: int, form: str) -> str:
    return f'"{sequence}-{issued_at}-{form}"'


@router.get("/bodies/{code}/status/{list_name}")
async def status_list(code: str, list_name: str, request: Request) -> Response:
    """A Status List Token (draft-ietf-oauth-status-list-20 §8.1): ``/status/3`` picks the
    form by ``Accept`` (JWT by default), ``/status/3.cwt`` and ``/status/3.jwt`` name it.
    Cacheable: ETag, and ``max-age`` up to the token's ``ttl`` so a CDN can front it."""
    state = state_of(request)
    body = state.body(code)
    stem, _, suffix = list_name.partition(".")
    if not stem.isdigit() or suffix not in ("", "jwt", "cwt"):
        raise RequestError(ErrorCode.RESOURCE_NOT_FOUND, "no such status list")
    accept = request.headers.get("accept", "")
    form = suffix or ("cwt" if "application/statuslist+cwt" in accept else "jwt")
    async with state.transaction() as conn:
        row = (
            (
                await conn.execute(
                    select(t.status_tokens)
                    .join(t.status_lists, t.status_lists.c.id == t.status_tokens.c.status_list_pk)
                    .where(
                        and_(
                            t.status_lists.c.body_code == body.code,
                            t.status_lists.c.list_id == int(stem),
                        )
                    )
                )
            )
            .mappings()
            .first()
        )
    if row is None:
        raise RequestError(ErrorCode.RESOURCE_NOT_FOUND, "no such status list")
    etag = _etag(row["sequence"], row["issued_at"], form)
    max_age = max(0, min(int(state.settings.status_lists.ttl.total_seconds()), 300))
    headers = {
        "ETag": etag,
        "Cache-Control": f"public, max-age={max_age}",
        "X-Status-List-Sequence": str(row["sequence"]),
    }
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    if form == "cwt":
        return Response(bytes(row["cwt"]), media_type="application/statuslist+cwt", headers=headers)
    return Response(row["jwt"], media_type="application/statuslist+jwt", headers=headers)


@router.get("/bodies/{code}/trust-list-entry")
async def trust_list_entry(code: str, request: Request) -> JSONResponse:
    """This body's entry for the national trust list (the JSON form of
    docs/trust-and-status.md), for the anchor operator to import."""
    state = state_of(request)
    body = state.body(code)
    async with state.transaction() as conn:
        keys = (
            (await conn.execute(select(t.signing_keys).where(t.signing_keys.c.body_code == code)))
            .mappings()
            .all()
        )
        lists = (
            (
                await conn.execute(
                    select(t.status_lists.c.list_id)
                    .where(t.status_lists.c.body_code == code)
                    .order_by(t.status_lists.c.list_id)
                )
            )
            .scalars()
            .all()
        )
    trusted = tuple(
        TrustedKey(
            jwk=next(k for k in body.keys if k.kid == row["kid"]),
            not_before=row["not_before"],
            not_after=row["not_after"],
        )
        for row in keys
    )
    entry = entry_for_body(
        state.registry.get(code),
        issuer=body.issuer_id,
        issuer_url=body.issuer_id,
        keys=trusted,
        status_lists=tuple(
            StatusListLocation(list_id=list_id, uri=status_list_uri(body.issuer_id, list_id))
            for list_id in lists
        ),
    )
    return JSONResponse(
        trust_list_entry_to_json(entry), headers={"Cache-Control": "public, max-age=300"}
    )
