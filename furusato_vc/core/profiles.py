"""Verifier profiles: what each kind of checkpoint asks the holder to disclose.

The wallet discloses exactly ``requested`` (data minimisation, RFC 9901 §10); the verifier
accepts only when everything in ``required`` was disclosed. These are the built-in ones; each
also ships as a verifier policy document (``schemas/verifier-policy/builtin/<id>.json``, read by
:mod:`furusato_vc.core.policy_document`, a test keeps the two equal), and a municipality can
publish its own documents in that format.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING

from furusato_vc.core.registration.claims import Claim, Tier

if TYPE_CHECKING:
    from collections.abc import Mapping

    from furusato_vc.core.sdjwt.processing import ClaimPath

__all__ = ["BUILTIN_PROFILES", "Profile", "builtin_profile"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Profile:
    id: str
    name_ja: str
    name_en: str
    requested: tuple[ClaimPath, ...]
    required_tier: Tier | None = None
    benefit_ja: str | None = None
    benefit_en: str | None = None
    # How old status data may be here; None: the policy default (48 h). A garbage station is
    # checked by neighbours on a device that may sync only weekly, and wrongly letting a
    # revoked card put out rubbish costs little, so it allows a week.
    max_status_staleness: timedelta | None = None

    @property
    def required(self) -> tuple[ClaimPath, ...]:
        return self.requested

    @property
    def default_audience(self) -> str:
        """The key-binding ``aud`` for a verifier of this profile without its own device id:
        the profile id itself. It travels in every QR code, so it is kept short (a kiosk with
        its own id uses a short one too, e.g. ``shop:042056-017``)."""
        return self.id


_NAMES: tuple[ClaimPath, ...] = (
    (Claim.FAMILY_NAME,),
    (Claim.GIVEN_NAME,),
    (Claim.FAMILY_NAME_KANA,),
    (Claim.GIVEN_NAME_KANA,),
)

_PROFILES = (
    Profile(
        id="garbage-station",
        name_ja="ごみ集積所",
        name_en="Garbage station",
        requested=(),
        max_status_staleness=timedelta(days=7),
    ),
    Profile(
        id="shop",
        name_ja="協力店",
        name_en="Partner shop",
        requested=((Claim.MEMBER_NUMBER,),),
        benefit_ja="登録者特典",
        benefit_en="Registrant benefit",
    ),
    Profile(
        id="nursery",
        name_ja="保育園（一時預かり）",
        name_en="Nursery (temporary childcare)",
        requested=(*_NAMES, (Claim.BIRTHDATE,), (Claim.STAY,)),
        required_tier=Tier.PREMIUM,
    ),
    Profile(
        id="school",
        name_ja="学校",
        name_en="School",
        requested=(*_NAMES, (Claim.BIRTHDATE,), (Claim.STAY,)),
        required_tier=Tier.PREMIUM,
    ),
    Profile(
        id="public-facility",
        name_ja="公共施設（住民料金）",
        name_en="Public facility (resident rates)",
        requested=(),
        required_tier=Tier.PREMIUM,
        benefit_ja="住民料金で利用できます",
        benefit_en="Resident rates apply",
    ),
)

BUILTIN_PROFILES: Mapping[str, Profile] = MappingProxyType({p.id: p for p in _PROFILES})


def builtin_profile(profile_id: str) -> Profile:
    """Raises ``KeyError`` for an unknown id (a configuration error at the edge)."""
    return BUILTIN_PROFILES[profile_id]
