"""Activity check-in (premium groundwork): the activity token a body shows as a QR code, and
the attendance record a holder's wallet returns for it. See docs/activity-check-in.md.

An *activity token* is a compact JWS (RFC 7515 §3.1) with ES256 (HAIP 1.0 §7), header ``typ``
``furusato-activity+jwt`` (explicit typing, RFC 8725 §3.11) and ``kid``, signed by the issuing
key of the body that runs the activity. Claims: ``iss`` (the body's issuer identifier), ``body``
(its 6-digit code), ``jti`` (activity id), ``name`` ({"ja", "en"}), ``iat``, ``nbf``, ``exp``
(RFC 7519 §4.1) and ``designated`` (counts toward premium's designated activities). The QR
text is ``FA1:`` + the JWS (QR byte mode: base64url has lower-case letters).

An *attendance record* is the JSON object ``{"activity": <JWS>, "presentation": <SD-JWT+KB>}``.
The presentation's KB-JWT (RFC 9901 §4.3) has ``aud`` = the activity's ``iss`` and ``nonce`` =
:func:`attendance_nonce` of the activity JWS, so the record cannot be moved to another
activity or another audience.

Pure: time, trust and keys come in as arguments.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from furusato_vc.core.encoding import JsonLimits, b64url_encode, dumps_compact, parse_json_object
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

    from furusato_vc.core.encoding import JSONObject
    from furusato_vc.core.jose.jwk import PublicJwk
    from furusato_vc.core.jose.signer import Signer
    from furusato_vc.core.trust import RegistrationTrust

__all__ = [
    "ACTIVITY_QR_PREFIX",
    "ACTIVITY_TYP",
    "MAX_ACTIVITY_NAME_CHARS",
    "MAX_ACTIVITY_TOKEN_CHARS",
    "MAX_ATTENDANCE_RECORD_BYTES",
    "ActivityClaim",
    "ActivityContent",
    "ActivityName",
    "AttendanceRecord",
    "RecordMember",
    "VerifiedActivity",
    "attendance_nonce",
    "decode_activity_qr",
    "encode_activity_qr",
    "parse_attendance_record",
    "serialize_attendance_record",
    "sign_activity_token",
    "verify_activity_jws",
    "verify_activity_token",
]

ACTIVITY_TYP: Final = "furusato-activity+jwt"
# Scheme and version of the activity QR text; an incompatible change gets FA2:.
ACTIVITY_QR_PREFIX: Final = "FA1:"
MAX_ACTIVITY_NAME_CHARS: Final = 64
# A token with two 64-character Japanese names is about 1,100 characters.
MAX_ACTIVITY_TOKEN_CHARS: Final = 2048
MAX_ATTENDANCE_RECORD_BYTES: Final = 32 * 1024

_JWS_LIMITS = JwsLimits(max_chars=MAX_ACTIVITY_TOKEN_CHARS)
_PAYLOAD_LIMITS = JsonLimits(max_bytes=2048, max_depth=2)
_RECORD_LIMITS = JsonLimits(max_bytes=MAX_ATTENDANCE_RECORD_BYTES, max_depth=1)
_ACTIVITY_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


class ActivityClaim:
    """Wire names of the activity token's claims."""

    ISS: Final = "iss"
    BODY: Final = "body"
    JTI: Final = "jti"
    NAME: Final = "name"
    IAT: Final = "iat"
    NBF: Final = "nbf"
    EXP: Final = "exp"
    DESIGNATED: Final = "designated"
    NAME_JA: Final = "ja"
    NAME_EN: Final = "en"


class RecordMember:
    """Wire names of the attendance record's members."""

    ACTIVITY: Final = "activity"
    PRESENTATION: Final = "presentation"


_RECORD_MEMBERS: Final = frozenset({RecordMember.ACTIVITY, RecordMember.PRESENTATION})


# --------------------------------------------------------------------------- model


def _name_problem(value: str) -> str | None:
    if not value.strip() or len(value) > MAX_ACTIVITY_NAME_CHARS:
        return f"must be 1-{MAX_ACTIVITY_NAME_CHARS} characters"
    if any(unicodedata.category(c).startswith("C") for c in value):
        return "contains control characters"
    return None


