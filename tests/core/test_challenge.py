"""The challenge QR (``FN1:`` + a Base32 nonce) a kiosk shows and a wallet answers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from furusato_vc.core.challenge import CHALLENGE_PREFIX, encode_challenge_qr, parse_challenge_qr
from furusato_vc.core.errors import ErrorCode, FormatError

NONCE = "ABCDEFGHIJKLMNOP"


@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", min_size=16, max_size=16))
def test_round_trip(nonce: str) -> None:
    text = encode_challenge_qr(nonce)
    assert text.startswith(CHALLENGE_PREFIX)
    assert parse_challenge_qr(text) == nonce
    assert parse_challenge_qr(text + "\n") == nonce  # a scanner's Enter


@pytest.mark.parametrize("text", ["FJ1:" + NONCE, NONCE, "fn1:" + NONCE, ""])
def test_not_a_challenge_qr(text: str) -> None:
    with pytest.raises(FormatError) as caught:
        parse_challenge_qr(text)
    assert caught.value.code is ErrorCode.QR_PREFIX_UNKNOWN


@pytest.mark.parametrize(
    "nonce", [NONCE[:-1], NONCE + "A", NONCE.lower(), "ABCDEFGHIJKLMNO1", "ABCDEFGHIJKLMNO="]
)
def test_malformed_nonce(nonce: str) -> None:
    with pytest.raises(FormatError) as caught:
        parse_challenge_qr(CHALLENGE_PREFIX + nonce)
    assert caught.value.code is ErrorCode.MALFORMED_REQUEST
    with pytest.raises(ValueError, match="Base32"):
        encode_challenge_qr(nonce)
