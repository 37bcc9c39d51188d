"""The issuer side of activity check-in (premium groundwork, see docs/activity-check-in.md):
a body signs the QR code it shows at an activity, and later verifies the attendance records
holders' wallets return for it.

An attendance record counts only if, at once: the activity token is the body's own and was
open when the holder checked in (the KB-JWT ``iat``); the presentation is an SD-JWT VC of
this body, presented by its holder (RFC 9901 §7.3) to this body (``aud``) for exactly that
activity token (``nonce``), not older than ``max_age``; and it discloses the
``registration_id``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Final

from furusato_vc.core.activity import (
    ActivityContent,
    attendance_nonce,
    encode_activity_qr,
    parse_attendance_record,
    sign_activity_token,
    verify_activity_jws,
)
from furusato_vc.core.errors import ErrorCode, VerificationError
from furusato_vc.core.jose.jwt import to_numeric_date
from furusato_vc.core.registration.bodies import validate_body_code
from furusato_vc.core.registration.claims import (
    BASIC_VCT,
    JST,
    PREMIUM_VCT,
    Tier,
    parse_registration_claims,
)
from furusato_vc.core.registration.metadata import registration_type_metadata
from furusato_vc.core.sdjwt.verification import KeyBindingPolicy
from furusato_vc.core.sdjwtvc.credential import SdJwtVcPolicy, verify_sd_jwt_vc

if TYPE_CHECKING:
    from furusato_vc.core.activity import ActivityName
    from furusato_vc.core.statuslist.reference import StatusChecker, StatusReference
    from furusato_vc.core.trust import RegistrationTrust
    from furusato_vc.issuer.credentials import IssuingBody

__all__ = [
    "DEFAULT_ATTENDANCE_CLOCK_SKEW",
    "DEFAULT_ATTENDANCE_MAX_AGE",
    "VerifiedAttendance",
    "create_activity_qr",
    "verify_attendance",
]

# How long after the check-in a wallet may submit its record (events in places without a
# network); the record's KB-JWT iat must lie within this window of the submission.
DEFAULT_ATTENDANCE_MAX_AGE: Final = timedelta(days=7)
DEFAULT_ATTENDANCE_CLOCK_SKEW: Final = timedelta(seconds=60)


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifiedAttendance:
    """One verified attendance: who (registration), where (activity) and when (check-in).
    The pair (``registration_id``, ``activity_id``) identifies it: a record submitted twice
    is the same attendance."""

    registration_id: str
    body_code: str
    tier: Tier
    activity_id: str
    designated: bool
    checked_in_at: datetime
    # the presented card: its holder key (RFC 7638 thumbprint, base64url) and status entry,
    # for an issuer that checks the card was issued to this registration's holder
    holder_jkt: str
    status: StatusReference | None


def create_activity_qr(
    body: IssuingBody,
    *,
    activity_id: str,
    name: ActivityName,
    not_before: datetime,
    expires_at: datetime,
    designated: bool,
    now: datetime,
) -> str:
    """The QR text (``FA1:`` + signed activity token) ``body`` shows at an activity open from
    ``not_before`` until ``expires_at``.

    Raises:
        ValueError: an activity id outside 1-64 characters of ``[A-Za-z0-9._-]``, an end not
            after the start, or an end that has already passed at ``now``.
    """
    issued_at = to_numeric_date(now)
    content = ActivityContent(
        issuer=body.issuer_id,
        body_code=body.code,
        activity_id=activity_id,
        name=name,
        issued_at=issued_at,
        not_before=to_numeric_date(not_before),
        expires_at=to_numeric_date(expires_at),
        designated=designated,
    )
    if content.expires_at <= issued_at:
        raise ValueError("the activity has already ended")
    return encode_activity_qr(sign_activity_token(content, signer=body.signer))


def verify_attendance(
    record: str | bytes,
    *,
    trust: RegistrationTrust,
    body_code: str,
    now: datetime,
    status_checker: StatusChecker | None,
    unsafe_skip_status_check: bool = False,
    max_age: timedelta = DEFAULT_ATTENDANCE_MAX_AGE,
    clock_skew: timedelta = DEFAULT_ATTENDANCE_CLOCK_SKEW,
) -> VerifiedAttendance:
    """Verify an attendance record submitted to ``body_code``'s issuer.

    Status is checked with ``status_checker`` (fail closed); ``unsafe_skip_status_check``
    is for tests only.

    Raises:
        FormatError: as :func:`~furusato_vc.core.activity.parse_attendance_record`
            (``malformed_request``, ``input_too_large``, JSON codes), malformed tokens and
            claims, ``invalid_body_code`` for a malformed ``body_code`` argument.
        VerificationError: the presentation's codes of
            :func:`~furusato_vc.core.sdjwtvc.credential.verify_sd_jwt_vc` — in particular
            ``kb_audience_mismatch`` (presented to another body), ``kb_nonce_mismatch`` (made
            for another activity token), ``kb_too_old`` (checked in more than ``max_age``
            ago), ``kb_in_future``, ``token_expired``, ``status_not_checked`` and the status
            checker's codes; the activity's codes of
            :func:`~furusato_vc.core.activity.verify_activity_jws` (``activity_not_current``
            if it was not open at the check-in); ``credential_mismatch`` for an activity or a
            card of another body; ``issuer_not_trusted`` if the card's issuer may not issue
            for the body it names; ``required_claim_missing`` for a card without ``iat``;
            the trust codes of key use; ``registration_not_valid`` if the registration was
            not in force on the (Japan) check-in day; ``required_disclosure_missing`` if
            ``registration_id`` is not disclosed.
    """
    validate_body_code(body_code)
    parsed = parse_attendance_record(record)
    trust.check_current(now=to_numeric_date(now))
    skew = int(clock_skew.total_seconds())
    # The wallet addressed the KB-JWT to the activity's iss: this body's issuer identifier.
    audience = trust.issuer_for_body(body_code)
    verified = verify_sd_jwt_vc(
        parsed.presentation,
        policy=SdJwtVcPolicy(
            accepted_vcts=frozenset({BASIC_VCT, PREMIUM_VCT}),
            key_binding=KeyBindingPolicy(
                audience=audience,
                nonce=attendance_nonce(parsed.activity),
                max_age_seconds=int(max_age.total_seconds()),
                max_future_seconds=skew,
            ),
            status_checker=status_checker,
            unsafe_skip_status_check=unsafe_skip_status_check,
            type_metadata=registration_type_metadata(),
            clock_skew_seconds=skew,
        ),
        issuer_keys=trust,
        now=now,
    )
    key_binding = verified.key_binding
    assert key_binding is not None  # the policy requires key binding
    checked_in_at = datetime.fromtimestamp(key_binding.issued_at, UTC)
    key_binding_holder = key_binding.holder_key
    activity = verify_activity_jws(
        parsed.activity, trust=trust, now=now, checked_in_at=checked_in_at, skew=skew
    )
    if activity.body_code != body_code:
        raise VerificationError(ErrorCode.CREDENTIAL_MISMATCH, "activity of another body")

    registration = parse_registration_claims(
        verified.claims, disclosed_paths=verified.disclosed_paths
    )
    if trust.body_for_issuer(verified.issuer) != registration.issuing_body:
        raise VerificationError(ErrorCode.ISSUER_NOT_TRUSTED, "issuer may not issue for body")
    if registration.issuing_body != body_code:
        raise VerificationError(ErrorCode.CREDENTIAL_MISMATCH, "card of another body")
    if verified.issued_at is None:
        raise VerificationError(ErrorCode.REQUIRED_CLAIM_MISSING, "iat is required")
    trust.check_key_use(
        body_code=body_code, key=verified.sd_jwt.issuer_key, signed_at=verified.issued_at
    )
    if not registration.in_force_on(checked_in_at.astimezone(JST).date()):
        raise VerificationError(ErrorCode.REGISTRATION_NOT_VALID, "not in force at check-in")
    if registration.registration_id is None:
        raise VerificationError(
            ErrorCode.REQUIRED_DISCLOSURE_MISSING, "registration_id is not disclosed"
        )
    return VerifiedAttendance(
        registration_id=registration.registration_id,
        body_code=body_code,
        tier=registration.tier,
        activity_id=activity.activity_id,
        designated=activity.designated,
        checked_in_at=checked_in_at,
        holder_jkt=key_binding_holder.thumbprint(),
        status=verified.status,
    )
