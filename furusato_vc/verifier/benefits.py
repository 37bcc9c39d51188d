"""Which benefit a verified card gets here (docs/benefits.md).

A shop or facility verifier is configured with the benefits it offers, each named
``<body code>/<benefit id>`` as its municipality registered it. After a card verifies, the
benefit of the card's own body is looked up in the anchor-signed benefits of the synced
bundle: it applies when it is current and the card's tier satisfies its required tier; a
basic card at a premium-only benefit is a valid card without the benefit. Only a card's
verification decides validity; the benefit is shown beside it, never instead of it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from furusato_vc.core.benefits import tier_satisfies

if TYPE_CHECKING:
    from collections.abc import Sequence

    from furusato_vc.core.benefits import Benefit, BenefitsBundle
    from furusato_vc.core.encoding import JSONValue
    from furusato_vc.core.registration.claims import Tier

__all__ = [
    "BenefitOutcome",
    "BenefitRef",
    "benefit_for_card",
    "benefit_outcome_json",
    "parse_benefit_ref",
]

_REF: Final = re.compile(r"(?P<body>[0-9]{6})/(?P<id>[A-Za-z0-9._-]{1,64})")


@dataclass(frozen=True, slots=True, kw_only=True)
class BenefitRef:
    """A benefit this verifier offers: the body that registered it and its id."""

    body_code: str
    benefit_id: str


def parse_benefit_ref(text: str) -> BenefitRef:
    """``042056/cafe-umi`` → :class:`BenefitRef`.

    Raises:
        ValueError: not ``<6-digit code>/<id>``.
    """
    match = _REF.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"a benefit is <body code>/<benefit id>, not {text!r}")
    return BenefitRef(body_code=match["body"], benefit_id=match["id"])


@dataclass(frozen=True, slots=True, kw_only=True)
class BenefitOutcome:
    """The benefit of the card's body at this place, and whether this card gets it."""

    body_code: str
    benefit: Benefit
    applicable: bool
    reason: str | None  # None when applicable; "tier" or "not_current"

    @property
    def message_ja(self) -> str:
        offer = self.benefit.offer.ja
        if self.applicable:
            return f"特典: {offer}"
        if self.reason == "tier":
            return f"特典対象外（{self.benefit.tier.label_ja}会員限定）: {offer}"
        return f"特典対象外（期間外）: {offer}"

    @property
    def message_en(self) -> str:
        offer = self.benefit.offer.en or self.benefit.offer.ja
        if self.applicable:
            return f"Benefit: {offer}"
        if self.reason == "tier":
            return f"Benefit not applicable ({self.benefit.tier.label_en} only): {offer}"
        return f"Benefit not applicable (not in its period): {offer}"


def benefit_for_card(
    benefits: BenefitsBundle | None,
    offered: Sequence[BenefitRef],
    *,
    body_code: str,
    tier: Tier,
    now: int,
) -> BenefitOutcome | None:
    """The outcome for a verified card of ``body_code`` and ``tier`` at ``now``, or
    ``None`` when this place offers no benefit of that body (or the bundle carries no
    current benefits: they fail closed, the card is still valid). When several of the
    body's benefits are offered here, one that applies wins."""
    if benefits is None or now >= benefits.expires_at:
        return None
    held = benefits.for_body(body_code)
    if held is None:
        return None
    outcomes = []
    for ref in offered:
        benefit = held.benefit(ref.benefit_id) if ref.body_code == body_code else None
        if benefit is None:
            continue
        reason = None
        if not benefit.is_current(now):
            reason = "not_current"
        elif not tier_satisfies(tier, benefit.tier):
            reason = "tier"
        outcomes.append(
            BenefitOutcome(
                body_code=body_code, benefit=benefit, applicable=reason is None, reason=reason
            )
        )
    # one that applies first; else the first one the card does not get (shown as such)
    return next((o for o in outcomes if o.applicable), outcomes[0] if outcomes else None)


def benefit_outcome_json(outcome: BenefitOutcome | None) -> JSONValue:
    """The outcome as the verify CLI and the kiosk page show it (``None``: no benefit)."""
    if outcome is None:
        return None
    benefit = outcome.benefit
    return {
        "body_code": outcome.body_code,
        "id": benefit.benefit_id,
        "kind": benefit.kind.value,
        "name_ja": benefit.name.ja,
        "name_en": benefit.name.en or benefit.name.ja,
        "offer_ja": benefit.offer.ja,
        "offer_en": benefit.offer.en or benefit.offer.ja,
        "required_tier": benefit.tier.value,
        "applicable": outcome.applicable,
        "reason": outcome.reason,
        "message_ja": outcome.message_ja,
        "message_en": outcome.message_en,
    }
