"""The Status List byte array and its JSON/CBOR forms (draft-ietf-oauth-status-list-20 §4),
replayed against the draft's examples and Appendix test vectors, plus bounds and properties."""

from __future__ import annotations

import zlib

import cbor2
import pytest
from hypothesis import given
from hypothesis import strategies as st

from furusato_vc.core.cbor import decode_cbor
from furusato_vc.core.encoding import b64url_encode
from furusato_vc.core.errors import ErrorCode, FormatError, VerificationError
from furusato_vc.core.statuslist import (
    DEFAULT_STATUS_LIST_LIMITS,
    StatusList,
    StatusListBuilder,
    StatusListLimits,
    StatusType,
    parse_status_list_cbor,
    parse_status_list_json,
)
from tests.core.statuslist.vectors import (
    appendix_entries,
    example_byte_array,
    example_hex,
    example_json,
)

# --------------------------------------------------------------------------- §4.1 examples


def test_one_bit_example_byte_array_and_statuses() -> None:
    parsed = parse_status_list_json(example_json("status_list_encoding_json.md"))
    assert parsed.status_list.data == example_byte_array("status_list_encoding_json.md")
    assert parsed.status_list.data == bytes([0xB9, 0xA3])
    expected = [1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1]  # §4.1 status[0..15]
    assert [parsed.status_list.get(i) for i in range(16)] == expected


def test_two_bit_example_byte_array_and_statuses() -> None:
    parsed = parse_status_list_json(example_json("status_list_encoding2_json.md"))
    assert parsed.status_list.data == bytes([0xC9, 0x44, 0xF9])
    expected = [1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3]  # §4.1 status[0..11]
    assert [parsed.status_list.get(i) for i in range(12)] == expected


@pytest.mark.parametrize(
    ("json_name", "cbor_name"),
    [
        ("status_list_encoding_json.md", "status_list_encoding_cbor.md"),
        ("status_list_encoding2_json.md", "status_list_encoding2_cbor.md"),
    ],
)
def test_json_and_cbor_examples_carry_the_same_list(json_name: str, cbor_name: str) -> None:
    from_json = parse_status_list_json(example_json(json_name)).status_list
    decoded = decode_cbor(example_hex(cbor_name), canonical=False)
    from_cbor = parse_status_list_cbor(decoded).status_list
    assert from_json == from_cbor


def test_builder_reproduces_the_examples_exactly() -> None:
    one = StatusListBuilder.from_entries(
        enumerate([1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1]), size=16, bits=1
    ).freeze()
    assert one.to_json() == example_json("status_list_encoding_json.md")
    assert cbor2.dumps(one.to_cbor_value()) == example_hex("status_list_encoding_cbor.md")
    two = StatusListBuilder.from_entries(
        enumerate([1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3]), size=12, bits=2
    ).freeze()
    assert two.to_json() == example_json("status_list_encoding2_json.md")
    assert cbor2.dumps(two.to_cbor_value()) == example_hex("status_list_encoding2_cbor.md")


# --------------------------------------------------------------------------- Appendix vectors

APPENDIX = [
    (1, "status_list_encoding1_long_json.md", "status_list_encoding1_long_cbor.md"),
    (2, "status_list_encoding2_long_json.md", "status_list_encoding2_long_cbor.md"),
    (4, "status_list_encoding4_json.md", "status_list_encoding4_cbor.md"),
    (8, "status_list_encoding8_json.md", "status_list_encoding8_cbor.md"),
]


