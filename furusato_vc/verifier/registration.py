"""Verifying presentations of registration credentials against a :class:`VerificationPolicy`.

:meth:`RegistrationVerifier.verify` never raises on bad input: every failure becomes a
:class:`Rejected` with a stable code and Japanese and English text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from furusato_vc.core.compact.credential import CompactPolicy, VerifiedCompact, verify_compact
from furusato_vc.core.errors import ErrorCode, FurusatoError, VerificationError
from furusato_vc.core.jose.jwt import to_numeric_date
from furusato_vc.core.messages import message_for
from furusato_vc.core.qrtext import QR_PREFIX, decode_qr_text
from furusato_vc.core.registration.claims import (
    BASIC_VCT,
    JST,
    PREMIUM_VCT,
    Claim,
    DisclosedRegistration,
    parse_registration_claims,
)
from furusato_vc.core.registration.metadata import registration_type_metadata
from furusato_vc.core.sdjwt.verification import KeyBindingPolicy
from furusato_vc.core.sdjwtvc.credential import SdJwtVcPolicy, verify_sd_jwt_vc
from furusato_vc.core.statuslist.reference import StatusReference
from furusato_vc.verifier.replay import ReplayCache

if TYPE_CHECKING:
    from furusato_vc.core.bundle import TrustBundle
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
    """Verifies presented registration cards for one policy: QR texts (``FJ1:``, the compact
    SD-CWT credential) and SD-JWT VC presentations. Keeps a replay cache, so an instance
    belongs to one verifier device and is not thread-safe."""

    __slots__ = (
        "_bodies",
        "_compact_policy",
        "_keep_seconds",
        "_max_status_age",
        "_policy",
        "_replays",
        "_sd_policy",
        "_status_checker",
        "_trust",
        "_unsafe_skip_status_check",
    )

    def __init__(
        self,
        *,
        policy: VerificationPolicy,
        trust: RegistrationTrust,
        bodies: BodyRegistry,
        status_checker: StatusChecker | None,
        unsafe_skip_status_check: bool = False,
        replay_cache: ReplayCache | None = None,
    ) -> None:
        if status_checker is not None and unsafe_skip_status_check:
            raise ValueError("choose a status checker or unsafe_skip_status_check, not both")
        self._policy = policy
        self._trust = trust
        self._bodies = bodies
        self._status_checker = status_checker
        self._unsafe_skip_status_check = unsafe_skip_status_check
        self._replays = replay_cache if replay_cache is not None else ReplayCache()
        window = int(policy.holder_binding_window.total_seconds())
        skew = int(policy.clock_skew.total_seconds())
        # A token is remembered until its iat can no longer pass the window.
        self._keep_seconds = window + 1
        self._max_status_age = int(policy.max_status_staleness.total_seconds())
        self._sd_policy = SdJwtVcPolicy(
            accepted_vcts=frozenset({BASIC_VCT, PREMIUM_VCT}),
            key_binding=KeyBindingPolicy(
                audience=policy.audience,
                nonce=policy.nonce,
                max_age_seconds=window,
                max_future_seconds=skew,
            ),
            # Status is checked below for both formats, after the issuer key's window:
            # the SD-JWT VC layer only parses the reference.
            status_checker=None,
            unsafe_skip_status_check=True,
            type_metadata=registration_type_metadata(),
            clock_skew_seconds=skew,
        )
        self._compact_policy = CompactPolicy(
            audience=policy.audience,
            nonce=None if policy.nonce is None else policy.nonce.encode("utf-8"),
            max_age_seconds=window,
            max_future_seconds=skew,
            clock_skew_seconds=skew,
        )

    @classmethod
    def from_bundle(
        cls,
        bundle: TrustBundle,
        *,
        policy: VerificationPolicy,
        bodies: BodyRegistry,
        replay_cache: ReplayCache | None = None,
    ) -> RegistrationVerifier:
        """A verifier over a synced trust bundle: its trust list for keys, body states and
        key windows, its status lists for revocation (fail closed beyond the policy's
        maximum staleness)."""
        return cls(
            policy=policy,
            trust=bundle.trust,
            bodies=bodies,
            status_checker=bundle,
            replay_cache=replay_cache,
        )

    def verify(self, presentation: str, *, now: datetime) -> Verified | Rejected:
        """A QR text or an SD-JWT VC presentation. Never raises for bad input."""
        try:
            self._trust.check_current(now=to_numeric_date(now))
            if presentation.startswith(QR_PREFIX):
                return self._verify_qr(presentation, now)
            return self._verify_sd_jwt_vc(presentation, now)
        except FurusatoError as error:
            return Rejected.from_error(error)

    def _first_use(self, replay_key: bytes, *, kb_issued_at: int, now: datetime) -> None:
        keep_until = kb_issued_at + self._keep_seconds
        now_s = to_numeric_date(now)
        if not self._replays.first_use(replay_key, now=now_s, keep_until=keep_until):
            raise VerificationError(ErrorCode.KB_REPLAYED, "this presentation was already used")

    def _accept(self, registration: DisclosedRegistration, now: datetime) -> Body:
        """The business policy shared by both formats."""
        policy = self._policy
        if not policy.body_scope.accepts(registration.issuing_body):
            raise VerificationError(ErrorCode.ISSUER_NOT_TRUSTED, "body not accepted here")
        body = self._bodies.get(registration.issuing_body)
        if policy.required_tier is not None and registration.tier is not policy.required_tier:
            raise VerificationError(ErrorCode.VCT_NOT_ACCEPTED, "tier not accepted here")
        if not registration.in_force_on(now.astimezone(JST).date()):
            raise VerificationError(ErrorCode.REGISTRATION_NOT_VALID, "outside valid_from..until")
        return body

    def _verify_sd_jwt_vc(self, presentation: str, now: datetime) -> Verified:
        verified = verify_sd_jwt_vc(
            presentation, policy=self._sd_policy, issuer_keys=self._trust, now=now
        )
        registration = parse_registration_claims(
            verified.claims, disclosed_paths=verified.disclosed_paths
        )
        body_code = self._trust.body_for_issuer(verified.issuer)
        if body_code != registration.issuing_body:
            raise VerificationError(ErrorCode.ISSUER_NOT_TRUSTED, "issuer may not issue for body")
        if verified.issued_at is None:
            raise VerificationError(ErrorCode.REQUIRED_CLAIM_MISSING, "iat is required")
        self._trust.check_key_use(
            body_code=body_code, key=verified.sd_jwt.issuer_key, signed_at=verified.issued_at
        )
        self._check_status(verified.status, issuer=verified.issuer, now=now)
        body = self._accept(registration, now)
        for path in self._policy.required_disclosures:
            if path not in verified.disclosed_paths:
                raise VerificationError(
                    ErrorCode.REQUIRED_DISCLOSURE_MISSING, f"{'/'.join(map(str, path))} missing"
                )
        key_binding = verified.key_binding
        assert key_binding is not None  # the policy requires key binding
        self._first_use(key_binding.replay_key, kb_issued_at=key_binding.issued_at, now=now)
        return Verified(
            body=body,
            registration=registration,
            expires_at=datetime.fromtimestamp(verified.expires_at, UTC),
            profile_id=self._policy.profile_id,
        )

    def _verify_qr(self, text: str, now: datetime) -> Verified:
        verified = verify_compact(
            decode_qr_text(text), policy=self._compact_policy, keys=self._trust, now=now
        )
        self._trust.check_key_use(
            body_code=verified.body_code, key=verified.issuer_key, signed_at=verified.issued_at
        )
        uri = self._trust.status_list_uri(
            body_code=verified.body_code, list_id=verified.status_list
        )
        if uri is None:
            raise VerificationError(ErrorCode.STATUS_NOT_CHECKED, "status list not in trust data")
        self._check_status(
            StatusReference(uri=uri, idx=verified.status_index),
            issuer=self._trust.issuer_for_body(verified.body_code),
            now=now,
        )
        registration = _registration_of(verified)
        body = self._accept(registration, now)
        for path in self._policy.required_disclosures:
            name = path[0] if len(path) == 1 else None
            if not isinstance(name, str) or name not in registration.disclosed_claims:
                raise VerificationError(
                    ErrorCode.REQUIRED_DISCLOSURE_MISSING, f"{'/'.join(map(str, path))} missing"
                )
        self._first_use(verified.replay_key, kb_issued_at=verified.kb_issued_at, now=now)
        return Verified(
            body=body,
            registration=registration,
            expires_at=datetime.fromtimestamp(verified.expires_at, UTC),
            profile_id=self._policy.profile_id,
        )

    def _check_status(
        self, reference: StatusReference | None, *, issuer: str, now: datetime
    ) -> None:
        """One status question for both formats (draft-ietf-oauth-status-list-20 §8.3),
        asked after the credential itself has been validated."""
        if self._unsafe_skip_status_check:
            return
        if self._status_checker is None or reference is None:
            raise VerificationError(ErrorCode.STATUS_NOT_CHECKED, "no status data for this list")
        self._status_checker.check(
            reference, issuer=issuer, now=to_numeric_date(now), max_age=self._max_status_age
        )


def _registration_of(verified: VerifiedCompact) -> DisclosedRegistration:
    """The compact credential's facts in the model both formats share."""
    disclosed: set[str] = set()
    name = verified.name
    if name is not None:
        disclosed |= {
            Claim.FAMILY_NAME,
            Claim.GIVEN_NAME,
            Claim.FAMILY_NAME_KANA,
            Claim.GIVEN_NAME_KANA,
        }
    if verified.birthdate is not None:
        disclosed.add(Claim.BIRTHDATE)
    if verified.stay is not None:
        disclosed.add(Claim.STAY)
    if verified.member_number is not None:
        disclosed.add(Claim.MEMBER_NUMBER)
    return DisclosedRegistration(
        issuing_body=verified.body_code,
        tier=verified.tier,
        valid_from=verified.valid_from,
        valid_until=None,  # the QR credential's exp never passes the registration's end
        family_name=None if name is None else name.family,
        given_name=None if name is None else name.given,
        family_name_kana=None if name is None else name.family_kana,
        given_name_kana=None if name is None else name.given_kana,
        birthdate=verified.birthdate,
        stay=verified.stay,
        member_number=verified.member_number,
        disclosed_claims=frozenset(disclosed),
    )
