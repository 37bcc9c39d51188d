"""Nonce Endpoint response (OpenID4VCI 1.0 §7.2)."""

from __future__ import annotations

import pytest

from furusato_vc.core.errors import ErrorCode, FormatError
from furusato_vc.core.oid4vci import NonceResponse, parse_nonce_response


def test_nonce_response_json() -> None:
    assert NonceResponse(c_nonce="n").to_json() == {"c_nonce": "n"}


def test_nonce_response_round_trips() -> None:
    assert parse_nonce_response(NonceResponse(c_nonce="n").to_json()) == NonceResponse(c_nonce="n")


@pytest.mark.parametrize(
    "value", [[], {}, {"c_nonce": ""}, {"c_nonce": 5}, {"c_nonce": "n" * 1025}, "n"]
)
def test_malformed_nonce_responses_are_rejected(value: object) -> None:
    with pytest.raises(FormatError) as caught:
        parse_nonce_response(value)
    assert caught.value.code is ErrorCode.MALFORMED_REQUEST