@pytest.mark.parametrize(("bits", "json_name", "cbor_name"), APPENDIX)
def test_appendix_vector_decodes_to_the_listed_entries(
    bits: int, json_name: str, cbor_name: str
) -> None:
    size, entries = appendix_entries(bits)
    for parsed in (
        parse_status_list_json(example_json(json_name)),
        parse_status_list_cbor(decode_cbor(example_hex(cbor_name), canonical=False)),
    ):
        status_list = parsed.status_list
        assert status_list.bits == bits
        assert status_list.size == size
        expected = StatusListBuilder.from_entries(entries, size=size, bits=bits).freeze()
        assert status_list == expected
        for idx, value in entries.items():
            assert status_list.get(idx) == value
        non_zero = sum(1 for value in entries.values() if value)
        assert status_list.size - status_list.histogram().get(0, 0) == non_zero


@pytest.mark.parametrize(("bits", "json_name", "cbor_name"), APPENDIX)
def test_our_encoding_of_the_appendix_lists_round_trips(
    bits: int, json_name: str, cbor_name: str
) -> None:
    # zlib output may differ between library versions, so the comparison is on the decoded
    # array; the byte-exact check is the short examples above.
    size, entries = appendix_entries(bits)
    ours = StatusListBuilder.from_entries(entries, size=size, bits=bits).freeze()
    assert parse_status_list_json(ours.to_json()).status_list == ours
    assert parse_status_list_cbor(ours.to_cbor_value()).status_list == ours
    del json_name, cbor_name


# --------------------------------------------------------------------------- lookups


def test_index_out_of_bounds_is_rejected() -> None:
    status_list = StatusListBuilder(size=16, bits=1).freeze()
    with pytest.raises(VerificationError) as info:
        status_list.get(16)
    assert info.value.code is ErrorCode.STATUS_INDEX_OUT_OF_RANGE
    with pytest.raises(VerificationError):
        status_list.get(-1)


def test_status_types_are_the_registered_values() -> None:
    assert [StatusType.VALID, StatusType.INVALID, StatusType.SUSPENDED] == [0, 1, 2]


@given(
    bits=st.sampled_from([1, 2, 4, 8]),
    data=st.data(),
)
def test_builder_and_reader_agree_with_a_naive_model(bits: int, data: st.DataObject) -> None:
    size = data.draw(st.integers(min_value=1, max_value=64)) * 8
    model = data.draw(
        st.dictionaries(
            st.integers(min_value=0, max_value=size - 1),
            st.integers(min_value=0, max_value=(1 << bits) - 1),
            max_size=40,
        )
    )
    built = StatusListBuilder.from_entries(model, size=size, bits=bits).freeze()
    decoded = parse_status_list_json(built.to_json()).status_list
    # naive model: an LSB-first bit string, entry i at bits [i*bits, (i+1)*bits)
    as_int = int.from_bytes(decoded.data, "little")
    for idx in range(size):
        naive = (as_int >> (idx * bits)) & ((1 << bits) - 1)
        assert decoded.get(idx) == naive == model.get(idx, 0)


def test_builder_refuses_values_and_sizes_that_do_not_fit() -> None:
    with pytest.raises(ValueError, match="fit"):
        StatusListBuilder(size=8, bits=1).set(0, 2)
    with pytest.raises(ValueError, match="multiple of 8"):
        StatusListBuilder(size=3, bits=1)
    with pytest.raises(ValueError, match="bits"):
        StatusListBuilder(size=8, bits=3)
    with pytest.raises(ValueError, match="outside"):
        StatusListBuilder(size=8, bits=1).set(8, 1)


# --------------------------------------------------------------------------- rejections


def _json_code(value: object, limits: StatusListLimits = DEFAULT_STATUS_LIST_LIMITS) -> ErrorCode:
    with pytest.raises(FormatError) as info:
        parse_status_list_json(value, limits=limits)  # type: ignore[arg-type]
    return info.value.code


def _lst(raw: bytes) -> str:
    return b64url_encode(zlib.compress(raw, 9))


@pytest.mark.parametrize("bits", [0, 3, 16, -1, True, 1.0, "1", None])
def test_bits_other_than_1_2_4_8_are_rejected(bits: object) -> None:
    assert _json_code({"bits": bits, "lst": _lst(b"\x00")}) is ErrorCode.MALFORMED_STATUS_LIST


