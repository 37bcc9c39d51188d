"""Issuing, holding, presenting and verifying the compact QR credential (SD-CWT profile "FJ1").

Issuer SD-CWT (COSE_Sign1, tag 18)::

    protected   {1 alg: -7 (ES256), 4 kid: h'4 bytes', 16 typ: 293}
    unprotected {17 sd_claims: [<<[salt, value, group]>> or <<[salt]>> (decoy), ...]}
    payload     {1 iss: "042056", 4 exp, 6 iat, 8 cnf: {1: COSE_Key (compressed P-256)},
                 -65537: {1 tier, 2 status list, 3 status index, 4 valid_from,
                          simple(59): [2 digests]}}

Every credential carries exactly two digests — person (names, birthdate, stay) and membership —
and a group the registration does not have is a decoy, so the digest count says nothing about
the person. ``iat`` is required (a verifier checks it against the issuer key's window in the
trust list); a registration that starts later is told by ``valid_from``, so no ``nbf`` is
written (-07 requires ``nbf <= iat``); one received is still checked.

SD-KBT (COSE_Sign1, tag 18), signed with the ``cnf`` key::

    protected   {1 alg: -7, 16 typ: 294, 13 kcwt: <the issuer SD-CWT with chosen sd_claims>}
    payload     {3 aud, 6 iat, ?39 cnonce}

Verification follows draft-ietf-spice-sd-cwt-07 §"SD-KBT and SD-CWT Verifier Validation".
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Protocol

from cryptography.hazmat.primitives.asymmetric import ec

from furusato_vc.core.cbor import CborLimits, check_items, decode_cbor, encode_cbor
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
from furusato_vc.core.cose import (
    CoseAlgorithm,
    CoseHeader,
    Sign1,
    bstr_header,
    cose_key_from_public_jwk,
    p256_key_from_cose_key,
    parse_sign1,
    parse_sign1_envelope,
    sign1,
    verify_sign1,
)
from furusato_vc.core.encoding import b64url_decode
from furusato_vc.core.errors import ErrorCode, FormatError, VerificationError
from furusato_vc.core.jose.jwt import to_numeric_date
from furusato_vc.core.registration.bodies import validate_body_code
from furusato_vc.core.registration.claims import PersonName, StayPeriod, Tier

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from datetime import datetime

    from cryptography.hazmat.primitives.asymmetric import ec

    from furusato_vc.core.jose.jwk import PublicJwk
    from furusato_vc.core.jose.signer import Signer
    from furusato_vc.core.randomness import RandomSource

__all__ = [
    "CompactContent",
    "CompactKeyResolver",
    "CompactPolicy",
    "HeldCompact",
    "IssuedCompact",
    "VerifiedCompact",
    "accept_compact",
    "blinded_claim_hash",
    "compact_kid",
    "issue_compact",
    "present_compact",
    "verify_compact",
]

_EPOCH = date(1970, 1, 1).toordinal()
_GROUPS = (Group.PERSON, Group.MEMBERSHIP)
_GROUP_VALUES = frozenset(g.value for g in Group)
_TIER_OF = {code: tier for tier, code in TIER_CODE.items()}
_DEFAULT_LIMITS = CborLimits(max_bytes=8192, max_depth=8, max_items=32)


def _days(day: date) -> int:
    return day.toordinal() - _EPOCH


_MIN_DAY = date.min.toordinal() - _EPOCH  # birthdates before 1970 are negative
_MAX_DAY = date.max.toordinal() - _EPOCH


def _from_days(value: object, what: str) -> date:
    if type(value) is not int or not _MIN_DAY <= value <= _MAX_DAY:
        raise FormatError(ErrorCode.MALFORMED_CLAIM, f"{what} is not a day number")
    return date.fromordinal(value + _EPOCH)


def blinded_claim_hash(disclosure: bytes) -> bytes:
    """SHA-256 over the *bstr-encoded* Salted Disclosed Claim (-07 §"Types of Blinded
    Claims": ``bstr-encoded-salted``), as the draft's generated examples compute it."""
    return hashlib.sha256(bstr_header(len(disclosure)) + disclosure).digest()


def compact_kid(jwk: PublicJwk) -> bytes:
    """The 4-byte key id used in QR credentials: the first bytes of the key's RFC 7638
    thumbprint. Collisions are harmless: every key of the issuer with that id is tried."""
    return b64url_decode(jwk.thumbprint())[:4]


@dataclass(frozen=True, slots=True, kw_only=True)
class CompactContent:
    body_code: str
    tier: Tier
    valid_from: date
    issued_at: int
    expires_at: int
    holder_key: PublicJwk
    status_list: int
    status_index: int
    name: PersonName | None
    birthdate: date | None
    stay: StayPeriod | None
    member_number: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class IssuedCompact:
    """The SD-CWT as issued: all Salted Disclosed Claims (decoys included) in ``sd_claims``."""

    credential: Sign1

    def encode(self) -> bytes:
        return self.credential.encode()


def _group_value(content: CompactContent, group: Group) -> object | None:
    if group is Group.MEMBERSHIP:
        return content.member_number
    person: dict[int, object] = {}
    if content.name is not None:
        person[PersonKey.FAMILY.value] = content.name.family
        person[PersonKey.GIVEN.value] = content.name.given
        person[PersonKey.FAMILY_KANA.value] = content.name.family_kana
        person[PersonKey.GIVEN_KANA.value] = content.name.given_kana
    if content.birthdate is not None:
        person[PersonKey.BIRTHDATE.value] = _days(content.birthdate)
    if content.stay is not None:
        person[PersonKey.STAY.value] = [_days(content.stay.start), _days(content.stay.end)]
    return person or None


def issue_compact(
    content: CompactContent, *, signer: Signer, random: RandomSource
) -> IssuedCompact:
    """Build and sign the issuer SD-CWT."""
    disclosures: list[bytes] = []
    for group in _GROUPS:
        salt = random.token_bytes(SALT_BYTES)
        value = _group_value(content, group)
        disclosed = [salt] if value is None else [salt, value, group.value]  # -07 decoy: [salt]
        disclosures.append(encode_cbor(disclosed))
    digests = sorted(blinded_claim_hash(d) for d in disclosures)  # order hides the groups
    fv: dict[object, object] = {
        FvKey.TIER.value: TIER_CODE[content.tier],
        FvKey.STATUS_LIST.value: content.status_list,
        FvKey.STATUS_INDEX.value: content.status_index,
        FvKey.VALID_FROM.value: _days(content.valid_from),
    }
    fv[REDACTED_CLAIM_KEYS] = list(digests)
    payload: dict[object, object] = {
        CwtClaim.ISS.value: content.body_code,
        CwtClaim.EXP.value: content.expires_at,
        CwtClaim.IAT.value: content.issued_at,
    }
    payload[CwtClaim.CNF.value] = {CNF_COSE_KEY: cose_key_from_public_jwk(content.holder_key)}
    payload[FURUSATO_CLAIM] = fv
    credential = sign1(
        protected={
            CoseHeader.KID.value: compact_kid(signer.public_jwk),
            CoseHeader.TYP.value: TYP_SD_CWT,
        },
        unprotected={CoseHeader.SD_CLAIMS.value: disclosures},
        payload=encode_cbor(payload),
        signer=signer,
    )
    return IssuedCompact(credential=credential)


# ---------------------------------------------------------------------------- reading


class CompactKeyResolver(Protocol):
    def compact_keys(self, *, body_code: str, kid: bytes) -> Sequence[PublicJwk]:
        """Keys of ``body_code`` whose compact kid is ``kid``.

        Raises:
            VerificationError: ``issuer_not_trusted`` or ``issuer_key_unknown``.
        """
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class _Credential:
    """An issuer SD-CWT whose signature has been verified."""

    sign1: Sign1
    body_code: str
    tier: Tier
    valid_from: date
    issued_at: int
    expires_at: int
    not_before: int | None
    holder_key: ec.EllipticCurvePublicKey
    holder_cose_key: Mapping[object, object]
    issuer_key: PublicJwk
    status_list: int
    status_index: int
    digests: frozenset[bytes]


def _int_claim(claims: dict[object, object], key: int, what: str, *, required: bool) -> int | None:
    if key not in claims:
        if required:
            raise VerificationError(ErrorCode.REQUIRED_CLAIM_MISSING, f"{what} is required")
        return None
    value = claims[key]
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**53:
        raise FormatError(ErrorCode.MALFORMED_CLAIM, f"{what} is not an unsigned integer")
    return value


_PAYLOAD_KEYS = frozenset(
    {CwtClaim.ISS, CwtClaim.EXP, CwtClaim.NBF, CwtClaim.IAT, CwtClaim.CNF, FURUSATO_CLAIM}
)
_FV_KEYS = frozenset({*FvKey, REDACTED_CLAIM_KEYS})


def _read_credential(
    message: Sign1,
    *,
    keys: CompactKeyResolver,
    algorithms: frozenset[CoseAlgorithm],
    limits: CborLimits,
) -> _Credential:
    if message.protected.get(CoseHeader.TYP) != TYP_SD_CWT:
        raise VerificationError(ErrorCode.TYP_MISMATCH, "issuer token typ must be 293")
    kid = message.protected.get(CoseHeader.KID)
    if not isinstance(kid, bytes) or not 1 <= len(kid) <= 16:
        raise FormatError(ErrorCode.MALFORMED_COSE, "kid must be a short byte string")
    claims = decode_cbor(message.payload, limits=limits, canonical=False)  # signed bytes
    if not isinstance(claims, dict):
        raise FormatError(ErrorCode.MALFORMED_COSE, "payload is not a claims map")
    check_items(claims, limits)
    if set(claims) - _PAYLOAD_KEYS:
        raise FormatError(ErrorCode.MALFORMED_CLAIM, "unknown claim in the QR credential")
    body = claims.get(CwtClaim.ISS)
    if not isinstance(body, str):
        raise VerificationError(ErrorCode.REQUIRED_CLAIM_MISSING, "iss is required")
    validate_body_code(body)
    candidates = keys.compact_keys(body_code=body, kid=kid)
    for issuer_key in candidates:  # every key with that kid is tried (HCERT §3.3.3)
        try:
            verify_sign1(message, issuer_key, allowed=algorithms)
        except VerificationError as error:
            if error.code is ErrorCode.ALGORITHM_NOT_ALLOWED:
                raise
            continue
        break
    else:
        raise VerificationError(ErrorCode.SIGNATURE_INVALID, "no issuer key verifies")
    cnf = claims.get(CwtClaim.CNF)
    if not isinstance(cnf, dict) or set(cnf) != {CNF_COSE_KEY}:
        raise VerificationError(ErrorCode.HOLDER_KEY_MISSING, "cnf must hold a COSE_Key")
    holder_cose_key = cnf[CNF_COSE_KEY]
    holder_key = p256_key_from_cose_key(holder_cose_key)
    fv = claims.get(FURUSATO_CLAIM)
    if not isinstance(fv, dict) or set(fv) - _FV_KEYS:
        raise FormatError(ErrorCode.MALFORMED_CLAIM, "furusato claim map is malformed")
    check_items(fv, limits)
    tier_code = fv.get(FvKey.TIER)
    if isinstance(tier_code, bool) or tier_code not in _TIER_OF:
        raise FormatError(ErrorCode.MALFORMED_CLAIM, "tier is unknown")
    digests = fv.get(REDACTED_CLAIM_KEYS, [])
    if isinstance(digests, list):
        check_items(digests, limits)
    if not isinstance(digests, list) or not all(
        isinstance(d, bytes) and len(d) == 32 for d in digests
    ):
        raise VerificationError(ErrorCode.SD_STRUCTURE_INVALID, "redacted keys are 32-byte digests")
    digest_set = frozenset(digests)
    if len(digest_set) != len(digests):
        raise VerificationError(ErrorCode.DIGEST_DUPLICATE, "digest appears twice")
    expires_at = _int_claim(claims, CwtClaim.EXP, "exp", required=True)
    issued_at = _int_claim(claims, CwtClaim.IAT, "iat", required=True)
    status_list = _int_claim(fv, FvKey.STATUS_LIST, "status list", required=True)
    status_index = _int_claim(fv, FvKey.STATUS_INDEX, "status index", required=True)
    assert expires_at is not None
    assert issued_at is not None
    assert status_list is not None
    assert status_index is not None
    return _Credential(
        sign1=message,
        body_code=body,
        tier=_TIER_OF[tier_code],
        valid_from=_from_days(fv.get(FvKey.VALID_FROM), "valid_from"),
        issued_at=issued_at,
        expires_at=expires_at,
        not_before=_int_claim(claims, CwtClaim.NBF, "nbf", required=False),
        holder_key=holder_key,
        holder_cose_key=holder_cose_key,
        issuer_key=issuer_key,
        status_list=status_list,
        status_index=status_index,
        digests=digest_set,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class _Person:
    name: PersonName | None
    birthdate: date | None
    stay: StayPeriod | None


@dataclass(frozen=True, slots=True, kw_only=True)
class _Disclosed:
    person: _Person | None
    member_number: str | None
    groups: frozenset[Group]
    decoys: int
    items: tuple[tuple[Group, bytes], ...]  # the disclosed claims as sent, by group


def _text(value: object, what: str) -> str:
    if not isinstance(value, str) or not value or len(value) > 64:
        raise FormatError(ErrorCode.MALFORMED_CLAIM, f"{what} is not a short text")
    return value


_NAME_KEYS = frozenset(
    {PersonKey.FAMILY, PersonKey.GIVEN, PersonKey.FAMILY_KANA, PersonKey.GIVEN_KANA}
)


_PERSON_KEYS = frozenset(PersonKey)


def _read_person(value: object) -> _Person:
    if not isinstance(value, dict) or not value or value.keys() - _PERSON_KEYS:
        raise FormatError(ErrorCode.MALFORMED_CLAIM, "person group is malformed")
    names = _NAME_KEYS & value.keys()
    if names and names != _NAME_KEYS:
        raise FormatError(ErrorCode.MALFORMED_CLAIM, "names come all together")
    name = None
    if names:
        name = PersonName(
            family=_text(value[PersonKey.FAMILY], "family name"),
            given=_text(value[PersonKey.GIVEN], "given name"),
            family_kana=_text(value[PersonKey.FAMILY_KANA], "family name kana"),
            given_kana=_text(value[PersonKey.GIVEN_KANA], "given name kana"),
        )
    stay = None
    if PersonKey.STAY in value:
        period = value[PersonKey.STAY]
        if not isinstance(period, list | tuple) or len(period) != 2:
            raise FormatError(ErrorCode.MALFORMED_CLAIM, "stay period is malformed")
        stay = StayPeriod(
            start=_from_days(period[0], "stay start"), end=_from_days(period[1], "stay end")
        )
    birthdate = value.get(PersonKey.BIRTHDATE)
    return _Person(
        name=name,
        birthdate=None if birthdate is None else _from_days(birthdate, "birthdate"),
        stay=stay,
    )


def _read_disclosures(
    credential: _Credential, *, allow_decoys: bool, limits: CborLimits
) -> _Disclosed:
    """-07 verifier step 7 (and the Holder's check that every digest has a disclosure)."""
    raw = credential.sign1.unprotected.get(CoseHeader.SD_CLAIMS)
    if CoseHeader.SD_CLAIMS in credential.sign1.unprotected and (
        not isinstance(raw, list | tuple) or not raw
    ):
        # -07 verifier step 2: an empty sd_claims array is invalid.
        raise FormatError(ErrorCode.MALFORMED_COSE, "sd_claims must be a non-empty array")
    if isinstance(raw, list | tuple):
        check_items(raw, limits)
    person: _Person | None = None
    member: str | None = None
    groups: set[Group] = set()
    items: list[tuple[Group, bytes]] = []
    seen: set[bytes] = set()
    decoys = 0
    for item in raw if isinstance(raw, list | tuple) else ():
        if not isinstance(item, bytes):
            raise FormatError(ErrorCode.MALFORMED_DISCLOSURE, "disclosure is not a byte string")
        digest = blinded_claim_hash(item)
        if digest in seen:
            raise VerificationError(ErrorCode.DISCLOSURE_DUPLICATE, "disclosure sent twice")
        seen.add(digest)
        if digest not in credential.digests:
            raise VerificationError(ErrorCode.DISCLOSURE_UNREFERENCED, "no digest for disclosure")
        decoded = decode_cbor(item, limits=limits, canonical=False)  # its digest is signed
        if not isinstance(decoded, list) or not decoded:
            raise FormatError(ErrorCode.MALFORMED_DISCLOSURE, "disclosure is not an array")
        salt = decoded[0]
        if not isinstance(salt, bytes) or len(salt) < SALT_BYTES:
            raise FormatError(ErrorCode.MALFORMED_DISCLOSURE, "salt must be at least 16 bytes")
        if len(decoded) == 1:
            if not allow_decoys:  # a Holder never needs to show a decoy
                raise VerificationError(ErrorCode.SD_STRUCTURE_INVALID, "decoy presented")
            decoys += 1
            continue
        if len(decoded) != 3:
            raise FormatError(ErrorCode.MALFORMED_DISCLOSURE, "claim disclosure has 3 items")
        key = decoded[2]
        if type(key) is not int or key not in _GROUP_VALUES:
            raise FormatError(ErrorCode.MALFORMED_DISCLOSURE, "unknown claim group")
        group = Group(key)
        if group in groups:
            raise VerificationError(ErrorCode.DISCLOSURE_CLAIM_COLLISION, "group disclosed twice")
        groups.add(group)
        items.append((group, item))
        if group is Group.PERSON:
            person = _read_person(decoded[1])
        else:
            member = _text(decoded[1], "member number")
    return _Disclosed(
        person=person,
        member_number=member,
        groups=frozenset(groups),
        decoys=decoys,
        items=tuple(items),
    )


def _check_times(credential: _Credential, now: int, skew: int) -> None:
    issued_at, not_before = credential.issued_at, credential.not_before
    # -07 step 3: nbf <= iat < exp, nbf < exp (when present)
    if issued_at >= credential.expires_at or (
        not_before is not None and (not_before >= credential.expires_at or not_before > issued_at)
    ):
        raise FormatError(ErrorCode.MALFORMED_CLAIM, "inconsistent iat, nbf and exp")
    if now >= credential.expires_at + skew:
        raise VerificationError(ErrorCode.TOKEN_EXPIRED, "exp has passed")
    if not_before is not None and now < not_before - skew:
        raise VerificationError(ErrorCode.TOKEN_NOT_YET_VALID, "nbf is in the future")
    if issued_at > now + skew:
        raise VerificationError(ErrorCode.TOKEN_ISSUED_IN_FUTURE, "iat is in the future")


# ---------------------------------------------------------------------------- holder


@dataclass(frozen=True, slots=True, kw_only=True)
class HeldCompact:
    """The issued SD-CWT as the wallet keeps it, with its Salted Disclosed Claims by group."""

    credential: Sign1
    disclosures: tuple[tuple[Group, bytes], ...]
    body_code: str
    tier: Tier
    expires_at: int


def accept_compact(
    encoded: bytes,
    *,
    holder_key: PublicJwk,
    keys: CompactKeyResolver,
    now: datetime,
    limits: CborLimits = _DEFAULT_LIMITS,
) -> HeldCompact:
    """Holder validation (-07 §"Holder Validation"): issuer signature, every digest has a
    Salted Disclosed Claim and vice versa, ``cnf`` is this wallet's key, not expired.

    Raises:
        FormatError, VerificationError: as :func:`verify_compact`; ``holder_key_mismatch``.
    """
    message = parse_sign1(decode_cbor(encoded, limits=limits), limits=limits)
    credential = _read_credential(
        message, keys=keys, algorithms=frozenset({CoseAlgorithm.ES256}), limits=limits
    )
    disclosed = _read_disclosures(credential, allow_decoys=True, limits=limits)
    if len(disclosed.groups) + disclosed.decoys != len(credential.digests):
        raise VerificationError(ErrorCode.DISCLOSURE_UNREFERENCED, "a digest has no disclosure")
    if dict(credential.holder_cose_key) != cose_key_from_public_jwk(holder_key):
        raise VerificationError(ErrorCode.HOLDER_KEY_MISMATCH, "cnf is not this wallet's key")
    if to_numeric_date(now) >= credential.expires_at:
        raise VerificationError(ErrorCode.TOKEN_EXPIRED, "exp has passed")
    return HeldCompact(
        credential=message,
        disclosures=disclosed.items,
        body_code=credential.body_code,
        tier=credential.tier,
        expires_at=credential.expires_at,
    )


def present_compact(
    held: HeldCompact,
    *,
    groups: Iterable[Group],
    holder: Signer,
    audience: str,
    issued_at: int,
    nonce: bytes | None = None,
) -> bytes:
    """The SD-KBT (CBOR bytes) disclosing exactly ``groups``; -07 §"Creating a Key Binding
    Token". Encode it for a QR with :func:`furusato_vc.core.qrtext.encode_qr_text`."""
    wanted = frozenset(groups)
    chosen = [item for group, item in held.disclosures if group in wanted]
    issuer = held.credential
    unprotected: dict[object, object] = {CoseHeader.SD_CLAIMS.value: chosen} if chosen else {}
    presented = Sign1(
        protected_bytes=issuer.protected_bytes,
        protected=issuer.protected,
        unprotected=unprotected,
        payload=issuer.payload,
        signature=issuer.signature,
    )
    payload: dict[object, object] = {CwtClaim.AUD.value: audience, CwtClaim.IAT.value: issued_at}
    if nonce is not None:
        payload[CwtClaim.CNONCE.value] = nonce
    kbt = sign1(
        protected={
            CoseHeader.TYP.value: TYP_KB_CWT,
            CoseHeader.KCWT.value: presented.to_cbor_value(),
        },
        unprotected={},
        payload=encode_cbor(payload),
        signer=holder,
    )
    return kbt.encode()


# ---------------------------------------------------------------------------- verifier


@dataclass(frozen=True, slots=True, kw_only=True)
class CompactPolicy:
    """What the SD-KBT must say: this verifier's ``aud``, a fresh ``iat`` (±window), and in
    challenge mode the verifier's nonce."""

    audience: str
    nonce: bytes | None = None
    max_age_seconds: int = 60
    max_future_seconds: int = 60
    clock_skew_seconds: int = 60
    algorithms: frozenset[CoseAlgorithm] = frozenset({CoseAlgorithm.ES256})
    limits: CborLimits = _DEFAULT_LIMITS


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifiedCompact:
    body_code: str
    tier: Tier
    valid_from: date
    issued_at: int
    expires_at: int
    not_before: int | None
    status_list: int
    status_index: int
    holder_cose_key: Mapping[object, object]
    issuer_key: PublicJwk
    name: PersonName | None
    birthdate: date | None
    stay: StayPeriod | None
    member_number: str | None
    disclosed_groups: frozenset[Group]
    kb_issued_at: int
    kb_audience: str
    replay_key: bytes  # hash of the KBT's signed content: never the signature (malleable)


_KBT_KEYS = frozenset({CwtClaim.AUD, CwtClaim.IAT, CwtClaim.CNONCE})


def verify_compact(
    encoded: bytes,
    *,
    policy: CompactPolicy,
    keys: CompactKeyResolver,
    now: datetime,
) -> VerifiedCompact:
    """Verify an SD-KBT carrying an issuer SD-CWT (-07 §"SD-KBT and SD-CWT Verifier
    Validation", steps 1-9). Status and the verifier's business policy are the caller's.

    Raises:
        FormatError: CBOR, COSE, claim and disclosure format codes.
        VerificationError: ``typ_mismatch``, ``algorithm_not_allowed``, ``issuer_not_trusted``,
            ``issuer_key_unknown``, ``signature_invalid``, ``kb_signature_invalid``,
            ``holder_key_missing``, ``token_expired``, ``token_not_yet_valid``,
            ``kb_audience_mismatch``, ``kb_nonce_mismatch``, ``kb_too_old``, ``kb_in_future``,
            ``disclosure_unreferenced``, ``disclosure_duplicate``,
            ``disclosure_claim_collision``, ``digest_duplicate``, ``sd_structure_invalid``,
            ``required_claim_missing``, ``critical_header_unsupported``.
    """
    limits = policy.limits
    now_s = to_numeric_date(now)
    kbt = parse_sign1_envelope(encoded, limits=limits)  # step 1
    if kbt.protected.get(CoseHeader.TYP) != TYP_KB_CWT:
        raise VerificationError(ErrorCode.TYP_MISMATCH, "key binding token typ must be 294")
    issuer_value = kbt.protected.get(CoseHeader.KCWT)
    if issuer_value is None:
        raise FormatError(ErrorCode.MALFORMED_COSE, "kcwt missing")
    credential = _read_credential(  # step 2
        parse_sign1(issuer_value, limits=limits),
        keys=keys,
        algorithms=policy.algorithms,
        limits=limits,
    )
    _check_times(credential, now_s, policy.clock_skew_seconds)  # step 3
    verify_sign1(  # steps 4-5
        kbt,
        credential.holder_key,
        allowed=policy.algorithms,
        failure=ErrorCode.KB_SIGNATURE_INVALID,
    )
    kb_claims = decode_cbor(kbt.payload, limits=limits, canonical=False)  # signed bytes
    if not isinstance(kb_claims, dict) or set(kb_claims) - _KBT_KEYS:
        raise FormatError(ErrorCode.MALFORMED_CLAIM, "SD-KBT claims must be aud, iat, cnonce")
    audience = kb_claims.get(CwtClaim.AUD)
    if not isinstance(audience, str):
        raise VerificationError(ErrorCode.REQUIRED_CLAIM_MISSING, "SD-KBT aud is required")
    iat = _int_claim(kb_claims, CwtClaim.IAT, "SD-KBT iat", required=True)
    assert iat is not None
    # step 6: the KBT may not be valid when the credential is not
    if iat >= credential.expires_at:
        raise VerificationError(ErrorCode.TOKEN_EXPIRED, "key binding after the credential expired")
    if (credential.not_before is not None and iat < credential.not_before) or (
        iat < credential.issued_at
    ):
        raise VerificationError(ErrorCode.TOKEN_NOT_YET_VALID, "key binding before the credential")
    if iat < now_s - policy.max_age_seconds:
        raise VerificationError(ErrorCode.KB_TOO_OLD, "SD-KBT iat outside the window")
    if iat > now_s + policy.max_future_seconds:
        raise VerificationError(ErrorCode.KB_IN_FUTURE, "SD-KBT iat in the future")
    if audience != policy.audience:  # step 8
        raise VerificationError(ErrorCode.KB_AUDIENCE_MISMATCH, "aud is another verifier")
    cnonce = kb_claims.get(CwtClaim.CNONCE)
    if cnonce is not None and not isinstance(cnonce, bytes):
        raise FormatError(ErrorCode.MALFORMED_CLAIM, "cnonce must be a byte string")
    if policy.nonce is not None and cnonce != policy.nonce:
        raise VerificationError(ErrorCode.KB_NONCE_MISMATCH, "cnonce differs")
    disclosed = _read_disclosures(credential, allow_decoys=False, limits=limits)  # step 7
    return VerifiedCompact(
        body_code=credential.body_code,
        tier=credential.tier,
        valid_from=credential.valid_from,
        issued_at=credential.issued_at,
        expires_at=credential.expires_at,
        not_before=credential.not_before,
        status_list=credential.status_list,
        status_index=credential.status_index,
        holder_cose_key=credential.holder_cose_key,
        issuer_key=credential.issuer_key,
        name=None if disclosed.person is None else disclosed.person.name,
        birthdate=None if disclosed.person is None else disclosed.person.birthdate,
        stay=None if disclosed.person is None else disclosed.person.stay,
        member_number=disclosed.member_number,
        disclosed_groups=disclosed.groups,
        kb_issued_at=iat,
        kb_audience=audience,
        replay_key=hashlib.sha256(kbt.protected_bytes + kbt.payload).digest(),
    )
