"""Builders for the compact QR credential tests (the SD-CWT profile "FJ1").

Well-formed credentials come from :func:`issue` (the library's ``issue_compact`` with a seeded
salt source), are accepted by the holder with :func:`hold` and shown with :func:`present`.
Malformed structures are built by hand: :func:`forge_credential` signs any payload with the
trusted issuer key (so a rejection is reached past the issuer signature and exercises one
rule), :func:`salted` and :func:`decoy` make Salted Disclosed Claims, and :func:`forge_kbt`
signs any SD-KBT with the holder key.

Registration-level helpers (:func:`issue_both`, :func:`hold_both`, :func:`qr_verifier`)
compose :mod:`tests.registration_fixtures` for the wallet and verifier tests: same bodies,
same holder, same clock, plus the status-list ids the QR credential refers to.

Clock: :data:`NOW` is :data:`tests.helpers.FIXED_NOW` (2027-01-15 09:00 JST); hand-made
credentials expire a year later (:data:`EXP`).
"""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import date, timedelta
from typing import TYPE_CHECKING

import cbor2

from furusato_vc.core.cbor import decode_cbor, encode_cbor
from furusato_vc.core.compact.credential import (
    CompactContent,
    CompactPolicy,
    HeldCompact,
    IssuedCompact,
    VerifiedCompact,
    accept_compact,
    compact_kid,
    issue_compact,
    present_compact,
    verify_compact,
)
from furusato_vc.core.compact.profile import (
    CNF_COSE_KEY,
    FURUSATO_CLAIM,
    REDACTED_CLAIM_KEYS,
    SALT_BYTES,
    TIER_CODE,
    TYP_KB_CWT,
    TYP_SD_CWT,
    CwtClaim,
    FvKey,
    Group,
    PersonKey,
)
from furusato_vc.core.cose import CoseHeader, Sign1, cose_key_from_public_jwk, sign1
from furusato_vc.core.jose.jwt import to_numeric_date
from furusato_vc.core.registration.bodies import load_bodies
from furusato_vc.core.registration.claims import PersonName, StayPeriod, Tier
from furusato_vc.core.trust import StaticTrust, TrustedIssuer
from furusato_vc.issuer import issue_registration_credentials
from furusato_vc.verifier import RegistrationVerifier, ReplayCache
from furusato_vc.wallet import accept_credential
from tests.helpers import FIXED_NOW, SeededRandom
from tests.registration_fixtures import (
    KESENNUMA,
    MINAMIMINOWA,
    SENDAI,
    STATUS_INDEX,
    TODAY,
    holder,
    issuing_body,
    policy_for,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from datetime import datetime

    from furusato_vc.core.jose.jwk import PublicJwk
    from furusato_vc.core.jose.signer import Signer
    from furusato_vc.core.registration.claims import RegistrationClaims
    from furusato_vc.core.statuslist.reference import StatusChecker
    from furusato_vc.issuer import IssuedCredentials, IssuingBody
    from furusato_vc.wallet import HeldCredential

__all__ = [
    "AUDIENCE",
    "BASIC_BODY",
    "EXP",
    "HOLDER",
    "ISSUED",
    "ISSUER",
    "NAME",
    "NOW",
    "NOW_S",
    "OTHER_HOLDER",
    "P256_ORDER",
    "PREMIUM_BODY",
    "STATUS_LIST_ID",
    "TRUST",
    "content",
    "credential_payload",
    "days",
    "decoy",
    "digest",
    "forge_credential",
    "forge_kbt",
    "hold",
    "hold_both",
    "issue",
    "issue_both",
    "issued_disclosures",
    "kb_payload",
    "kbt_parts",
    "malleate",
    "payload_of",
    "person_value",
    "present",
    "qr_verifier",
    "salted",
    "trusted",
    "verify",
    "with_sd_claims",
]

NOW = FIXED_NOW
NOW_S = to_numeric_date(NOW)
EXP = NOW_S + 365 * 86_400
ISSUED = NOW_S - 86_400  # issuers round iat down to the day, so it is before any KBT here
AUDIENCE = "shop"
STATUS_LIST_ID = 1
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551

BASIC_BODY = issuing_body(KESENNUMA)  # 気仙沼市, key "issuer-042056"
PREMIUM_BODY = issuing_body(MINAMIMINOWA)  # 南箕輪村, key "issuer-203858"
ISSUER = BASIC_BODY.signer
HOLDER = holder()
OTHER_HOLDER = holder("another-holder")
NAME = PersonName(family="山田", given="花子", family_kana="ヤマダ", given_kana="ハナコ")


def trusted(body: IssuingBody, *, status_lists: bool = True) -> TrustedIssuer:
    """The trust entry of ``body``, naming its status list by the QR credential's short id."""
    return TrustedIssuer(
        body_code=body.code,
        issuer_id=body.issuer_id,
        keys=(body.signer.public_jwk,),
        status_lists={body.status_list_id: body.status_list_uri} if status_lists else {},
    )


TRUST = StaticTrust.of([trusted(BASIC_BODY), trusted(PREMIUM_BODY), trusted(issuing_body(SENDAI))])


def days(day: date) -> int:
    """A Japan date as the profile's day number (days since 1970-01-01)."""
    return (day - date(1970, 1, 1)).days


# --------------------------------------------------------------------------- issue, hold, show


def content(**changes: object) -> CompactContent:
    """A basic card of 気仙沼市 with every personal field (names, birthdate, stay, member
    number), valid for a year from :data:`NOW`."""
    template = CompactContent(
        body_code=KESENNUMA,
        tier=Tier.BASIC,
        valid_from=TODAY,
        issued_at=ISSUED,
        expires_at=EXP,
        holder_key=HOLDER.public_jwk,
        status_list=STATUS_LIST_ID,
        status_index=STATUS_INDEX,
        name=NAME,
        birthdate=date(1988, 4, 2),
        stay=StayPeriod(start=TODAY, end=TODAY + timedelta(days=180)),
        member_number="KSN-2027-000123",
    )
    return dataclasses.replace(template, **changes)  # type: ignore[arg-type]


def issue(
    what: CompactContent | None = None, *, seed: str = "compact", signer: Signer = ISSUER
) -> IssuedCompact:
    return issue_compact(what or content(), signer=signer, random=SeededRandom(seed))


def hold(
    issued: IssuedCompact | bytes | None = None,
    *,
    holder_key: PublicJwk | None = None,
    now: datetime = NOW,
    trust: StaticTrust = TRUST,
) -> HeldCompact:
    encoded = issued if isinstance(issued, bytes) else (issued or issue()).encode()
    return accept_compact(encoded, holder_key=holder_key or HOLDER.public_jwk, keys=trust, now=now)


def present(
    held: HeldCompact | None = None,
    groups: Iterable[Group] = (),
    *,
    audience: str = AUDIENCE,
    issued_at: int = NOW_S,
    nonce: bytes | None = None,
    signer: Signer = HOLDER,
) -> bytes:
    return present_compact(
        held or hold(),
        groups=groups,
        holder=signer,
        audience=audience,
        issued_at=issued_at,
        nonce=nonce,
    )


def verify(
    kbt: bytes,
    *,
    policy: CompactPolicy | None = None,
    now: datetime = NOW,
    trust: StaticTrust = TRUST,
) -> VerifiedCompact:
    return verify_compact(
        kbt, policy=policy or CompactPolicy(audience=AUDIENCE), keys=trust, now=now
    )


# --------------------------------------------------------------------------- reading


def payload_of(message: Sign1) -> dict[object, object]:
    claims = decode_cbor(message.payload, canonical=False)
    assert isinstance(claims, dict)
    return claims


def issued_disclosures(issued: IssuedCompact) -> list[bytes]:
    """Every Salted Disclosed Claim the issuer sent (decoys included), in issued order."""
    raw = issued.credential.unprotected[CoseHeader.SD_CLAIMS]
    assert isinstance(raw, list | tuple)
    return [bytes(item) for item in raw]


def kbt_parts(kbt: bytes) -> tuple[dict[object, object], Sign1, dict[object, object]]:
    """(KBT protected header, issuer SD-CWT as presented, KBT payload), read without checks."""
    value = cbor2.loads(kbt)
    assert isinstance(value, cbor2.CBORTag)
    protected_bytes, _unprotected, payload, _signature = value.value
    protected = cbor2.loads(protected_bytes)
    issuer = protected[CoseHeader.KCWT]
    ip, iu, ipl, isg = issuer.value
    presented = Sign1(
        protected_bytes=ip,
        protected=cbor2.loads(ip),
        # inside a tag cbor2 decodes arrays as tuples
        unprotected={k: list(v) if isinstance(v, tuple) else v for k, v in iu.items()},
        payload=ipl,
        signature=isg,
    )
    return dict(protected), presented, dict(cbor2.loads(payload))


# --------------------------------------------------------------------------- hand-made tokens


def digest(disclosure: bytes) -> bytes:
    """The profile's Redacted Claim Hash: SHA-256 over the *bstr-encoded* disclosure, as the
    SD-CWT draft's generated examples compute it (computed here independently of the code
    under test)."""
    return hashlib.sha256(cbor2.dumps(disclosure)).digest()


def salted(value: object, group: object, *, seed: str = "salt") -> bytes:
    """A Salted Disclosed Claim ``<<[salt, value, key]>>`` (-07 §"Types of Blinded Claims")."""
    return encode_cbor([SeededRandom(seed).token_bytes(SALT_BYTES), value, group])


def decoy(*, seed: str = "decoy") -> bytes:
    """A decoy ``<<[salt]>>`` (-07 §"Decoy Digests")."""
    return encode_cbor([SeededRandom(seed).token_bytes(SALT_BYTES)])


def person_value(**changes: object) -> dict[int, object]:
    value: dict[int, object] = {
        PersonKey.FAMILY.value: NAME.family,
        PersonKey.GIVEN.value: NAME.given,
        PersonKey.FAMILY_KANA.value: NAME.family_kana,
        PersonKey.GIVEN_KANA.value: NAME.given_kana,
        PersonKey.BIRTHDATE.value: days(date(1988, 4, 2)),
    }
    for key, item in changes.items():
        value[PersonKey[key.upper()].value] = item
    return value


def credential_payload(
    digests: Sequence[bytes],
    *,
    holder_key: PublicJwk | None = None,
    expires_at: int = EXP,
    issued_at: int | None = ISSUED,
    not_before: int | None = None,
) -> dict[object, object]:
    """The claims map ``issue_compact`` writes, over the given Redacted Claim Hashes."""
    fv: dict[object, object] = {
        FvKey.TIER.value: TIER_CODE[Tier.BASIC],
        FvKey.STATUS_LIST.value: STATUS_LIST_ID,
        FvKey.STATUS_INDEX.value: STATUS_INDEX,
        FvKey.VALID_FROM.value: days(TODAY),
        REDACTED_CLAIM_KEYS: list(digests),
    }
    payload: dict[object, object] = {
        CwtClaim.ISS.value: KESENNUMA,
        CwtClaim.EXP.value: expires_at,
    }
    if issued_at is not None:
        payload[CwtClaim.IAT.value] = issued_at
    if not_before is not None:
        payload[CwtClaim.NBF.value] = not_before
    payload[CwtClaim.CNF.value] = {
        CNF_COSE_KEY: cose_key_from_public_jwk(holder_key or HOLDER.public_jwk)
    }
    payload[FURUSATO_CLAIM] = fv
    return payload


def forge_credential(
    payload: Mapping[object, object],
    disclosures: Sequence[bytes] | None = None,
    *,
    protected: Mapping[object, object] | None = None,
    signer: Signer = ISSUER,
) -> Sign1:
    """An issuer SD-CWT over ``payload``, properly signed by ``signer`` (the trusted issuer
    key by default); ``disclosures`` go into ``sd_claims`` as given (``None``: omitted)."""
    header: dict[object, object] = (
        {CoseHeader.KID.value: compact_kid(signer.public_jwk), CoseHeader.TYP.value: TYP_SD_CWT}
        if protected is None
        else dict(protected)
    )
    unprotected: dict[object, object] = (
        {} if disclosures is None else {CoseHeader.SD_CLAIMS.value: list(disclosures)}
    )
    return sign1(
        protected=header, unprotected=unprotected, payload=encode_cbor(dict(payload)), signer=signer
    )


def with_sd_claims(credential: Sign1, disclosures: Sequence[bytes] | None) -> Sign1:
    """The same signed SD-CWT with another ``sd_claims`` (the unprotected header is unsigned)."""
    return dataclasses.replace(
        credential,
        unprotected={} if disclosures is None else {CoseHeader.SD_CLAIMS.value: list(disclosures)},
    )


def kb_payload(
    *, audience: str = AUDIENCE, issued_at: int = NOW_S, nonce: bytes | None = None
) -> dict[object, object]:
    payload: dict[object, object] = {CwtClaim.AUD.value: audience, CwtClaim.IAT.value: issued_at}
    if nonce is not None:
        payload[CwtClaim.CNONCE.value] = nonce
    return payload


def forge_kbt(
    credential: Sign1 | None,
    *,
    payload: Mapping[object, object] | bytes | None = None,
    protected: Mapping[object, object] | None = None,
    unprotected: Mapping[object, object] | None = None,
    signer: Signer = HOLDER,
) -> bytes:
    """An SD-KBT carrying ``credential`` (as it is, with its ``sd_claims``) in ``kcwt``,
    signed by ``signer``. ``protected`` replaces the default ``{typ: 294, kcwt: …}``;
    ``payload`` is a claims map, or raw bytes to sign as they are."""
    header: dict[object, object]
    if protected is None:
        assert credential is not None
        header = {
            CoseHeader.TYP.value: TYP_KB_CWT,
            CoseHeader.KCWT.value: credential.to_cbor_value(),
        }
    else:
        header = dict(protected)
    kbt = sign1(
        protected=header,
        unprotected=dict(unprotected or {}),
        payload=payload
        if isinstance(payload, bytes)
        else encode_cbor(dict(payload if payload is not None else kb_payload())),
        signer=signer,
    )
    return kbt.encode()


def malleate(kbt: bytes) -> bytes:
    """The same SD-KBT with its ECDSA signature ``(r, s)`` replaced by ``(r, n - s)``, which
    verifies just as well (ECDSA signatures are malleable)."""
    value = cbor2.loads(kbt)
    protected, unprotected, payload, signature = value.value
    r, s = signature[:32], int.from_bytes(signature[32:], "big")
    flipped = r + (P256_ORDER - s).to_bytes(32, "big")
    return encode_cbor(cbor2.CBORTag(18, [protected, dict(unprotected), payload, flipped]))


# --------------------------------------------------------------------------- both formats


def issue_both(
    registration: RegistrationClaims,
    *,
    body: IssuingBody | None = None,
    holder_key: PublicJwk | None = None,
    now: datetime = NOW,
    seed: str = "both",
    status_index: int = STATUS_INDEX,
) -> IssuedCredentials:
    return issue_registration_credentials(
        registration,
        body=body or issuing_body(registration.issuing_body),
        holder_key=holder_key or HOLDER.public_jwk,
        status_index=status_index,
        now=now,
        random=SeededRandom(seed),
        bodies=load_bodies(),
    )


def hold_both(
    registration: RegistrationClaims,
    *,
    compact_of: RegistrationClaims | None = None,
    now: datetime = NOW,
    trust: StaticTrust = TRUST,
) -> HeldCredential:
    """Issue both formats and accept them into :data:`HOLDER`'s wallet; ``compact_of`` takes
    the QR credential from another registration's issuance instead."""
    issued = issue_both(registration, now=now)
    compact = issued.compact if compact_of is None else issue_both(compact_of, now=now).compact
    return accept_credential(
        issued.sd_jwt_vc.serialize(),
        holder_key=HOLDER.public_jwk,
        trust=trust,
        now=now,
        compact=compact.encode(),
    )


def qr_verifier(
    profile_id: str,
    *,
    accept: Iterable[str] = (KESENNUMA, MINAMIMINOWA),
    prefecture: str | None = None,
    nonce: str | None = None,
    audience: str | None = None,
    trust: StaticTrust = TRUST,
    status_checker: StatusChecker | None = None,
    unsafe_skip_status_check: bool = True,
    replay_cache: ReplayCache | None = None,
) -> RegistrationVerifier:
    """A verifier of a built-in profile; one-way (no nonce) unless ``nonce`` is given, and
    skipping status unless a checker is given or ``unsafe_skip_status_check`` is off."""
    return RegistrationVerifier(
        policy=policy_for(
            profile_id, accept=accept, prefecture=prefecture, nonce=nonce, audience=audience
        ),
        trust=trust,
        bodies=load_bodies(),
        status_checker=status_checker,
        unsafe_skip_status_check=unsafe_skip_status_check and status_checker is None,
        replay_cache=replay_cache,
    )
