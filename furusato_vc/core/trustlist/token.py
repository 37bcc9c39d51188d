"""Signing and verifying the national trust list: a compact JWS (``typ:
furusato-trust-list+jwt``) and a COSE_Sign1 (``typ: application/furusato-trust-list+cwt``),
both signed with an ES256 trust-anchor key that verifiers pin.

Verification order (security catalogue K-1 … K-3): the signer must be a pinned anchor
(by ``kid``, or every pinned anchor when there is none), the signature must verify over the
exact received bytes, the payload must parse strictly, ``iat`` must not be in the future and
``exp`` must not have passed. Rollback is a separate check against the list a verifier holds
(:func:`check_not_rolled_back`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

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
from furusato_vc.core.jose.algorithms import DEFAULT_ALGORITHMS
from furusato_vc.core.jose.jws import (
    JwsLimits,
    decode_unverified_jws,
    sign_compact_jws,
    verify_jws_signature,
)
from furusato_vc.core.trustlist.codec import (
    DEFAULT_TRUST_LIST_LIMITS,
    TrustListLimits,
    trust_list_from_cbor,
    trust_list_from_json,
    trust_list_to_cbor,
    trust_list_to_json,
)
from furusato_vc.core.trustlist.model import TRUST_LIST_CWT_TYP, TRUST_LIST_JWT_TYP

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from furusato_vc.core.encoding import JSONObject
    from furusato_vc.core.jose.jwk import PublicJwk
    from furusato_vc.core.jose.signer import Signer
    from furusato_vc.core.trustlist.model import TrustList

__all__ = [
    "MAX_TRUST_LIST_BYTES",
    "check_not_rolled_back",
    "sign_trust_list_cwt",
    "sign_trust_list_jwt",
    "verify_trust_list",
    "verify_trust_list_cwt",
    "verify_trust_list_jwt",
]

MAX_TRUST_LIST_BYTES = 8 * 1024 * 1024  # ~1 MB today for 1,788 bodies
_JSON_LIMITS = JsonLimits(max_bytes=MAX_TRUST_LIST_BYTES, max_depth=8)
_CBOR_LIMITS = CborLimits(max_bytes=MAX_TRUST_LIST_BYTES, max_depth=8, max_items=64)
_ES256_ONLY = frozenset({CoseAlgorithm.ES256})


def sign_trust_list_jwt(trust_list: TrustList, *, signer: Signer) -> str:
    payload = trust_list_to_json(trust_list)
    return sign_compact_jws(
        header={"typ": TRUST_LIST_JWT_TYP},
        payload=dumps_compact(payload).encode("utf-8"),  # type: ignore[arg-type]
        signer=signer,
    )


def sign_trust_list_cwt(trust_list: TrustList, *, signer: Signer) -> bytes:
    protected: dict[object, object] = {CoseHeader.TYP.value: TRUST_LIST_CWT_TYP}
    kid = signer.public_jwk.kid
    if kid is not None:
        protected[CoseHeader.KID.value] = kid.encode("utf-8")
    return sign1(
        protected=protected,
        unprotected={},
        payload=encode_cbor(trust_list_to_cbor(trust_list)),
        signer=signer,
    ).encode()


def _anchor_candidates(anchors: Sequence[PublicJwk], kid: str | None) -> Sequence[PublicJwk]:
    if not anchors:
        raise VerificationError(ErrorCode.TRUST_ANCHOR_UNKNOWN, "no trust anchor is pinned")
    if kid is None:
        return anchors
    chosen = [anchor for anchor in anchors if anchor.kid == kid]
    if not chosen:
        raise VerificationError(ErrorCode.TRUST_ANCHOR_UNKNOWN, "signed by an unpinned key")
    return chosen


def _verified_by_one(anchors: Sequence[PublicJwk], check: Callable[[PublicJwk], None]) -> None:
    for anchor in anchors:
        try:
            check(anchor)
        except VerificationError as error:
            if error.code is ErrorCode.ALGORITHM_NOT_ALLOWED:
                raise
            continue
        return
    raise VerificationError(ErrorCode.SIGNATURE_INVALID, "no pinned anchor verifies the list")


def _check_times(trust_list: TrustList, now: int, clock_skew: int) -> TrustList:
    if trust_list.issued_at > now + clock_skew:
        raise VerificationError(ErrorCode.TOKEN_ISSUED_IN_FUTURE, "trust list iat in the future")
    if now >= trust_list.expires_at:
        raise VerificationError(ErrorCode.TRUST_LIST_EXPIRED, "trust list has expired")
    return trust_list


def verify_trust_list_jwt(
    token: str,
    *,
    anchors: Sequence[PublicJwk],
    now: int,
    limits: TrustListLimits = DEFAULT_TRUST_LIST_LIMITS,
    clock_skew_seconds: int = 300,
) -> TrustList:
    """Verify the JWS form against the pinned ``anchors``.

    Raises:
        FormatError: the JWS/JSON codes, ``malformed_trust_list``, ``input_too_large``.
        VerificationError: ``typ_mismatch``, ``algorithm_not_allowed``,
            ``trust_anchor_unknown``, ``signature_invalid``, ``token_issued_in_future``,
            ``trust_list_expired``.
    """
    jws = decode_unverified_jws(token, limits=JwsLimits(max_chars=MAX_TRUST_LIST_BYTES * 4 // 3))
    if jws.typ != TRUST_LIST_JWT_TYP:
        raise VerificationError(ErrorCode.TYP_MISMATCH, f"typ must be {TRUST_LIST_JWT_TYP}")
    DEFAULT_ALGORITHMS.check(jws.alg)  # ES256 only, whatever the caller's other policies
    _verified_by_one(
        _anchor_candidates(anchors, jws.kid),
        lambda anchor: verify_jws_signature(jws, anchor, algorithms=DEFAULT_ALGORITHMS),
    )
    payload: JSONObject = parse_json_object(jws.payload, limits=_JSON_LIMITS)
    return _check_times(trust_list_from_json(payload, limits=limits), now, clock_skew_seconds)


def verify_trust_list_cwt(
    token: bytes,
    *,
    anchors: Sequence[PublicJwk],
    now: int,
    limits: TrustListLimits = DEFAULT_TRUST_LIST_LIMITS,
    clock_skew_seconds: int = 300,
) -> TrustList:
    """Verify the COSE form against the pinned ``anchors``.

    Raises:
        FormatError: the CBOR/COSE codes, ``malformed_trust_list``, ``input_too_large``.
        VerificationError: as :func:`verify_trust_list_jwt`.
    """
    value = decode_cbor(token, limits=_CBOR_LIMITS, canonical=False)
    if not isinstance(value, cbor2.CBORTag) or value.tag != COSE_SIGN1_TAG:
        raise FormatError(ErrorCode.MALFORMED_COSE, "the trust list is a tagged COSE_Sign1")
    message = parse_sign1(value, limits=_CBOR_LIMITS)
    if message.protected.get(CoseHeader.TYP) != TRUST_LIST_CWT_TYP:
        raise VerificationError(ErrorCode.TYP_MISMATCH, f"typ must be {TRUST_LIST_CWT_TYP}")
    kid_value = message.protected.get(CoseHeader.KID)
    if kid_value is not None and not isinstance(kid_value, bytes):
        raise FormatError(ErrorCode.MALFORMED_COSE, "kid is not a byte string")
    kid = None if kid_value is None else kid_value.decode("utf-8", "replace")
    _verified_by_one(
        _anchor_candidates(anchors, kid),
        lambda anchor: verify_sign1(message, anchor, allowed=_ES256_ONLY),
    )
    payload = decode_cbor(message.payload, limits=_CBOR_LIMITS, canonical=False)
    return _check_times(trust_list_from_cbor(payload, limits=limits), now, clock_skew_seconds)


def verify_trust_list(
    data: bytes,
    *,
    anchors: Sequence[PublicJwk],
    now: int,
    limits: TrustListLimits = DEFAULT_TRUST_LIST_LIMITS,
) -> TrustList:
    """Either form, told apart by the first byte (a COSE_Sign1 starts with tag 18, 0xd2;
    a JWS with base64url of ``{``).

    Raises:
        FormatError, VerificationError: as the form's function; ``input_too_large``.
    """
    if len(data) > MAX_TRUST_LIST_BYTES * 4 // 3:
        raise FormatError(ErrorCode.INPUT_TOO_LARGE, "trust list too large")
    if data[:1] == b"\xd2":
        return verify_trust_list_cwt(data, anchors=anchors, now=now, limits=limits)
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError as exc:
        raise FormatError(ErrorCode.MALFORMED_JWS, "neither a COSE_Sign1 nor a JWS") from exc
    return verify_trust_list_jwt(text, anchors=anchors, now=now, limits=limits)


def check_not_rolled_back(new: TrustList, held: TrustList | None) -> None:
    """K-3: a verifier never goes back to an older list. The same sequence number is only
    accepted for the same content (the JWS and COSE forms of one list compare equal); two
    different lists under one number mean the anchor's key or process is broken.

    Raises:
        VerificationError: ``trust_list_rollback``.
    """
    if held is None:
        return
    if new.sequence < held.sequence:
        raise VerificationError(ErrorCode.TRUST_LIST_ROLLBACK, "older sequence number")
    if new.sequence == held.sequence and new != held:
        raise VerificationError(
            ErrorCode.TRUST_LIST_ROLLBACK, "same sequence number, different content"
        )