@pytest.mark.parametrize(
    "value",
    [
        None,
        [],
        {"bits": 1},
        {"lst": "eNrbuRgAAhcBXQ"},
        {"bits": 1, "lst": 5},
        {"bits": 1, "lst": "eNrbuRgAAhcBXQ=="},  # padded
        {"bits": 1, "lst": "not base64url!"},
        {"bits": 1, "lst": b64url_encode(b"plain bytes, not zlib")},
        # raw DEFLATE without the RFC 1950 header
        {"bits": 1, "lst": b64url_encode(zlib.compress(b"\x00" * 4)[2:-4])},
        # gzip container
        {"bits": 1, "lst": b64url_encode(zlib.compressobj(9, wbits=31).compress(b"\x00"))},
        {"bits": 1, "lst": b64url_encode(zlib.compress(b"\x00" * 64)[:-3])},  # truncated
        {"bits": 1, "lst": b64url_encode(zlib.compress(b"\x00" * 8) + b"\x00")},  # trailing
        {"bits": 1, "lst": _lst(b"")},  # no entries
        {"bits": 1, "lst": _lst(b"\x00"), "aggregation_uri": 7},
    ],
)
def test_malformed_json_status_lists_are_rejected(value: object) -> None:
    assert _json_code(value) is ErrorCode.MALFORMED_STATUS_LIST


def test_malformed_cbor_status_lists_are_rejected() -> None:
    for value in (
        {"bits": 1, "lst": "eNrbuRgAAhcBXQ"},  # text where CBOR needs a byte string
        {1: 1, 2: b""},
        {"bits": 5, "lst": zlib.compress(b"\x00")},
        {"bits": 1, "lst": b"\x00\x01"},
    ):
        with pytest.raises(FormatError) as info:
            parse_status_list_cbor(value)
        assert info.value.code is ErrorCode.MALFORMED_STATUS_LIST


def test_a_decompression_bomb_stops_at_the_inflated_cap() -> None:
    bomb = {"bits": 1, "lst": _lst(bytes(200 * 1024 * 1024 // 64))}  # 3.2 MB of zeros
    assert _json_code(bomb, StatusListLimits(max_inflated_bytes=1024 * 1024)) is (
        ErrorCode.INFLATED_TOO_LARGE
    )


def test_a_compressed_list_over_the_cap_is_refused_before_inflating() -> None:
    limits = StatusListLimits(max_compressed_bytes=16)
    big = {"bits": 1, "lst": _lst(bytes(range(256)) * 4)}
    assert _json_code(big, limits) is ErrorCode.INPUT_TOO_LARGE
    compressed = zlib.compress(bytes(range(256)) * 4)
    with pytest.raises(FormatError) as info:
        parse_status_list_cbor({"bits": 1, "lst": compressed}, limits=limits)
    assert info.value.code is ErrorCode.INPUT_TOO_LARGE


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        StatusListLimits(max_inflated_bytes=0)


def test_aggregation_uri_round_trips() -> None:
    status_list = StatusListBuilder(size=8, bits=1).freeze()
    uri = "https://status.furusato-vc.example/aggregation"
    assert parse_status_list_json(status_list.to_json(aggregation_uri=uri)).aggregation_uri == uri
    assert (
        parse_status_list_cbor(status_list.to_cbor_value(aggregation_uri=uri)).aggregation_uri
        == uri
    )


def test_status_list_equality_and_repr() -> None:
    a = StatusList(bits=2, data=b"\x01")
    assert a == StatusList(bits=2, data=b"\x01")
    assert a != StatusList(bits=1, data=b"\x01")
    assert hash(a) == hash(StatusList(bits=2, data=b"\x01"))
    assert repr(a) == "StatusList(bits=2, size=4)"
    assert a.count(1) == 1
    assert a.count(0) == 3
