"""Strict, bounded CBOR decoding (:mod:`furusato_vc.core.cbor`).

Every error code of :func:`decode_cbor` is reached with hand-made CBOR (hex below, RFC 8949
§3 and Appendix F for what is not well-formed): indefinite lengths (SD-CWT -07 §"Definite
Length CBOR Required"), duplicate map keys (RFC 8949 §5.6), depth, trailing bytes, preferred
serialization (RFC 8949 §4.1), truncation, invalid UTF-8, reserved additional information
28-30, and the size cap. ``canonical=False`` (used for signed byte strings) relaxes only
preferred serialization. Properties: ``decode_cbor(encode_cbor(v)) == v`` for the values the
profile uses, and no input raises anything but :class:`FormatError`.
"""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from furusato_vc.core.cbor import CborLimits, check_items, decode_cbor, encode_cbor
from furusato_vc.core.errors import ErrorCode, FormatError


def _code(data: bytes, *, limits: CborLimits | None = None, canonical: bool = True) -> ErrorCode:
    with pytest.raises(FormatError) as info:
        decode_cbor(data, limits=limits or CborLimits(), canonical=canonical)
    return info.value.code


def _hex(text: str) -> bytes:
    return bytes.fromhex(text.replace(" ", ""))


INDEFINITE = {
    "array": "9f 01 02 ff",
    "map": "bf 01 02 ff",
    "byte-string": "5f 41 01 41 02 ff",
    "text-string": "7f 61 61 61 62 ff",
    "nested-in-definite-array": "82 01 9f ff",
}
DUPLICATE_KEYS = {
    "int": "a2 01 01 01 02",
    "text": "a2 61 61 01 61 61 02",
    "int-1-and-1-in-nested-map": "a1 01 a2 01 01 01 02",
    "int-1-and-1-in-map-in-array": "81 a2 01 00 01 00",
}
TRUNCATED = {
    "empty": "",
    "array-missing-item": "82 01",
    "byte-string-short": "58 05 01 02",
    "byte-string-missing-length": "58",
    "uint16-missing-byte": "19 01",
    "map-missing-value": "a1 01",
    "tag-without-content": "d2",
}
RESERVED_ADDITIONAL_INFO = {
    f"major-{major}-ai-{ai}": bytes((major << 5 | ai,)) for major in range(8) for ai in (28, 29, 30)
}
NON_PREFERRED = {
    "int-0-in-one-byte": ("18 00", 0),
    "int-1-in-two-bytes": ("19 00 01", 1),
    "int-23-in-four-bytes": ("1a 00 00 00 17", 23),
    "negative-1-in-one-byte": ("38 00", -1),
    "byte-string-length-1-in-one-byte": ("58 01 41", b"A"),
    "text-string-length-1-in-two-bytes": ("79 00 01 61", "a"),
    "array-length-1-in-one-byte": ("98 01 01", [1]),
    "map-length-0-in-one-byte": ("b8 00", {}),
}


# --------------------------------------------------------------------------- each code


@pytest.mark.parametrize("data", INDEFINITE.values(), ids=INDEFINITE.keys())
def test_indefinite_length_item_is_rejected(data: str) -> None:
    assert _code(_hex(data)) is ErrorCode.CBOR_INDEFINITE_LENGTH


@pytest.mark.parametrize("data", DUPLICATE_KEYS.values(), ids=DUPLICATE_KEYS.keys())
def test_duplicate_map_key_is_rejected(data: str) -> None:
    assert _code(_hex(data)) is ErrorCode.CBOR_DUPLICATE_KEY


def test_nesting_exactly_at_the_depth_limit_is_accepted() -> None:
    assert decode_cbor(b"\x81" * 4 + b"\x01", limits=CborLimits(max_depth=4)) == [[[[1]]]]


def test_nesting_one_level_over_the_depth_limit_is_rejected() -> None:
    assert _code(b"\x81" * 5 + b"\x01", limits=CborLimits(max_depth=4)) is ErrorCode.CBOR_TOO_DEEP


def test_maps_count_towards_the_depth_limit() -> None:
    data = _hex("a1 01 a1 01 a1 01 01")  # {1: {1: {1: 1}}}
    assert _code(data, limits=CborLimits(max_depth=2)) is ErrorCode.CBOR_TOO_DEEP


