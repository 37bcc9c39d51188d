"""Status List Tokens (draft-ietf-oauth-status-list-20 §5): the signed container of a Status
List, as a JWT (§5.1, ``typ: statuslist+jwt``) or a CWT (§5.2, COSE_Sign1 tag 18 with
``typ: application/statuslist+cwt``).

Verification follows §8.3: the signature first (with a caller-chosen set of candidate keys,
never a key named by the token), then the required claims, ``sub`` equal to the URI the
credential references, ``iat`` not in the future, ``ttl`` a positive integer, and the Status
List itself (§4). Freshness (``exp``, the verifier's maximum staleness) depends on when the
list is *used*, so it is a separate check: :meth:`VerifiedStatusList.check_not_expired`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import TYPE_CHECKING, Final

import cbor2

from furusato_vc.core.cbor import CborLimits, decode_cbor, encode_cbor
from furusato_vc.core.cose import (
    COSE_SIGN1_TAG,
    CoseAlgorithm,
    CoseHeader,
    parse_sign1,
    sign1,
    verify_sign1,
)
from furusato_vc.core.encoding import JsonLimits, dumps_compact, parse_json_object
from furusato_vc.core.errors import ErrorCode, FormatError, VerificationError
from furusato_vc.core.jose.algorithms import DEFAULT_ALGORITHMS, AlgorithmPolicy
from furusato_vc.core.jose.jws import (
    JwsLimits,
    decode_unverified_jws,
    sign_compact_jws,
    verify_jws_signature,
)
from furusato_vc.core.statuslist.encoding import (
    DEFAULT_STATUS_LIST_LIMITS,
    StatusList,
    StatusListLimits,
    parse_status_list_cbor,
    parse_status_list_json,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from furusato_vc.core.encoding import JSONObject, JSONValue
    from furusato_vc.core.jose.jwk import PublicJwk
    from furusato_vc.core.jose.signer import Signer

__all__ = [
    "STATUS_LIST_CWT_TYP",
    "STATUS_LIST_JWT_TYP",
    "StatusListCwtClaim",
    "StatusListForm",
    "StatusListTokenContent",
    "VerifiedStatusList",
    "sign_status_list_cwt",
    "sign_status_list_jwt",
    "verify_status_list_cwt",
    "verify_status_list_jwt",
]

STATUS_LIST_JWT_TYP: Final = "statuslist+jwt"  # §5.1
STATUS_LIST_CWT_TYP: Final = "application/statuslist+cwt"  # §5.2 (CoAP ID still TBD in -20)
_CWT_TAG = 61  # RFC 8392 §6: a Status List Token MUST NOT carry it (§5.2)


class StatusListCwtClaim(IntEnum):
    """CWT claim keys of §5.2 (RFC 8392 §3 for 1, 2, 4, 6; the draft's requested keys)."""

    ISS = 1
    SUB = 2
    EXP = 4
    IAT = 6
    STATUS_LIST = 65533
    TTL = 65534


class StatusListForm(StrEnum):
    JWT = "jwt"
    CWT = "cwt"


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusListTokenContent:
    """What a Status Issuer signs. ``uri`` becomes ``sub`` (§5.1: the URI of this token)."""

    uri: str
    issuer: str | None
    issued_at: int
    expires_at: int | None
    ttl: int | None
    status_list: StatusList
    aggregation_uri: str | None = None

    def __post_init__(self) -> None:
        if not self.uri:
            raise ValueError("a status list token needs its URI")
        if self.expires_at is not None and self.expires_at <= self.issued_at:
            raise ValueError("exp must be after iat")
        if self.ttl is not None and self.ttl <= 0:
            raise ValueError("ttl must be positive (§5.1)")


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifiedStatusList:
    """A Status List Token whose signature, claims and list have been checked."""

    uri: str
    issuer: str | None
    issued_at: int
    expires_at: int | None
    ttl: int | None
    status_list: StatusList
    aggregation_uri: str | None
    key: PublicJwk
    form: StatusListForm

    def check_not_expired(self, now: int) -> None:
        """§8.3 step 4.c: if ``exp`` is present, the token must not be expired.

        Raises:
            VerificationError: ``status_list_expired``.
        """
        if self.expires_at is not None and now >= self.expires_at:
            raise VerificationError(ErrorCode.STATUS_LIST_EXPIRED, "status list token expired")


# ---------------------------------------------------------------------------- signing


def sign_status_list_jwt(content: StatusListTokenContent, *, signer: Signer) -> str:
    """§5.1: a JWT with ``typ: statuslist+jwt`` and claims sub, iat, exp, ttl, status_list."""
    claims: JSONObject = {"sub": content.uri, "iat": content.issued_at}
    if content.issuer is not None:
        claims["iss"] = content.issuer
    if content.expires_at is not None:
        claims["exp"] = content.expires_at
    if content.ttl is not None:
        claims["ttl"] = content.ttl
    claims["status_list"] = content.status_list.to_json(aggregation_uri=content.aggregation_uri)
    return sign_compact_jws(
        header={"typ": STATUS_LIST_JWT_TYP},
        payload=dumps_compact(claims).encode("utf-8"),
        signer=signer,
    )


def sign_status_list_cwt(content: StatusListTokenContent, *, signer: Signer) -> bytes:
    """§5.2: COSE_Sign1 (tag 18, no CWT tag), protected ``typ`` and ``kid`` (the UTF-8 of
    the signer's JWK ``kid``, as in the draft's example)."""
    claims: dict[object, object] = {
        StatusListCwtClaim.SUB.value: content.uri,
        StatusListCwtClaim.IAT.value: content.issued_at,
    }
    if content.issuer is not None:
        claims[StatusListCwtClaim.ISS.value] = content.issuer
    if content.expires_at is not None:
        claims[StatusListCwtClaim.EXP.value] = content.expires_at
    if content.ttl is not None:
        claims[StatusListCwtClaim.TTL.value] = content.ttl
    claims[StatusListCwtClaim.STATUS_LIST.value] = content.status_list.to_cbor_value(
        aggregation_uri=content.aggregation_uri
    )
    protected: dict[object, object] = {CoseHeader.TYP.value: STATUS_LIST_CWT_TYP}
    kid = signer.public_jwk.kid
    if kid is not None:
        protected[CoseHeader.KID.value] = kid.encode("utf-8")
    return sign1(
        protected=protected, unprotected={}, payload=encode_cbor(claims), signer=signer
    ).encode()


# ---------------------------------------------------------------------------- verifying


def _token_limits(limits: StatusListLimits) -> int:
    # base64url of the compressed list plus a little room for the other claims
    return limits.max_compressed_bytes * 4 // 3 + 8192


def _candidates(keys: Sequence[PublicJwk], kid: str | None) -> Sequence[PublicJwk]:
    if kid is None:
        return keys
    chosen = [key for key in keys if key.kid == kid]
    if not chosen:
        raise VerificationError(ErrorCode.ISSUER_KEY_UNKNOWN, "no key with the token's kid")
    return chosen


def _first_verifying(keys: Sequence[PublicJwk], check: Callable[[PublicJwk], None]) -> PublicJwk:
    if not keys:
        raise VerificationError(ErrorCode.ISSUER_KEY_UNKNOWN, "no key for this status list")
    for key in keys:
        try:
            check(key)
        except VerificationError as error:
            if error.code is ErrorCode.ALGORITHM_NOT_ALLOWED:
                raise
            continue
        return key
    raise VerificationError(ErrorCode.SIGNATURE_INVALID, "no key verifies the status list")


def _uint(value: object, what: str) -> int:
    if type(value) is not int or not 0 <= value < 2**53:
        raise FormatError(ErrorCode.MALFORMED_STATUS_LIST, f"{what} is not a NumericDate")
    return value


def _check_claims(
    *,
    sub: object,
    iat: object,
    exp: object,
    ttl: object,
    iss: object,
    expected_uri: str | None,
    now: int,
    clock_skew: int,
) -> tuple[str, int, int | None, int | None, str | None]:
    if not isinstance(sub, str) or not sub:
        raise VerificationError(ErrorCode.REQUIRED_CLAIM_MISSING, "status list token needs sub")
    if iat is None:
        raise VerificationError(ErrorCode.REQUIRED_CLAIM_MISSING, "status list token needs iat")
    issued_at = _uint(iat, "iat")
    expires_at = None if exp is None else _uint(exp, "exp")
    if expires_at is not None and expires_at <= issued_at:
        raise FormatError(ErrorCode.MALFORMED_STATUS_LIST, "exp is not after iat")
    if ttl is not None and (type(ttl) is not int or not 0 < ttl < 2**53):
        raise FormatError(ErrorCode.MALFORMED_STATUS_LIST, "ttl must be a positive integer")
    if iss is not None and not isinstance(iss, str):
        raise FormatError(ErrorCode.MALFORMED_STATUS_LIST, "iss is not a string")
    # §5.1/§8.3 step 4.a: the token must be the one the credential points at
    if expected_uri is not None and sub != expected_uri:
        raise VerificationError(ErrorCode.STATUS_LIST_MISMATCH, "sub is another status list")
    if issued_at > now + clock_skew:
        raise VerificationError(ErrorCode.TOKEN_ISSUED_IN_FUTURE, "status list iat in future")
    return sub, issued_at, expires_at, ttl if isinstance(ttl, int) else None, iss


def verify_status_list_jwt(
    token: str,
    *,
    keys: Sequence[PublicJwk],
    expected_uri: str | None,
    now: int,
    algorithms: AlgorithmPolicy = DEFAULT_ALGORITHMS,
    limits: StatusListLimits = DEFAULT_STATUS_LIST_LIMITS,
    clock_skew_seconds: int = 60,
) -> VerifiedStatusList:
    """Verify a §5.1 Status List Token.

    ``keys`` are the status issuer's keys from trust data the caller holds; ``expected_uri``
    is the credential's ``status_list.uri`` (or the URI the trust list names for this list).

    Raises:
        FormatError: the JWS and JSON codes, ``malformed_status_list``, ``input_too_large``,
            ``inflated_too_large``.
        VerificationError: ``typ_mismatch``, ``algorithm_not_allowed``,
            ``issuer_key_unknown``, ``signature_invalid``, ``required_claim_missing``,
            ``status_list_mismatch``, ``token_issued_in_future``.
    """
    max_chars = _token_limits(limits)
    jws = decode_unverified_jws(token, limits=JwsLimits(max_chars=max_chars))
    if jws.typ != STATUS_LIST_JWT_TYP:
        raise VerificationError(ErrorCode.TYP_MISMATCH, "typ must be statuslist+jwt")
    algorithms.check(jws.alg)
    key = _first_verifying(
        _candidates(keys, jws.kid),
        lambda candidate: verify_jws_signature(jws, candidate, algorithms=algorithms),
    )
    claims = parse_json_object(jws.payload, limits=JsonLimits(max_bytes=max_chars, max_depth=8))
    sub, issued_at, expires_at, ttl, iss = _check_claims(
        sub=claims.get("sub"),
        iat=claims.get("iat"),
        exp=claims.get("exp"),
        ttl=claims.get("ttl"),
        iss=claims.get("iss"),
        expected_uri=expected_uri,
        now=now,
        clock_skew=clock_skew_seconds,
    )
    if "status_list" not in claims:
        raise VerificationError(ErrorCode.REQUIRED_CLAIM_MISSING, "status_list claim missing")
    status_list_value: JSONValue = claims["status_list"]
    parsed = parse_status_list_json(status_list_value, limits=limits)
    return VerifiedStatusList(
        uri=sub,
        issuer=iss,
        issued_at=issued_at,
        expires_at=expires_at,
        ttl=ttl,
        status_list=parsed.status_list,
        aggregation_uri=parsed.aggregation_uri,
        key=key,
        form=StatusListForm.JWT,
    )


def verify_status_list_cwt(
    token: bytes,
    *,
    keys: Sequence[PublicJwk],
    expected_uri: str | None,
    now: int,
    limits: StatusListLimits = DEFAULT_STATUS_LIST_LIMITS,
    clock_skew_seconds: int = 60,
) -> VerifiedStatusList:
    """Verify a §5.2 Status List Token (ES256 only, as every COSE artefact here).

    The ``kid`` is read from the protected header; an unprotected ``kid`` (as in the draft's
    example) is only a hint for choosing candidate keys (security catalogue T-12).

    Raises:
        FormatError: the CBOR and COSE codes, ``malformed_status_list``, ``input_too_large``,
            ``inflated_too_large``.
        VerificationError: as :func:`verify_status_list_jwt`.
    """
    cbor_limits = CborLimits(max_bytes=_token_limits(limits), max_depth=8, max_items=64)
    value = decode_cbor(token, limits=cbor_limits, canonical=False)
    if isinstance(value, cbor2.CBORTag) and value.tag == _CWT_TAG:
        raise FormatError(ErrorCode.MALFORMED_COSE, "a Status List Token is not CWT-tagged")
    if not isinstance(value, cbor2.CBORTag) or value.tag != COSE_SIGN1_TAG:
        raise FormatError(ErrorCode.MALFORMED_COSE, "a Status List Token is a COSE_Sign1")
    message = parse_sign1(value, limits=cbor_limits)
    if message.protected.get(CoseHeader.TYP) != STATUS_LIST_CWT_TYP:
        raise VerificationError(ErrorCode.TYP_MISMATCH, "typ must be application/statuslist+cwt")
    kid_value = message.protected.get(CoseHeader.KID, message.unprotected.get(CoseHeader.KID))
    kid: str | None = None
    if kid_value is not None:
        if not isinstance(kid_value, bytes):
            raise FormatError(ErrorCode.MALFORMED_COSE, "kid is not a byte string")
        kid = kid_value.decode("utf-8", "replace")
    key = _first_verifying(
        _candidates(keys, kid),
        lambda candidate: verify_sign1(
            message, candidate, allowed=frozenset({CoseAlgorithm.ES256})
        ),
    )
    claims = decode_cbor(message.payload, limits=cbor_limits, canonical=False)
    if not isinstance(claims, dict):
        raise FormatError(ErrorCode.MALFORMED_STATUS_LIST, "CWT claims are not a map")
    sub, issued_at, expires_at, ttl, iss = _check_claims(
        sub=claims.get(StatusListCwtClaim.SUB),
        iat=claims.get(StatusListCwtClaim.IAT),
        exp=claims.get(StatusListCwtClaim.EXP),
        ttl=claims.get(StatusListCwtClaim.TTL),
        iss=claims.get(StatusListCwtClaim.ISS),
        expected_uri=expected_uri,
        now=now,
        clock_skew=clock_skew_seconds,
    )
    if StatusListCwtClaim.STATUS_LIST not in claims:
        raise VerificationError(ErrorCode.REQUIRED_CLAIM_MISSING, "status_list claim missing")
    parsed = parse_status_list_cbor(claims[StatusListCwtClaim.STATUS_LIST], limits=limits)
    return VerifiedStatusList(
        uri=sub,
        issuer=iss,
        issued_at=issued_at,
        expires_at=expires_at,
        ttl=ttl,
        status_list=parsed.status_list,
        aggregation_uri=parsed.aggregation_uri,
        key=key,
        form=StatusListForm.CWT,
    )
