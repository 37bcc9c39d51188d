"""Strict Base45 (RFC 9285) in :mod:`furusato_vc.core.base45`.

Catalogue row T-3 (characters outside the alphabet, a group over 65535 such as ``GGW``, a length
of 1 mod 3); standards §6.1. The PyPI ``base45`` package (0.4.4) is an independent oracle when it
is installed.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

import pytest
from hypothesis import given
from hypothesis import strategies as st

from furusato_vc.core.base45 import BASE45_ALPHABET, b45decode, b45encode
from furusato_vc.core.errors import ErrorCode, FormatError

if TYPE_CHECKING:
    from types import ModuleType

# RFC 9285 §4.3 (encoding examples) and §4.4 (decoding example).
RFC_9285_EXAMPLES = [
    (b"AB", "BB8"),
    (b"Hello!!", "%69 VD92EX0"),
    (b"base-45", "UJCLQE7W581"),
    (b"ietf!", "QED8WEX0"),
]
# 600 characters: the size of a typical scan.
LONG_VALID = b45encode(hashlib.shake_256(b"furusato-vc base45").digest(400))

BASE45_CODES = {ErrorCode.MALFORMED_BASE45, ErrorCode.BASE45_NON_CANONICAL}

alphabet_text = st.text(alphabet=BASE45_ALPHABET, max_size=60)


def _code_of(text: str, *, max_chars: int | None = None) -> ErrorCode:
    with pytest.raises(FormatError) as info:
        b45decode(text, max_chars=max_chars)
    return info.value.code


def _decode_or_code(text: str) -> bytes | ErrorCode:
    try:
        return b45decode(text)
    except FormatError as exc:
        return exc.code


def _value(group: str) -> int:
    return sum(BASE45_ALPHABET.index(char) * 45**i for i, char in enumerate(group))


# --- RFC 9285 examples


@pytest.mark.parametrize(("data", "text"), RFC_9285_EXAMPLES)
def test_encode_matches_rfc_9285_example(data: bytes, text: str) -> None:
    assert b45encode(data) == text


@pytest.mark.parametrize(("data", "text"), RFC_9285_EXAMPLES)
def test_decode_matches_rfc_9285_example(data: bytes, text: str) -> None:
    assert b45decode(text) == data


def test_decode_of_rfc_9285_decoding_example_is_ietf() -> None:
    assert b45decode("QED8WEX0") == b"ietf!"


def test_empty_bytes_encode_to_empty_text() -> None:
    assert b45encode(b"") == ""


def test_empty_text_decodes_to_empty_bytes() -> None:
    assert b45decode("") == b""


# --- exhaustive value coverage


@pytest.mark.parametrize("byte", range(256))
def test_every_single_byte_round_trips(byte: int) -> None:
    assert b45decode(b45encode(bytes([byte]))) == bytes([byte])


def test_every_byte_value_in_one_input_round_trips() -> None:
    data = bytes(range(256))
    assert b45decode(b45encode(data)) == data


def test_every_two_byte_value_in_one_input_round_trips() -> None:
    data = b"".join(n.to_bytes(2, "big") for n in range(65536))
    assert b45decode(b45encode(data)) == data


def test_every_two_character_group_decodes_iff_it_is_at_most_255() -> None:
    pairs = [c + d for d in BASE45_ALPHABET for c in BASE45_ALPHABET]
    decoded = {pair for pair in pairs if _value(pair) <= 0xFF}
    for pair in pairs:
        if pair in decoded:
            assert b45decode(pair) == bytes([_value(pair)])
        else:
            assert _code_of(pair) is ErrorCode.BASE45_NON_CANONICAL


def test_largest_three_character_group_decodes_to_ffff() -> None:
    assert b45decode("FGW") == b"\xff\xff"


def test_largest_two_character_group_decodes_to_ff() -> None:
    assert b45decode("U5") == b"\xff"


# --- out-of-range groups (RFC 9285 §6)


@pytest.mark.parametrize("group", ["GGW", "HGW", "0HW", "00X", ":::", "  ", "V5", "::"])
def test_out_of_range_group_is_non_canonical(group: str) -> None:
    assert _code_of(group) is ErrorCode.BASE45_NON_CANONICAL


@pytest.mark.parametrize("position", [0, 300, 597])
def test_out_of_range_group_anywhere_in_a_long_text_is_non_canonical(position: int) -> None:
    text = LONG_VALID[:position] + "GGW" + LONG_VALID[position + 3 :]
    assert _code_of(text) is ErrorCode.BASE45_NON_CANONICAL


def test_out_of_range_final_pair_after_full_groups_is_non_canonical() -> None:
    assert _code_of(LONG_VALID + "::") is ErrorCode.BASE45_NON_CANONICAL


def test_trailing_space_completing_a_group_is_non_canonical() -> None:
    # Space is in the alphabet (value 36), but never the last character of a canonical group.
    assert _code_of("BB8  ") is ErrorCode.BASE45_NON_CANONICAL


# --- malformed text


@pytest.mark.parametrize("text", ["B", "BB8B", LONG_VALID + "0"])
def test_length_of_one_mod_three_is_malformed(text: str) -> None:
    assert _code_of(text) is ErrorCode.MALFORMED_BASE45


@pytest.mark.parametrize("text", [":;", "bb8", "Bb8", "qed8wex0", "BB="])
def test_character_outside_the_alphabet_is_malformed(text: str) -> None:
    assert _code_of(text) is ErrorCode.MALFORMED_BASE45


@pytest.mark.parametrize("text", ["BB\n", "B\tB", "BB8\r\n", "\nBB"])
def test_whitespace_other_than_space_is_malformed(text: str) -> None:
    assert _code_of(text) is ErrorCode.MALFORMED_BASE45


@pytest.mark.parametrize(
    "text",
    [
        "BB\uff18",  # FULLWIDTH DIGIT EIGHT
        "B\u00c9B",
        "BB\ud800",  # lone surrogate
        "BB\U0001f600",
        "BB\x00",
        "BB\x7f",
        "BB\u0138",  # low byte 0x38 is "8": must not be read as one
    ],
)
def test_non_ascii_or_control_character_is_malformed(text: str) -> None:
    assert _code_of(text) is ErrorCode.MALFORMED_BASE45


def test_bad_character_in_a_long_text_is_malformed() -> None:
    assert _code_of(LONG_VALID[:-3] + "BB\n") is ErrorCode.MALFORMED_BASE45


# --- size bound


def test_text_over_max_chars_is_too_large() -> None:
    assert _code_of(LONG_VALID, max_chars=599) is ErrorCode.INPUT_TOO_LARGE


def test_max_chars_is_checked_before_the_characters() -> None:
    assert _code_of("b" * 10, max_chars=9) is ErrorCode.INPUT_TOO_LARGE


def test_text_of_exactly_max_chars_decodes() -> None:
    assert len(b45decode(LONG_VALID, max_chars=600)) == 400


# --- properties


@given(st.binary(max_size=2048))
def test_round_trip_of_arbitrary_bytes(data: bytes) -> None:
    assert b45decode(b45encode(data)) == data


@given(st.binary(max_size=2048))
def test_encoding_uses_only_the_alphabet_and_three_chars_per_two_bytes(data: bytes) -> None:
    text = b45encode(data)
    assert set(text) <= set(BASE45_ALPHABET)
    assert len(text) == len(data) // 2 * 3 + len(data) % 2 * 2


@given(alphabet_text)
def test_every_decodable_text_is_the_canonical_encoding(text: str) -> None:
    result = _decode_or_code(text)
    if isinstance(result, bytes):
        assert b45encode(result) == text


@given(alphabet_text)
def test_alphabet_text_decodes_or_raises_a_format_error(text: str) -> None:
    result = _decode_or_code(text)
    assert isinstance(result, bytes) or result in BASE45_CODES


@given(st.text(max_size=60))
def test_any_text_decodes_or_raises_a_format_error(text: str) -> None:
    result = _decode_or_code(text)
    assert isinstance(result, bytes) or result in BASE45_CODES


# --- an independent implementation (PyPI base45) as oracle


@pytest.fixture(scope="module")
def oracle() -> ModuleType:
    module: ModuleType = pytest.importorskip("base45")
    return module


@given(data=st.binary(max_size=512))
def test_encoding_matches_the_base45_package(oracle: ModuleType, data: bytes) -> None:
    assert b45encode(data).encode("ascii") == oracle.b45encode(data)


@given(text=alphabet_text)
def test_decoding_agrees_with_the_base45_package(oracle: ModuleType, text: str) -> None:
    # Alphabet-only text: the package strips a trailing newline, which we reject.
    try:
        expected: bytes | None = oracle.b45decode(text)
    except ValueError:
        expected = None
    ours = _decode_or_code(text)
    if expected is None:
        assert isinstance(ours, ErrorCode)
    else:
        assert ours == expected
