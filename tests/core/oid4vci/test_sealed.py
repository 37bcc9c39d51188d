"""Stateless sealed values: c_nonce (§7), access tokens (§6.2, §13.10) and pre-authorized codes
(§4.1.1). Round trips, expiry boundaries, purpose separation, key rotation and tampering."""

from __future__ import annotations

import hmac

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from furusato_vc.core.encoding import b64url_decode, b64url_encode
from furusato_vc.core.errors import ErrorCode, VerificationError
from furusato_vc.core.oid4vci import (
    AccessGrant,
    AccessTokenCodec,
    NonceCodec,
    PreAuthorizedCodeCodec,
    SealedCodec,
)
from tests.core.oid4vci.builders import (
    GRANT,
    NOW,
    SECRET,
    SECRET_OLD,
    access_tokens,
    nonces,
    pre_authorized_codes,
    seeded,
)

_B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _codec(*secrets: bytes, purpose: str = "test") -> SealedCodec:
    return SealedCodec(
        secrets or (SECRET,), purpose=purpose, failure=ErrorCode.ACCESS_TOKEN_INVALID
    )


def _sealed(payload: dict[str, object] | None = None, *, lifetime: int = 60) -> str:
    return _codec().seal(payload or {"k": "v"}, now=NOW, lifetime=lifetime, random=seeded())  # type: ignore[arg-type]


def _refused(codec: SealedCodec, token: object, *, now: int = NOW) -> ErrorCode:
    with pytest.raises(VerificationError) as caught:
        codec.open(token, now=now)
    return caught.value.code


def _resealed(body: bytes) -> str:
    """A value with a valid MAC over ``body`` (documented layout: HMAC under the derived key)."""
    key = hmac.digest(SECRET, b"furusato-vc/oid4vci/sealed/v1\x00test", "sha256")
    return b64url_encode(body + hmac.digest(key, body, "sha256"))


# ------------------------------------------------------------------------------ SealedCodec


def test_layout_is_the_documented_one() -> None:
    token = b64url_decode(_sealed({"k": "v"}))
    assert token[0] == 1
    assert int.from_bytes(token[1:9], "big") == NOW + 60
    assert token[25:-32] == b'{"k":"v"}'
    assert _resealed(token[:-32]) == _sealed({"k": "v"})


def test_sealed_value_round_trips() -> None:
    opened = _codec().open(_sealed({"a": [1, "二"], "b": None}), now=NOW)
    assert opened.payload == {"a": [1, "二"], "b": None}
    assert opened.expires_at == NOW + 60


def test_token_id_is_the_random_part() -> None:
    first = _codec().open(_sealed(), now=NOW)
    second = _codec().open(
        _codec().seal({"k": "v"}, now=NOW, lifetime=60, random=seeded("other")), now=NOW
    )
    assert len(b64url_decode(first.token_id)) == 16
    assert first.token_id != second.token_id


def test_same_inputs_give_different_values_with_different_randomness() -> None:
    a = _codec().seal({}, now=NOW, lifetime=60, random=seeded("a"))
    b = _codec().seal({}, now=NOW, lifetime=60, random=seeded("b"))
    assert a != b


def test_value_opens_one_second_before_expiry() -> None:
    assert _codec().open(_sealed(lifetime=60), now=NOW + 59).expires_at == NOW + 60


def test_value_is_refused_at_expiry() -> None:
    assert _refused(_codec(), _sealed(lifetime=60), now=NOW + 60) is ErrorCode.ACCESS_TOKEN_INVALID


def test_value_is_refused_after_expiry() -> None:
    assert (
        _refused(_codec(), _sealed(lifetime=60), now=NOW + 3600) is ErrorCode.ACCESS_TOKEN_INVALID
    )


def test_other_purpose_is_refused() -> None:
    token = _codec(purpose="a").seal({}, now=NOW, lifetime=60, random=seeded())
    assert _refused(_codec(purpose="b"), token) is ErrorCode.ACCESS_TOKEN_INVALID


def test_unknown_secret_is_refused() -> None:
    assert _refused(_codec(SECRET_OLD), _sealed()) is ErrorCode.ACCESS_TOKEN_INVALID


def test_rotation_opens_values_sealed_with_the_previous_secret() -> None:
    old = _codec(SECRET_OLD).seal({"k": 1}, now=NOW, lifetime=60, random=seeded())
    rotated = _codec(SECRET, SECRET_OLD)
    assert rotated.open(old, now=NOW).payload == {"k": 1}


def test_rotation_seals_with_the_first_secret() -> None:
    token = _codec(SECRET, SECRET_OLD).seal({}, now=NOW, lifetime=60, random=seeded())
    assert _codec(SECRET).open(token, now=NOW).payload == {}
    assert _refused(_codec(SECRET_OLD), token) is ErrorCode.ACCESS_TOKEN_INVALID


