"""Credential Offer (OpenID4VCI 1.0 §4.1): building, URIs, and the Wallet's strict reading."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from furusato_vc.core.errors import ErrorCode, FormatError
from furusato_vc.core.oid4vci import (
    OFFER_URI_SCHEME,
    PRE_AUTHORIZED_CODE_GRANT,
    CredentialOffer,
    OfferReference,
    TxCode,
    offer_reference,
    offer_to_uri,
    parse_credential_offer,
    parse_credential_offer_json,
    parse_offer_uri,
)
from furusato_vc.core.oid4vci.offer import MAX_OFFER_CHARS
from tests.core.oid4vci.builders import CONFIG_COMPACT, CONFIG_SD_JWT, ISSUER

if TYPE_CHECKING:
    from furusato_vc.core.encoding import JSONObject

OFFER = CredentialOffer(
    credential_issuer=ISSUER,
    credential_configuration_ids=(CONFIG_SD_JWT, CONFIG_COMPACT),
    pre_authorized_code="SplxlOBeZQQYbYS6WxSbIA",
    tx_code=TxCode(length=6, description="窓口でお伝えした6桁の番号を入力してください"),
)


def _offer_json(**changes: object) -> JSONObject:
    value = OFFER.to_json()
    value.update(changes)  # type: ignore[arg-type]
    return value


def _grant(**changes: object) -> JSONObject:
    grant: JSONObject = {"pre-authorized_code": "abc"}
    grant.update(changes)  # type: ignore[arg-type]
    return _offer_json(grants={PRE_AUTHORIZED_CODE_GRANT: grant})


def _rejected(value: object) -> None:
    with pytest.raises(FormatError) as caught:
        parse_credential_offer(value)
    assert caught.value.code is ErrorCode.MALFORMED_REQUEST


def _uri_rejected(text: str) -> None:
    with pytest.raises(FormatError) as caught:
        parse_offer_uri(text)
    assert caught.value.code is ErrorCode.MALFORMED_REQUEST


# ------------------------------------------------------------------------------ building


def test_offer_json_has_the_section_4_1_1_shape() -> None:
    assert OFFER.to_json() == {
        "credential_issuer": ISSUER,
        "credential_configuration_ids": [CONFIG_SD_JWT, CONFIG_COMPACT],
        "grants": {
            PRE_AUTHORIZED_CODE_GRANT: {
                "pre-authorized_code": "SplxlOBeZQQYbYS6WxSbIA",
                "tx_code": {
                    "input_mode": "numeric",
                    "length": 6,
                    "description": "窓口でお伝えした6桁の番号を入力してください",
                },
            }
        },
    }


def test_offer_without_tx_code_has_no_tx_code_member() -> None:
    offer = CredentialOffer(
        credential_issuer=ISSUER, credential_configuration_ids=("a",), pre_authorized_code="c"
    )
    grants = offer.to_json()["grants"]
    assert isinstance(grants, dict)
    grant = grants[PRE_AUTHORIZED_CODE_GRANT]
    assert isinstance(grant, dict)
    assert "tx_code" not in grant


@pytest.mark.parametrize("ids", [(), ("a", "a"), ("",)])
def test_offer_rejects_bad_configuration_ids(ids: tuple[str, ...]) -> None:
    with pytest.raises(ValueError, match="credential_configuration_ids"):
        CredentialOffer(
            credential_issuer=ISSUER, credential_configuration_ids=ids, pre_authorized_code="c"
        )


def test_tx_code_description_is_limited_to_300_characters() -> None:
    TxCode(description="あ" * 300)
    with pytest.raises(ValueError, match="300"):
        TxCode(description="あ" * 301)


# ------------------------------------------------------------------------------ URIs


def test_offer_uri_round_trips() -> None:
    uri = offer_to_uri(OFFER)
    assert uri.startswith(OFFER_URI_SCHEME + "?credential_offer=%7B")
    assert uri.isascii()
    assert parse_offer_uri(uri) == OFFER


def test_offer_uri_carries_compact_json() -> None:
    uri = offer_to_uri(OFFER)
    assert "%20" not in uri  # no whitespace in the JSON


def test_offer_reference_uri_round_trips() -> None:
    reference = offer_reference("https://furusato.example.jp/offers/8f3a?lang=ja")
    uri = offer_to_uri(reference)
    assert uri == (
        "openid-credential-offer://?credential_offer_uri="
        "https%3A%2F%2Ffurusato.example.jp%2Foffers%2F8f3a%3Flang%3Dja"
    )
    assert parse_offer_uri(uri) == reference


def test_offer_reference_must_be_https() -> None:
    with pytest.raises(ValueError, match="https"):
        offer_reference("http://furusato.example.jp/offers/1")


def test_haip_scheme_is_accepted() -> None:
    uri = offer_to_uri(OFFER, scheme="haip-vci://")
    assert parse_offer_uri(uri) == OFFER


def test_uppercase_scheme_is_accepted() -> None:
    uri = offer_to_uri(OFFER)
    assert (
        parse_offer_uri("OPENID-CREDENTIAL-OFFER" + uri[len("openid-credential-offer") :]) == OFFER
    )


def test_plus_decodes_to_space() -> None:
    uri = offer_to_uri(OFFER).replace("%20", "+")
    assert parse_offer_uri(uri) == OFFER


def test_unknown_query_parameters_are_ignored() -> None:
    assert parse_offer_uri(offer_to_uri(OFFER) + "&utm_source=poster") == OFFER


def test_offer_uri_with_both_parameters_is_rejected() -> None:
    _uri_rejected(offer_to_uri(OFFER) + "&credential_offer_uri=https%3A%2F%2Fa.example%2Fo")


def test_offer_uri_with_neither_parameter_is_rejected() -> None:
    _uri_rejected("openid-credential-offer://?foo=bar")


def test_offer_uri_with_a_repeated_parameter_is_rejected() -> None:
    uri = offer_to_uri(OFFER)
    _uri_rejected(uri + "&" + uri.split("?", 1)[1])


def test_offer_reference_over_http_is_rejected() -> None:
    _uri_rejected("openid-credential-offer://?credential_offer_uri=http%3A%2F%2Fa.example%2Fo")


def test_offer_reference_with_userinfo_is_rejected() -> None:
    _uri_rejected(
        "openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fa.example%40evil.example%2F"
    )


@pytest.mark.parametrize(
    "text",
    [
        "https://wallet.example/?credential_offer=%7B%7D",
        "openid-credential-offer://",
        "openid-credential-offer://host/path?credential_offer=%7B%7D",
        "openid-credential-offer://?credential_offer=%7B%7D#frag",
        "openid-credential-offer://?credential_offer=%7",
        "openid-credential-offer://?credential_offer=%FF",
        "openid-credential-offer://?credential_offer=%7B%22é%22%7D",
        "openid-credential-offer://?credential_offer=%5B%5D",
        "openid-credential-offer://?credential_offer=not-json",
    ],
)
def test_malformed_offer_uris_are_rejected(text: str) -> None:
    _uri_rejected(text)


def test_offer_uri_over_8_kib_is_rejected() -> None:
    uri = offer_to_uri(OFFER) + "&pad=" + "x" * MAX_OFFER_CHARS
    _uri_rejected(uri)


def test_offer_too_large_for_a_uri_cannot_be_rendered() -> None:
    offer = CredentialOffer(
        credential_issuer=ISSUER,
        credential_configuration_ids=tuple("あ" * 200 + str(i) for i in range(16)),
        pre_authorized_code="c",
    )
    with pytest.raises(ValueError, match="by reference"):
        offer_to_uri(offer)


_codes = st.text(alphabet=st.characters(exclude_categories=["Cs"]), min_size=1, max_size=64)


@settings(max_examples=100, deadline=None)
@given(
    code=_codes,
    ids=st.lists(_codes, min_size=1, max_size=4, unique=True),
    description=st.none() | st.text(max_size=300),
    length=st.none() | st.integers(min_value=1, max_value=64),
    mode=st.sampled_from(["numeric", "text"]),
)
def test_any_offer_round_trips_through_its_uri(
    code: str, ids: list[str], description: str | None, length: int | None, mode: str
) -> None:
    offer = CredentialOffer(
        credential_issuer=ISSUER,
        credential_configuration_ids=tuple(ids),
        pre_authorized_code=code,
        tx_code=TxCode(
            input_mode="text" if mode == "text" else "numeric",
            length=length,
            description=description,
        ),
    )
    assert parse_offer_uri(offer_to_uri(offer)) == offer


# ------------------------------------------------------------------------------ parsing


def test_offer_parses() -> None:
    assert parse_credential_offer(OFFER.to_json()) == OFFER


def test_empty_tx_code_object_still_requires_a_code() -> None:
    offer = parse_credential_offer(_grant(tx_code={}))
    assert offer.tx_code == TxCode()


def test_unknown_members_and_other_grants_are_ignored() -> None:
    value = _offer_json(extension="x")
    grants = value["grants"]
    assert isinstance(grants, dict)
    grants["authorization_code"] = {"issuer_state": "s"}
    assert parse_credential_offer(value) == OFFER


def test_authorization_server_hint_is_kept() -> None:
    offer = parse_credential_offer(_grant(authorization_server="https://as.example.jp"))
    assert offer.authorization_server == "https://as.example.jp"


def test_parse_offer_json_bytes() -> None:
    data = json.dumps(OFFER.to_json(), ensure_ascii=False).encode()
    assert parse_credential_offer_json(data) == OFFER


def test_loopback_issuer_needs_the_insecure_flag() -> None:
    value = _offer_json(credential_issuer="http://127.0.0.1:8000/bodies/042056")
    _rejected(value)
    offer = parse_credential_offer(value, allow_insecure_localhost=True)
    assert offer.credential_issuer == "http://127.0.0.1:8000/bodies/042056"


@pytest.mark.parametrize(
    "issuer",
    [
        "http://furusato.example.jp",
        "https://furusato.example.jp?x=1",
        "https://furusato.example.jp#f",
        "https://user@furusato.example.jp",
        "https://",
        "furusato.example.jp",
        "https://furusato.example.jp/a b",
        "https://furusato.example.jp:99999",
        "http://localhost",  # loopback without the flag
        "",
        42,
    ],
)
def test_issuer_must_be_an_https_identifier(issuer: object) -> None:
    _rejected(_offer_json(credential_issuer=issuer))


@pytest.mark.parametrize("ids", [None, [], "a", [1], [""], ["a", "a"], [str(i) for i in range(17)]])
def test_configuration_ids_must_be_a_non_empty_array_of_unique_strings(ids: object) -> None:
    _rejected(_offer_json(credential_configuration_ids=ids))


def test_offer_without_grants_is_rejected() -> None:
    value = _offer_json()
    del value["grants"]
    _rejected(value)


def test_offer_without_pre_authorized_grant_is_rejected() -> None:
    _rejected(_offer_json(grants={"authorization_code": {"issuer_state": "s"}}))


@pytest.mark.parametrize("code", [None, "", 7, "x" * 1025])
def test_pre_authorized_code_must_be_a_bounded_string(code: object) -> None:
    grant: JSONObject = {} if code is None else {"pre-authorized_code": code}  # type: ignore[dict-item]
    _rejected(_offer_json(grants={PRE_AUTHORIZED_CODE_GRANT: grant}))


@pytest.mark.parametrize(
    "tx_code",
    [
        [],
        {"input_mode": "alphanumeric"},
        {"length": 0},
        {"length": True},
        {"length": "6"},
        {"length": 65},
        {"description": 5},
        {"description": "x" * 301},
    ],
)
def test_invalid_tx_code_is_rejected(tx_code: object) -> None:
    _rejected(_grant(tx_code=tx_code))


def test_non_https_authorization_server_is_rejected() -> None:
    _rejected(_grant(authorization_server="http://as.example.jp"))


def test_non_object_offer_is_rejected() -> None:
    _rejected([OFFER.to_json()])


def test_offer_reference_type_is_distinct() -> None:
    parsed = parse_offer_uri(offer_to_uri(OfferReference(uri="https://a.example/o")))
    assert isinstance(parsed, OfferReference)


def test_authorization_server_hint_round_trips_through_the_uri() -> None:
    offer = CredentialOffer(
        credential_issuer=ISSUER,
        credential_configuration_ids=("a",),
        pre_authorized_code="c",
        authorization_server="https://as.example.jp",
    )
    assert parse_offer_uri(offer_to_uri(offer)) == offer


def test_unknown_scheme_cannot_be_rendered() -> None:
    with pytest.raises(ValueError, match="scheme"):
        offer_to_uri(OFFER, scheme="https://")


@pytest.mark.parametrize(
    "kwargs",
    [{"input_mode": "alphanumeric"}, {"length": 0}, {"length": 65}, {"length": True}],
)
def test_tx_code_arguments_are_checked(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"input_mode|length"):
        TxCode(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("code", ["", "c" * 1025])
def test_offer_code_length_is_checked(code: str) -> None:
    with pytest.raises(ValueError, match="pre_authorized_code"):
        CredentialOffer(
            credential_issuer=ISSUER, credential_configuration_ids=("a",), pre_authorized_code=code
        )


def test_offer_configuration_count_is_checked() -> None:
    with pytest.raises(ValueError, match="too many"):
        CredentialOffer(
            credential_issuer=ISSUER,
            credential_configuration_ids=tuple(str(i) for i in range(17)),
            pre_authorized_code="c",
        )


def test_offer_uri_with_too_many_parameters_is_rejected() -> None:
    _uri_rejected(offer_to_uri(OFFER) + "&x=1" * 64)
