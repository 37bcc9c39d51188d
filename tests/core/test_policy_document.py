"""Verifier policy documents (:mod:`furusato_vc.core.policy_document`).

The built-in documents must say exactly what :mod:`furusato_vc.core.profiles` says; the parser
and ``schemas/verifier-policy/verifier-policy-1.schema.json`` must agree on every document the
schema can judge (a property over generated documents), and the parser adds the checks a schema
cannot make (check digits, prefecture codes). Every refusal is a ``FormatError`` with a code.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from furusato_vc.core.errors import ErrorCode, FormatError
from furusato_vc.core.policy import (
    DEFAULT_HOLDER_BINDING_WINDOW,
    BodyScope,
    VerificationPolicyBuilder,
)
from furusato_vc.core.policy_document import (
    BUILTIN_POLICY_IDS,
    MAX_POLICY_DOCUMENT_BYTES,
    POLICY_SCHEMA_ID,
    builtin_policy_document,
    disclosable_claim_paths,
    parse_policy_document,
)
from furusato_vc.core.profiles import BUILTIN_PROFILES, builtin_profile
from furusato_vc.core.registration.claims import Claim, Tier

jsonschema: Any = pytest.importorskip("jsonschema")

REPO = Path(__file__).resolve().parents[2]
SCHEMA_DIR = REPO / "schemas" / "verifier-policy"
SCHEMA = json.loads((SCHEMA_DIR / "verifier-policy-1.schema.json").read_text("utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)

KESENNUMA = "042056"
MINAMIMINOWA = "203858"
MIYAGI = "040002"


def _full() -> dict[str, Any]:
    """A municipality's own document with every member."""
    return {
        "$schema": POLICY_SCHEMA_ID,
        "id": "kesennuma-shop",
        "name": {"ja": "気仙沼市 協力店", "en": "Kesennuma partner shop"},
        "accept": {"bodies": [KESENNUMA]},
        "required_tier": "basic",
        "required_disclosures": [["member_number"]],
        "max_status_staleness": 86_400,
        "holder_binding_window": 30,
        "benefit": {"ja": "会計から10%引き", "en": "10% off"},
        "challenge": False,
    }


def _parse(document: object) -> Any:
    return parse_policy_document(json.dumps(document, ensure_ascii=False).encode("utf-8"))


def _code_of(document: object) -> ErrorCode:
    with pytest.raises(FormatError) as caught:
        _parse(document)
    return caught.value.code


def _schema_accepts(document: object) -> bool:
    return bool(VALIDATOR.is_valid(document))


# --------------------------------------------------------------------------- built-ins


def test_builtin_ids_are_the_builtin_profiles() -> None:
    assert set(BUILTIN_POLICY_IDS) == set(BUILTIN_PROFILES)


@pytest.mark.parametrize("policy_id", BUILTIN_POLICY_IDS)
def test_builtin_document_says_what_the_profile_says(policy_id: str) -> None:
    assert builtin_policy_document(policy_id).to_profile() == builtin_profile(policy_id)


@pytest.mark.parametrize("policy_id", BUILTIN_POLICY_IDS)
def test_builtin_document_file_is_valid_under_the_schema(policy_id: str) -> None:
    document = json.loads((SCHEMA_DIR / "builtin" / f"{policy_id}.json").read_text("utf-8"))
    VALIDATOR.validate(document)
    assert document["id"] == policy_id


@pytest.mark.parametrize("policy_id", BUILTIN_POLICY_IDS)
def test_builtin_documents_leave_the_bodies_to_the_device(policy_id: str) -> None:
    document = builtin_policy_document(policy_id)
    assert document.accept is None
    assert document.challenge is False
    assert document.holder_binding_window is None


def test_builtin_garbage_station_allows_week_old_status_and_asks_nothing() -> None:
    document = builtin_policy_document("garbage-station")
    assert document.required_disclosures == ()
    assert document.max_status_staleness == timedelta(days=7)
    assert document.required_tier is None


def test_builtin_shop_asks_the_member_number_and_shows_the_benefit() -> None:
    document = builtin_policy_document("shop")
    assert document.required_disclosures == ((Claim.MEMBER_NUMBER,),)
    assert (document.benefit_ja, document.benefit_en) == ("登録者特典", "Registrant benefit")


