"""Token Endpoint of the Pre-Authorized Code Flow (OpenID4VCI 1.0 §6; RFC 6749 §5)."""

from __future__ import annotations

import pytest

from furusato_vc.core.errors import ErrorCode, FormatError, VerificationError
from furusato_vc.core.oid4vci import (
    PRE_AUTHORIZED_CODE_GRANT,
    TokenRequest,
    TokenResponse,
    TxCode,
    check_tx_code,
    create_pre_authorized_code,
    create_tx_code,
    parse_token_request,
    parse_token_request_body,
    parse_token_response,
)
from furusato_vc.core.oid4vci.token import MAX_FORM_BYTES
from tests.core.oid4vci.builders import seeded

FORM = {"grant_type": PRE_AUTHORIZED_CODE_GRANT, "pre-authorized_code": "SplxlOBeZQQYbYS6WxSbIA"}


def _malformed(form: object) -> None:
    with pytest.raises(FormatError) as caught:
        parse_token_request(form)  # type: ignore[arg-type]
    assert caught.value.code is ErrorCode.MALFORMED_REQUEST


# ------------------------------------------------------------------------------ request


def test_token_request_parses() -> None:
    assert parse_token_request(FORM) == TokenRequest(pre_authorized_code="SplxlOBeZQQYbYS6WxSbIA")


def test_tx_code_is_read() -> None:
    request = parse_token_request({**FORM, "tx_code": "493536"})
    assert request.tx_code == "493536"


def test_client_id_and_unknown_parameters_are_ignored() -> None:
    assert parse_token_request({**FORM, "client_id": "wallet", "x": "y"}).tx_code is None


def test_empty_tx_code_counts_as_absent() -> None:  # RFC 6749 §3.1
    assert parse_token_request({**FORM, "tx_code": ""}).tx_code is None


def test_missing_grant_type_is_malformed() -> None:
    _malformed({"pre-authorized_code": "c"})


def test_empty_grant_type_is_malformed() -> None:
    _malformed({**FORM, "grant_type": ""})


@pytest.mark.parametrize(
    "grant_type",
    ["authorization_code", "client_credentials", PRE_AUTHORIZED_CODE_GRANT.upper()],
)
def test_other_grant_types_are_unsupported(grant_type: str) -> None:
    with pytest.raises(VerificationError) as caught:
        parse_token_request({**FORM, "grant_type": grant_type})
    assert caught.value.code is ErrorCode.GRANT_TYPE_UNSUPPORTED


def test_missing_pre_authorized_code_is_malformed() -> None:
    _malformed({"grant_type": PRE_AUTHORIZED_CODE_GRANT})


def test_over_long_pre_authorized_code_is_malformed() -> None:
    _malformed({**FORM, "pre-authorized_code": "c" * 1025})


def test_pre_authorized_code_with_control_characters_is_malformed() -> None:
    _malformed({**FORM, "pre-authorized_code": "c\nd"})


def test_over_long_tx_code_is_malformed() -> None:
    _malformed({**FORM, "tx_code": "1" * 65})


def test_repeated_parameter_is_malformed() -> None:
    _malformed([*FORM.items(), ("pre-authorized_code", "other")])


def test_non_string_values_are_malformed() -> None:
    _malformed({**FORM, "tx_code": ["1", "2"]})


def test_authorization_details_are_refused() -> None:
    _malformed({**FORM, "authorization_details": "[]"})


def test_form_body_round_trips() -> None:
    request = TokenRequest(pre_authorized_code="a b+c/d", tx_code="493536")
    assert parse_token_request_body(request.to_form().encode("ascii")) == request


def test_form_body_is_percent_encoded() -> None:
    body = TokenRequest(pre_authorized_code="a b", tx_code="1").to_form()
    assert body == (
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Apre-authorized_code"
        "&pre-authorized_code=a%20b&tx_code=1"
    )


def test_form_body_over_8_kib_is_malformed() -> None:
    with pytest.raises(FormatError) as caught:
        parse_token_request_body(b"x" * (MAX_FORM_BYTES + 1))
    assert caught.value.code is ErrorCode.MALFORMED_REQUEST


