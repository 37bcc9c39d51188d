"""The QR text transport (``FJ1:`` + Base45 + raw DEFLATE) in :mod:`furusato_vc.core.qrtext`.

Catalogue rows T-2 (missing or wrong prefix), T-3 (invalid Base45), T-4 (truncated or corrupt
stream, zlib instead of raw DEFLATE, not compressed, decompression bomb); standards §6.1.
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
import zlib

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from furusato_vc.core.base45 import BASE45_ALPHABET, b45decode, b45encode
from furusato_vc.core.errors import ErrorCode, FormatError
from furusato_vc.core.qrtext import (
    DEFAULT_QR_TEXT_LIMITS,
    QR_PREFIX,
    QrTextLimits,
    decode_qr_text,
    encode_qr_text,
)

# A CBOR-like payload: a map with a URL, an integer and a 64-byte "signature".
PAYLOAD = (
    b"\xa3\x01x'https://www.city.example.lg.jp/furusato\x06\x1a\x6a\x2b\x3c\x4d\x18\x40X@"
    + hashlib.sha256(b"r").digest()
    + hashlib.sha256(b"s").digest()
)
TEXT = encode_qr_text(PAYLOAD)
# Room for a few KB of incompressible bytes (the defaults fit one QR code).
ROOMY = QrTextLimits(max_chars=10_000, max_compressed=8_000, max_inflated=8_192)


def _raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


def _qr(compressed: bytes) -> str:
    return QR_PREFIX + b45encode(compressed)


def _decode_or_code(text: str) -> bytes | ErrorCode:
    try:
        return decode_qr_text(text)
    except FormatError as exc:
        return exc.code


def _code_of(text: str, *, limits: QrTextLimits = DEFAULT_QR_TEXT_LIMITS) -> ErrorCode:
    with pytest.raises(FormatError) as info:
        decode_qr_text(text, limits=limits)
    return info.value.code


# --- encoding


def test_prefix_is_fj1() -> None:
    assert QR_PREFIX == "FJ1:"


def test_encoded_text_starts_with_the_prefix() -> None:
    assert TEXT.startswith("FJ1:")


def test_encoded_text_is_base45_of_raw_deflate() -> None:
    expected = "FJ1:" + b45encode(_raw_deflate(PAYLOAD))
    assert encode_qr_text(PAYLOAD) == expected


def test_encoded_text_uses_only_qr_alphanumeric_characters() -> None:
    assert set(TEXT) <= set(BASE45_ALPHABET)


def test_encoding_uses_a_custom_prefix() -> None:
    assert encode_qr_text(PAYLOAD, prefix="FJ9:").startswith("FJ9:")


def test_prefix_outside_alphanumeric_mode_is_a_programmer_error() -> None:
    with pytest.raises(ValueError, match="alphanumeric"):
        encode_qr_text(PAYLOAD, prefix="fj1:")


def test_incompressible_payload_grows_by_one_stored_block_header() -> None:
    # RFC 1951 §3.2.4: a stored block costs 5 bytes (header bits, LEN, NLEN).
    payload = hashlib.shake_256(b"incompressible").digest(450)
    assert len(b45decode(encode_qr_text(payload)[4:])) == len(payload) + 5


def test_default_limits_are_qr_version_40_l_capacities() -> None:
    expected = QrTextLimits(max_chars=4296, max_compressed=2953, max_inflated=8192)
    assert QrTextLimits() == expected


@pytest.mark.parametrize("field", ["max_chars", "max_compressed", "max_inflated"])
def test_negative_limit_is_a_programmer_error(field: str) -> None:
    with pytest.raises(ValueError, match=field):
        QrTextLimits(**{field: -1})


def test_limits_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULT_QR_TEXT_LIMITS.max_inflated = 1 << 30  # type: ignore[misc]


# --- decoding: round trips


def test_decoding_returns_the_payload() -> None:
    assert decode_qr_text(TEXT) == PAYLOAD


def test_empty_payload_round_trips() -> None:
    assert decode_qr_text(encode_qr_text(b"")) == b""


def test_decoding_accepts_a_custom_prefix() -> None:
    assert decode_qr_text(encode_qr_text(PAYLOAD, prefix="FJ9:"), prefix="FJ9:") == PAYLOAD


@given(st.binary(max_size=4096))
def test_round_trip_of_arbitrary_bytes(payload: bytes) -> None:
    assert decode_qr_text(encode_qr_text(payload), limits=ROOMY) == payload


@given(st.binary(max_size=4096).map(lambda b: b * 2))
def test_round_trip_of_compressible_bytes(payload: bytes) -> None:
    assert decode_qr_text(encode_qr_text(payload), limits=ROOMY) == payload


# --- size bounds


def test_text_over_max_chars_is_too_large() -> None:
    limits = QrTextLimits(max_chars=len(TEXT) - 1)
    assert _code_of(TEXT, limits=limits) is ErrorCode.INPUT_TOO_LARGE


def test_text_of_exactly_max_chars_decodes() -> None:
    assert decode_qr_text(TEXT, limits=QrTextLimits(max_chars=len(TEXT))) == PAYLOAD


def test_length_is_checked_before_the_prefix() -> None:
    assert _code_of("x" * 5000) is ErrorCode.INPUT_TOO_LARGE


def test_compressed_over_max_compressed_is_too_large() -> None:
    compressed_length = len(b45decode(TEXT[4:]))
    limits = QrTextLimits(max_compressed=compressed_length - 1)
    assert _code_of(TEXT, limits=limits) is ErrorCode.COMPRESSED_TOO_LARGE


def test_compressed_of_exactly_max_compressed_decodes() -> None:
    limits = QrTextLimits(max_compressed=len(b45decode(TEXT[4:])))
    assert decode_qr_text(TEXT, limits=limits) == PAYLOAD


def test_compressed_size_is_checked_before_base45_decoding() -> None:
    limits = QrTextLimits(max_compressed=10)
    assert _code_of(QR_PREFIX + "bad" * 6, limits=limits) is ErrorCode.COMPRESSED_TOO_LARGE


def test_inflated_over_max_inflated_is_too_large() -> None:
    text = encode_qr_text(b"a" * 8193)
    assert _code_of(text) is ErrorCode.INFLATED_TOO_LARGE


def test_inflated_of_exactly_max_inflated_decodes() -> None:
    assert decode_qr_text(encode_qr_text(b"a" * 8192)) == b"a" * 8192


def test_decompression_bomb_fails_fast_on_the_inflate_cap() -> None:
    # 100 MB of zeros compress to ~100 KB; the text and compressed caps are raised so that only
    # the inflate cap stands between the bomb and memory.
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = bytes(1 << 20)
    bomb = b"".join(compressor.compress(chunk) for _ in range(100)) + compressor.flush()
    text = _qr(bomb)
    limits = QrTextLimits(max_chars=len(text), max_compressed=len(bomb))
    start = time.perf_counter()
    assert _code_of(text, limits=limits) is ErrorCode.INFLATED_TOO_LARGE
    assert time.perf_counter() - start < 0.5


def test_decompression_bomb_is_stopped_by_default_limits() -> None:
    bomb = _raw_deflate(bytes(1 << 20))  # ~1 KB: fits the default text and compressed caps
    assert _code_of(_qr(bomb)) is ErrorCode.INFLATED_TOO_LARGE


# --- prefix


@pytest.mark.parametrize(
    "prefix", ["HC1:", "FJ2:", "fj1:", "FJ1", "FJ1 ", "FJ:", " FJ1:", "\ufeffFJ1:", "SHC:/"]
)
def test_other_prefix_is_unknown(prefix: str) -> None:
    assert _code_of(prefix + TEXT[4:]) is ErrorCode.QR_PREFIX_UNKNOWN


@pytest.mark.parametrize("text", ["", "F", "FJ1"])
def test_text_shorter_than_the_prefix_is_unknown(text: str) -> None:
    assert _code_of(text) is ErrorCode.QR_PREFIX_UNKNOWN


def test_default_prefix_is_unknown_to_a_decoder_expecting_another() -> None:
    with pytest.raises(FormatError) as info:
        decode_qr_text(TEXT, prefix="FJ9:")
    assert info.value.code is ErrorCode.QR_PREFIX_UNKNOWN


# --- Base45 layer


@pytest.mark.parametrize("suffix", ["\n", "\r\n", " ", "  ", "   ", "\t", "\u3000"])
def test_trailing_whitespace_from_a_scanner_is_malformed_base45(suffix: str) -> None:
    assert _code_of(TEXT + suffix) is ErrorCode.MALFORMED_BASE45


def test_lowercase_body_is_malformed_base45() -> None:
    assert _code_of(QR_PREFIX + TEXT[4:].lower()) is ErrorCode.MALFORMED_BASE45


def test_body_of_length_one_mod_three_is_malformed_base45() -> None:
    assert _code_of(QR_PREFIX + "BB8B") is ErrorCode.MALFORMED_BASE45


def test_out_of_range_base45_group_is_non_canonical() -> None:
    assert _code_of(QR_PREFIX + "GGW") is ErrorCode.BASE45_NON_CANONICAL


# --- DEFLATE layer


def test_empty_body_is_malformed_deflate() -> None:
    assert _code_of(QR_PREFIX) is ErrorCode.MALFORMED_DEFLATE


def test_truncated_stream_is_malformed_deflate() -> None:
    compressed = _raw_deflate(PAYLOAD)
    assert _code_of(_qr(compressed[: len(compressed) // 2])) is ErrorCode.MALFORMED_DEFLATE


def test_stream_missing_its_last_byte_is_malformed_deflate() -> None:
    assert _code_of(_qr(_raw_deflate(PAYLOAD)[:-1])) is ErrorCode.MALFORMED_DEFLATE


def test_data_after_the_end_of_the_stream_is_malformed_deflate() -> None:
    assert _code_of(_qr(_raw_deflate(PAYLOAD) + b"\x00")) is ErrorCode.MALFORMED_DEFLATE


def test_invalid_block_type_is_malformed_deflate() -> None:
    # RFC 1951 §3.2.3: BTYPE 11 is reserved (error).
    assert _code_of(_qr(b"\x07\x00")) is ErrorCode.MALFORMED_DEFLATE


def test_zlib_wrapped_stream_is_malformed_deflate() -> None:
    # The EU DCC wraps DEFLATE in a zlib header; this format does not.
    assert _code_of(_qr(zlib.compress(PAYLOAD, 9))) is ErrorCode.MALFORMED_DEFLATE


def test_uncompressed_cbor_is_malformed_deflate() -> None:
    assert _code_of(_qr(PAYLOAD)) is ErrorCode.MALFORMED_DEFLATE


def test_deflate_padding_bits_are_not_covered_by_the_format() -> None:
    # Documented limitation: inflaters ignore the padding bits after the final block, so two
    # different texts carry the same payload. The QR text is not an identifier.
    compressed = bytearray(_raw_deflate(b"furusato"))
    compressed[-1] |= 0x80
    other = _qr(bytes(compressed))
    assert other != encode_qr_text(b"furusato")
    assert decode_qr_text(other) == b"furusato"


# --- tampering


@given(
    payload=st.binary(max_size=600),
    replacement=st.one_of(st.sampled_from(BASE45_ALPHABET), st.characters()),
    data=st.data(),
)
def test_changed_character_is_rejected_or_decodes(
    payload: bytes, replacement: str, data: st.DataObject
) -> None:
    text = encode_qr_text(payload)
    position = data.draw(st.integers(min_value=0, max_value=len(text) - 1), label="position")
    tampered = text[:position] + replacement + text[position + 1 :]
    if tampered == text:
        return
    result = _decode_or_code(tampered)
    if isinstance(result, ErrorCode):
        event(result.value)
        assert result is ErrorCode.QR_PREFIX_UNKNOWN or position >= len(QR_PREFIX)
    else:
        # Bits that inflaters ignore (see the padding test above) can leave the payload as it was.
        event("same payload" if result == payload else "different payload")
        assert position >= len(QR_PREFIX)


@given(st.text(max_size=80))
def test_any_body_decodes_or_raises_a_format_error(body: str) -> None:
    # Any exception other than FormatError escapes _decode_or_code and fails the test.
    result = _decode_or_code(QR_PREFIX + body)
    event(result.value if isinstance(result, ErrorCode) else "decoded")


@given(st.text(alphabet=BASE45_ALPHABET, max_size=80))
def test_any_alphanumeric_body_decodes_or_raises_a_format_error(body: str) -> None:
    result = _decode_or_code(QR_PREFIX + body)
    event(result.value if isinstance(result, ErrorCode) else "decoded")