def test_failure_code_is_the_configured_one() -> None:
    codec = SealedCodec([SECRET], purpose="test", failure=ErrorCode.PROOF_NONCE_INVALID)
    assert _refused(codec, "garbage") is ErrorCode.PROOF_NONCE_INVALID


@pytest.mark.parametrize(
    "token",
    ["", "AAAA", "not base64url!", "A" * 5000, 42, None, b"bytes", b64url_encode(b"\x01" * 56)],
)
def test_malformed_values_are_refused(token: object) -> None:
    assert _refused(_codec(), token) is ErrorCode.ACCESS_TOKEN_INVALID


def test_unknown_version_is_refused_even_with_a_valid_mac() -> None:
    token = b64url_decode(_sealed())
    body = b"\x02" + token[1:-32]
    forged = _resealed(body)
    assert _refused(_codec(), forged) is ErrorCode.ACCESS_TOKEN_INVALID


def test_non_object_payload_is_refused_even_with_a_valid_mac() -> None:
    token = b64url_decode(_sealed())
    body = token[:25] + b"[1]"
    forged = _resealed(body)
    assert _refused(_codec(), forged) is ErrorCode.ACCESS_TOKEN_INVALID


@settings(max_examples=200, deadline=None)
@given(position=st.integers(min_value=0), replacement=st.sampled_from(_B64URL))
def test_any_character_change_is_refused(position: int, replacement: str) -> None:
    token = _sealed()
    position %= len(token)
    assume(token[position] != replacement)
    tampered = token[:position] + replacement + token[position + 1 :]
    assert _refused(_codec(), tampered) is ErrorCode.ACCESS_TOKEN_INVALID


@settings(max_examples=100, deadline=None)
@given(position=st.integers(min_value=0), bit=st.integers(min_value=0, max_value=7))
def test_any_bit_flip_is_refused(position: int, bit: int) -> None:
    raw = bytearray(b64url_decode(_sealed()))
    raw[position % len(raw)] ^= 1 << bit
    assert _refused(_codec(), b64url_encode(bytes(raw))) is ErrorCode.ACCESS_TOKEN_INVALID


def test_truncation_is_refused() -> None:
    token = _sealed()
    for end in range(len(token)):
        with pytest.raises(VerificationError):
            _codec().open(token[:end], now=NOW)