def _content_problem(
    *,
    issuer: str,
    body_code: str,
    activity_id: str,
    issued_at: int,
    not_before: int,
    expires_at: int,
) -> str | None:
    """The rules both signing and verifying enforce (``None``: all satisfied)."""
    if not issuer:
        return "iss is empty"
    try:
        validate_body_code(body_code)
    except FormatError:
        return "body is not a 6-digit body code"
    if not _ACTIVITY_ID.fullmatch(activity_id):
        return "jti must be 1-64 characters of [A-Za-z0-9._-]"
    if not all(0 <= t < 2**53 for t in (issued_at, not_before, expires_at)):
        return "times must be NumericDate integers"
    if expires_at <= not_before:
        return "exp must be after nbf"
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class ActivityName:
    """The activity's name as a QR reader shows it, in Japanese and English."""

    ja: str
    en: str

    def __post_init__(self) -> None:
        for value in (self.ja, self.en):
            problem = _name_problem(value)
            if problem is not None:
                raise ValueError(f"activity name {problem}")


@dataclass(frozen=True, slots=True, kw_only=True)
class ActivityContent:
    """What a body signs for one activity. Times are NumericDate seconds."""

    issuer: str
    body_code: str
    activity_id: str
    name: ActivityName
    issued_at: int
    not_before: int
    expires_at: int
    designated: bool

    def __post_init__(self) -> None:
        problem = _content_problem(
            issuer=self.issuer,
            body_code=self.body_code,
            activity_id=self.activity_id,
            issued_at=self.issued_at,
            not_before=self.not_before,
            expires_at=self.expires_at,
        )
        if problem is not None:
            raise ValueError(problem)


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifiedActivity:
    """An activity token whose signature, issuer, body, claims and time window were checked."""

    issuer: str
    body_code: str
    activity_id: str
    name: ActivityName
    issued_at: int
    not_before: int
    expires_at: int
    designated: bool
    issuer_key: PublicJwk
    jws: str  # the exact verified compact JWS (what the attendance nonce is computed over)


@dataclass(frozen=True, slots=True, kw_only=True)
class AttendanceRecord:
    """What the wallet hands back for an activity: the activity JWS (no ``FA1:`` prefix) and an
    SD-JWT+KB bound to it. Unverified until the issuer checks it."""

    activity: str
    presentation: str


# --------------------------------------------------------------------------- signing


def sign_activity_token(content: ActivityContent, *, signer: Signer) -> str:
    """The compact JWS of an activity (``typ`` ``furusato-activity+jwt``, ``kid`` of the
    signer). Put it in a QR code with :func:`encode_activity_qr`.

    Raises:
        ValueError: the token would exceed :data:`MAX_ACTIVITY_TOKEN_CHARS`.
    """
    claims: JSONObject = {
        ActivityClaim.ISS: content.issuer,
        ActivityClaim.BODY: content.body_code,
        ActivityClaim.JTI: content.activity_id,
        ActivityClaim.NAME: {
            ActivityClaim.NAME_JA: content.name.ja,
            ActivityClaim.NAME_EN: content.name.en,
        },
        ActivityClaim.IAT: content.issued_at,
        ActivityClaim.NBF: content.not_before,
        ActivityClaim.EXP: content.expires_at,
        ActivityClaim.DESIGNATED: content.designated,
    }
    token = sign_compact_jws(
        header={"typ": ACTIVITY_TYP}, payload=dumps_compact(claims).encode("utf-8"), signer=signer
    )
    if len(token) > MAX_ACTIVITY_TOKEN_CHARS:  # a long iss or kid; names are bounded
        raise ValueError("activity token over the size a verifier accepts")
    return token


def encode_activity_qr(jws: str) -> str:
    """The QR text: ``FA1:`` + the compact JWS."""
    return ACTIVITY_QR_PREFIX + jws


def decode_activity_qr(text: str) -> str:
    """The compact JWS inside an activity QR text (nothing is verified).

    Raises:
        FormatError: ``input_too_large`` over the token limit; ``qr_prefix_unknown`` if the
            text does not start with exactly ``FA1:`` (e.g. a registration card's ``FJ1:``).
    """
    if len(text) > len(ACTIVITY_QR_PREFIX) + MAX_ACTIVITY_TOKEN_CHARS:
        raise FormatError(ErrorCode.INPUT_TOO_LARGE, "activity QR text too long")
    if not text.startswith(ACTIVITY_QR_PREFIX):
        raise FormatError(ErrorCode.QR_PREFIX_UNKNOWN, "not an activity QR (FA1:)")
    return text[len(ACTIVITY_QR_PREFIX) :]