def test_default_depth_limit_is_sixteen() -> None:
    # SD-CWT -07 §"Limits on Nesting": depth above 16 MAY be rejected.
    assert decode_cbor(b"\x81" * 16 + b"\x01") is not None
    assert _code(b"\x81" * 17 + b"\x01") is ErrorCode.CBOR_TOO_DEEP


def test_trailing_byte_is_rejected() -> None:
    assert _code(_hex("01 00")) is ErrorCode.CBOR_TRAILING_BYTES


def test_second_data_item_after_an_array_is_rejected() -> None:
    assert _code(_hex("82 01 02 ff")) is ErrorCode.CBOR_TRAILING_BYTES


@pytest.mark.parametrize(
    "data", [v[0] for v in NON_PREFERRED.values()], ids=list(NON_PREFERRED.keys())
)
def test_non_preferred_serialization_is_rejected(data: str) -> None:
    assert _code(_hex(data)) is ErrorCode.MALFORMED_CBOR


@pytest.mark.parametrize("data", TRUNCATED.values(), ids=TRUNCATED.keys())
def test_truncated_input_is_rejected(data: str) -> None:
    assert _code(_hex(data)) is ErrorCode.MALFORMED_CBOR


@pytest.mark.parametrize(
    "data",
    ["61 ff", "62 c3 28", "63 ed a0 80", "a1 61 ff 01"],
    ids=["lone-ff", "bad-continuation", "encoded-surrogate", "invalid-map-key"],
)
def test_invalid_utf8_text_is_rejected(data: str) -> None:
    assert _code(_hex(data)) is ErrorCode.MALFORMED_CBOR


@pytest.mark.parametrize(
    "data", RESERVED_ADDITIONAL_INFO.values(), ids=RESERVED_ADDITIONAL_INFO.keys()
)
def test_reserved_additional_information_is_rejected(data: bytes) -> None:
    assert _code(data) is ErrorCode.MALFORMED_CBOR


@pytest.mark.parametrize("head", [0x1F, 0x3F, 0xDF], ids=["uint", "negative-int", "tag"])
def test_additional_information_31_on_a_major_type_without_indefinite_form_is_malformed(
    head: int,
) -> None:
    # RFC 8949 §3.2.4: ai 31 with major type 0, 1 or 6 is not well-formed; it is not an
    # indefinite-length item (those exist only for major types 2-5).
    assert _code(bytes((head,))) is ErrorCode.MALFORMED_CBOR


def test_lone_break_byte_is_rejected() -> None:
    assert _code(_hex("ff")) is ErrorCode.MALFORMED_CBOR


def test_two_byte_simple_value_below_32_is_rejected() -> None:
    assert _code(_hex("f8 10")) is ErrorCode.MALFORMED_CBOR  # RFC 8949 §3.3


def test_input_over_max_bytes_is_rejected_before_decoding() -> None:
    limits = CborLimits(max_bytes=8)
    # nine bytes that would otherwise be an indefinite-length error: the size check comes first
    assert _code(_hex("9f 01 01 01 01 01 01 01 ff"), limits=limits) is ErrorCode.INPUT_TOO_LARGE


def test_input_of_exactly_max_bytes_is_accepted() -> None:
    data = encode_cbor(b"1234567")  # 8 bytes
    assert decode_cbor(data, limits=CborLimits(max_bytes=8)) == b"1234567"


def test_default_size_cap_is_8192_bytes() -> None:
    big = encode_cbor(bytes(8189))  # 3-byte head + 8189 = 8192
    assert decode_cbor(big) == bytes(8189)
    assert _code(encode_cbor(bytes(8190))) is ErrorCode.INPUT_TOO_LARGE


def test_preferred_half_precision_float_is_accepted() -> None:
    # RFC 8949 §4.1: the preferred serialization of 1.0 is the half-precision f9 3c00.
    assert decode_cbor(_hex("f9 3c 00")) == 1.0


def test_double_precision_encoding_of_a_half_precision_value_is_rejected() -> None:
    # fb 3ff0000000000000 is 1.0 in a longer form than needed (RFC 8949 §4.1).
    assert _code(_hex("fb 3f f0 00 00 00 00 00 00")) is ErrorCode.MALFORMED_CBOR


# --------------------------------------------------------------------------- canonical=False


