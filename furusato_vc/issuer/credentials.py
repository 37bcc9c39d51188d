"""Issuing registration credentials (the issuer library; the HTTP service builds on it).

Times are rounded down to the day before signing (RFC 9901 §10.1: precise ``iat``/``exp``
link presentations to an issuance event), and registration dates are Japan dates: a
registration valid until 2028-01-14 expires at midnight JST at the end of that day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from furusato_vc.core.compact.credential import CompactContent, IssuedCompact, issue_compact
from furusato_vc.core.errors import ErrorCode, IssuanceError
from furusato_vc.core.jose.jwt import to_numeric_date
from furusato_vc.core.registration.claims import (
    JST,
    RegistrationClaims,
    registration_claim_input,
    validate_registration,
    vct_for_tier,
)
from furusato_vc.core.registration.metadata import vct_integrity
from furusato_vc.core.sdjwt.issuance import DecoyPolicy
from furusato_vc.core.sdjwtvc.credential import SdJwtVcContent, issue_sd_jwt_vc
from furusato_vc.core.statuslist.allocation import StatusSlot
from furusato_vc.core.statuslist.reference import StatusReference

if TYPE_CHECKING:
    from furusato_vc.core.jose.jwk import PublicJwk
    from furusato_vc.core.jose.signer import Signer
    from furusato_vc.core.randomness import RandomSource
    from furusato_vc.core.registration.bodies import BodyRegistry
    from furusato_vc.core.sdjwt.issuance import IssuedSdJwt

__all__ = [
    "IssuancePolicy",
    "IssuedCredentials",
    "IssuingBody",
    "issue_registration_compact",
    "issue_registration_credential",
    "issue_registration_credentials",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class IssuingBody:
    """One municipality or prefecture as an issuer: its code, ``iss`` and signing key."""

    code: str
    issuer_id: str
    signer: Signer
    status_list_uri: str
    status_list_id: int = 1  # the same list, as the QR credential names it (short reference)


@dataclass(frozen=True, slots=True, kw_only=True)
class IssuancePolicy:
    credential_lifetime: timedelta = timedelta(days=365)
    time_granularity: timedelta = timedelta(days=1)
    decoys: DecoyPolicy = DecoyPolicy()

    def __post_init__(self) -> None:
        if self.credential_lifetime <= timedelta(0) or self.time_granularity <= timedelta(0):
            raise ValueError("lifetime and granularity must be positive")
        if self.credential_lifetime < self.time_granularity:
            # iat is rounded down by up to one granularity step; a shorter lifetime could
            # produce a credential that is already expired when it is issued.
            raise ValueError("credential_lifetime must be at least time_granularity")


def _round_down(moment: datetime, granularity: timedelta) -> int:
    seconds = to_numeric_date(moment)
    step = int(granularity.total_seconds())
    return seconds - seconds % step


_DAY = 86_400


def _start_of_jst_day(day: date) -> int:
    return to_numeric_date(datetime.combine(day, time(0, 0), JST))


@dataclass(frozen=True, slots=True, kw_only=True)
class _Window:
    issued_at: int
    expires_at: int
    not_before: int | None


def _window(
    registration: RegistrationClaims, *, now: datetime, today: date, policy: IssuancePolicy
) -> _Window:
    """Validity shared by both formats: iat rounded down (RFC 9901 §10.1), exp capped by the
    end of the registration's last Japan day, nbf when the registration starts later."""
    issued_at = _round_down(now, policy.time_granularity)
    expires_at = issued_at + int(policy.credential_lifetime.total_seconds())
    if registration.valid_until is not None:
        # integer arithmetic: date(9999, 12, 31) + 1 day would overflow `date`
        end_of_last_day = _start_of_jst_day(registration.valid_until) + _DAY
        expires_at = min(expires_at, end_of_last_day)
    if expires_at <= to_numeric_date(now):
        raise IssuanceError(ErrorCode.REGISTRATION_CLAIMS_INVALID, "registration has ended")
    not_before = None
    if registration.valid_from > today:
        not_before = _start_of_jst_day(registration.valid_from)
        if not_before >= expires_at:
            raise IssuanceError(
                ErrorCode.REGISTRATION_CLAIMS_INVALID,
                "registration starts after this credential would expire",
            )
    return _Window(issued_at=issued_at, expires_at=expires_at, not_before=not_before)


@dataclass(frozen=True, slots=True, kw_only=True)
class IssuedCredentials:
    """One registration in both formats: the SD-JWT VC (online, OpenID4VCI) and the compact
    QR credential. Same registration, same status index, same validity."""

    sd_jwt_vc: IssuedSdJwt
    compact: IssuedCompact