@pytest.mark.parametrize("policy_id", ["nursery", "school"])
def test_builtin_nursery_and_school_ask_names_birthdate_and_stay(policy_id: str) -> None:
    document = builtin_policy_document(policy_id)
    assert document.required_tier is Tier.PREMIUM
    assert {path[0] for path in document.required_disclosures} == {
        Claim.FAMILY_NAME,
        Claim.GIVEN_NAME,
        Claim.FAMILY_NAME_KANA,
        Claim.GIVEN_NAME_KANA,
        Claim.BIRTHDATE,
        Claim.STAY,
    }


def test_builtin_public_facility_is_premium_at_resident_rates() -> None:
    document = builtin_policy_document("public-facility")
    assert document.required_tier is Tier.PREMIUM
    assert document.required_disclosures == ()
    assert document.benefit_en == "Resident rates apply"


def test_unknown_builtin_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        builtin_policy_document("library")


# --------------------------------------------------------------------------- the schema


def test_schema_is_a_valid_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$id"] == POLICY_SCHEMA_ID


def test_schema_lists_exactly_the_disclosable_claims_of_the_type_metadata() -> None:
    listed = {tuple(path) for path in SCHEMA["properties"]["required_disclosures"]["items"]["enum"]}
    assert listed == disclosable_claim_paths()


def test_disclosable_claims_exclude_plaintext_registered_claims() -> None:
    paths = disclosable_claim_paths()
    for plaintext in ("iss", "vct", "status", "issuing_body", "tier", "valid_from"):
        assert (plaintext,) not in paths
    assert (Claim.MEMBER_NUMBER,) in paths


# --------------------------------------------------------------------------- accepted


def test_full_document_parses_every_member() -> None:
    document = _parse(_full())
    assert document.id == "kesennuma-shop"
    assert (document.name_ja, document.name_en) == ("気仙沼市 協力店", "Kesennuma partner shop")
    assert document.accept == BodyScope(bodies=frozenset({KESENNUMA}))
    assert document.required_tier is Tier.BASIC
    assert document.required_disclosures == (("member_number",),)
    assert document.max_status_staleness == timedelta(days=1)
    assert document.holder_binding_window == timedelta(seconds=30)
    assert (document.benefit_ja, document.benefit_en) == ("会計から10%引き", "10% off")
    assert document.challenge is False
    assert document.audience == "kesennuma-shop"
    assert _schema_accepts(_full())


def test_minimal_document_has_the_defaults() -> None:
    document = _parse({"id": "gate", "name": {"ja": "門", "en": "Gate"}})
    assert document.accept is None
    assert document.required_tier is None
    assert document.required_disclosures == ()
    assert document.max_status_staleness is None
    assert document.holder_binding_window is None
    assert document.benefit_ja is None
    assert document.challenge is False


def test_any_body_and_prefecture_scopes() -> None:
    assert _parse({**_full(), "accept": "any"}).accept == BodyScope(any_body=True)
    scope = _parse({**_full(), "accept": {"prefecture": MIYAGI}}).accept
    assert scope == BodyScope(prefectures=frozenset({MIYAGI}))


@pytest.mark.parametrize(("value", "seconds"), [(60, 60), (2_592_000, 2_592_000)])
def test_staleness_bounds_are_inclusive(value: int, seconds: int) -> None:
    document = _parse({**_full(), "max_status_staleness": value})
    assert document.max_status_staleness == timedelta(seconds=seconds)


def test_integral_number_written_with_a_fraction_is_whole_seconds() -> None:
    # JSON Schema counts 604800.0 as an integer; so does the parser
    document = {**_full(), "max_status_staleness": 604800.0}
    assert _schema_accepts(document)
    assert _parse(document).max_status_staleness == timedelta(days=7)


@pytest.mark.parametrize("value", [1, 600])
def test_window_bounds_are_inclusive(value: int) -> None:
    assert _parse({**_full(), "holder_binding_window": value}).holder_binding_window == timedelta(
        seconds=value
    )


