"""The JSON Schemas (2020-12) of the processed registration claims in ``schemas/claims/``.

``jsonschema`` is a test-only oracle; the module is skipped where it is not installed.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

jsonschema = pytest.importorskip("jsonschema")

SCHEMAS = Path(__file__).parents[3] / "schemas" / "claims"
BASIC_VCT = "urn:furusato-vc:registration:basic:1"
PREMIUM_VCT = "urn:furusato-vc:registration:premium:1"


def _load(name: str) -> dict[str, Any]:
    raw = (SCHEMAS / name).read_bytes()
    value: dict[str, Any] = json.loads(raw)
    return value


BASIC_SCHEMA = _load("registration-basic-1.schema.json")
PREMIUM_SCHEMA = _load("registration-premium-1.schema.json")

BASIC_SAMPLE: dict[str, Any] = {
    "iss": "https://furusato.example.lg.jp/issuers/011002",
    "iat": 1_800_000_000,
    "nbf": 1_800_000_000,
    "exp": 1_831_536_000,
    "vct": BASIC_VCT,
    "vct#integrity": "sha256-0wzdP00pj7bS1k7/2ShKyDSWDvWvyiaZMPo33DTcG9Q=",
    "cnf": {
        "jwk": {
            "kty": "EC",
            "crv": "P-256",
            "x": "nDeCQEoP7_VFeuv8UVlciq7qQ5idpzse7CdeE8sY-8Y",
            "y": "hR11z86HHPdAli9kH5RJeYb8dxl0QQpPKl4aA4BM194",
        }
    },
    "status": {"status_list": {"idx": 4021, "uri": "https://furusato.example.lg.jp/status/1"}},
    "issuing_body": "011002",
    "tier": "basic",
    "valid_from": "2027-01-15",
    "registration_id": "R7kq2Z9xW3",
    "relationship_types": ["purchase_or_donation", "visits", "regular_activity", "dual_residence"],
    "family_name": "山田",
    "given_name": "花子",
    "family_name#ja-Kana-JP": "ヤマダ",
    "given_name#ja-Kana-JP": "ハナコ",
    "birthdate": "1990-04-01",
    "age_equal_or_over": {"18": True, "20": True, "65": False},
    "home_prefecture": "13",
    "stay": {"from": "2027-02-01", "until": "2027-03-31"},
    "member_number": "M-0042",
}

PREMIUM_SAMPLE: dict[str, Any] = {
    **BASIC_SAMPLE,
    "vct": PREMIUM_VCT,
    "tier": "premium",
    "valid_until": "2028-01-14",
    "identity_assurance": {"method": "my_number_card", "verified_on": "2027-01-10"},
}

MINIMAL_BASIC: dict[str, Any] = {
    name: BASIC_SAMPLE[name]
    for name in (
        "iss",
        "iat",
        "exp",
        "vct",
        "cnf",
        "issuing_body",
        "tier",
        "valid_from",
        "registration_id",
    )
}


def _errors(schema: dict[str, Any], instance: object) -> list[Any]:
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    return list(validator.iter_errors(instance))


def _with(sample: dict[str, Any], **changes: Any) -> dict[str, Any]:
    out = copy.deepcopy(sample)
    for name, value in changes.items():
        out[name] = value
    return out


def _without(sample: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: v for k, v in copy.deepcopy(sample).items() if k not in names}


@pytest.mark.parametrize("schema", [BASIC_SCHEMA, PREMIUM_SCHEMA], ids=["basic", "premium"])
def test_schema_is_valid_2020_12(schema: dict[str, Any]) -> None:
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["additionalProperties"] is False


def test_schema_ids() -> None:
    assert BASIC_SCHEMA["$id"] == "urn:furusato-vc:schema:registration-basic:1"
    assert PREMIUM_SCHEMA["$id"] == "urn:furusato-vc:schema:registration-premium:1"


@pytest.mark.parametrize(
    "name", ["registration-basic-1.schema.json", "registration-premium-1.schema.json"]
)
def test_schema_files_are_pretty_printed_utf8(name: str) -> None:
    text = (SCHEMAS / name).read_text(encoding="utf-8")
    assert text == json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n"


def test_schemas_describe_the_same_claims() -> None:
    """The two files are standalone; only tier, vct and what is required may differ."""
    basic = BASIC_SCHEMA["properties"]
    premium = PREMIUM_SCHEMA["properties"]
    assert basic.keys() == premium.keys()
    for name in basic.keys() - {"tier", "vct"}:
        assert basic[name] == premium[name], name
    assert set(PREMIUM_SCHEMA["required"]) - set(BASIC_SCHEMA["required"]) == {
        "valid_until",
        "identity_assurance",
    }


def test_full_basic_sample_is_valid() -> None:
    assert _errors(BASIC_SCHEMA, BASIC_SAMPLE) == []


def test_minimal_basic_sample_is_valid() -> None:
    assert _errors(BASIC_SCHEMA, MINIMAL_BASIC) == []


def test_full_premium_sample_is_valid() -> None:
    assert _errors(PREMIUM_SCHEMA, PREMIUM_SAMPLE) == []


@pytest.mark.parametrize("name", ["my_number", "individual_number", "address", "sub"])
@pytest.mark.parametrize("schema", [BASIC_SCHEMA, PREMIUM_SCHEMA], ids=["basic", "premium"])
def test_unknown_member_is_rejected(schema: dict[str, Any], name: str) -> None:
    sample = BASIC_SAMPLE if schema is BASIC_SCHEMA else PREMIUM_SAMPLE
    assert _errors(schema, _with(sample, **{name: "123456789012"}))


@pytest.mark.parametrize("code", ["01100", "0110023", "01100a", "０１１００２", "011002\n", 11002])
def test_bad_body_code_is_rejected(code: object) -> None:
    assert _errors(BASIC_SCHEMA, _with(BASIC_SAMPLE, issuing_body=code))


@pytest.mark.parametrize("missing", ["identity_assurance", "valid_until"])
def test_premium_requires_identity_assurance_and_end_date(missing: str) -> None:
    assert _errors(PREMIUM_SCHEMA, _without(PREMIUM_SAMPLE, missing))


@pytest.mark.parametrize(
    ("schema", "sample", "tier"),
    [
        (PREMIUM_SCHEMA, PREMIUM_SAMPLE, "basic"),
        (BASIC_SCHEMA, BASIC_SAMPLE, "premium"),
        (BASIC_SCHEMA, BASIC_SAMPLE, "gold"),
    ],
    ids=["premium-says-basic", "basic-says-premium", "unknown"],
)
def test_tier_mismatch_is_rejected(
    schema: dict[str, Any], sample: dict[str, Any], tier: str
) -> None:
    assert _errors(schema, _with(sample, tier=tier))


def test_vct_mismatch_is_rejected() -> None:
    assert _errors(BASIC_SCHEMA, _with(BASIC_SAMPLE, vct=PREMIUM_VCT))


@pytest.mark.parametrize(
    "types",
    [["visits", "hometown_tax"], ["visits", "visits"], [], "visits"],
    ids=["outside-enum", "repeated", "empty", "not-array"],
)
def test_bad_relationship_types_are_rejected(types: object) -> None:
    assert _errors(BASIC_SCHEMA, _with(BASIC_SAMPLE, relationship_types=types))


@pytest.mark.parametrize(
    ("claim", "value"),
    [
        ("valid_from", "2027/01/15"),
        ("valid_from", "2027-02-30"),  # format: date
        ("birthdate", "２０２７-０１-１５"),  # full-width digits
        ("home_prefecture", "48"),
        ("home_prefecture", "00"),
        ("home_prefecture", "東京都"),
        ("family_name#ja-Kana-JP", "やまだ"),
        ("registration_id", "short"),
        ("age_equal_or_over", {"18": True, "21": True}),
        ("age_equal_or_over", {"18": "yes"}),
        ("stay", {"from": "2027-02-01"}),
        ("stay", {"from": "2027-02-01", "until": "2027-03-31", "address": "x"}),
        ("cnf", {"jwk": {"kty": "EC", "d": "private"}}),
        ("cnf", {"jku": "https://example.com/keys"}),
        ("status", {"status_list": {"idx": -1, "uri": "https://example.com/s"}}),
        ("iat", "1800000000"),
        ("vct#integrity", "md5-AAAA"),
    ],
)
def test_malformed_claim_is_rejected(claim: str, value: object) -> None:
    assert _errors(BASIC_SCHEMA, _with(BASIC_SAMPLE, **{claim: value}))


@pytest.mark.parametrize(
    "identity",
    [
        {"method": "passport", "verified_on": "2027-01-10"},
        {"method": "my_number_card"},
        {"method": "my_number_card", "verified_on": "2027-01-10", "my_number": "123456789012"},
    ],
    ids=["unknown-method", "no-date", "card-data"],
)
def test_bad_identity_assurance_is_rejected(identity: dict[str, Any]) -> None:
    assert _errors(PREMIUM_SCHEMA, _with(PREMIUM_SAMPLE, identity_assurance=identity))