def attendance_nonce(activity_jws: str) -> str:
    """The KB-JWT ``nonce`` binding a presentation to one activity token:
    base64url(SHA-256(ASCII of the compact JWS))."""
    return b64url_encode(hashlib.sha256(activity_jws.encode("ascii")).digest())


# --------------------------------------------------------------------------- verifying


def _malformed(detail: str) -> FormatError:
    return FormatError(ErrorCode.MALFORMED_CLAIM, detail)


def _name_claim(payload: JSONObject) -> ActivityName:
    if ActivityClaim.NAME not in payload:
        raise VerificationError(ErrorCode.REQUIRED_CLAIM_MISSING, "name is required")
    value = payload[ActivityClaim.NAME]
    if not isinstance(value, dict) or set(value) != {ActivityClaim.NAME_JA, ActivityClaim.NAME_EN}:
        raise _malformed("name must be an object with ja and en")
    ja, en = value[ActivityClaim.NAME_JA], value[ActivityClaim.NAME_EN]
    if not isinstance(ja, str) or not isinstance(en, str):
        raise _malformed("name members must be strings")
    if _name_problem(ja) is not None or _name_problem(en) is not None:
        raise _malformed("name has the wrong form")
    return ActivityName(ja=ja, en=en)


def _designated_claim(payload: JSONObject) -> bool:
    if ActivityClaim.DESIGNATED not in payload:
        raise VerificationError(ErrorCode.REQUIRED_CLAIM_MISSING, "designated is required")
    value = payload[ActivityClaim.DESIGNATED]
    if not isinstance(value, bool):
        raise _malformed("designated is not a boolean")
    return value


def verify_activity_token(
    text: str,
    *,
    trust: RegistrationTrust,
    now: datetime,
    skew: int = 60,
    algorithms: AlgorithmPolicy = DEFAULT_ALGORITHMS,
) -> VerifiedActivity:
    """Verify a scanned activity QR text (``FA1:`` + JWS) at ``now``.

    Raises:
        FormatError: as :func:`decode_activity_qr` and :func:`verify_activity_jws`.
        VerificationError: as :func:`verify_activity_jws`.
    """
    return verify_activity_jws(
        decode_activity_qr(text), trust=trust, now=now, skew=skew, algorithms=algorithms
    )