def test_document_of_exactly_the_size_limit_is_read() -> None:
    document = _full()
    text = json.dumps(document).encode()
    padded = text[:-1] + b" " * (MAX_POLICY_DOCUMENT_BYTES - len(text)) + b"}"
    assert len(padded) == MAX_POLICY_DOCUMENT_BYTES
    assert parse_policy_document(padded).id == "kesennuma-shop"


# --------------------------------------------------------------------------- the builder


def test_builder_carries_everything_the_document_fixes() -> None:
    policy = _parse(_full()).builder().build()
    assert policy.profile_id == "kesennuma-shop"
    assert policy.audience == "kesennuma-shop"
    assert policy.body_scope == BodyScope(bodies=frozenset({KESENNUMA}))
    assert policy.required_tier is Tier.BASIC
    assert policy.required_disclosures == (("member_number",),)
    assert policy.max_status_staleness == timedelta(days=1)
    assert policy.holder_binding_window == timedelta(seconds=30)
    assert policy.nonce is None


def test_builder_of_a_builtin_equals_the_profile_builder() -> None:
    for policy_id in BUILTIN_POLICY_IDS:
        expected = (
            VerificationPolicyBuilder.from_profile(builtin_profile(policy_id))
            .accept_any_body()
            .build()
        )
        actual = builtin_policy_document(policy_id).builder().accept_any_body().build()
        assert actual == expected


def test_document_accept_wins_over_the_default() -> None:
    default = BodyScope(bodies=frozenset({MINAMIMINOWA}))
    policy = _parse(_full()).builder(accept_default=default).build()
    assert policy.body_scope == BodyScope(bodies=frozenset({KESENNUMA}))


def test_default_applies_when_the_document_has_no_accept() -> None:
    document = builtin_policy_document("shop")
    for scope in (
        BodyScope(any_body=True),
        BodyScope(bodies=frozenset({KESENNUMA})),
        BodyScope(prefectures=frozenset({MIYAGI})),
    ):
        assert document.builder(accept_default=scope).build().body_scope == scope


def test_without_accept_or_default_the_policy_is_incomplete() -> None:
    with pytest.raises(ValueError, match="accepted bodies"):
        builtin_policy_document("shop").builder().build()


def test_challenge_document_needs_a_nonce() -> None:
    document = _parse({**_full(), "challenge": True})
    with pytest.raises(ValueError, match="nonce"):
        document.builder()
    assert document.builder(nonce="n-1").build().nonce == "n-1"


def test_default_window_applies_when_the_document_has_none() -> None:
    policy = builtin_policy_document("shop").builder().accept_any_body().build()
    assert policy.holder_binding_window == DEFAULT_HOLDER_BINDING_WINDOW


# --------------------------------------------------------------------------- refused


def _with(**changes: object) -> dict[str, Any]:
    document = _full()
    for key, value in changes.items():
        if value is _DROP:
            document.pop(key)
        else:
            document[key] = value
    return document


_DROP = object()