def issue_registration_credential(
    registration: RegistrationClaims,
    *,
    body: IssuingBody,
    holder_key: PublicJwk,
    status_index: int | None = None,
    status_slot: StatusSlot | None = None,
    now: datetime,
    random: RandomSource,
    bodies: BodyRegistry,
    policy: IssuancePolicy = IssuancePolicy(),
) -> IssuedSdJwt:
    """Issue the SD-JWT VC for one registration.

    ``exp`` is the earlier of (rounded issue time + lifetime) and the end of the registration's
    last day; ``nbf`` is set when the registration starts after the (Japan) issue day.

    Raises:
        FormatError: ``invalid_body_code``.
        IssuanceError: ``registration_claims_invalid`` (also when the body does not match the
            registration, the registration has already ended, or it starts only after the
            credential would expire), ``forbidden_claim``,
            ``sd_request_invalid``.
    """
    slot = _slot(body, status_index, status_slot)
    today = _checked_today(registration, body=body, now=now, bodies=bodies)
    window = _window(registration, now=now, today=today, policy=policy)
    return _issue_sd_jwt_vc(
        registration,
        body=body,
        holder_key=holder_key,
        slot=slot,
        window=window,
        today=today,
        random=random,
        policy=policy,
    )


def issue_registration_credentials(
    registration: RegistrationClaims,
    *,
    body: IssuingBody,
    holder_key: PublicJwk,
    status_index: int | None = None,
    status_slot: StatusSlot | None = None,
    now: datetime,
    random: RandomSource,
    bodies: BodyRegistry,
    policy: IssuancePolicy = IssuancePolicy(),
) -> IssuedCredentials:
    """Issue both formats of one registration (same status index and validity).

    Raises:
        FormatError, IssuanceError: as :func:`issue_registration_credential`.
    """
    slot = _slot(body, status_index, status_slot)
    today = _checked_today(registration, body=body, now=now, bodies=bodies)
    window = _window(registration, now=now, today=today, policy=policy)
    sd_jwt_vc = _issue_sd_jwt_vc(
        registration,
        body=body,
        holder_key=holder_key,
        slot=slot,
        window=window,
        today=today,
        random=random,
        policy=policy,
    )
    compact = _issue_compact(
        registration, body=body, holder_key=holder_key, slot=slot, window=window, random=random
    )
    return IssuedCredentials(sd_jwt_vc=sd_jwt_vc, compact=compact)


def issue_registration_compact(
    registration: RegistrationClaims,
    *,
    body: IssuingBody,
    holder_key: PublicJwk,
    status_slot: StatusSlot,
    now: datetime,
    random: RandomSource,
    bodies: BodyRegistry,
    policy: IssuancePolicy = IssuancePolicy(),
) -> IssuedCompact:
    """Issue only the compact QR credential (OpenID4VCI issues each format on its own
    request, each copy with its own status entry).

    Raises:
        FormatError, IssuanceError: as :func:`issue_registration_credential`.
    """
    today = _checked_today(registration, body=body, now=now, bodies=bodies)
    window = _window(registration, now=now, today=today, policy=policy)
    return _issue_compact(
        registration,
        body=body,
        holder_key=holder_key,
        slot=status_slot,
        window=window,
        random=random,
    )


def _issue_compact(
    registration: RegistrationClaims,
    *,
    body: IssuingBody,
    holder_key: PublicJwk,
    slot: StatusSlot,
    window: _Window,
    random: RandomSource,
) -> IssuedCompact:
    return issue_compact(
        CompactContent(
            body_code=body.code,
            tier=registration.tier,
            valid_from=registration.valid_from,
            issued_at=window.issued_at,
            expires_at=window.expires_at,
            holder_key=holder_key,
            status_list=slot.list_id,
            status_index=slot.idx,
            name=registration.name,
            birthdate=registration.birthdate,
            stay=registration.stay,
            member_number=registration.member_number,
        ),
        signer=body.signer,
        random=random,
    )


def _slot(
    body: IssuingBody, status_index: int | None, status_slot: StatusSlot | None
) -> StatusSlot:
    """The card's status entry: an allocated ``status_slot`` (any list of the body), or an
    index in the body's default list."""
    if (status_index is None) == (status_slot is None):
        raise TypeError("pass exactly one of status_index and status_slot")
    if status_slot is not None:
        return status_slot
    assert status_index is not None
    return StatusSlot(list_id=body.status_list_id, uri=body.status_list_uri, idx=status_index)


def _checked_today(
    registration: RegistrationClaims, *, body: IssuingBody, now: datetime, bodies: BodyRegistry
) -> date:
    today = now.astimezone(JST).date()
    validate_registration(registration, bodies=bodies, today=today)
    if registration.issuing_body != body.code:
        raise IssuanceError(ErrorCode.REGISTRATION_CLAIMS_INVALID, "body does not match")
    return today


def _issue_sd_jwt_vc(
    registration: RegistrationClaims,
    *,
    body: IssuingBody,
    holder_key: PublicJwk,
    slot: StatusSlot,
    window: _Window,
    today: date,
    random: RandomSource,
    policy: IssuancePolicy,
) -> IssuedSdJwt:
    vct = vct_for_tier(registration.tier)
    content = SdJwtVcContent(
        issuer=body.issuer_id,
        vct=vct,
        vct_integrity=vct_integrity(vct),
        issued_at=window.issued_at,
        not_before=window.not_before,
        expires_at=window.expires_at,
        holder_key=holder_key,
        status=StatusReference(uri=slot.uri, idx=slot.idx),
        claims=registration_claim_input(registration, today=today),
    )
    return issue_sd_jwt_vc(content, signer=body.signer, random=random, decoys=policy.decoys)
