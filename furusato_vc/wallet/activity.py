"""The wallet side of activity check-in (premium groundwork, see docs/activity-check-in.md):
scan a body's activity QR, verify it, and return an attendance record for the issuer.

The record discloses only ``registration_id`` (always selectively disclosable in our type
metadata, ``sd: always``): the issuer needs to know which of its registrations attended, and
nothing else — no name, birthdate or member number.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from furusato_vc.core.activity import AttendanceRecord, attendance_nonce, verify_activity_token
from furusato_vc.core.errors import ErrorCode, VerificationError
from furusato_vc.core.registration.claims import Claim
from furusato_vc.wallet.holder import present_credential

if TYPE_CHECKING:
    from datetime import datetime

    from furusato_vc.core.jose.signer import Signer
    from furusato_vc.core.sdjwt.processing import ClaimPath
    from furusato_vc.core.trust import RegistrationTrust
    from furusato_vc.wallet.holder import HeldCredential

__all__ = ["check_in", "present_registration_id"]

_REGISTRATION_ID: Final[ClaimPath] = (Claim.REGISTRATION_ID,)


def check_in(
    activity_qr: str,
    *,
    held: HeldCredential,
    holder: Signer,
    trust: RegistrationTrust,
    now: datetime,
) -> AttendanceRecord:
    """Check in to the activity of ``activity_qr`` with the card ``held``.

    The activity is verified first (signed by a trusted body, open at ``now``); then the
    card's SD-JWT VC is presented with ``registration_id`` disclosed (when it is selectively
    disclosable; a card carrying it in plaintext discloses nothing extra), its KB-JWT
    addressed to the activity's ``iss`` with ``nonce`` = base64url(SHA-256(activity JWS)).

    Raises:
        FormatError, VerificationError: as
            :func:`~furusato_vc.core.activity.verify_activity_token` (``qr_prefix_unknown``,
            ``typ_mismatch``, ``signature_invalid``, ``issuer_key_unknown``,
            ``activity_not_current``, …); ``credential_mismatch`` if the activity belongs to
            another body than the card.
    """
    activity = verify_activity_token(activity_qr, trust=trust, now=now)
    if activity.body_code != held.registration.issuing_body:
        raise VerificationError(
            ErrorCode.CREDENTIAL_MISMATCH, "the activity belongs to another body than the card"
        )
    presentation = present_registration_id(
        held,
        holder=holder,
        audience=activity.issuer,
        nonce=attendance_nonce(activity.jws),
        now=now,
    )
    return AttendanceRecord(activity=activity.jws, presentation=presentation)


def present_registration_id(
    held: HeldCredential, *, holder: Signer, audience: str, nonce: str, now: datetime
) -> str:
    """The card's SD-JWT VC presented to its own issuer with ``registration_id`` disclosed
    (when it is selectively disclosable; a card carrying it in plaintext discloses nothing
    extra) and nothing else: what the issuer needs to know which of its registrations is
    checking in (:func:`check_in`) or claiming (``Wallet.prove_possession``)."""
    disclose = (_REGISTRATION_ID,) if _REGISTRATION_ID in held.verified.disclosed_paths else ()
    return present_credential(
        held, disclose=disclose, holder=holder, audience=audience, nonce=nonce, now=now
    )