def verify_activity_jws(
    jws: str,
    *,
    trust: RegistrationTrust,
    now: datetime,
    checked_in_at: datetime | None = None,
    skew: int = 60,
    algorithms: AlgorithmPolicy = DEFAULT_ALGORITHMS,
) -> VerifiedActivity:
    """Verify an activity token (the bare compact JWS).

    ``now`` is when the verification runs (the trust data must be current then);
    ``checked_in_at`` (default ``now``) is the moment the activity must have been open: the
    issuer passes the KB-JWT ``iat`` of an attendance record submitted later. The window is
    ``[nbf - skew, exp + skew)``, as for other tokens (RFC 9901 §7.1 step 6 with skew).

    Raises:
        FormatError: ``input_too_large``, ``malformed_jws``, ``malformed_jws_header``, the
            JSON codes, ``malformed_claim`` (a claim of the wrong form, including a ``body``
            that is not a 6-digit body code and ``exp`` not after ``nbf``).
        VerificationError: ``critical_header_unsupported``, ``typ_mismatch``,
            ``algorithm_not_allowed`` (``none``, ``HS256``, … before any key work),
            ``required_claim_missing``, ``issuer_not_trusted`` (``iss`` unknown, or ``body``
            is not the body of ``iss``), ``issuer_key_unknown``, ``signature_invalid``, the
            trust codes of :meth:`RegistrationTrust.check_current` and
            :meth:`RegistrationTrust.check_key_use`, ``activity_not_current`` outside the
            window, ``token_issued_in_future`` if ``iat`` is after the moment of use.
    """
    if skew < 0:
        raise ValueError("skew must be non-negative")
    trust.check_current(now=to_numeric_date(now))
    token = decode_unverified_jws(jws, limits=_JWS_LIMITS)
    if token.typ != ACTIVITY_TYP:  # exact, case-sensitive (RFC 8725 §3.11)
        raise VerificationError(ErrorCode.TYP_MISMATCH, "typ must be furusato-activity+jwt")
    algorithms.check(token.alg)
    payload = parse_json_object(token.payload, limits=_PAYLOAD_LIMITS)
    issuer = require_string(payload, ActivityClaim.ISS)
    key = first_verifying_key(
        token, trust.issuer_keys(issuer=issuer, kid=token.kid), algorithms=algorithms
    )
    if key is None:  # every key sharing the kid was tried
        raise VerificationError(ErrorCode.SIGNATURE_INVALID, "no key of the body verifies it")

    body_code = require_string(payload, ActivityClaim.BODY)
    activity_id = require_string(payload, ActivityClaim.JTI)
    name = _name_claim(payload)
    issued_at = numeric_date(payload, ActivityClaim.IAT)
    not_before = numeric_date(payload, ActivityClaim.NBF)
    expires_at = numeric_date(payload, ActivityClaim.EXP)
    designated = _designated_claim(payload)
    problem = _content_problem(
        issuer=issuer,
        body_code=body_code,
        activity_id=activity_id,
        issued_at=issued_at,
        not_before=not_before,
        expires_at=expires_at,
    )
    if problem is not None:
        raise _malformed(problem)
    if trust.body_for_issuer(issuer) != body_code:
        raise VerificationError(ErrorCode.ISSUER_NOT_TRUSTED, "issuer may not sign for body")
    trust.check_key_use(body_code=body_code, key=key, signed_at=issued_at)

    at = to_numeric_date(now if checked_in_at is None else checked_in_at)
    if at < not_before - skew or at >= expires_at + skew:
        raise VerificationError(ErrorCode.ACTIVITY_NOT_CURRENT, "outside nbf..exp")
    if issued_at > at + skew:
        raise VerificationError(ErrorCode.TOKEN_ISSUED_IN_FUTURE, "iat is in the future")
    return VerifiedActivity(
        issuer=issuer,
        body_code=body_code,
        activity_id=activity_id,
        name=name,
        issued_at=issued_at,
        not_before=not_before,
        expires_at=expires_at,
        designated=designated,
        issuer_key=key,
        jws=jws,
    )


# --------------------------------------------------------------------------- attendance record


def serialize_attendance_record(record: AttendanceRecord) -> str:
    """The record as compact JSON (ASCII: both members are base64url, dots and tildes)."""
    return dumps_compact(
        {RecordMember.ACTIVITY: record.activity, RecordMember.PRESENTATION: record.presentation}
    )


def parse_attendance_record(data: str | bytes) -> AttendanceRecord:
    """Read a submitted attendance record (nothing is verified here).

    Exactly the two members, both non-empty ASCII strings; at most 32 KiB in all and the
    activity within the token limit. Insignificant JSON whitespace and member order are
    accepted: the signatures inside, not this envelope, protect the content.

    Raises:
        FormatError: ``input_too_large``; the JSON codes of
            :func:`~furusato_vc.core.encoding.parse_json` (``malformed_json`` for anything
            that is not an object); ``malformed_request`` for missing, extra or non-string
            members, or members that are empty or not ASCII.
    """
    value = parse_json_object(data, limits=_RECORD_LIMITS)
    if set(value) != _RECORD_MEMBERS:
        raise FormatError(ErrorCode.MALFORMED_REQUEST, "record needs activity and presentation")
    activity = value[RecordMember.ACTIVITY]
    presentation = value[RecordMember.PRESENTATION]
    if not isinstance(activity, str) or not isinstance(presentation, str):
        raise FormatError(ErrorCode.MALFORMED_REQUEST, "record members must be strings")
    if not activity or not presentation:
        raise FormatError(ErrorCode.MALFORMED_REQUEST, "record members must not be empty")
    if not activity.isascii() or not presentation.isascii():
        raise FormatError(ErrorCode.MALFORMED_REQUEST, "record members must be ASCII")
    if len(activity) > MAX_ACTIVITY_TOKEN_CHARS:
        raise FormatError(ErrorCode.INPUT_TOO_LARGE, "activity token too long")
    return AttendanceRecord(activity=activity, presentation=presentation)