@pytest.mark.parametrize("body", [b"grant_type=%ZZ", "grant_type=é".encode(), b"a=%C3%28"])
def test_form_body_with_bad_encoding_is_malformed(body: bytes) -> None:
    with pytest.raises(FormatError) as caught:
        parse_token_request_body(body)
    assert caught.value.code is ErrorCode.MALFORMED_REQUEST


def test_repeated_parameter_in_body_is_malformed() -> None:
    body = TokenRequest(pre_authorized_code="a").to_form() + "&pre-authorized_code=b"
    with pytest.raises(FormatError):
        parse_token_request_body(body.encode())


# ------------------------------------------------------------------------------ tx_code


def test_matching_tx_code_passes() -> None:
    check_tx_code("493536", expected="493536")


def test_no_tx_code_expected_and_none_sent_passes() -> None:
    check_tx_code(None, expected=None)


def test_missing_tx_code_is_reported() -> None:
    with pytest.raises(VerificationError) as caught:
        check_tx_code(None, expected="493536")
    assert caught.value.code is ErrorCode.TX_CODE_MISSING


def test_wrong_tx_code_is_reported() -> None:
    with pytest.raises(VerificationError) as caught:
        check_tx_code("493537", expected="493536")
    assert caught.value.code is ErrorCode.TX_CODE_INVALID


def test_unexpected_tx_code_is_malformed() -> None:  # §6.3 invalid_request
    with pytest.raises(FormatError) as caught:
        check_tx_code("493536", expected=None)
    assert caught.value.code is ErrorCode.MALFORMED_REQUEST


def test_numeric_tx_code_has_the_requested_length_and_digits() -> None:
    code = create_tx_code(TxCode(length=8), random=seeded())
    assert len(code) == 8
    assert code.isdigit()


def test_text_tx_code_defaults_to_six_characters() -> None:
    code = create_tx_code(TxCode(input_mode="text"), random=seeded())
    assert len(code) == 6
    assert code.isalnum()
    assert code.isupper() or code.isdigit()


def test_tx_code_digits_are_roughly_uniform() -> None:
    digits = "".join(create_tx_code(TxCode(length=64), random=seeded(str(i))) for i in range(50))
    counts = [digits.count(d) for d in "0123456789"]
    assert min(counts) > 250  # 3200 digits, 320 expected for each


def test_pre_authorized_code_has_256_bits() -> None:
    code = create_pre_authorized_code(random=seeded())
    assert len(code) == 43
    assert code != create_pre_authorized_code(random=seeded("other"))


# ------------------------------------------------------------------------------ response


def test_token_response_json() -> None:
    response = TokenResponse(access_token="tok", expires_in=300)
    assert response.to_json() == {"access_token": "tok", "token_type": "Bearer", "expires_in": 300}


def test_token_response_round_trips() -> None:
    response = TokenResponse(access_token="tok", expires_in=300)
    assert parse_token_response(response.to_json()) == response


def test_token_type_is_case_insensitive() -> None:  # RFC 6749 §7.1
    parsed = parse_token_response({"access_token": "t", "token_type": "bearer"})
    assert parsed == TokenResponse(access_token="t", expires_in=None)


@pytest.mark.parametrize(
    "value",
    [
        [],
        {"token_type": "Bearer"},
        {"access_token": "", "token_type": "Bearer"},
        {"access_token": "t"},
        {"access_token": "t", "token_type": "DPoP"},
        {"access_token": "t", "token_type": "Bearer", "expires_in": 0},
        {"access_token": "t", "token_type": "Bearer", "expires_in": True},
        {"access_token": "t", "token_type": "Bearer", "expires_in": "300"},
    ],
)
def test_malformed_token_responses_are_rejected(value: object) -> None:
    with pytest.raises(FormatError) as caught:
        parse_token_response(value)
    assert caught.value.code is ErrorCode.MALFORMED_REQUEST
