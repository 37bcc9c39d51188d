"""Small documents a body signs for the public: the header checks and common claims shared
by the notices feed (:mod:`furusato_vc.core.notices`) and the benefits list
(:mod:`furusato_vc.core.benefits`).

Each is a compact JWS (RFC 7515 §3.1) with an explicit ``typ`` (RFC 8725 §3.11) and a
``kid``, signed with ES256 by the issuing key of the body (the key its cards are signed with).
Common claims (RFC 7519 §4.1 where they are registered): ``iss`` (the body's issuer
identifier), ``body`` (its 6-digit code), ``iat``, ``exp`` and ``seq`` (a number the body
raises with every change, so a holder or an anchor can refuse an older document).

Pure: the time, the trust data and the keys come in as arguments.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from furusato_vc.core.encoding import JsonLimits, dumps_compact, parse_json_object
from furusato_vc.core.errors import ErrorCode, FormatError, VerificationError
from furusato_vc.core.jose.algorithms import DEFAULT_ALGORITHMS, AlgorithmPolicy
from furusato_vc.core.jose.jws import (
    JwsLimits,
    decode_unverified_jws,
    first_verifying_key,
    sign_compact_jws,
)
from furusato_vc.core.jose.jwt import numeric_date, require_string, to_numeric_date
from furusato_vc.core.registration.bodies import validate_body_code

if TYPE_CHECKING:
    from datetime import datetime

    from furusato_vc.core.encoding import JSONObject, JSONValue
    from furusato_vc.core.jose.jwk import PublicJwk
    from furusato_vc.core.jose.signer import Signer
    from furusato_vc.core.trust import RegistrationTrust

__all__ = [
    "BodyDocClaim",
    "BodyDocHeader",
    "LocalizedText",
    "VerifiedBodyDoc",
    "item_id",
    "localized_text",
    "malformed",
    "sign_body_doc",
    "text_problem",
    "verify_body_doc",
]

_ITEM_ID: Final = re.compile(r"[A-Za-z0-9._-]{1,64}")


class BodyDocClaim:
    """Wire names of the claims every body document carries."""

    ISS: Final = "iss"
    BODY: Final = "body"
    IAT: Final = "iat"
    EXP: Final = "exp"
    SEQ: Final = "seq"
    JA: Final = "ja"
    EN: Final = "en"


@dataclass(frozen=True, slots=True, kw_only=True)
class BodyDocHeader:
    """The common claims of a body document (times are NumericDate seconds)."""

    issuer: str
    body_code: str
    issued_at: int
    expires_at: int
    sequence: int

    def __post_init__(self) -> None:
        if not self.issuer:
            raise ValueError("issuer is empty")
        validate_body_code(self.body_code)
        if not all(0 <= v < 2**53 for v in (self.issued_at, self.expires_at, self.sequence)):
            raise ValueError("times and sequence must be non-negative integers")
        if self.expires_at <= self.issued_at:
            raise ValueError("expires_at must be after issued_at")


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifiedBodyDoc:
    """A body document whose signature, issuer, body and time window were checked; the
    format-specific claims are still raw in ``payload``."""

    header: BodyDocHeader
    issuer_key: PublicJwk
    payload: JSONObject


def text_problem(value: str, *, max_chars: int, multiline: bool = False) -> str | None:
    """``None`` if ``value`` is 1..max_chars characters with no control characters (line
    breaks allowed when ``multiline``)."""
    if not value.strip() or len(value) > max_chars:
        return f"must be 1-{max_chars} characters"
    allowed = {"\n"} if multiline else set()
    if any(unicodedata.category(c).startswith("C") and c not in allowed for c in value):
        return "contains control characters"
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class LocalizedText:
    """Text in Japanese (required) and English (optional)."""

    ja: str
    en: str | None = None

    def check(self, *, max_chars: int, multiline: bool = False) -> None:
        for value in (self.ja, self.en):
            if value is None:
                continue
            problem = text_problem(value, max_chars=max_chars, multiline=multiline)
            if problem is not None:
                raise ValueError(f"text {problem}")

    def to_json(self) -> JSONObject:
        out: JSONObject = {BodyDocClaim.JA: self.ja}
        if self.en is not None:
            out[BodyDocClaim.EN] = self.en
        return out


def malformed(detail: str) -> FormatError:
    return FormatError(ErrorCode.MALFORMED_CLAIM, detail)


def localized_text(
    value: JSONValue, *, name: str, max_chars: int, multiline: bool = False
) -> LocalizedText:
    """Parse ``{"ja": …, "en"?: …}``.

    Raises:
        FormatError: ``malformed_claim``.
    """
    if not isinstance(value, dict) or BodyDocClaim.JA not in value:
        raise malformed(f"{name} must be an object with ja")
    if not set(value) <= {BodyDocClaim.JA, BodyDocClaim.EN}:
        raise malformed(f"{name} has unknown members")
    ja, en = value[BodyDocClaim.JA], value.get(BodyDocClaim.EN)
    if not isinstance(ja, str) or not (en is None or isinstance(en, str)):
        raise malformed(f"{name} members must be strings")
    for text in (ja, en):
        if text is not None and text_problem(text, max_chars=max_chars, multiline=multiline):
            raise malformed(f"{name} has the wrong form")
    return LocalizedText(ja=ja, en=en)


def item_id(value: JSONValue, *, name: str = "id") -> str:
    """Raises:
    FormatError: ``malformed_claim`` unless 1-64 characters of ``[A-Za-z0-9._-]``.
    """
    if not isinstance(value, str) or not _ITEM_ID.fullmatch(value):
        raise malformed(f"{name} must be 1-64 characters of [A-Za-z0-9._-]")
    return value


def sign_body_doc(
    header: BodyDocHeader, claims: JSONObject, *, typ: str, signer: Signer, max_chars: int
) -> str:
    """Sign the common claims and ``claims`` (format-specific) as a compact JWS.

    Raises:
        ValueError: the JWS would exceed ``max_chars`` (a verifier would refuse it).
    """
    payload: JSONObject = {
        BodyDocClaim.ISS: header.issuer,
        BodyDocClaim.BODY: header.body_code,
        BodyDocClaim.IAT: header.issued_at,
        BodyDocClaim.EXP: header.expires_at,
        BodyDocClaim.SEQ: header.sequence,
        **claims,
    }
    token = sign_compact_jws(
        header={"typ": typ}, payload=dumps_compact(payload).encode("utf-8"), signer=signer
    )
    if len(token) > max_chars:
        raise ValueError(f"{typ} document over the size a verifier accepts")
    return token


def verify_body_doc(
    jws: str,
    *,
    typ: str,
    trust: RegistrationTrust,
    now: datetime,
    max_chars: int,
    payload_limits: JsonLimits,
    skew: int = 60,
    algorithms: AlgorithmPolicy = DEFAULT_ALGORITHMS,
) -> VerifiedBodyDoc:
    """Check a body document's size, ``typ``, algorithm, signature, issuer, body, key window
    and time window (``iat - skew <= now < exp + skew``); sizes are checked before any
    parsing, the ``typ`` and algorithm before any key work.

    Raises:
        FormatError: ``input_too_large``, ``malformed_jws``, ``malformed_jws_header``, the
            JSON codes (``json_too_deep`` over ``payload_limits.max_depth``),
            ``malformed_claim``.
        VerificationError: ``typ_mismatch``, ``algorithm_not_allowed``,
            ``critical_header_unsupported``, ``required_claim_missing``,
            ``issuer_not_trusted`` (unknown ``iss``, or ``body`` not the body of ``iss``),
            ``issuer_key_unknown``, ``signature_invalid``, the trust codes of
            :meth:`RegistrationTrust.check_current` and :meth:`~RegistrationTrust.check_key_use`,
            ``token_issued_in_future``, ``token_expired``.
    """
    if skew < 0:
        raise ValueError("skew must be non-negative")
    now_s = to_numeric_date(now)
    trust.check_current(now=now_s)
    if len(jws) > max_chars:
        raise FormatError(ErrorCode.INPUT_TOO_LARGE, f"{typ} document too large")
    token = decode_unverified_jws(jws, limits=JwsLimits(max_chars=max_chars))
    if token.typ != typ:  # exact, case-sensitive (RFC 8725 §3.11)
        raise VerificationError(ErrorCode.TYP_MISMATCH, f"typ must be {typ}")
    algorithms.check(token.alg)
    payload = parse_json_object(token.payload, limits=payload_limits)
    issuer = require_string(payload, BodyDocClaim.ISS)
    key = first_verifying_key(
        token, trust.issuer_keys(issuer=issuer, kid=token.kid), algorithms=algorithms
    )
    if key is None:  # every key sharing the kid was tried
        raise VerificationError(ErrorCode.SIGNATURE_INVALID, "no key of the body verifies it")

    body_code = require_string(payload, BodyDocClaim.BODY)
    try:
        validate_body_code(body_code)
    except FormatError as exc:
        raise malformed("body is not a 6-digit body code") from exc
    issued_at = numeric_date(payload, BodyDocClaim.IAT)
    expires_at = numeric_date(payload, BodyDocClaim.EXP)
    sequence = numeric_date(payload, BodyDocClaim.SEQ)  # the same integer range
    if expires_at <= issued_at:
        raise malformed("exp must be after iat")
    if trust.body_for_issuer(issuer) != body_code:
        raise VerificationError(ErrorCode.ISSUER_NOT_TRUSTED, "issuer may not sign for body")
    trust.check_key_use(body_code=body_code, key=key, signed_at=issued_at)
    if issued_at > now_s + skew:
        raise VerificationError(ErrorCode.TOKEN_ISSUED_IN_FUTURE, "iat is in the future")
    if now_s >= expires_at + skew:
        raise VerificationError(ErrorCode.TOKEN_EXPIRED, f"{typ} document expired")
    return VerifiedBodyDoc(
        header=BodyDocHeader(
            issuer=issuer,
            body_code=body_code,
            issued_at=issued_at,
            expires_at=expires_at,
            sequence=sequence,
        ),
        issuer_key=key,
        payload=payload,
    )