@pytest.mark.parametrize(("data", "value"), NON_PREFERRED.values(), ids=list(NON_PREFERRED.keys()))
def test_non_canonical_mode_accepts_non_preferred_serialization(data: str, value: object) -> None:
    assert decode_cbor(_hex(data), canonical=False) == value


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ("9f 01 ff", ErrorCode.CBOR_INDEFINITE_LENGTH),
        ("5f 41 01 ff", ErrorCode.CBOR_INDEFINITE_LENGTH),
        ("a1 01 a2 01 01 01 02", ErrorCode.CBOR_DUPLICATE_KEY),
        ("81 81 81 01", ErrorCode.CBOR_TOO_DEEP),
        ("58 05 01 02", ErrorCode.MALFORMED_CBOR),
        ("61 ff", ErrorCode.MALFORMED_CBOR),
        ("1c", ErrorCode.MALFORMED_CBOR),
        ("5d", ErrorCode.MALFORMED_CBOR),
        ("fe", ErrorCode.MALFORMED_CBOR),
        ("4a 00 00 00 00 00 00 00 00 00 00", ErrorCode.INPUT_TOO_LARGE),
    ],
    ids=[
        "indefinite-array",
        "indefinite-bstr",
        "duplicate-nested-key",
        "too-deep",
        "truncated",
        "invalid-utf8",
        "reserved-ai-28",
        "reserved-ai-29",
        "reserved-ai-30",
        "oversize",
    ],
)
def test_non_canonical_mode_still_rejects_everything_else(data: str, code: ErrorCode) -> None:
    limits = CborLimits(max_bytes=10, max_depth=2)
    assert _code(_hex(data), limits=limits, canonical=False) is code


def test_non_canonical_mode_still_rejects_trailing_bytes() -> None:
    assert _code(_hex("01 00"), canonical=False) is ErrorCode.CBOR_TRAILING_BYTES


# --------------------------------------------------------------------------- check_items


def test_check_items_accepts_a_container_at_the_limit() -> None:
    check_items(list(range(3)), CborLimits(max_items=3))


def test_check_items_rejects_a_map_over_the_limit() -> None:
    with pytest.raises(FormatError) as info:
        check_items({1: 1, 2: 2, 3: 3, 4: 4}, CborLimits(max_items=3))
    assert info.value.code is ErrorCode.CBOR_MAP_TOO_LARGE


def test_check_items_rejects_an_array_over_the_limit() -> None:
    with pytest.raises(FormatError) as info:
        check_items([0] * 65, CborLimits())
    assert info.value.code is ErrorCode.CBOR_MAP_TOO_LARGE


# --------------------------------------------------------------------------- encode_cbor


def test_encode_cbor_writes_the_deterministic_encoding_with_sorted_keys() -> None:
    # RFC 8949 §4.2.1: shortest forms, map keys sorted by their encoded bytes.
    assert encode_cbor({16: 293, 1: -7, "a": b"\x00" * 24}) == _hex(
        "a3 01 26 10 19 01 25 61 61 58 18" + "00" * 24
    )


def test_encode_cbor_writes_the_shortest_float() -> None:
    assert encode_cbor(1.0) == _hex("f9 3c 00")


# --------------------------------------------------------------------------- properties

_KEYS = st.one_of(st.integers(min_value=-(2**64), max_value=2**64 - 1), st.text(max_size=8))
_LEAVES = st.one_of(
    st.integers(min_value=-(2**64), max_value=2**64 - 1),
    st.binary(max_size=40),
    st.text(max_size=20),
    st.booleans(),
    st.none(),
)
_VALUES = st.recursive(
    _LEAVES,
    lambda children: st.one_of(
        st.lists(children, max_size=5), st.dictionaries(_KEYS, children, max_size=5)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(_VALUES)
def test_decoding_an_encoded_value_gives_it_back(value: object) -> None:
    assert decode_cbor(encode_cbor(value)) == value


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=64), st.booleans())
def test_arbitrary_bytes_raise_only_format_errors(data: bytes, canonical: bool) -> None:
    with contextlib.suppress(FormatError):
        decode_cbor(data, limits=CborLimits(max_bytes=64, max_depth=4), canonical=canonical)


@settings(max_examples=400, deadline=None)
@given(_VALUES, st.data(), st.booleans())
def test_mutated_encodings_raise_only_format_errors(
    value: object, data: st.DataObject, canonical: bool
) -> None:
    encoded = bytearray(encode_cbor(value))
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        if encoded:
            at = data.draw(st.integers(min_value=0, max_value=len(encoded) - 1))
            encoded[at] = data.draw(st.integers(min_value=0, max_value=255))
    with contextlib.suppress(FormatError):
        decode_cbor(bytes(encoded), canonical=canonical)
