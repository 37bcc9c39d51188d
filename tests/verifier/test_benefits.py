"""Which benefit a verified card gets at a place (:mod:`furusato_vc.verifier.benefits`)."""

from __future__ import annotations

import pytest

from furusato_vc.core.benefits import BenefitsBundle, BodyBenefits
from furusato_vc.core.registration.claims import Tier
from furusato_vc.verifier.benefits import (
    BenefitRef,
    benefit_for_card,
    benefit_outcome_json,
    parse_benefit_ref,
)
from tests.core.benefits_test_support import NOW_S, benefit
from tests.registration_fixtures import ISSUER_BASE, KESENNUMA, MINAMIMINOWA

BUNDLE = BenefitsBundle(
    operator="https://trust.example",
    issued_at=NOW_S,
    expires_at=NOW_S + 86_400,
    trust_list_sequence=1,
    bodies=(
        BodyBenefits(
            body_code=KESENNUMA,
            issuer=ISSUER_BASE + KESENNUMA,
            sequence=1,
            issued_at=NOW_S,
            benefits=(
                benefit("drink"),
                benefit("tasting", tier=Tier.PREMIUM),
                benefit("ended", valid_from=NOW_S - 100, valid_until=NOW_S),
            ),
        ),
    ),
)


def test_parse_ref() -> None:
    assert parse_benefit_ref(" 042056/cafe-umi ") == BenefitRef(
        body_code="042056", benefit_id="cafe-umi"
    )
    for bad in ("42056/x", "042056", "042056/", "042056/a b"):
        with pytest.raises(ValueError, match="benefit"):
            parse_benefit_ref(bad)


def test_applicable_benefit() -> None:
    outcome = benefit_for_card(
        BUNDLE, (parse_benefit_ref(f"{KESENNUMA}/drink"),), body_code=KESENNUMA,
        tier=Tier.BASIC, now=NOW_S,
    )  # fmt: skip
    assert outcome is not None
    assert outcome.applicable
    shown = benefit_outcome_json(outcome)
    assert isinstance(shown, dict)
    assert shown["message_ja"] == "特典: ドリンク一杯サービス"


def test_premium_benefit_for_basic_and_premium_cards() -> None:
    basic = benefit_for_card(
        BUNDLE, (parse_benefit_ref(f"{KESENNUMA}/tasting"),), body_code=KESENNUMA,
        tier=Tier.BASIC, now=NOW_S,
    )  # fmt: skip
    assert basic is not None
    assert (basic.applicable, basic.reason) == (False, "tier")
    assert "プレミアム" in basic.message_ja
    premium = benefit_for_card(
        BUNDLE, (parse_benefit_ref(f"{KESENNUMA}/tasting"),), body_code=KESENNUMA,
        tier=Tier.PREMIUM, now=NOW_S,
    )  # fmt: skip
    assert premium is not None
    assert premium.applicable


def test_an_applicable_benefit_wins_over_one_that_does_not_apply() -> None:
    offered = (parse_benefit_ref(f"{KESENNUMA}/tasting"), parse_benefit_ref(f"{KESENNUMA}/drink"))
    outcome = benefit_for_card(BUNDLE, offered, body_code=KESENNUMA, tier=Tier.BASIC, now=NOW_S)
    assert outcome is not None
    assert outcome.benefit.benefit_id == "drink"


def test_ended_benefit_does_not_apply() -> None:
    outcome = benefit_for_card(
        BUNDLE, (parse_benefit_ref(f"{KESENNUMA}/ended"),), body_code=KESENNUMA,
        tier=Tier.PREMIUM, now=NOW_S,
    )  # fmt: skip
    assert outcome is not None
    assert (outcome.applicable, outcome.reason) == (False, "not_current")


def test_no_benefit_for_another_body_an_unknown_id_or_expired_bundle() -> None:
    drink = (parse_benefit_ref(f"{KESENNUMA}/drink"),)
    assert (
        benefit_for_card(BUNDLE, drink, body_code=MINAMIMINOWA, tier=Tier.BASIC, now=NOW_S) is None
    )
    unknown = (parse_benefit_ref(f"{KESENNUMA}/nothing"),)
    assert (
        benefit_for_card(BUNDLE, unknown, body_code=KESENNUMA, tier=Tier.BASIC, now=NOW_S) is None
    )
    assert (
        benefit_for_card(BUNDLE, drink, body_code=KESENNUMA, tier=Tier.BASIC, now=NOW_S + 86_400)
        is None
    )
    assert benefit_for_card(None, drink, body_code=KESENNUMA, tier=Tier.BASIC, now=NOW_S) is None
