"""A benefit of 気仙沼 for the benefits tests (core and verifier)."""

from __future__ import annotations

import dataclasses
from typing import Any

from furusato_vc.core.benefits import Benefit, BenefitKind
from furusato_vc.core.bodydoc import LocalizedText
from furusato_vc.core.jose.jwt import to_numeric_date
from furusato_vc.core.registration.claims import Tier
from tests.registration_fixtures import NOW

__all__ = ["NOW_S", "benefit"]

NOW_S = to_numeric_date(NOW)


def benefit(benefit_id: str = "cafe-umi", **changes: Any) -> Benefit:
    template = Benefit(
        benefit_id=benefit_id,
        kind=BenefitKind.SHOP,
        name=LocalizedText(ja="喫茶うみ", en="Cafe Umi"),
        offer=LocalizedText(ja="ドリンク一杯サービス", en="One free drink"),
        tier=Tier.BASIC,
        valid_from=NOW_S - 86_400,
        valid_until=NOW_S + 180 * 86_400,
    )
    return dataclasses.replace(template, **changes)
