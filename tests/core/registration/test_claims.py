"""The registration claims model (:mod:`furusato_vc.core.registration.claims`).

Validation before signing (including the 個人番号 guard, 番号法 §20), the claim input of the
SD-JWT VC (what is plaintext, what is a Disclosure, the age flags), reading verified claims
back into the model, and — end to end through the issuer library — the processed claims of a
full card against the JSON Schemas in ``schemas/claims/``.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from furusato_vc.core.encoding import b64url_decode
from furusato_vc.core.errors import ErrorCode, FormatError, FurusatoError, IssuanceError
from furusato_vc.core.registration.bodies import load_bodies
from furusato_vc.core.registration.claims import (
    AGE_THRESHOLDS,
    BASIC_VCT,
    JST,
    PREMIUM_VCT,
    Claim,
    DisclosedRegistration,
    IdentityAssurance,
    IdentityMethod,
    PersonName,
    RegistrationClaims,
    RelationshipType,
    StayPeriod,
    Tier,
    age_on,
    parse_registration_claims,
    registration_claim_input,
    validate_registration,
    vct_for_tier,
)
from furusato_vc.core.registration.metadata import registration_type_metadata
from furusato_vc.core.sdjwt import SD, StaticIssuerKeys
from furusato_vc.core.sdjwtvc.credential import SdJwtVcPolicy, VerifiedSdJwtVc, verify_sd_jwt_vc
from furusato_vc.issuer import IssuingBody, issue_registration_credential
from tests.helpers import FIXED_NOW, SeededRandom, fixed_signer

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from furusato_vc.core.encoding import JSONObject, JSONValue
    from furusato_vc.core.sdjwt import ClaimInput, IssuedSdJwt

BODIES = load_bodies()
TODAY = FIXED_NOW.astimezone(JST).date()  # 2027-01-15
SCHEMAS = Path(__file__).parents[3] / "schemas" / "claims"
ISSUER_ID = "https://furusato.example.lg.jp/issuers/011002"
ISSUER_SIGNER = fixed_signer("registration-test-issuer", kid="sapporo-2027-01")
STATUS_LIST_URI = "https://furusato.example.lg.jp/status/1"
NAME = PersonName(family="山田", given="花子", family_kana="ヤマダ", given_kana="ハナコ")
IDENTITY = IdentityAssurance(method=IdentityMethod.MY_NUMBER_CARD, verified_on=date(2027, 1, 10))
INDIVIDUAL_NUMBER_TERMS = ("my_number", "individual_number", "kojin")


def _code_of(call: Callable[[], object]) -> ErrorCode:
    with pytest.raises(FurusatoError) as caught:
        call()
    return caught.value.code


def _minimal_basic() -> RegistrationClaims:
    return RegistrationClaims(
        issuing_body="011002",
        tier=Tier.BASIC,
        registration_id="R7kq2Z9xW3",
        valid_from=TODAY,
    )


def _full_basic() -> RegistrationClaims:
    return dataclasses.replace(
        _minimal_basic(),
        valid_until=date(2029, 1, 14),
        relationship_types=tuple(RelationshipType),
        name=NAME,
        birthdate=date(1990, 4, 1),
        home_prefecture="13",
        stay=StayPeriod(start=date(2027, 2, 1), end=date(2027, 3, 31)),
        member_number="M-0042",
    )


def _full_premium(method: IdentityMethod = IdentityMethod.MY_NUMBER_CARD) -> RegistrationClaims:
    return dataclasses.replace(
        _full_basic(),
        tier=Tier.PREMIUM,
        valid_until=date(2028, 1, 14),
        identity_assurance=dataclasses.replace(IDENTITY, method=method),
    )


def _premium(valid_until: date) -> RegistrationClaims:
    return dataclasses.replace(
        _minimal_basic(), tier=Tier.PREMIUM, valid_until=valid_until, identity_assurance=IDENTITY
    )


def _validate(claims: RegistrationClaims, *, today: date = TODAY) -> None:
    validate_registration(claims, bodies=BODIES, today=today)


def _rejection(claims: RegistrationClaims, *, today: date = TODAY) -> ErrorCode:
    return _code_of(lambda: _validate(claims, today=today))


def _with_name_part(part: str, value: str) -> RegistrationClaims:
    return dataclasses.replace(_minimal_basic(), name=dataclasses.replace(NAME, **{part: value}))


NAME_PARTS = ["family", "given", "family_kana", "given_kana"]


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "claims",
    [_minimal_basic(), _full_basic(), _full_premium()],
    ids=["minimal-basic", "full-basic", "full-premium"],
)
def test_well_formed_registration_is_valid(claims: RegistrationClaims) -> None:
    _validate(claims)


@pytest.mark.parametrize("code", ["011003", "11002", "０１１００２", "011002 ", "0110020", ""])
def test_malformed_issuing_body_is_an_invalid_body_code(code: str) -> None:
    claims = dataclasses.replace(_minimal_basic(), issuing_body=code)
    with pytest.raises(FormatError) as caught:
        _validate(claims)
    assert caught.value.code is ErrorCode.INVALID_BODY_CODE


def test_unknown_issuing_body_is_an_invalid_body_code() -> None:
    # 011011 is well-formed (札幌市中央区, a designated-city ward) but not an issuing body.
    assert "011011" not in BODIES
    claims = dataclasses.replace(_minimal_basic(), issuing_body="011011")
    assert _rejection(claims) is ErrorCode.INVALID_BODY_CODE


@pytest.mark.parametrize(
    "registration_id",
    [
        "R7kq2Z9",
        "R" * 65,
        "R7kq 2Z9xW3",
        "R7kq2Z9xW3!",
        "R7kq.2Z9xW3",
        "登録番号ABCDEFGH",
        "",
        "R7kq2Z9xW3\n",
    ],
    ids=["7-chars", "65-chars", "space", "bang", "dot", "kanji", "empty", "trailing-newline"],
)
def test_registration_id_outside_the_pattern_is_rejected(registration_id: str) -> None:
    claims = dataclasses.replace(_minimal_basic(), registration_id=registration_id)
    assert _rejection(claims) is ErrorCode.REGISTRATION_CLAIMS_INVALID


@pytest.mark.parametrize("registration_id", ["R7kq2Z9x", "R" * 64, "r_7-K_q-2"])
def test_registration_id_within_the_pattern_is_accepted(registration_id: str) -> None:
    _validate(dataclasses.replace(_minimal_basic(), registration_id=registration_id))


def test_valid_until_before_valid_from_is_rejected() -> None:
    claims = dataclasses.replace(_minimal_basic(), valid_until=date(2027, 1, 14))
    assert _rejection(claims) is ErrorCode.REGISTRATION_CLAIMS_INVALID


def test_single_day_registration_is_accepted() -> None:
    _validate(dataclasses.replace(_minimal_basic(), valid_until=TODAY))


def test_repeated_relationship_type_is_rejected() -> None:
    types = (RelationshipType.VISITS, RelationshipType.DUAL_RESIDENCE, RelationshipType.VISITS)
    claims = dataclasses.replace(_minimal_basic(), relationship_types=types)
    assert _rejection(claims) is ErrorCode.REGISTRATION_CLAIMS_INVALID


def test_premium_without_identity_assurance_is_rejected() -> None:
    claims = dataclasses.replace(_full_premium(), identity_assurance=None)
    assert _rejection(claims) is ErrorCode.REGISTRATION_CLAIMS_INVALID


def test_premium_without_valid_until_is_rejected() -> None:
    claims = dataclasses.replace(_full_premium(), valid_until=None)
    assert _rejection(claims) is ErrorCode.REGISTRATION_CLAIMS_INVALID


def test_premium_longer_than_366_days_is_rejected() -> None:
    claims = _premium(valid_until=date(2028, 1, 17))  # 2027-01-15 + 367 days
    assert _rejection(claims) is ErrorCode.REGISTRATION_CLAIMS_INVALID


def test_premium_of_exactly_366_days_is_accepted() -> None:
    _validate(_premium(valid_until=date(2028, 1, 16)))


@pytest.mark.parametrize("part", NAME_PARTS)
@pytest.mark.parametrize(
    "value",
    ["", " ", "\u3000", "ア" * 65],
    ids=["empty", "space", "ideographic-space", "65-chars"],
)
def test_name_part_empty_or_too_long_is_rejected(part: str, value: str) -> None:
    assert _rejection(_with_name_part(part, value)) is ErrorCode.REGISTRATION_CLAIMS_INVALID


@pytest.mark.parametrize("part", NAME_PARTS)
def test_name_part_of_64_characters_is_accepted(part: str) -> None:
    _validate(_with_name_part(part, "ア" * 64))


@pytest.mark.parametrize("part", NAME_PARTS)
@pytest.mark.parametrize(
    "value",
    ["ヤマ\nダ", "ヤマ\tダ", "ヤマ\x00ダ", "ヤマ\u200bダ", "ヤマ\u202eダ", "ヤマ\x7fダ"],
    ids=["newline", "tab", "nul", "zero-width-space", "rtl-override", "del"],
)
def test_name_part_with_control_characters_is_rejected(part: str, value: str) -> None:
    assert _rejection(_with_name_part(part, value)) is ErrorCode.REGISTRATION_CLAIMS_INVALID


@pytest.mark.parametrize("part", ["family_kana", "given_kana"])
@pytest.mark.parametrize(
    "value",
    ["やまだ", "ﾔﾏﾀﾞ", "Yamada", "山田", "ヤマダ1"],
    ids=["hiragana", "half-width-katakana", "latin", "kanji", "digit"],
)
def test_kana_that_is_not_full_width_katakana_is_rejected(part: str, value: str) -> None:
    assert _rejection(_with_name_part(part, value)) is ErrorCode.REGISTRATION_CLAIMS_INVALID


@pytest.mark.parametrize("value", ["ヴァン・デル・ヴェーデ", "ヤマダ　ハナコ", "ヤマダ ハナコ"])
def test_kana_in_full_width_katakana_is_accepted(value: str) -> None:
    _validate(_with_name_part("family_kana", value))


def test_names_need_not_be_katakana() -> None:
    _validate(_with_name_part("family", "Smith-山田"))


def test_birthdate_in_the_future_is_rejected() -> None:
    claims = dataclasses.replace(_minimal_basic(), birthdate=date(2027, 1, 16))
    assert _rejection(claims) is ErrorCode.REGISTRATION_CLAIMS_INVALID


def test_birthdate_today_is_accepted() -> None:
    _validate(dataclasses.replace(_minimal_basic(), birthdate=TODAY))


@pytest.mark.parametrize("prefecture", ["00", "48", "1", "13a", "１３", "013", "", " 13"])
def test_home_prefecture_outside_jis_x_0401_is_rejected(prefecture: str) -> None:
    claims = dataclasses.replace(_minimal_basic(), home_prefecture=prefecture)
    assert _rejection(claims) is ErrorCode.REGISTRATION_CLAIMS_INVALID


@pytest.mark.parametrize("prefecture", ["01", "09", "10", "13", "39", "40", "47"])
def test_home_prefecture_01_to_47_is_accepted(prefecture: str) -> None:
    _validate(dataclasses.replace(_minimal_basic(), home_prefecture=prefecture))


def test_reversed_stay_is_rejected() -> None:
    stay = StayPeriod(start=date(2027, 3, 31), end=date(2027, 2, 1))
    claims = dataclasses.replace(_minimal_basic(), stay=stay)
    assert _rejection(claims) is ErrorCode.REGISTRATION_CLAIMS_INVALID


def test_single_day_stay_is_accepted() -> None:
    stay = StayPeriod(start=date(2027, 2, 1), end=date(2027, 2, 1))
    _validate(dataclasses.replace(_minimal_basic(), stay=stay))


def test_identity_verified_in_the_future_is_rejected() -> None:
    identity = IdentityAssurance(
        method=IdentityMethod.DIGITAL_AUTH_APP, verified_on=date(2027, 1, 16)
    )
    claims = dataclasses.replace(_minimal_basic(), identity_assurance=identity)
    assert _rejection(claims) is ErrorCode.REGISTRATION_CLAIMS_INVALID


def test_identity_verified_today_is_accepted() -> None:
    identity = IdentityAssurance(method=IdentityMethod.DIGITAL_AUTH_APP, verified_on=TODAY)
    _validate(dataclasses.replace(_minimal_basic(), identity_assurance=identity))


# --------------------------------------------------------------------------- 個人番号 guard

MY_NUMBER_LIKE = [
    "123456789012",
    "１２３４５６７８９０１２",
    "1234-5678-9012",
    "1234 5678 9012",
]
MY_NUMBER_LIKE_IDS = ["ascii", "full-width", "hyphens", "spaces"]
MY_NUMBER_LIKE_IN_TEXT = [
    *MY_NUMBER_LIKE,
    "No.123456789012",
    "1234567890123",
    "１２３４　５６７８　９０１２",
    "1234－5678－9012",
    "123456-123456",
]
MY_NUMBER_LIKE_IN_TEXT_IDS = [
    *MY_NUMBER_LIKE_IDS,
    "embedded",
    "13-digits",
    "full-width-ideographic-spaces",
    "full-width-hyphens",
    "two-halves",
]


def _forbidden(claims: RegistrationClaims) -> None:
    with pytest.raises(IssuanceError) as caught:
        _validate(claims)
    assert caught.value.code is ErrorCode.FORBIDDEN_CLAIM


@pytest.mark.parametrize("part", NAME_PARTS)
@pytest.mark.parametrize("value", MY_NUMBER_LIKE_IN_TEXT, ids=MY_NUMBER_LIKE_IN_TEXT_IDS)
def test_twelve_digits_in_a_name_are_forbidden(part: str, value: str) -> None:
    _forbidden(_with_name_part(part, value))


@pytest.mark.parametrize("value", MY_NUMBER_LIKE_IN_TEXT, ids=MY_NUMBER_LIKE_IN_TEXT_IDS)
def test_twelve_digits_in_the_member_number_are_forbidden(value: str) -> None:
    _forbidden(dataclasses.replace(_minimal_basic(), member_number=value))


@pytest.mark.parametrize(
    "value",
    [*MY_NUMBER_LIKE, "R123456789012x"],
    ids=[*MY_NUMBER_LIKE_IDS, "embedded"],
)
def test_twelve_digits_in_the_registration_id_are_forbidden(value: str) -> None:
    _forbidden(dataclasses.replace(_minimal_basic(), registration_id=value))


@pytest.mark.parametrize(
    "value",
    ["12345678901", "1234-5678-901", "１２３４５６７８９０１", "123456x123456", "M-12345678901"],
    ids=["ascii", "hyphens", "full-width", "split-by-letter", "prefixed"],
)
def test_eleven_digits_in_the_member_number_are_accepted(value: str) -> None:
    _validate(dataclasses.replace(_minimal_basic(), member_number=value))


def test_eleven_digits_in_a_name_are_accepted() -> None:
    _validate(_with_name_part("given", "花子12345678901"))


@pytest.mark.parametrize("value", ["12345678901", "R12345678901", "1234-5678-901"])
def test_eleven_digits_in_the_registration_id_are_accepted(value: str) -> None:
    _validate(dataclasses.replace(_minimal_basic(), registration_id=value))


# --------------------------------------------------------------------------- claim input


def _sd_value(node: ClaimInput) -> ClaimInput:
    assert isinstance(node, SD), f"{node!r} is not selectively disclosable"
    return node.value


def test_plaintext_claims_are_body_tier_and_dates() -> None:
    claims = registration_claim_input(_full_premium(), today=TODAY)
    plaintext = {name: value for name, value in claims.items() if not isinstance(value, SD)}
    assert plaintext == {
        Claim.ISSUING_BODY: "011002",
        Claim.TIER: "premium",
        Claim.VALID_FROM: "2027-01-15",
        Claim.VALID_UNTIL: "2028-01-14",
    }


def test_every_personal_claim_is_selectively_disclosable() -> None:
    claims = registration_claim_input(_full_premium(), today=TODAY)
    disclosable = {name for name, value in claims.items() if isinstance(value, SD)}
    assert disclosable == {
        Claim.REGISTRATION_ID,
        Claim.RELATIONSHIP_TYPES,
        Claim.FAMILY_NAME,
        Claim.GIVEN_NAME,
        Claim.FAMILY_NAME_KANA,
        Claim.GIVEN_NAME_KANA,
        Claim.BIRTHDATE,
        Claim.AGE_EQUAL_OR_OVER,
        Claim.HOME_PREFECTURE,
        Claim.STAY,
        Claim.MEMBER_NUMBER,
        Claim.IDENTITY_ASSURANCE,
    }


def test_unset_optional_claims_are_left_out() -> None:
    claims = registration_claim_input(_minimal_basic(), today=TODAY)
    assert claims.keys() == {
        Claim.ISSUING_BODY,
        Claim.TIER,
        Claim.VALID_FROM,
        Claim.REGISTRATION_ID,
    }


def test_disclosed_values_are_the_model_values() -> None:
    claims = registration_claim_input(_full_premium(), today=TODAY)
    values = {name: _sd_value(value) for name, value in claims.items() if isinstance(value, SD)}
    del values[Claim.AGE_EQUAL_OR_OVER]  # its members are Disclosures too, see below
    assert values == {
        Claim.REGISTRATION_ID: "R7kq2Z9xW3",
        Claim.RELATIONSHIP_TYPES: [
            "purchase_or_donation",
            "visits",
            "regular_activity",
            "dual_residence",
        ],
        Claim.FAMILY_NAME: "山田",
        Claim.GIVEN_NAME: "花子",
        Claim.FAMILY_NAME_KANA: "ヤマダ",
        Claim.GIVEN_NAME_KANA: "ハナコ",
        Claim.BIRTHDATE: "1990-04-01",
        Claim.HOME_PREFECTURE: "13",
        Claim.STAY: {"from": "2027-02-01", "until": "2027-03-31"},
        Claim.MEMBER_NUMBER: "M-0042",
        Claim.IDENTITY_ASSURANCE: {"method": "my_number_card", "verified_on": "2027-01-10"},
    }


def _age_flags(birthdate: date, today: date) -> dict[str, bool]:
    registration = dataclasses.replace(_minimal_basic(), birthdate=birthdate)
    outer = _sd_value(registration_claim_input(registration, today=today)[Claim.AGE_EQUAL_OR_OVER])
    assert isinstance(outer, dict)
    flags: dict[str, bool] = {}
    for threshold, node in outer.items():
        value = _sd_value(node)  # each flag is its own Disclosure
        assert isinstance(value, bool)
        flags[threshold] = value
    return flags


def test_age_thresholds_are_18_20_and_65() -> None:
    assert AGE_THRESHOLDS == (18, 20, 65)
    assert _age_flags(date(1990, 4, 1), TODAY).keys() == {"18", "20", "65"}


@pytest.mark.parametrize(
    ("birthdate", "today", "flags"),
    [
        (date(2009, 1, 15), date(2027, 1, 14), (False, False, False)),
        (date(2009, 1, 15), date(2027, 1, 15), (True, False, False)),
        (date(2008, 1, 15), date(2027, 1, 15), (True, False, False)),
        (date(2007, 1, 15), date(2027, 1, 14), (True, False, False)),
        (date(2007, 1, 15), date(2027, 1, 15), (True, True, False)),
        (date(1962, 1, 15), date(2027, 1, 14), (True, True, False)),
        (date(1962, 1, 15), date(2027, 1, 15), (True, True, True)),
        (date(2008, 2, 29), date(2026, 2, 28), (False, False, False)),
        (date(2008, 2, 29), date(2026, 3, 1), (True, False, False)),
    ],
    ids=[
        "17-day-before-18th-birthday",
        "18-on-birthday",
        "19",
        "19-day-before-20th-birthday",
        "20-on-birthday",
        "64-day-before-65th-birthday",
        "65-on-birthday",
        "17-born-29-feb-on-28-feb",
        "18-born-29-feb-on-1-mar",
    ],
)
def test_age_flags_follow_the_birthday(
    birthdate: date, today: date, flags: tuple[bool, bool, bool]
) -> None:
    assert _age_flags(birthdate, today) == dict(zip(("18", "20", "65"), flags, strict=True))


@pytest.mark.parametrize(
    ("birthdate", "day", "age"),
    [
        (date(2009, 1, 15), date(2027, 1, 14), 17),
        (date(2009, 1, 15), date(2027, 1, 15), 18),
        (date(2009, 1, 15), date(2027, 12, 31), 18),
        (date(2009, 1, 15), date(2009, 1, 15), 0),
    ],
)
def test_age_on_counts_completed_years(birthdate: date, day: date, age: int) -> None:
    assert age_on(birthdate, day) == age


@pytest.mark.parametrize(
    ("day", "age"),
    [
        (date(2008, 2, 29), 0),
        (date(2026, 2, 28), 17),
        (date(2026, 3, 1), 18),
        (date(2028, 2, 28), 19),
        (date(2028, 2, 29), 20),
    ],
)
def test_age_on_for_a_29_february_birthday(day: date, age: int) -> None:
    assert age_on(date(2008, 2, 29), day) == age


@pytest.mark.parametrize(
    ("body", "prefecture"),
    [("011002", "010006"), ("131016", "130001"), ("130001", "130001"), ("472018", "470007")],
    ids=["sapporo", "chiyoda", "tokyo-itself", "naha"],
)
def test_prefecture_code_is_the_issuing_bodys_prefecture(body: str, prefecture: str) -> None:
    registration = dataclasses.replace(_minimal_basic(), issuing_body=body)
    assert registration.prefecture_code == prefecture
    assert BODIES.prefecture_of(body).code == prefecture


@pytest.mark.parametrize(("tier", "vct"), [(Tier.BASIC, BASIC_VCT), (Tier.PREMIUM, PREMIUM_VCT)])
def test_vct_for_tier(tier: Tier, vct: str) -> None:
    assert vct_for_tier(tier) == vct


# --------------------------------------------------------------------------- issue and verify


def _issue(registration: RegistrationClaims) -> IssuedSdJwt:
    body = IssuingBody(
        code=registration.issuing_body,
        issuer_id=ISSUER_ID,
        signer=ISSUER_SIGNER,
        status_list_uri=STATUS_LIST_URI,
    )
    return issue_registration_credential(
        registration,
        body=body,
        holder_key=fixed_signer("registration-test-holder").public_jwk,
        status_index=4021,
        now=FIXED_NOW,
        random=SeededRandom(),
        bodies=BODIES,
    )


def _held(issued: IssuedSdJwt) -> VerifiedSdJwtVc:
    """The card as its holder checks it on receipt: every Disclosure, Type Metadata applied."""
    policy = SdJwtVcPolicy(
        accepted_vcts=frozenset({BASIC_VCT, PREMIUM_VCT}),
        key_binding=None,
        status_checker=None,
        unsafe_skip_status_check=True,  # a fresh card straight from its issuer
        type_metadata=registration_type_metadata(),
    )
    return verify_sd_jwt_vc(
        issued.serialize(),
        policy=policy,
        issuer_keys=StaticIssuerKeys({ISSUER_ID: (ISSUER_SIGNER.public_jwk,)}),
        now=FIXED_NOW,
        holder_view=True,
    )


def test_parse_round_trips_an_issued_and_verified_card() -> None:
    held = _held(_issue(_full_premium()))
    parsed = parse_registration_claims(held.claims, disclosed_paths=held.disclosed_paths)
    assert parsed == DisclosedRegistration(
        issuing_body="011002",
        tier=Tier.PREMIUM,
        valid_from=date(2027, 1, 15),
        valid_until=date(2028, 1, 14),
        registration_id="R7kq2Z9xW3",
        relationship_types=tuple(RelationshipType),
        family_name="山田",
        given_name="花子",
        family_name_kana="ヤマダ",
        given_name_kana="ハナコ",
        birthdate=date(1990, 4, 1),
        age_equal_or_over=((18, True), (20, True), (65, False)),
        home_prefecture="13",
        stay=StayPeriod(start=date(2027, 2, 1), end=date(2027, 3, 31)),
        member_number="M-0042",
        identity_assurance=IDENTITY,
        disclosed_claims=frozenset(
            {
                "registration_id",
                "relationship_types",
                "family_name",
                "given_name",
                "family_name#ja-Kana-JP",
                "given_name#ja-Kana-JP",
                "birthdate",
                "age_equal_or_over",
                "age_equal_or_over/18",
                "age_equal_or_over/20",
                "age_equal_or_over/65",
                "home_prefecture",
                "stay",
                "member_number",
                "identity_assurance",
            }
        ),
    )


def test_parse_leaves_undisclosed_fields_empty() -> None:
    claims: JSONObject = {"issuing_body": "011002", "tier": "basic", "valid_from": "2027-01-15"}
    assert parse_registration_claims(claims, disclosed_paths=frozenset()) == DisclosedRegistration(
        issuing_body="011002", tier=Tier.BASIC, valid_from=date(2027, 1, 15), valid_until=None
    )


PROCESSED: JSONObject = {
    "issuing_body": "011002",
    "tier": "premium",
    "valid_from": "2027-01-15",
    "valid_until": "2028-01-14",
    "registration_id": "R7kq2Z9xW3",
    "relationship_types": ["visits", "dual_residence"],
    "family_name": "山田",
    "given_name": "花子",
    "family_name#ja-Kana-JP": "ヤマダ",
    "given_name#ja-Kana-JP": "ハナコ",
    "birthdate": "1990-04-01",
    "age_equal_or_over": {"18": True, "20": True, "65": False},
    "home_prefecture": "13",
    "stay": {"from": "2027-02-01", "until": "2027-03-31"},
    "member_number": "M-0042",
    "identity_assurance": {"method": "my_number_card", "verified_on": "2027-01-10"},
}


def _parse_with(name: str, value: JSONValue) -> DisclosedRegistration:
    return parse_registration_claims({**PROCESSED, name: value}, disclosed_paths=frozenset())


def test_processed_sample_parses() -> None:
    assert parse_registration_claims(PROCESSED, disclosed_paths=frozenset()).tier is Tier.PREMIUM


MALFORMED_CLAIMS: list[tuple[str, JSONValue]] = [
    ("tier", "gold"),
    ("tier", "Basic"),
    ("tier", None),
    ("tier", 1),
    ("tier", ["basic"]),
    ("issuing_body", 11002),
    ("issuing_body", None),
    ("valid_from", "2027-13-01"),
    ("valid_from", "2027-02-30"),
    ("valid_from", "2027-1-15"),
    ("valid_from", "２０２７-０１-１５"),
    ("valid_from", "2027-01-15T00:00:00+09:00"),
    ("valid_from", 20270115),
    ("valid_from", None),
    ("valid_until", "2027-13-01"),
    ("valid_until", 20280114),
    ("relationship_types", ["unknown"]),
    ("relationship_types", "visits"),
    ("relationship_types", [1]),
    ("relationship_types", [["visits"]]),
    ("age_equal_or_over", {"18": "true"}),
    ("age_equal_or_over", {"18": 1}),
    ("age_equal_or_over", {"18": None}),
    ("age_equal_or_over", {"eighteen": True}),
    ("age_equal_or_over", {"²": True}),
    ("age_equal_or_over", [True, True, False]),
    ("stay", "2027-02-01/2027-03-31"),
    ("stay", ["2027-02-01", "2027-03-31"]),
    ("stay", {"from": "2027-02-01"}),
    ("stay", {"from": "2027-02-30", "until": "2027-03-31"}),
    ("stay", {"from": "2027-02-01", "until": 20270331}),
    ("identity_assurance", {"method": "passport", "verified_on": "2027-01-10"}),
    ("identity_assurance", "my_number_card"),
    ("identity_assurance", {"method": "my_number_card"}),
    ("identity_assurance", {"method": "my_number_card", "verified_on": "2027-01-32"}),
    ("identity_assurance", {"method": ["my_number_card"], "verified_on": "2027-01-10"}),
    ("registration_id", 12345),
    ("family_name", ["山田"]),
    ("birthdate", 19900401),
    ("birthdate", "1990-02-30"),
    ("home_prefecture", 13),
    ("member_number", 42),
]


@pytest.mark.parametrize(
    ("name", "value"),
    MALFORMED_CLAIMS,
    ids=[f"{name}={json.dumps(value, ensure_ascii=False)}" for name, value in MALFORMED_CLAIMS],
)
def test_malformed_claim_is_rejected(name: str, value: JSONValue) -> None:
    with pytest.raises(FormatError) as caught:
        _parse_with(name, value)
    assert caught.value.code is ErrorCode.MALFORMED_CLAIM


@pytest.mark.parametrize("name", ["issuing_body", "tier", "valid_from"])
def test_missing_plaintext_claim_is_rejected(name: str) -> None:
    claims = {key: value for key, value in PROCESSED.items() if key != name}
    assert (
        _code_of(lambda: parse_registration_claims(claims, disclosed_paths=frozenset()))
        is ErrorCode.MALFORMED_CLAIM
    )


@pytest.mark.parametrize("code", ["011003", "11002", "０１１００２", "", "011002 "])
def test_malformed_issuing_body_claim_is_an_invalid_body_code(code: str) -> None:
    with pytest.raises(FormatError) as caught:
        _parse_with("issuing_body", code)
    assert caught.value.code is ErrorCode.INVALID_BODY_CODE


def _in_force(valid_until: date | None) -> DisclosedRegistration:
    return DisclosedRegistration(
        issuing_body="011002",
        tier=Tier.BASIC,
        valid_from=date(2027, 1, 15),
        valid_until=valid_until,
    )


@pytest.mark.parametrize(
    ("day", "in_force"),
    [
        (date(2027, 1, 14), False),
        (date(2027, 1, 15), True),
        (date(2027, 7, 1), True),
        (date(2028, 1, 14), True),
        (date(2028, 1, 15), False),
    ],
    ids=["day-before-start", "first-day", "middle", "last-day", "day-after-end"],
)
def test_in_force_on_includes_both_ends(day: date, in_force: bool) -> None:
    assert _in_force(date(2028, 1, 14)).in_force_on(day) is in_force


@pytest.mark.parametrize(
    ("day", "in_force"),
    [(date(2027, 1, 14), False), (date(2027, 1, 15), True), (date(2099, 12, 31), True)],
    ids=["day-before-start", "first-day", "far-future"],
)
def test_open_ended_registration_is_in_force_from_its_start(day: date, in_force: bool) -> None:
    assert _in_force(None).in_force_on(day) is in_force


# --------------------------------------------------------------------------- JSON Schema


def _schema_errors(schema_file: str, instance: JSONObject) -> list[str]:
    jsonschema: Any = pytest.importorskip("jsonschema")
    schema = json.loads((SCHEMAS / schema_file).read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)  # format assertion off
    return [error.message for error in validator.iter_errors(instance)]


@pytest.mark.parametrize(
    ("registration", "schema_file"),
    [
        (_full_basic(), "registration-basic-1.schema.json"),
        (_full_premium(), "registration-premium-1.schema.json"),
        (_full_premium(IdentityMethod.DIGITAL_AUTH_APP), "registration-premium-1.schema.json"),
    ],
    ids=["basic", "premium-my-number-card", "premium-digital-auth-app"],
)
def test_issued_card_matches_its_json_schema(
    registration: RegistrationClaims, schema_file: str
) -> None:
    held = _held(_issue(registration))
    assert held.vct == vct_for_tier(registration.tier)
    assert _schema_errors(schema_file, held.claims) == []


def test_minimal_basic_card_matches_its_json_schema() -> None:
    held = _held(_issue(_minimal_basic()))
    assert _schema_errors("registration-basic-1.schema.json", held.claims) == []


def _decoded_parts(issued: IssuedSdJwt) -> list[str]:
    """The issuer-signed payload and every Disclosure, as JSON text."""
    payload = b64url_decode(issued.issuer_jwt.split(".")[1]).decode("utf-8")
    return [payload, *(b64url_decode(d.encoded).decode("utf-8") for d in issued.disclosures)]


@pytest.mark.parametrize(
    "registration",
    [_full_basic(), _full_premium(IdentityMethod.DIGITAL_AUTH_APP)],
    ids=["basic", "premium-digital-auth-app"],
)
def test_issued_card_has_no_individual_number_terms(registration: RegistrationClaims) -> None:
    for part in _decoded_parts(_issue(registration)):
        for term in INDIVIDUAL_NUMBER_TERMS:
            assert term not in part.lower()


def _names_and_strings(value: object) -> Iterator[str]:
    if isinstance(value, dict):
        for name, member in value.items():
            yield name
            yield from _names_and_strings(member)
    elif isinstance(value, list):
        for element in value:
            yield from _names_and_strings(element)
    elif isinstance(value, str):
        yield value


def test_my_number_card_is_the_only_individual_number_term_in_a_premium_card() -> None:
    # The identity method value "my_number_card" records *how* identity was proofed
    # (schemas/README.md); no claim name and no other value may mention the number.
    found = [
        text
        for part in _decoded_parts(_issue(_full_premium(IdentityMethod.MY_NUMBER_CARD)))
        for text in _names_and_strings(json.loads(part))
        if any(term in text.lower() for term in INDIVIDUAL_NUMBER_TERMS)
    ]
    assert found == ["my_number_card"]