@pytest.mark.parametrize(
    ("secrets", "error"),
    [([], TypeError), (SECRET, TypeError), ([b"short"], ValueError), (["x" * 40], ValueError)],
)
def test_secrets_are_checked(secrets: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        SealedCodec(secrets, purpose="p", failure=ErrorCode.ACCESS_TOKEN_INVALID)  # type: ignore[arg-type]


@pytest.mark.parametrize("purpose", ["", "用途", "a\nb"])
def test_purpose_must_be_printable_ascii(purpose: str) -> None:
    with pytest.raises(ValueError, match="purpose"):
        SealedCodec([SECRET], purpose=purpose, failure=ErrorCode.ACCESS_TOKEN_INVALID)


def test_max_lifetime_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_lifetime"):
        SealedCodec([SECRET], purpose="p", failure=ErrorCode.ACCESS_TOKEN_INVALID, max_lifetime=0)


def test_negative_now_cannot_seal() -> None:
    with pytest.raises(ValueError, match="NumericDate"):
        _codec().seal({}, now=-1, lifetime=60, random=seeded())


class _ShortRandom:
    def token_bytes(self, n: int) -> bytes:
        return b"\x00" * (n - 1)


def test_short_randomness_cannot_seal() -> None:
    with pytest.raises(ValueError, match="random"):
        _codec().seal({}, now=NOW, lifetime=60, random=_ShortRandom())


def test_failure_must_be_a_verification_code() -> None:
    with pytest.raises(ValueError, match="verification"):
        SealedCodec([SECRET], purpose="p", failure=ErrorCode.MALFORMED_REQUEST)


@pytest.mark.parametrize("lifetime", [0, -1, 86_401])
def test_lifetime_is_bounded(lifetime: int) -> None:
    with pytest.raises(ValueError, match="lifetime"):
        _codec().seal({}, now=NOW, lifetime=lifetime, random=seeded())


def test_oversized_payload_cannot_be_sealed() -> None:
    with pytest.raises(ValueError, match="too large"):
        _codec().seal({"k": "x" * 3000}, now=NOW, lifetime=60, random=seeded())


# ------------------------------------------------------------------------------ nonces


def test_nonce_round_trips() -> None:
    codec = nonces()
    nonce = codec.create_nonce(now=NOW, random=seeded())
    codec.verify_nonce(nonce, now=NOW + 299)


def test_nonce_lifetime_defaults_to_300_seconds() -> None:
    codec = nonces()
    assert codec.lifetime == 300
    nonce = codec.create_nonce(now=NOW, random=seeded())
    with pytest.raises(VerificationError) as caught:
        codec.verify_nonce(nonce, now=NOW + 300)
    assert caught.value.code is ErrorCode.PROOF_NONCE_INVALID


def test_nonce_check_callable_refuses_foreign_values() -> None:
    check = nonces().nonce_check(now=NOW)
    with pytest.raises(VerificationError) as caught:
        check("wKI4LT17ac15ES9bw8ac4")
    assert caught.value.code is ErrorCode.PROOF_NONCE_INVALID


def test_nonces_are_unpredictable_strings() -> None:
    codec = nonces()
    values = {codec.create_nonce(now=NOW, random=seeded(str(i))) for i in range(20)}
    assert len(values) == 20


# ------------------------------------------------------------------------------ grants


def test_access_token_round_trips() -> None:
    token = access_tokens().create_access_token(GRANT, now=NOW, random=seeded())
    verified = access_tokens().verify_access_token(token, now=NOW)
    assert verified.grant == GRANT
    assert verified.expires_at == NOW + 300


def test_access_token_expires_after_300_seconds() -> None:
    token = access_tokens().create_access_token(GRANT, now=NOW, random=seeded())
    access_tokens().verify_access_token(token, now=NOW + 299)
    with pytest.raises(VerificationError) as caught:
        access_tokens().verify_access_token(token, now=NOW + 300)
    assert caught.value.code is ErrorCode.ACCESS_TOKEN_INVALID


def test_access_token_lifetime_is_capped_at_five_minutes() -> None:  # §13.10
    with pytest.raises(ValueError, match="lifetime"):
        AccessTokenCodec([SECRET], lifetime=301)
    assert AccessTokenCodec([SECRET], lifetime=60).lifetime == 60


def test_nonce_is_not_an_access_token() -> None:
    nonce = nonces().create_nonce(now=NOW, random=seeded())
    with pytest.raises(VerificationError) as caught:
        access_tokens().verify_access_token(nonce, now=NOW)
    assert caught.value.code is ErrorCode.ACCESS_TOKEN_INVALID


def test_pre_authorized_code_is_not_an_access_token() -> None:
    code = pre_authorized_codes().create_code(GRANT, now=NOW, random=seeded())
    with pytest.raises(VerificationError) as caught:
        access_tokens().verify_access_token(code, now=NOW)
    assert caught.value.code is ErrorCode.ACCESS_TOKEN_INVALID


def test_access_token_is_not_a_pre_authorized_code() -> None:
    token = access_tokens().create_access_token(GRANT, now=NOW, random=seeded())
    with pytest.raises(VerificationError) as caught:
        pre_authorized_codes().verify_code(token, now=NOW)
    assert caught.value.code is ErrorCode.PRE_AUTHORIZED_CODE_INVALID


def test_pre_authorized_code_round_trips_with_a_single_use_key() -> None:
    codes = pre_authorized_codes()
    code = codes.create_code(GRANT, now=NOW, random=seeded())
    verified = codes.verify_code(code, now=NOW + 599)
    assert verified.grant == GRANT
    assert verified.token_id
    assert verified.expires_at == NOW + 600


def test_expired_pre_authorized_code_is_invalid() -> None:
    codes = PreAuthorizedCodeCodec([SECRET], lifetime=60)
    code = codes.create_code(GRANT, now=NOW, random=seeded())
    with pytest.raises(VerificationError) as caught:
        codes.verify_code(code, now=NOW + 60)
    assert caught.value.code is ErrorCode.PRE_AUTHORIZED_CODE_INVALID


def test_grant_with_unexpected_shape_is_refused() -> None:
    token = SealedCodec(
        [SECRET], purpose="oid4vci access_token", failure=ErrorCode.ACCESS_TOKEN_INVALID
    ).seal({"r": "x"}, now=NOW, lifetime=60, random=seeded())
    with pytest.raises(VerificationError) as caught:
        access_tokens().verify_access_token(token, now=NOW)
    assert caught.value.code is ErrorCode.ACCESS_TOKEN_INVALID


@pytest.mark.parametrize(
    "kwargs",
    [
        {"registration_id": "", "body_code": "042056", "credential_configuration_ids": ("a",)},
        {"registration_id": "r", "body_code": "", "credential_configuration_ids": ("a",)},
        {"registration_id": "r", "body_code": "042056", "credential_configuration_ids": ()},
        {"registration_id": "r", "body_code": "042056", "credential_configuration_ids": ["a"]},
    ],
)
def test_access_grant_is_checked(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="non-empty"):
        AccessGrant(**kwargs)  # type: ignore[arg-type]


def test_nonce_codec_lifetime_is_bounded() -> None:
    with pytest.raises(ValueError, match="lifetime"):
        NonceCodec([SECRET], lifetime=0)
