"""Benefits (:mod:`furusato_vc.core.benefits`): a body's signed list
(``furusato-benefits+jwt``) and the anchor-signed bundle of every body's benefits
(``furusato-benefits-bundle+jwt``) that verifiers carry offline."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import pytest

from furusato_vc.core.benefits import (
    BENEFITS_BUNDLE_TYP,
    BENEFITS_TYP,
    MAX_BENEFITS_BUNDLE_CHARS,
    Benefit,
    BenefitList,
    BenefitsBundle,
    body_benefits_of,
    sign_benefit_list,
    sign_benefits_bundle,
    tier_satisfies,
    verify_benefit_list,
    verify_benefits_bundle,
)
from furusato_vc.core.bodydoc import BodyDocHeader
from furusato_vc.core.encoding import b64url_decode, dumps_compact
from furusato_vc.core.errors import ErrorCode, FurusatoError
from furusato_vc.core.jose.jws import sign_compact_jws
from furusato_vc.core.registration.claims import Tier
from furusato_vc.core.trustlist.view import TrustListTrust
from tests.core.benefits_test_support import NOW_S, benefit
from tests.core.trustlist.builders import ANCHOR, ANCHOR_JWK, OPERATOR, OTHER_ANCHOR, signed
from tests.registration_fixtures import ISSUER_BASE, KESENNUMA, MINAMIMINOWA, NOW, issuing_body

if TYPE_CHECKING:
    from furusato_vc.core.encoding import JSONValue


def list_jws(*benefits: Benefit, body_code: str = KESENNUMA, **changes: Any) -> str:
    header = BodyDocHeader(
        issuer=ISSUER_BASE + body_code,
        body_code=body_code,
        issued_at=NOW_S - 60,
        expires_at=NOW_S + 30 * 86_400,
        sequence=3,
    )
    return sign_benefit_list(
        BenefitList(
            header=dataclasses.replace(header, **changes), benefits=benefits or (benefit(),)
        ),
        signer=issuing_body(body_code).signer,
    )


TRUST = TrustListTrust(signed())  # 気仙沼 and 南箕輪 (the builders' default bodies)


def test_tier_rules() -> None:
    assert tier_satisfies(Tier.BASIC, Tier.BASIC)
    assert tier_satisfies(Tier.PREMIUM, Tier.BASIC)
    assert tier_satisfies(Tier.PREMIUM, Tier.PREMIUM)
    assert not tier_satisfies(Tier.BASIC, Tier.PREMIUM)
    premium = benefit(tier=Tier.PREMIUM)
    assert premium.applies_to(Tier.PREMIUM, at=NOW_S)
    assert not premium.applies_to(Tier.BASIC, at=NOW_S)
    assert not benefit().applies_to(Tier.PREMIUM, at=NOW_S + 365 * 86_400)


def test_body_list_round_trip_against_the_trust_list() -> None:
    verified = verify_benefit_list(list_jws(), trust=TRUST, now=NOW)
    assert verified.benefits == (benefit(),)
    assert verified.header.body_code == KESENNUMA


def _code(jws: str) -> ErrorCode:
    with pytest.raises(FurusatoError) as caught:
        verify_benefit_list(jws, trust=TRUST, now=NOW)
    return caught.value.code


def test_body_list_signed_by_another_body_is_rejected() -> None:
    jws = list_jws()
    forged = sign_compact_jws(
        header={"typ": BENEFITS_TYP},
        payload=b64url_decode(jws.split(".")[1]),
        signer=issuing_body(MINAMIMINOWA).signer,
    )
    assert _code(forged) in {ErrorCode.SIGNATURE_INVALID, ErrorCode.ISSUER_KEY_UNKNOWN}


def test_body_list_with_wrong_typ_is_rejected() -> None:
    payload: JSONValue = {
        "iss": ISSUER_BASE + KESENNUMA,
        "body": KESENNUMA,
        "iat": NOW_S,
        "exp": NOW_S + 60,
        "seq": 1,
        "benefits": [],
    }
    jws = sign_compact_jws(
        header={"typ": "furusato-notices+jwt"},
        payload=dumps_compact(payload).encode(),
        signer=issuing_body(KESENNUMA).signer,
    )
    assert _code(jws) is ErrorCode.TYP_MISMATCH


def test_expired_body_list_is_rejected() -> None:
    jws = list_jws(issued_at=NOW_S - 7_200, expires_at=NOW_S - 3_600)
    assert _code(jws) is ErrorCode.TOKEN_EXPIRED


@pytest.mark.parametrize(
    "change", [{"kind": "ad"}, {"tier": "any"}, {"offer": {"en": "x"}}, {"img": "x"}]
)
def test_malformed_benefit_is_rejected(change: dict[str, JSONValue]) -> None:
    payload: dict[str, JSONValue] = {
        "iss": ISSUER_BASE + KESENNUMA,
        "body": KESENNUMA,
        "iat": NOW_S,
        "exp": NOW_S + 60,
        "seq": 1,
        "benefits": [dict(benefit().to_json(), **change)],
    }
    jws = sign_compact_jws(
        header={"typ": BENEFITS_TYP},
        payload=dumps_compact(payload).encode(),
        signer=issuing_body(KESENNUMA).signer,
    )
    assert _code(jws) is ErrorCode.MALFORMED_CLAIM


# ------------------------------------------------------------------ the anchor's bundle


def bundle_jws(*, signer: Any = ANCHOR, **changes: Any) -> str:
    imported = body_benefits_of(verify_benefit_list(list_jws(), trust=TRUST, now=NOW))
    template = BenefitsBundle(
        operator=OPERATOR,
        issued_at=NOW_S,
        expires_at=NOW_S + 7 * 86_400,
        trust_list_sequence=1,
        bodies=(imported,),
    )
    return sign_benefits_bundle(dataclasses.replace(template, **changes), signer=signer)


def test_bundle_round_trip() -> None:
    verified = verify_benefits_bundle(bundle_jws(), anchors=[ANCHOR_JWK], now=NOW_S)
    held = verified.for_body(KESENNUMA)
    assert held is not None
    assert held.benefit("cafe-umi") == benefit()
    assert held.sequence == 3
    assert verified.for_body(MINAMIMINOWA) is None


def _bundle_code(jws: str, *, now: int = NOW_S) -> ErrorCode:
    with pytest.raises(FurusatoError) as caught:
        verify_benefits_bundle(jws, anchors=[ANCHOR_JWK], now=now)
    return caught.value.code


def test_bundle_signed_by_another_key_is_rejected() -> None:
    assert _bundle_code(bundle_jws(signer=OTHER_ANCHOR)) is ErrorCode.SIGNATURE_INVALID


def test_bundle_needs_a_pinned_anchor() -> None:
    with pytest.raises(FurusatoError) as caught:
        verify_benefits_bundle(bundle_jws(), anchors=[], now=NOW_S)
    assert caught.value.code is ErrorCode.TRUST_ANCHOR_UNKNOWN


def test_bundle_tampered_byte_is_rejected() -> None:
    head, payload, signature = bundle_jws().split(".")
    changed = payload[:20] + ("A" if payload[20] != "A" else "B") + payload[21:]
    assert _bundle_code(f"{head}.{changed}.{signature}") in {
        ErrorCode.SIGNATURE_INVALID,
        ErrorCode.MALFORMED_JSON,
        ErrorCode.JSON_INVALID_STRING,
    }


def test_bundle_expires() -> None:
    jws = bundle_jws()
    verify_benefits_bundle(jws, anchors=[ANCHOR_JWK], now=NOW_S + 7 * 86_400 - 1)
    assert _bundle_code(jws, now=NOW_S + 7 * 86_400) is ErrorCode.TOKEN_EXPIRED


def test_body_list_is_not_a_bundle() -> None:
    assert _bundle_code(list_jws()) is ErrorCode.TYP_MISMATCH


def test_oversized_bundle_is_rejected_before_parsing() -> None:
    assert _bundle_code("a" * (MAX_BENEFITS_BUNDLE_CHARS + 1)) is ErrorCode.INPUT_TOO_LARGE


def test_deeply_nested_bundle_is_rejected() -> None:
    nested: JSONValue = 1
    for _ in range(10):
        nested = [nested]
    jws = sign_compact_jws(
        header={"typ": BENEFITS_BUNDLE_TYP},
        payload=dumps_compact(
            {"iss": OPERATOR, "iat": NOW_S, "exp": NOW_S + 60, "tls": 1, "bodies": nested}
        ).encode(),
        signer=ANCHOR,
    )
    assert _bundle_code(jws) is ErrorCode.JSON_TOO_DEEP
