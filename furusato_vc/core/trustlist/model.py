"""The national trust list: which bodies may issue registration cards, with which keys, and
where their status lists are.

The model follows the "List of Trusted Entities" shape (ETSI TS 119 602: scheme operator,
sequence number, issue date, next update, one entry per trusted entity with its service
keys and status), cut down to what an offline verifier needs. Times are NumericDates
(seconds since the epoch, UTC).

Key windows (security catalogue K-4): a key is accepted for credentials *signed* inside
``[not_before, not_after)``; a withdrawn key additionally rejects everything signed at or
after ``withdrawn_from``. Credentials signed earlier stay valid (unless their own status
list says otherwise), which is what lets a body rotate keys with overlap and withdraw a
compromised key from the moment it was compromised.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Final

from furusato_vc.core.errors import ErrorCode, VerificationError

if TYPE_CHECKING:
    from furusato_vc.core.jose.jwk import PublicJwk
    from furusato_vc.core.registration.bodies import BodyKind

__all__ = [
    "TRUST_LIST_CWT_TYP",
    "TRUST_LIST_JWT_TYP",
    "BodyState",
    "StatusListLocation",
    "TrustList",
    "TrustListEntry",
    "TrustedKey",
]

TRUST_LIST_JWT_TYP: Final = "furusato-trust-list+jwt"
TRUST_LIST_CWT_TYP: Final = "application/furusato-trust-list+cwt"


class BodyState(StrEnum):
    """Whether a body may currently issue. Only ``active`` bodies' credentials verify."""

    ACTIVE = "active"
    SUSPENDED = "suspended"  # temporarily not trusted (an incident, an audit)
    WITHDRAWN = "withdrawn"  # left the scheme (merger, opt-out): its cards no longer count

    @property
    def label_ja(self) -> str:
        return {"active": "有効", "suspended": "停止中", "withdrawn": "脱退"}[self.value]

    @property
    def label_en(self) -> str:
        return {"active": "active", "suspended": "suspended", "withdrawn": "withdrawn"}[self.value]


@dataclass(frozen=True, slots=True, kw_only=True)
class TrustedKey:
    """One ES256 issuer key of a body, with the window of signing times it covers."""

    jwk: PublicJwk
    not_before: int
    not_after: int | None = None
    withdrawn_from: int | None = None

    def __post_init__(self) -> None:
        if not self.jwk.kid:
            raise ValueError("a trusted key needs a kid")
        if self.not_after is not None and self.not_after <= self.not_before:
            raise ValueError("not_after must be after not_before")

    @property
    def kid(self) -> str:
        kid = self.jwk.kid
        assert kid is not None  # checked on construction
        return kid

    def check_use(self, signed_at: int) -> None:
        """May something signed at ``signed_at`` (its ``iat``) rely on this key?

        Raises:
            VerificationError: ``issuer_key_withdrawn`` (signed at or after the withdrawal
                time); ``issuer_key_not_valid`` (signed outside the key's window).
        """
        if self.withdrawn_from is not None and signed_at >= self.withdrawn_from:
            raise VerificationError(ErrorCode.ISSUER_KEY_WITHDRAWN, "signed after withdrawal")
        if signed_at < self.not_before or (
            self.not_after is not None and signed_at >= self.not_after
        ):
            raise VerificationError(ErrorCode.ISSUER_KEY_NOT_VALID, "signed outside key window")

    def usable_at(self, moment: int) -> bool:
        """Whether the key may sign at ``moment`` (for issuers and ``trust show``)."""
        try:
            self.check_use(moment)
        except VerificationError:
            return False
        return True


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusListLocation:
    """A status list of a body: the small number QR credentials carry, and its URI (the
    ``sub`` of its Status List Token and the ``uri`` in SD-JWT VC ``status`` claims)."""

    list_id: int
    uri: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TrustListEntry:
    body_code: str
    name_ja: str
    name_en: str
    kind: BodyKind
    issuer: str  # the issuer identifier: ``iss`` of its SD-JWT VCs
    issuer_url: str  # its OpenID4VCI Credential Issuer URL
    state: BodyState
    state_since: int | None
    keys: tuple[TrustedKey, ...]
    status_lists: tuple[StatusListLocation, ...]

    def key(self, kid: str) -> TrustedKey | None:
        for key in self.keys:
            if key.kid == kid:
                return key
        return None

    def check_active(self) -> None:
        """Raises:
        VerificationError: ``issuer_suspended`` or ``issuer_withdrawn``.
        """
        if self.state is BodyState.SUSPENDED:
            raise VerificationError(ErrorCode.ISSUER_SUSPENDED, "issuing body is suspended")
        if self.state is BodyState.WITHDRAWN:
            raise VerificationError(ErrorCode.ISSUER_WITHDRAWN, "issuing body left the scheme")


@dataclass(frozen=True, slots=True, kw_only=True)
class TrustList:
    """The list as signed. ``next_update`` says when verifiers should fetch a new one;
    ``expires_at`` is when this one stops counting (a verifier then fails closed)."""

    operator: str  # the trust-anchor operator's identifier (``iss``)
    sequence: int
    issued_at: int
    next_update: int
    expires_at: int
    entries: tuple[TrustListEntry, ...]

    def entry(self, body_code: str) -> TrustListEntry | None:
        for entry in self.entries:
            if entry.body_code == body_code:
                return entry
        return None