# (document, code, the schema refuses it too)
REFUSED: dict[str, tuple[object, ErrorCode, bool]] = {
    "unknown member": ({**_full(), "audience": "x"}, ErrorCode.MALFORMED_REQUEST, True),
    "no id": (_with(id=_DROP), ErrorCode.MALFORMED_REQUEST, True),
    "upper-case id": (_with(id="Shop"), ErrorCode.MALFORMED_REQUEST, True),
    "id with space": (_with(id="my shop"), ErrorCode.MALFORMED_REQUEST, True),
    "id with a final newline": (_with(id="shop\n"), ErrorCode.MALFORMED_REQUEST, True),
    "body code with a final newline": (
        _with(accept={"bodies": ["042056\n"]}),
        ErrorCode.INVALID_BODY_CODE,
        True,
    ),
    "id over 40": (_with(id="a" * 41), ErrorCode.MALFORMED_REQUEST, True),
    "id not a string": (_with(id=7), ErrorCode.MALFORMED_REQUEST, True),
    "no name": (_with(name=_DROP), ErrorCode.MALFORMED_REQUEST, True),
    "name without en": (_with(name={"ja": "店"}), ErrorCode.MALFORMED_REQUEST, True),
    "name with a third locale": (
        _with(name={"ja": "店", "en": "Shop", "ko": "가게"}),
        ErrorCode.MALFORMED_REQUEST,
        True,
    ),
    "empty name": (_with(name={"ja": "", "en": "Shop"}), ErrorCode.MALFORMED_REQUEST, True),
    "name over 200": (_with(name={"ja": "店" * 201, "en": "x"}), ErrorCode.MALFORMED_REQUEST, True),
    "name with a newline": (
        _with(name={"ja": "店\n", "en": "Shop"}),
        ErrorCode.MALFORMED_REQUEST,
        True,
    ),
    "accept all": (_with(accept="all"), ErrorCode.MALFORMED_REQUEST, True),
    "no bodies": (_with(accept={"bodies": []}), ErrorCode.MALFORMED_REQUEST, True),
    "body twice": (
        _with(accept={"bodies": [KESENNUMA, KESENNUMA]}),
        ErrorCode.MALFORMED_REQUEST,
        True,
    ),
    "bodies not a list": (_with(accept={"bodies": KESENNUMA}), ErrorCode.MALFORMED_REQUEST, True),
    "bodies and prefecture": (
        _with(accept={"bodies": [KESENNUMA], "prefecture": MIYAGI}),
        ErrorCode.MALFORMED_REQUEST,
        True,
    ),
    "five-digit body": (_with(accept={"bodies": ["04205"]}), ErrorCode.INVALID_BODY_CODE, True),
    "body code with a wrong check digit": (
        _with(accept={"bodies": ["042057"]}),
        ErrorCode.INVALID_BODY_CODE,
        False,
    ),
    "a city as the prefecture": (
        _with(accept={"prefecture": KESENNUMA}),
        ErrorCode.MALFORMED_REQUEST,
        False,
    ),
    "unknown tier": (_with(required_tier="gold"), ErrorCode.MALFORMED_REQUEST, True),
    "null tier": (_with(required_tier=None), ErrorCode.MALFORMED_REQUEST, True),
    "list tier": (_with(required_tier=["basic"]), ErrorCode.MALFORMED_REQUEST, True),
    "misspelt claim": (
        _with(required_disclosures=[["member_numbr"]]),
        ErrorCode.MALFORMED_REQUEST,
        True,
    ),
    "plaintext claim": (_with(required_disclosures=[["iss"]]), ErrorCode.MALFORMED_REQUEST, True),
    "claim twice": (
        _with(required_disclosures=[["member_number"], ["member_number"]]),
        ErrorCode.MALFORMED_REQUEST,
        True,
    ),
    "claim as a string": (
        _with(required_disclosures=["member_number"]),
        ErrorCode.MALFORMED_REQUEST,
        True,
    ),
    "empty path": (_with(required_disclosures=[[]]), ErrorCode.MALFORMED_REQUEST, True),
    "index path": (
        _with(required_disclosures=[["relationship_types", 0]]),
        ErrorCode.MALFORMED_REQUEST,
        True,
    ),
    "disclosures not a list": (
        _with(required_disclosures={"member_number": True}),
        ErrorCode.MALFORMED_REQUEST,
        True,
    ),
    "staleness under a minute": (_with(max_status_staleness=59), ErrorCode.MALFORMED_REQUEST, True),
    "staleness over 30 days": (
        _with(max_status_staleness=2_592_001),
        ErrorCode.MALFORMED_REQUEST,
        True,
    ),
    "staleness as text": (_with(max_status_staleness="P7D"), ErrorCode.MALFORMED_REQUEST, True),
    "staleness as a boolean": (_with(max_status_staleness=True), ErrorCode.MALFORMED_REQUEST, True),
    "staleness as a fraction": (
        _with(max_status_staleness=90.5),
        ErrorCode.MALFORMED_REQUEST,
        True,
    ),
    "zero window": (_with(holder_binding_window=0), ErrorCode.MALFORMED_REQUEST, True),
    "window over ten minutes": (
        _with(holder_binding_window=601),
        ErrorCode.MALFORMED_REQUEST,
        True,
    ),
    "benefit without en": (_with(benefit={"ja": "特典"}), ErrorCode.MALFORMED_REQUEST, True),
    "benefit as text": (_with(benefit="10% off"), ErrorCode.MALFORMED_REQUEST, True),
    "challenge as text": (_with(challenge="yes"), ErrorCode.MALFORMED_REQUEST, True),
    "schema not a string": (_with(**{"$schema": 1}), ErrorCode.MALFORMED_REQUEST, True),
    "not an object": ([_full()], ErrorCode.MALFORMED_JSON, True),
}


