"""Benefits (特典) of participating shops and facilities: what a registration card gets at a
place that takes part in a body's programme — 「ドリンク一杯サービス」, admission at the
residents' rate — and the least tier required. See docs/benefits.md.

A body publishes its list as a body document (:mod:`furusato_vc.core.bodydoc`): a compact
JWS, ES256, header ``typ`` ``furusato-benefits+jwt`` and ``kid``, signed by the body's issuing
key; claims ``iss``, ``body``, ``iat``, ``exp``, ``seq`` and ``benefits``, an array of::

    {"id": "cafe-umi", "kind": "shop" | "facility",
     "name": {"ja": …, "en"?: …}, "offer": {"ja": …, "en"?: …},
     "tier": "basic" | "premium", "from": NumericDate, "until": NumericDate}

Pure: the time, the trust data and the keys come in as arguments.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Final

from furusato_vc.core.bodydoc import (
    BodyDocHeader,
    LocalizedText,
    item_id,
    localized_text,
    malformed,
    sign_body_doc,
    verify_body_doc,
)
from furusato_vc.core.encoding import JsonLimits
from furusato_vc.core.errors import ErrorCode, VerificationError
from furusato_vc.core.jose.algorithms import DEFAULT_ALGORITHMS, AlgorithmPolicy
from furusato_vc.core.registration.claims import Tier

if TYPE_CHECKING:
    from datetime import datetime

    from furusato_vc.core.encoding import JSONObject, JSONValue
    from furusato_vc.core.jose.jwk import PublicJwk
    from furusato_vc.core.jose.signer import Signer
    from furusato_vc.core.trust import RegistrationTrust

__all__ = [
    "BENEFITS_TYP",
    "MAX_BENEFITS",
    "MAX_BENEFITS_CHARS",
    "MAX_BENEFIT_NAME_CHARS",
    "MAX_BENEFIT_OFFER_CHARS",
    "Benefit",
    "BenefitClaim",
    "BenefitKind",
    "BenefitList",
    "VerifiedBenefitList",
    "benefit_from_json",
    "benefits_from_json",
    "sign_benefit_list",
    "tier_satisfies",
    "verify_benefit_list",
]

BENEFITS_TYP: Final = "furusato-benefits+jwt"
MAX_BENEFITS: Final = 200
MAX_BENEFIT_NAME_CHARS: Final = 80
MAX_BENEFIT_OFFER_CHARS: Final = 200
# 200 benefits of the largest size, Japanese and English (3 bytes a character), base64url
MAX_BENEFITS_PAYLOAD_BYTES: Final = 512 * 1024
MAX_BENEFITS_CHARS: Final = 700_000
_PAYLOAD_LIMITS = JsonLimits(max_bytes=MAX_BENEFITS_PAYLOAD_BYTES, max_depth=4)


class BenefitClaim:
    """Wire names of the list's own claim and of a benefit's members."""

    BENEFITS: Final = "benefits"
    ID: Final = "id"
    KIND: Final = "kind"
    NAME: Final = "name"
    OFFER: Final = "offer"
    TIER: Final = "tier"
    FROM: Final = "from"
    UNTIL: Final = "until"


_MEMBERS: Final = frozenset(
    {
        BenefitClaim.ID,
        BenefitClaim.KIND,
        BenefitClaim.NAME,
        BenefitClaim.OFFER,
        BenefitClaim.TIER,
        BenefitClaim.FROM,
        BenefitClaim.UNTIL,
    }
)


class BenefitKind(StrEnum):
    SHOP = "shop"
    FACILITY = "facility"


def tier_satisfies(held: Tier, required: Tier) -> bool:
    """Premium satisfies everything basic does."""
    return required is Tier.BASIC or held is Tier.PREMIUM


@dataclass(frozen=True, slots=True, kw_only=True)
class Benefit:
    """One participating place and what it offers to a card of at least ``tier``."""

    benefit_id: str
    kind: BenefitKind
    name: LocalizedText
    offer: LocalizedText
    tier: Tier
    valid_from: int
    valid_until: int

    def __post_init__(self) -> None:
        item_id(self.benefit_id)
        self.name.check(max_chars=MAX_BENEFIT_NAME_CHARS)
        self.offer.check(max_chars=MAX_BENEFIT_OFFER_CHARS)
        if not 0 <= self.valid_from < self.valid_until < 2**53:
            raise ValueError("valid_until must be after valid_from")

    def is_current(self, at: int) -> bool:
        return self.valid_from <= at < self.valid_until

    def applies_to(self, tier: Tier, *, at: int) -> bool:
        return self.is_current(at) and tier_satisfies(tier, self.tier)

    def to_json(self) -> JSONObject:
        return {
            BenefitClaim.ID: self.benefit_id,
            BenefitClaim.KIND: self.kind.value,
            BenefitClaim.NAME: self.name.to_json(),
            BenefitClaim.OFFER: self.offer.to_json(),
            BenefitClaim.TIER: self.tier.value,
            BenefitClaim.FROM: self.valid_from,
            BenefitClaim.UNTIL: self.valid_until,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class BenefitList:
    """What a body signs: the common claims and its current benefits."""

    header: BodyDocHeader
    benefits: tuple[Benefit, ...]

    def __post_init__(self) -> None:
        if len(self.benefits) > MAX_BENEFITS:
            raise ValueError(f"a list holds at most {MAX_BENEFITS} benefits")
        if len({b.benefit_id for b in self.benefits}) != len(self.benefits):
            raise ValueError("benefit ids must be distinct")


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifiedBenefitList:
    """A benefits list whose signature, issuer, body and time window were checked."""

    header: BodyDocHeader
    benefits: tuple[Benefit, ...]
    issuer_key: PublicJwk
    jws: str


def sign_benefit_list(benefits: BenefitList, *, signer: Signer) -> str:
    """The compact JWS of a benefits list (``typ`` ``furusato-benefits+jwt``).

    Raises:
        ValueError: the JWS would exceed :data:`MAX_BENEFITS_CHARS`.
    """
    return sign_body_doc(
        benefits.header,
        {BenefitClaim.BENEFITS: [b.to_json() for b in benefits.benefits]},
        typ=BENEFITS_TYP,
        signer=signer,
        max_chars=MAX_BENEFITS_CHARS,
    )


def _int(value: JSONValue, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**53:
        raise malformed(f"{name} is not a NumericDate integer")
    return value


def benefit_from_json(value: JSONValue) -> Benefit:
    """One benefit from its JSON form (strict: exactly the members above).

    Raises:
        FormatError: ``malformed_claim``.
    """
    if not isinstance(value, dict) or set(value) != _MEMBERS:
        raise malformed("a benefit must be an object with exactly the benefit members")
    try:
        kind = BenefitKind(str(value[BenefitClaim.KIND]))
        tier = Tier(str(value[BenefitClaim.TIER]))
    except ValueError as exc:
        raise malformed("unknown benefit kind or tier") from exc
    try:
        return Benefit(
            benefit_id=item_id(value[BenefitClaim.ID]),
            kind=kind,
            name=localized_text(
                value[BenefitClaim.NAME], name="name", max_chars=MAX_BENEFIT_NAME_CHARS
            ),
            offer=localized_text(
                value[BenefitClaim.OFFER], name="offer", max_chars=MAX_BENEFIT_OFFER_CHARS
            ),
            tier=tier,
            valid_from=_int(value[BenefitClaim.FROM], "from"),
            valid_until=_int(value[BenefitClaim.UNTIL], "until"),
        )
    except ValueError as exc:
        raise malformed(f"benefit: {exc}") from exc


def benefits_from_json(value: JSONValue) -> tuple[Benefit, ...]:
    """Raises:
    FormatError: ``malformed_claim`` (not an array, too many, repeated ids, a bad item).
    """
    if not isinstance(value, list) or len(value) > MAX_BENEFITS:
        raise malformed(f"benefits must be an array of at most {MAX_BENEFITS}")
    benefits = tuple(benefit_from_json(item) for item in value)
    if len({b.benefit_id for b in benefits}) != len(benefits):
        raise malformed("benefit ids must be distinct")
    return benefits


def verify_benefit_list(
    jws: str,
    *,
    trust: RegistrationTrust,
    now: datetime,
    skew: int = 60,
    algorithms: AlgorithmPolicy = DEFAULT_ALGORITHMS,
) -> VerifiedBenefitList:
    """Verify a body's benefits list at ``now``.

    Raises:
        FormatError: as :func:`~furusato_vc.core.bodydoc.verify_body_doc`;
            ``malformed_claim`` for a benefit of the wrong form.
        VerificationError: as :func:`~furusato_vc.core.bodydoc.verify_body_doc`;
            ``required_claim_missing`` without ``benefits``.
    """
    doc = verify_body_doc(
        jws,
        typ=BENEFITS_TYP,
        trust=trust,
        now=now,
        max_chars=MAX_BENEFITS_CHARS,
        payload_limits=_PAYLOAD_LIMITS,
        skew=skew,
        algorithms=algorithms,
    )
    raw = doc.payload.get(BenefitClaim.BENEFITS)
    if raw is None:
        raise VerificationError(ErrorCode.REQUIRED_CLAIM_MISSING, "benefits is required")
    return VerifiedBenefitList(
        header=doc.header, benefits=benefits_from_json(raw), issuer_key=doc.issuer_key, jws=jws
    )
