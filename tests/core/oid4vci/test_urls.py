"""Percent-encoding and URL checks used by offers, token requests and metadata."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from furusato_vc.core.errors import ErrorCode, FormatError
from furusato_vc.core.oid4vci._urls import (
    check_url,
    encode_form,
    parse_query,
    percent_decode,
    percent_encode,
)

_TEXT = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=64)


@settings(max_examples=200, deadline=None)
@given(text=_TEXT)
def test_percent_encoding_round_trips(text: str) -> None:
    encoded = percent_encode(text)
    assert encoded.isascii()
    assert percent_decode(encoded, what="t", plus_is_space=True) == text


@settings(max_examples=100, deadline=None)
@given(pairs=st.lists(st.tuples(_TEXT.filter(bool), _TEXT), max_size=8))
def test_forms_round_trip(pairs: list[tuple[str, str]]) -> None:
    assert parse_query(encode_form(pairs), what="t") == tuple(pairs)


def test_unreserved_characters_are_not_encoded() -> None:
    assert percent_encode("AZaz09-._~") == "AZaz09-._~"
    assert percent_encode(" /+あ") == "%20%2F%2B%E3%81%82"


@pytest.mark.parametrize("text", ["%", "%4", "%G0", "a\tb", "é", "%80", "%ED%A0%80"])
def test_bad_percent_encoding_is_rejected(text: str) -> None:
    with pytest.raises(FormatError) as caught:
        percent_decode(text, what="t", plus_is_space=False)
    assert caught.value.code is ErrorCode.MALFORMED_REQUEST


def test_plus_is_kept_outside_forms() -> None:
    assert percent_decode("a+b", what="t", plus_is_space=False) == "a+b"


@pytest.mark.parametrize("value", [None, 1, b"https://a.example", "", "h" * 2049])
def test_non_strings_and_over_long_urls_are_rejected(value: object) -> None:
    with pytest.raises(FormatError):
        check_url(value, what="u", allow_query=True, allow_insecure_localhost=False)


def test_url_parts_are_split_at_the_path() -> None:
    url = check_url(
        "https://h.example:8443/a/b?x=1", what="u", allow_query=True, allow_insecure_localhost=False
    )
    assert (url.origin, url.path, url.query) == ("https://h.example:8443", "/a/b", "x=1")