@pytest.mark.parametrize(("document", "code", "schema_refuses"), REFUSED.values(), ids=REFUSED)
def test_refused_document(document: object, code: ErrorCode, schema_refuses: bool) -> None:
    assert _code_of(document) is code
    assert _schema_accepts(document) is not schema_refuses


def test_duplicate_member_is_json_duplicate_key() -> None:
    data = b'{"id": "shop", "id": "gate", "name": {"ja": "x", "en": "x"}}'
    with pytest.raises(FormatError) as caught:
        parse_policy_document(data)
    assert caught.value.code is ErrorCode.JSON_DUPLICATE_KEY


def test_not_json_is_malformed_json() -> None:
    with pytest.raises(FormatError) as caught:
        parse_policy_document(b"id: shop\n")
    assert caught.value.code is ErrorCode.MALFORMED_JSON


def test_document_over_the_size_limit_is_input_too_large() -> None:
    data = json.dumps(_full()).encode()
    data = data[:-1] + b" " * (MAX_POLICY_DOCUMENT_BYTES + 1 - len(data)) + b"}"
    with pytest.raises(FormatError) as caught:
        parse_policy_document(data)
    assert caught.value.code is ErrorCode.INPUT_TOO_LARGE


def test_deep_document_is_json_too_deep() -> None:
    deep: object = "x"
    for _ in range(10):
        deep = [deep]
    with pytest.raises(FormatError) as caught:
        _parse({**_full(), "required_disclosures": deep})
    assert caught.value.code is ErrorCode.JSON_TOO_DEEP


# --------------------------------------------------------------------------- parser = schema

_TEXT = st.one_of(
    st.fixed_dictionaries({"ja": st.text(max_size=5), "en": st.text(max_size=5)}),
    st.just({"ja": "店"}),
    st.just("店"),
)
_MEMBERS: dict[str, st.SearchStrategy[object]] = {
    "id": st.one_of(
        st.sampled_from(["shop", "a", "x:1.b-c", "", "A", "a b", "a" * 41, "a\n", "-a"]),
        st.none(),
    ),
    "name": _TEXT,
    "accept": st.one_of(
        st.sampled_from(["any", "all"]),
        st.just({"bodies": [KESENNUMA, MINAMIMINOWA]}),
        st.just({"bodies": []}),
        st.just({"prefecture": MIYAGI}),
        st.just({"prefecture": MIYAGI, "bodies": [KESENNUMA]}),
    ),
    "required_tier": st.sampled_from(["basic", "premium", "gold", None, 1]),
    "required_disclosures": st.lists(
        st.one_of(
            st.sampled_from(sorted(list(p) for p in disclosable_claim_paths())),
            st.sampled_from([["iss"], [], ["stay", "from"], "birthdate"]),
        ),
        max_size=4,
    ),
    "max_status_staleness": st.one_of(
        st.integers(min_value=-5, max_value=3_000_000),
        st.booleans(),
        st.sampled_from([100.5, 86_400.0, 1e300]),
    ),
    "holder_binding_window": st.one_of(st.integers(min_value=-2, max_value=700), st.booleans()),
    "benefit": _TEXT,
    "challenge": st.one_of(st.booleans(), st.just("true"), st.none()),
    "extra": st.integers(),
}


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(st.sampled_from(sorted(_MEMBERS)), st.none(), max_size=len(_MEMBERS)).flatmap(
        lambda keys: st.fixed_dictionaries({key: _MEMBERS[key] for key in keys})
    )
)
def test_parser_accepts_exactly_what_the_schema_accepts(document: dict[str, object]) -> None:
    try:
        _parse(document)
    except FormatError:
        parsed = False
    else:
        parsed = True
    assert parsed is _schema_accepts(document), document
