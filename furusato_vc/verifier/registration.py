"""Verifying presentations of registration credentials against a :class:`VerificationPolicy`.

:meth:`RegistrationVerifier.verify` never raises on bad input: every failure becomes a
:class:`Rejected` with a stable code and Japanese and English text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from furusato_vc.core.errors import ErrorCode, FurusatoError, VerificationError
from furusato_vc.core.messages import message_for
from furusato_vc.core.registration.claims import (
    BASIC_VCT,
    JST,
    PREMIUM_VCT,
    DisclosedRegistration,
    parse_registration_claims,
)
from furusato_vc.core.registration.metadata import registration_type_metadata
from furusato_vc.core.sdjwt.verification import KeyBindingPolicy
from furusato_vc.core.sdjwtvc.credential import SdJwtVcPolicy, verify_sd_jwt_vc

if TYPE_CHECKING:
    from furusato_vc.core.policy import VerificationPolicy
    from furusato_vc.core.registration.bodies import Body, BodyRegistry
    from furusato_vc.core.statuslist.reference import StatusChecker
    from furusato_vc.core.trust import RegistrationTrust

__all__ = ["RegistrationVerifier", "Rejected", "Verified"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Verified:
    body: Body
    registration: DisclosedRegistration
    expires_at: datetime
    profile_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Rejected:
    code: ErrorCode
    message_ja: str
    message_en: str
    detail: str

    @classmethod
    def from_error(cls, error: FurusatoError) -> Rejected:
        message = message_for(error.code)
        return cls(
            code=error.code, message_ja=message.ja, message_en=message.en, detail=error.detail
        )


class RegistrationVerifier:
    """Verifies SD-JWT VC presentations of registration cards for one policy."""

    __slots__ = ("_bodies", "_policy", "_sd_policy", "_trust")

    def __init__(
        self,
        *,
        policy: VerificationPolicy,
        trust: RegistrationTrust,
        bodies: BodyRegistry,
        status_checker: StatusChecker | None,
        unsafe_skip_status_check: bool = False,
    ) -> None:
        self._policy = policy
        self._trust = trust
        self._bodies = bodies
        self._sd_policy = SdJwtVcPolicy(
            accepted_vcts=frozenset({BASIC_VCT, PREMIUM_VCT}),
            key_binding=KeyBindingPolicy(
                audience=policy.audience,
                nonce=policy.nonce,
                max_age_seconds=int(policy.holder_binding_window.total_seconds()),
                max_future_seconds=int(policy.clock_skew.total_seconds()),
            ),
            status_checker=status_checker,
            unsafe_skip_status_check=unsafe_skip_status_check,
            type_metadata=registration_type_metadata(),
            clock_skew_seconds=int(policy.clock_skew.total_seconds()),
        )

    def verify(self, presentation: str, *, now: datetime) -> Verified | Rejected:
        try:
            return self._verify(presentation, now)
        except FurusatoError as error:
            return Rejected.from_error(error)

    def _verify(self, presentation: str, now: datetime) -> Verified:
        verified = verify_sd_jwt_vc(
            presentation, policy=self._sd_policy, issuer_keys=self._trust, now=now
        )
        registration = parse_registration_claims(
            verified.claims, disclosed_paths=verified.disclosed_paths
        )
        if self._trust.body_for_issuer(verified.issuer) != registration.issuing_body:
            raise VerificationError(ErrorCode.ISSUER_NOT_TRUSTED, "issuer may not issue for body")
        policy = self._policy
        if not policy.body_scope.accepts(registration.issuing_body):
            raise VerificationError(ErrorCode.ISSUER_NOT_TRUSTED, "body not accepted here")
        body = self._bodies.get(registration.issuing_body)
        if policy.required_tier is not None and registration.tier is not policy.required_tier:
            raise VerificationError(ErrorCode.VCT_NOT_ACCEPTED, "tier not accepted here")
        for path in policy.required_disclosures:
            if path not in verified.disclosed_paths:
                raise VerificationError(
                    ErrorCode.REQUIRED_DISCLOSURE_MISSING, f"{'/'.join(map(str, path))} missing"
                )
        if not registration.in_force_on(now.astimezone(JST).date()):
            raise VerificationError(ErrorCode.REGISTRATION_NOT_VALID, "outside valid_from..until")
        return Verified(
            body=body,
            registration=registration,
            expires_at=datetime.fromtimestamp(verified.expires_at, UTC),
            profile_id=policy.profile_id,
        )
