"""Strict base64url (RFC 7515 §2, RFC 4648 §5) and strict JSON (RFC 8259 with the I-JSON
restrictions of RFC 7493) in :mod:`furusato_vc.core.encoding`.

Catalogue rows: J-10 (duplicate member names), J-16 (non-canonical base64url), J-18 (number
abuse), P-1 (deep nesting), P-3 (huge numbers and inputs), P-4 (invalid UTF-8, lone surrogates,
BOM), P-5 (duplicates inside nested values). §5.3 lists what CPython's own decoders let through.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from furusato_vc.core.encoding import (
    DEFAULT_JSON_LIMITS,
    JsonLimits,
    b64url_decode,
    b64url_encode,
    dumps_compact,
    parse_json,
    parse_json_object,
)
from furusato_vc.core.errors import ErrorCode, FormatError

if TYPE_CHECKING:
    from furusato_vc.core.encoding import JSONValue

B64URL_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
MAX_SAFE_INT = 2**53 - 1
# Enough room for 100 000 nested brackets, so the depth rule (not the size rule) is what fires.
ROOMY = JsonLimits(max_bytes=10_000_000, max_depth=DEFAULT_JSON_LIMITS.max_depth)


def _code_of_b64(text: str, *, max_chars: int | None = None) -> ErrorCode:
    with pytest.raises(FormatError) as info:
        b64url_decode(text, max_chars=max_chars)
    return info.value.code


def _decode_or_code(text: str) -> bytes | ErrorCode:
    try:
        return b64url_decode(text)
    except FormatError as exc:
        return exc.code


def _code_of_json(data: bytes | str, *, limits: JsonLimits = DEFAULT_JSON_LIMITS) -> ErrorCode:
    with pytest.raises(FormatError) as info:
        parse_json(data, limits=limits)
    return info.value.code


def _depth(value: JSONValue) -> int:
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    return 0


# ---------------------------------------------------------------- base64url


def test_b64url_encode_has_no_padding_and_uses_url_alphabet() -> None:
    assert b64url_encode(b"\xfb\xff\xfe") == "-__-"
    assert b64url_encode(b"}") == "fQ"


def test_b64url_decode_accepts_canonical_text() -> None:
    assert b64url_decode("fQ") == b"}"
    assert b64url_decode("-__-") == b"\xfb\xff\xfe"


def test_b64url_decode_accepts_empty_text() -> None:
    assert b64url_decode("") == b""


@pytest.mark.parametrize("text", ["fQ==", "fQ=", "YWI=", "YWJj===="])
def test_b64url_decode_rejects_padding(text: str) -> None:
    assert _code_of_b64(text) is ErrorCode.MALFORMED_BASE64URL


@pytest.mark.parametrize("text", ["+/+/", "a+bc", "ab/c", "++8"])
def test_b64url_decode_rejects_standard_alphabet_characters(text: str) -> None:
    assert _code_of_b64(text) is ErrorCode.MALFORMED_BASE64URL


@pytest.mark.parametrize("text", ["fQ ", " fQ", "f Q", "fQ\n", "\tfQ", "YW\r\nI"])
def test_b64url_decode_rejects_whitespace(text: str) -> None:
    assert _code_of_b64(text) is ErrorCode.MALFORMED_BASE64URL


# CPython's urlsafe_b64decode silently drops these (catalogue §5.3: 'eyJh!IjoxfQ==').
@pytest.mark.parametrize(
    "text",
    [
        "eyJh!IjoxfQ",
        "eyJh.IjoxfQ",
        "fQ?",
        "f#Q",
        "YW\x00I",
        "A\u0661AA",
        "\uff46\uff31",
        "fQ\u00e9",
        "fQ\ud800",  # a lone surrogate cannot even be encoded as UTF-8
        "\udc00AAA",
    ],
)
def test_b64url_decode_rejects_characters_outside_the_alphabet(text: str) -> None:
    assert _code_of_b64(text) is ErrorCode.MALFORMED_BASE64URL


@pytest.mark.parametrize("text", ["A", "AAAAA", "fQfQf"])
def test_b64url_decode_rejects_length_one_mod_four(text: str) -> None:
    assert _code_of_b64(text) is ErrorCode.MALFORMED_BASE64URL


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("fR", "fQ"),  # 2 chars: the low 4 bits of the last character are unused
        ("fT", "fQ"),
        ("ff", "fQ"),
        ("YWJ", "YWI"),  # 3 chars: the low 2 bits are unused
        ("YWL", "YWI"),
    ],
)
def test_b64url_decode_rejects_non_zero_trailing_bits(text: str, canonical: str) -> None:
    assert b64url_decode(canonical)  # the canonical twin decodes
    assert _code_of_b64(text) is ErrorCode.MALFORMED_BASE64URL


def test_b64url_decode_over_max_chars_is_input_too_large() -> None:
    assert _code_of_b64("AAAAA", max_chars=4) is ErrorCode.INPUT_TOO_LARGE


def test_b64url_decode_checks_max_chars_before_the_alphabet() -> None:
    assert _code_of_b64("!!!!!", max_chars=4) is ErrorCode.INPUT_TOO_LARGE


def test_b64url_decode_accepts_exactly_max_chars() -> None:
    assert b64url_decode("AAAA", max_chars=4) == b"\x00\x00\x00"


@settings(max_examples=200)
@given(st.binary(max_size=300))
def test_b64url_round_trips_arbitrary_bytes(data: bytes) -> None:
    text = b64url_encode(data)
    assert set(text) <= set(B64URL_ALPHABET)
    assert b64url_decode(text) == data


@settings(max_examples=200)
@given(st.text(alphabet=B64URL_ALPHABET, max_size=40) | st.text(st.characters(), max_size=40))
def test_b64url_text_that_decodes_re_encodes_to_itself(text: str) -> None:
    result = _decode_or_code(text)
    if isinstance(result, bytes):
        assert b64url_encode(result) == text
    else:
        assert result is ErrorCode.MALFORMED_BASE64URL


# ---------------------------------------------------------------- JSON: accepted input


def test_parse_json_accepts_a_plain_object() -> None:
    assert parse_json(b'{"a":[1,2.5,"x",true,false,null]}') == {
        "a": [1, 2.5, "x", True, False, None]
    }


def test_parse_json_accepts_utf8_japanese_text() -> None:
    assert parse_json('{"市区町村":"宮崎県綾町"}'.encode()) == {"市区町村": "宮崎県綾町"}


def test_parse_json_accepts_an_escaped_surrogate_pair() -> None:
    assert parse_json('"\\ud83d\\ude00"') == "\U0001f600"


def test_parse_json_object_rejects_a_top_level_array() -> None:
    with pytest.raises(FormatError) as info:
        parse_json_object(b"[]")
    assert info.value.code is ErrorCode.MALFORMED_JSON


def test_parse_json_object_returns_the_object() -> None:
    assert parse_json_object(b'{"a":1}') == {"a": 1}


# ---------------------------------------------------------------- JSON: duplicate member names


@pytest.mark.parametrize(
    "text",
    [
        '{"alg":"ES256","alg":"none"}',
        '{"a":1,"a":1}',
        '{"cnf":{"jwk":{"x":"a","x":"b"}}}',
        '{"a":[{"b":1,"b":2}]}',
        '[[{"k":0,"k":0}]]',
        '{"\\u0061":1,"a":2}',  # the same name, once escaped
    ],
    ids=["top-level", "same-value", "nested", "inside-array", "nested-arrays", "escaped"],
)
def test_parse_json_rejects_duplicate_member_names(text: str) -> None:
    assert _code_of_json(text) is ErrorCode.JSON_DUPLICATE_KEY


# ---------------------------------------------------------------- JSON: nesting depth


@pytest.mark.parametrize(("opener", "closer"), [("[", "]"), ('{"a":', "}")])
def test_parse_json_rejects_100000_levels_of_nesting(opener: str, closer: str) -> None:
    text = opener * 100_000 + "1" + closer * 100_000
    assert _code_of_json(text, limits=ROOMY) is ErrorCode.JSON_TOO_DEEP


def test_parse_json_rejects_100000_unclosed_brackets_with_a_format_error() -> None:
    assert _code_of_json("[" * 100_000, limits=ROOMY) is ErrorCode.JSON_TOO_DEEP


@pytest.mark.parametrize(("opener", "closer"), [("[", "]"), ('{"a":', "}")])
def test_parse_json_accepts_nesting_exactly_at_the_depth_limit(opener: str, closer: str) -> None:
    depth = DEFAULT_JSON_LIMITS.max_depth
    value = parse_json(opener * depth + "1" + closer * depth)
    assert _depth(value) == depth


@pytest.mark.parametrize(("opener", "closer"), [("[", "]"), ('{"a":', "}")])
def test_parse_json_rejects_nesting_one_over_the_depth_limit(opener: str, closer: str) -> None:
    depth = DEFAULT_JSON_LIMITS.max_depth + 1
    assert _code_of_json(opener * depth + "1" + closer * depth) is ErrorCode.JSON_TOO_DEEP


def test_parse_json_applies_a_custom_depth_limit() -> None:
    limits = JsonLimits(max_depth=2)
    assert parse_json("[[1]]", limits=limits) == [[1]]
    assert _code_of_json("[[[1]]]", limits=limits) is ErrorCode.JSON_TOO_DEEP


# ---------------------------------------------------------------- JSON: numbers


@pytest.mark.parametrize(
    "text",
    [
        "NaN",
        "Infinity",
        "-Infinity",
        '{"exp":NaN}',
        "1e400",
        "-1e400",
        str(2**53),
        str(-(2**53)),
        "1" + "0" * 17,
        "9" * 5000,
        "-" + "9" * 5000,
    ],
)
def test_parse_json_rejects_numbers_outside_the_i_json_range(text: str) -> None:
    assert _code_of_json(text) is ErrorCode.JSON_NUMBER_OUT_OF_RANGE


@pytest.mark.parametrize("value", [MAX_SAFE_INT, -MAX_SAFE_INT, 0])
def test_parse_json_accepts_integers_up_to_2_pow_53_minus_1(value: int) -> None:
    assert parse_json(str(value)) == value


def test_parse_json_accepts_finite_floats() -> None:
    assert parse_json("[1.5e300,-2.5,1e-400]") == [1.5e300, -2.5, 0.0]


# ---------------------------------------------------------------- JSON: strings and encoding


@pytest.mark.parametrize(
    "text",
    ['"\\ud800"', '"\\udfff"', '{"\\udc00":1}', '"\\ude00\\ud83d"', '["ok","a\\ud800b"]'],
    ids=["high", "low", "in-key", "reversed-pair", "in-array"],
)
def test_parse_json_rejects_lone_surrogates(text: str) -> None:
    assert _code_of_json(text) is ErrorCode.JSON_INVALID_STRING


def test_parse_json_rejects_a_raw_lone_surrogate_in_str_input() -> None:
    assert _code_of_json('{"a":"\ud800"}') is ErrorCode.JSON_INVALID_STRING


@pytest.mark.parametrize(
    "data",
    [b'"\xff"', b'"\xc3"', b'"\xc0\xaf"', b'"\xed\xa0\x80"', b'{"a":"\xe3\x81"}'],
    ids=["0xff", "truncated", "overlong", "encoded-surrogate", "truncated-in-object"],
)
def test_parse_json_rejects_invalid_utf8(data: bytes) -> None:
    assert _code_of_json(data) is ErrorCode.MALFORMED_JSON


@pytest.mark.parametrize("data", [b"\xef\xbb\xbf{}", "\ufeff{}"], ids=["bytes", "str"])
def test_parse_json_rejects_a_byte_order_mark(data: bytes | str) -> None:
    assert _code_of_json(data) is ErrorCode.MALFORMED_JSON


@pytest.mark.parametrize("text", ["{} x", "{}{}", "{}]", "1 2", '"a"b', "{},"])
def test_parse_json_rejects_trailing_garbage(text: str) -> None:
    assert _code_of_json(text) is ErrorCode.MALFORMED_JSON


@pytest.mark.parametrize("text", ["", " ", "{", "{'a':1}", '{"a":1,}', '"\x00"', "01"])
def test_parse_json_rejects_syntax_errors(text: str) -> None:
    assert _code_of_json(text) is ErrorCode.MALFORMED_JSON


# ---------------------------------------------------------------- JSON: size


def test_parse_json_over_max_bytes_is_input_too_large() -> None:
    data = b'"' + b"a" * DEFAULT_JSON_LIMITS.max_bytes + b'"'
    assert _code_of_json(data) is ErrorCode.INPUT_TOO_LARGE


def test_parse_json_accepts_exactly_max_bytes() -> None:
    data = b'"' + b"a" * (DEFAULT_JSON_LIMITS.max_bytes - 2) + b'"'
    assert parse_json(data) == "a" * (DEFAULT_JSON_LIMITS.max_bytes - 2)


def test_parse_json_checks_size_before_syntax() -> None:
    assert _code_of_json(b"!" * 11, limits=JsonLimits(max_bytes=10)) is ErrorCode.INPUT_TOO_LARGE


def test_parse_json_counts_str_input_in_utf8_bytes() -> None:
    # 30 002 characters, 90 002 bytes once encoded: over the 64 KiB byte limit.
    text = '"' + "あ" * 30_000 + '"'
    assert len(text.encode("utf-8")) > DEFAULT_JSON_LIMITS.max_bytes
    assert _code_of_json(text) is ErrorCode.INPUT_TOO_LARGE


# ---------------------------------------------------------------- dumps_compact


def test_dumps_compact_has_no_whitespace_and_keeps_utf8() -> None:
    assert dumps_compact({"a": [1, "綾町"], "b": None}) == '{"a":[1,"綾町"],"b":null}'


def test_dumps_compact_refuses_nan_as_a_programmer_error() -> None:
    with pytest.raises(ValueError):
        dumps_compact(float("nan"))


_TEXT = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=12)
_SCALARS: st.SearchStrategy[JSONValue] = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-MAX_SAFE_INT, max_value=MAX_SAFE_INT)
    | st.floats(allow_nan=False, allow_infinity=False)
    | _TEXT
)
_JSON_VALUES: st.SearchStrategy[JSONValue] = st.recursive(
    _SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_TEXT, children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200)
@given(_JSON_VALUES)
def test_parse_json_inverts_dumps_compact_within_limits(value: JSONValue) -> None:
    text = dumps_compact(value)
    assume(_depth(value) <= DEFAULT_JSON_LIMITS.max_depth)
    assume(len(text.encode("utf-8")) <= DEFAULT_JSON_LIMITS.max_bytes)
    assert parse_json(text.encode("utf-8")) == value
