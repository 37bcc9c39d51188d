"""The verification policy: an immutable value built once by a set-once builder.

Modelled on ``cryptography``'s ``PolicyBuilder``: every setter returns a new builder, each
option may be set only once (a second call is a programming error), and :meth:`build` refuses
an incomplete policy — there is no default that silently accepts every issuing body or skips
holder binding.

>>> policy = (
...     VerificationPolicyBuilder()
...     .profile("shop")
...     .audience("urn:furusato-vc:verifier:shop")
...     .accept_bodies(["011002"])
...     .require_disclosures([("member_number",)])
...     .build()
... )
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import TYPE_CHECKING

from furusato_vc.core.registration.bodies import prefecture_code_of, validate_body_code

if TYPE_CHECKING:
    from collections.abc import Iterable

    from furusato_vc.core.profiles import Profile
    from furusato_vc.core.registration.claims import Tier
    from furusato_vc.core.sdjwt.processing import ClaimPath

__all__ = ["BodyScope", "VerificationPolicy", "VerificationPolicyBuilder"]

DEFAULT_HOLDER_BINDING_WINDOW = timedelta(seconds=60)
DEFAULT_MAX_STATUS_STALENESS = timedelta(hours=48)
DEFAULT_CLOCK_SKEW = timedelta(seconds=60)


@dataclass(frozen=True, slots=True, kw_only=True)
class BodyScope:
    """Which issuing bodies a verifier accepts.

    ``prefectures`` accepts the prefecture's own registrations and those of every municipality
    in it (registering with a municipality also registers with its prefecture).
    """

    any_body: bool = False
    bodies: frozenset[str] = frozenset()
    prefectures: frozenset[str] = frozenset()

    def accepts(self, body_code: str) -> bool:
        if self.any_body or body_code in self.bodies:
            return True
        return prefecture_code_of(body_code) in self.prefectures


@dataclass(frozen=True, slots=True, kw_only=True)
class VerificationPolicy:
    profile_id: str
    audience: str
    nonce: str | None
    body_scope: BodyScope
    required_tier: Tier | None
    required_disclosures: tuple[ClaimPath, ...]
    holder_binding_window: timedelta
    max_status_staleness: timedelta
    clock_skew: timedelta


@dataclass(frozen=True, slots=True)
class VerificationPolicyBuilder:
    """Set-once, immutable builder for :class:`VerificationPolicy`."""

    _profile: str | None = None
    _audience: str | None = None
    _nonce: str | None = None
    _scope: BodyScope | None = None
    _tier: Tier | None = None
    _disclosures: tuple[ClaimPath, ...] | None = None
    _window: timedelta | None = None
    _staleness: timedelta | None = None
    _skew: timedelta | None = None
    _set: frozenset[str] = field(default_factory=frozenset)

    def _with(self, option: str, **changes: object) -> VerificationPolicyBuilder:
        if option in self._set:
            raise ValueError(f"{option} may only be set once")
        return replace(self, _set=self._set | {option}, **changes)  # type: ignore[arg-type]

    @classmethod
    def from_profile(cls, profile: Profile) -> VerificationPolicyBuilder:
        """A builder with what ``profile`` fixes: its id, its default audience, the
        disclosures it requires, its tier and its status staleness. The caller still says
        which bodies it accepts (and may add a nonce)."""
        builder = (
            cls()
            .profile(profile.id)
            .audience(profile.default_audience)
            .require_disclosures(profile.requested)
        )
        if profile.required_tier is not None:
            builder = builder.require_tier(profile.required_tier)
        if profile.max_status_staleness is not None:
            builder = builder.max_status_staleness(profile.max_status_staleness)
        return builder

    def profile(self, profile_id: str) -> VerificationPolicyBuilder:
        if not profile_id:
            raise ValueError("profile id must be non-empty")
        return self._with("profile", _profile=profile_id)

    def audience(self, audience: str) -> VerificationPolicyBuilder:
        """The verifier identifier the holder's key-binding token must name (``aud``)."""
        if not audience:
            raise ValueError("audience must be non-empty")
        return self._with("audience", _audience=audience)

    def nonce(self, nonce: str) -> VerificationPolicyBuilder:
        """Challenge mode: the presentation must carry exactly this nonce."""
        if not nonce:
            raise ValueError("nonce must be non-empty")
        return self._with("nonce", _nonce=nonce)

    def accept_bodies(self, codes: Iterable[str]) -> VerificationPolicyBuilder:
        """Accept registrations issued by exactly these bodies."""
        checked = frozenset(validate_body_code(c) for c in codes)
        if not checked:
            raise ValueError("at least one body code is required")
        return self._with("bodies", _scope=BodyScope(bodies=checked))

    def accept_prefecture(self, prefecture_code: str) -> VerificationPolicyBuilder:
        """Accept the prefecture's registrations and those of all its municipalities."""
        code = validate_body_code(prefecture_code)
        if code != prefecture_code_of(code):
            raise ValueError("not a prefecture code")
        return self._with("bodies", _scope=BodyScope(prefectures=frozenset({code})))

    def accept_any_body(self) -> VerificationPolicyBuilder:
        """Accept every body on the trust list (e.g. a national chain of shops)."""
        return self._with("bodies", _scope=BodyScope(any_body=True))

    def require_tier(self, tier: Tier) -> VerificationPolicyBuilder:
        return self._with("tier", _tier=tier)

    def require_disclosures(self, paths: Iterable[ClaimPath]) -> VerificationPolicyBuilder:
        return self._with("disclosures", _disclosures=tuple(paths))

    def holder_binding_window(self, window: timedelta) -> VerificationPolicyBuilder:
        """How old a key-binding token may be (default 60 s)."""
        if window <= timedelta(0):
            raise ValueError("window must be positive")
        return self._with("window", _window=window)

    def max_status_staleness(self, staleness: timedelta) -> VerificationPolicyBuilder:
        """How old the status data may be (default 48 h)."""
        if staleness <= timedelta(0):
            raise ValueError("staleness must be positive")
        return self._with("staleness", _staleness=staleness)

    def clock_skew(self, skew: timedelta) -> VerificationPolicyBuilder:
        if skew < timedelta(0):
            raise ValueError("skew must be non-negative")
        return self._with("skew", _skew=skew)

    def build(self) -> VerificationPolicy:
        """Raises ``ValueError`` if the profile, audience or accepted bodies are not set."""
        if self._profile is None or self._audience is None or self._scope is None:
            raise ValueError("profile, audience and accepted bodies must be set")
        return VerificationPolicy(
            profile_id=self._profile,
            audience=self._audience,
            nonce=self._nonce,
            body_scope=self._scope,
            required_tier=self._tier,
            required_disclosures=self._disclosures or (),
            holder_binding_window=self._window or DEFAULT_HOLDER_BINDING_WINDOW,
            max_status_staleness=self._staleness or DEFAULT_MAX_STATUS_STALENESS,
            clock_skew=self._skew if self._skew is not None else DEFAULT_CLOCK_SKEW,
        )
