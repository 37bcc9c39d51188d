"""The notices feed (:mod:`furusato_vc.core.notices`): a body-signed compact JWS with
``typ`` ``furusato-notices+jwt``, strictly parsed within bounds, and the holder-side filter
by tier and interests."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from furusato_vc.core.bodydoc import BodyDocHeader, LocalizedText
from furusato_vc.core.encoding import b64url_decode, b64url_encode, dumps_compact
from furusato_vc.core.errors import ErrorCode, FurusatoError
from furusato_vc.core.jose.jws import sign_compact_jws
from furusato_vc.core.jose.jwt import to_numeric_date
from furusato_vc.core.notices import (
    MAX_FEED_CHARS,
    MAX_NOTICES,
    NOTICES_TYP,
    Notice,
    NoticeAudience,
    NoticeCategory,
    NoticeFeed,
    link_problem,
    notices_for,
    sign_notice_feed,
    verify_notice_feed,
)
from furusato_vc.core.registration.claims import Tier
from tests.activity_fixtures import activity_jws
from tests.registration_fixtures import (
    ISSUER_BASE,
    KESENNUMA,
    MINAMIMINOWA,
    NOW,
    issuing_body,
    trust_for,
)

if TYPE_CHECKING:
    from furusato_vc.core.encoding import JSONObject, JSONValue

TRUST = trust_for(KESENNUMA, MINAMIMINOWA)
NOW_S = to_numeric_date(NOW)
IAT = NOW_S - 3_600
EXP = IAT + 86_400


def notice(notice_id: str = "n-1", **changes: Any) -> Notice:
    template = Notice(
        notice_id=notice_id,
        category=NoticeCategory.EVENT,
        title=LocalizedText(ja="みなと祭り", en="Harbour festival"),
        text=LocalizedText(ja="今年も開催します。\nぜひお越しください。"),
        audience=NoticeAudience.ANY,
        interests=(),
        valid_from=NOW_S - 86_400,
        valid_until=NOW_S + 7 * 86_400,
        link="https://www.kesennuma.example/matsuri",
    )
    return dataclasses.replace(template, **changes)


def header(body_code: str = KESENNUMA, **changes: Any) -> BodyDocHeader:
    template = BodyDocHeader(
        issuer=ISSUER_BASE + body_code,
        body_code=body_code,
        issued_at=IAT,
        expires_at=EXP,
        sequence=7,
    )
    return dataclasses.replace(template, **changes)


def feed_jws(*notices: Notice, body_code: str = KESENNUMA, **changes: Any) -> str:
    return sign_notice_feed(
        NoticeFeed(header=header(body_code, **changes), notices=notices or (notice(),)),
        signer=issuing_body(body_code).signer,
    )


def claims() -> JSONObject:
    return {
        "iss": ISSUER_BASE + KESENNUMA,
        "body": KESENNUMA,
        "iat": IAT,
        "exp": EXP,
        "seq": 1,
        "notices": [notice().to_json()],
    }


def forged(payload: JSONValue, *, typ: str = NOTICES_TYP, body_code: str = KESENNUMA) -> str:
    return sign_compact_jws(
        header={"typ": typ},
        payload=dumps_compact(payload).encode("utf-8"),
        signer=issuing_body(body_code).signer,
    )


def code_of(jws: str, *, now: datetime = NOW) -> ErrorCode:
    with pytest.raises(FurusatoError) as caught:
        verify_notice_feed(jws, trust=TRUST, now=now)
    return caught.value.code


def _at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


# ------------------------------------------------------------------ round trip


def test_signed_feed_verifies_with_every_member() -> None:
    second = notice("n-2", link=None, text=LocalizedText(ja="本文", en="Body"))
    verified = verify_notice_feed(feed_jws(notice(), second), trust=TRUST, now=NOW)
    assert verified.header == header()
    assert verified.notices == (notice(), second)
    assert verified.issuer_key == issuing_body(KESENNUMA).signer.public_jwk


def test_feed_header_names_typ_and_kid() -> None:
    jws = feed_jws()
    protected = json.loads(b64url_decode(jws.split(".")[0]))
    assert protected["typ"] == NOTICES_TYP
    assert protected["alg"] == "ES256"
    assert protected["kid"] == issuing_body(KESENNUMA).signer.public_jwk.kid


# ------------------------------------------------------------------ signature and header


def test_tampered_payload_byte_is_rejected() -> None:
    header_b64, payload_b64, signature = feed_jws().split(".")
    payload = bytearray(b64url_decode(payload_b64))
    payload[payload.index(b"\xe7")] ^= 0x01  # a byte of the Japanese title
    tampered = f"{header_b64}.{b64url_encode(bytes(payload))}.{signature}"
    assert code_of(tampered) in {ErrorCode.SIGNATURE_INVALID, ErrorCode.MALFORMED_JSON}


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.data())
def test_any_changed_signed_character_is_rejected(data: st.DataObject) -> None:
    jws = feed_jws()
    signed = jws.rsplit(".", 1)[0]
    position = data.draw(st.integers(0, len(signed) - 1))
    replacement = data.draw(st.sampled_from("ABCabc012-_"))
    if signed[position] == replacement:
        return
    changed = signed[:position] + replacement + signed[position + 1 :] + jws[len(signed) :]
    with pytest.raises(FurusatoError):
        verify_notice_feed(changed, trust=TRUST, now=NOW)


def test_feed_signed_by_another_body_key_is_rejected() -> None:
    # claims of 気仙沼, signed with 南箕輪's key
    jws = forged(claims(), body_code=MINAMIMINOWA)
    assert code_of(jws) in {ErrorCode.SIGNATURE_INVALID, ErrorCode.ISSUER_KEY_UNKNOWN}


def test_feed_of_body_not_of_issuer_is_rejected() -> None:
    payload = claims()
    payload["body"] = MINAMIMINOWA
    assert code_of(forged(payload)) is ErrorCode.ISSUER_NOT_TRUSTED


def test_untrusted_issuer_is_rejected() -> None:
    payload = claims()
    payload["iss"] = "https://evil.example/bodies/042056"
    assert code_of(forged(payload)) is ErrorCode.ISSUER_NOT_TRUSTED


@pytest.mark.parametrize("typ", ["furusato-activity+jwt", "JWT", "Furusato-Notices+JWT"])
def test_wrong_typ_is_rejected(typ: str) -> None:
    assert code_of(forged(claims(), typ=typ)) is ErrorCode.TYP_MISMATCH


def test_activity_token_is_not_a_feed() -> None:
    assert code_of(activity_jws()) is ErrorCode.TYP_MISMATCH


def test_missing_notices_claim_is_rejected() -> None:
    payload = claims()
    del payload["notices"]
    assert code_of(forged(payload)) is ErrorCode.REQUIRED_CLAIM_MISSING


# ------------------------------------------------------------------ time


def test_expired_feed_is_rejected_after_exp_plus_skew() -> None:
    jws = feed_jws()
    verify_notice_feed(jws, trust=TRUST, now=_at(EXP - 1))
    verify_notice_feed(jws, trust=TRUST, now=_at(EXP + 59))
    assert code_of(jws, now=_at(EXP + 60)) is ErrorCode.TOKEN_EXPIRED


def test_feed_from_the_future_is_rejected() -> None:
    jws = feed_jws(issued_at=NOW_S + 3_600, expires_at=NOW_S + 7_200)
    assert code_of(jws) is ErrorCode.TOKEN_ISSUED_IN_FUTURE


def test_exp_not_after_iat_is_malformed() -> None:
    payload = claims()
    payload["exp"] = IAT
    assert code_of(forged(payload)) is ErrorCode.MALFORMED_CLAIM


# ------------------------------------------------------------------ bounds


def test_oversized_feed_is_rejected_before_parsing() -> None:
    assert code_of("a" * (MAX_FEED_CHARS + 1)) is ErrorCode.INPUT_TOO_LARGE


def test_deeply_nested_payload_is_rejected() -> None:
    payload = claims()
    nested: JSONValue = "x"
    for _ in range(40):
        nested = [nested]
    payload["notices"] = [dict(notice().to_json(), interests=nested)]
    assert code_of(forged(payload)) is ErrorCode.JSON_TOO_DEEP


def test_too_many_notices_are_rejected() -> None:
    payload = claims()
    payload["notices"] = [notice(f"n-{i}").to_json() for i in range(MAX_NOTICES + 1)]
    assert code_of(forged(payload)) is ErrorCode.MALFORMED_CLAIM


def test_feed_over_the_limit_cannot_be_signed() -> None:
    with pytest.raises(ValueError, match="at most"):
        NoticeFeed(header=header(), notices=tuple(notice(f"n-{i}") for i in range(51)))


@pytest.mark.parametrize(
    "change",
    [
        {"cat": "advert"},
        {"tier": "gold"},
        {"title": {"en": "no Japanese"}},
        {"title": {"ja": "x", "img": "https://ads.example/a.png"}},
        {"image": "https://ads.example/a.png"},
        {"link": "http://www.kesennuma.example/"},
        {"link": "https://user:pw@www.kesennuma.example/"},
        {"interests": "祭り"},
        {"from": 10, "until": 5},
        {"until": True},
        {"id": "../etc"},
    ],
)
def test_malformed_notice_is_rejected(change: JSONObject) -> None:
    payload = claims()
    payload["notices"] = [dict(notice().to_json(), **change)]
    assert code_of(forged(payload)) is ErrorCode.MALFORMED_CLAIM


def test_repeated_notice_ids_are_rejected() -> None:
    payload = claims()
    payload["notices"] = [notice().to_json(), notice().to_json()]
    assert code_of(forged(payload)) is ErrorCode.MALFORMED_CLAIM


# ------------------------------------------------------------------ links


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://www.kesennuma.example/matsuri", True),
        ("https://kesennuma.example/", True),
        ("https://kesennuma.example:443/", True),
        ("https://evil-kesennuma.example/", False),
        ("https://kesennuma.example.evil.example/", False),
        ("https://ads.example/track?u=1", False),
        ("http://kesennuma.example/", False),
        ("https://kesennuma.example:8443/", False),
        ("https://a@kesennuma.example/", False),
        ("javascript:alert(1)", False),
        ("https://kesennuma.example\\\\@ads.example/", False),
        ("HTTPS://kesennuma.example/", False),
        ("https://kesennuma.example/" + "a" * 600, False),
    ],
)
def test_link_domain_restriction(url: str, *, ok: bool) -> None:
    assert (link_problem(url, allowed_domains=("kesennuma.example",)) is None) is ok


# ------------------------------------------------------------------ filtering


def test_filter_by_tier() -> None:
    everyone = notice("all")
    premium = notice("premium", audience=NoticeAudience.PREMIUM)
    basic = notice("basic", audience=NoticeAudience.BASIC)
    items = (everyone, premium, basic)
    assert notices_for(items, tier=Tier.BASIC, interests=None, at=NOW_S) == (everyone, basic)
    assert notices_for(items, tier=Tier.PREMIUM, interests=None, at=NOW_S) == (everyone, premium)


def test_filter_by_interests() -> None:
    untagged = notice("untagged")
    fishing = notice("fishing", interests=("漁業", "食"))
    music = notice("music", interests=("音楽",))
    disaster = notice("disaster", interests=("防災",), category=NoticeCategory.DISASTER)
    items = (untagged, fishing, music, disaster)
    assert notices_for(items, tier=Tier.BASIC, interests=None, at=NOW_S) == items
    assert notices_for(items, tier=Tier.BASIC, interests=["食"], at=NOW_S) == (
        untagged,
        fishing,
        disaster,
    )
    assert notices_for(items, tier=Tier.BASIC, interests=[], at=NOW_S) == (untagged, disaster)


def test_filter_by_validity_window() -> None:
    later = notice("later", valid_from=NOW_S + 1, valid_until=NOW_S + 100)
    ended = notice("ended", valid_from=NOW_S - 100, valid_until=NOW_S)
    assert notices_for((later, ended), tier=Tier.BASIC, interests=None, at=NOW_S) == ()
