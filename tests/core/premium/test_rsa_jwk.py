"""RSA public JWKs for RS256 ID tokens (RFC 7518 §6.3.1): strict, public, at least 2048 bits."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import given
from hypothesis import strategies as st

from furusato_vc.core.encoding import JSONObject, b64url_encode
from furusato_vc.core.errors import ErrorCode, FormatError
from furusato_vc.core.premium import RsaPublicJwk, parse_rsa_public_jwk, rsa_public_jwk_from_key

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
NUMBERS = KEY.public_key().public_numbers()
N = b64url_encode(NUMBERS.n.to_bytes(256, "big"))


def jwk(**changes: object) -> JSONObject:
    out: JSONObject = {"kty": "RSA", "n": N, "e": "AQAB"}
    for name, value in changes.items():
        if value is None:
            out.pop(name, None)
        else:
            out[name] = value  # type: ignore[assignment]
    return out


def malformed(value: object) -> str:
    with pytest.raises(FormatError) as info:
        parse_rsa_public_jwk(value)  # type: ignore[arg-type]
    assert info.value.code is ErrorCode.MALFORMED_JWK
    return str(info.value)


def test_minimal_key_is_parsed() -> None:
    key = parse_rsa_public_jwk(jwk(kid="r1", alg="RS256", use="sig", key_ops=["verify"]))
    assert key.kid == "r1"
    assert key.key.public_numbers() == NUMBERS
    assert key.algorithm == "RS256"
    assert "n=" in repr(key)
    assert "key=" not in repr(key)


def test_from_key_round_trips() -> None:
    built = rsa_public_jwk_from_key(KEY.public_key(), kid="r1")
    assert built == parse_rsa_public_jwk(jwk(kid="r1"))
    assert built.n == N
    assert built.e == "AQAB"


def test_larger_keys_are_accepted() -> None:
    big = rsa.generate_private_key(public_exponent=65537, key_size=4096).public_key()
    assert rsa_public_jwk_from_key(big).key.key_size == 4096


@pytest.mark.parametrize("member", ["d", "p", "q", "dp", "dq", "qi", "oth"])
def test_private_members_are_rejected(member: str) -> None:
    assert "private" in malformed(jwk(**{member: "AQAB"}))


def test_leading_zero_octet_in_n_is_rejected() -> None:
    # RFC 7518 §6.3.1.1: some libraries prefix a zero octet; the JWK must not carry it
    padded = b64url_encode(b"\x00" + NUMBERS.n.to_bytes(256, "big"))
    assert "leading zero" in malformed(jwk(n=padded))


def test_leading_zero_octet_in_e_is_rejected() -> None:
    assert "leading zero" in malformed(jwk(e="AAEAAQ"))


@pytest.mark.parametrize(
    "n",
    [
        N + "=",  # padding
        N.replace("-", "+").replace("_", "/") if ("-" in N or "_" in N) else "+" + N[1:],
        N[:-1] + " ",  # whitespace
        N + "A",  # impossible length / trailing garbage
        "",
    ],
)
def test_non_strict_base64url_is_rejected(n: str) -> None:
    malformed(jwk(n=n))


def test_non_canonical_trailing_bits_are_rejected() -> None:
    # 256 bytes = 342 characters, the last carrying 4 spare bits that must be zero
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet[alphabet.index(N[-1]) | 0x01]
    assert last != N[-1]
    malformed(jwk(n=N[:-1] + last))


@pytest.mark.parametrize(
    ("e", "why"),
    [
        ("AQAA", "even"),  # 65536
        ("Aw", "3"),  # below 2^16 + 1
        ("AQ", "1"),
        ("AQAAAA", "even 2^24"),
        (b64url_encode(b"\x01" + b"\x00" * 31 + b"\x01"), "at or over 2^256"),  # 33 bytes
    ],
)
def test_unsane_exponents_are_rejected(e: str, why: str) -> None:
    assert why
    malformed(jwk(e=e))


def test_even_modulus_is_rejected() -> None:
    even = b64url_encode((NUMBERS.n - 1).to_bytes(256, "big"))
    malformed(jwk(n=even))


def test_modulus_under_2048_bits_is_rejected_with_a_clear_message() -> None:
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key()
    n = small.public_numbers().n
    message = malformed(jwk(n=b64url_encode(n.to_bytes(128, "big"))))
    assert "1024 bits" in message
    assert "2048" in message


def test_2047_bit_modulus_is_rejected() -> None:
    n = NUMBERS.n >> 1 | 1
    assert n.bit_length() == 2047
    malformed(jwk(n=b64url_encode(n.to_bytes(256, "big"))))


def test_modulus_over_the_bound_is_rejected() -> None:
    huge = (1 << 8200) | 1
    malformed(jwk(n=b64url_encode(huge.to_bytes(1026, "big"))))


@pytest.mark.parametrize(
    "value",
    [
        [],
        "RSA",
        {"n": N, "e": "AQAB"},
        {"kty": "EC", "n": N, "e": "AQAB"},
        {"kty": "RSA", "e": "AQAB"},
        {"kty": "RSA", "n": N},
        {"kty": "RSA", "n": 7, "e": "AQAB"},
    ],
)
def test_incomplete_keys_are_rejected(value: object) -> None:
    malformed(value)


@pytest.mark.parametrize(
    "changes",
    [
        {"alg": "PS256"},
        {"alg": "RS512"},
        {"alg": "none"},
        {"use": "enc"},
        {"key_ops": ["sign"]},
        {"key_ops": "verify"},
        {"kid": ""},
        {"kid": "x" * 129},
        {"kid": "ü"},
        {"kid": 7},
    ],
)
def test_contradicting_metadata_is_rejected(changes: dict[str, object]) -> None:
    malformed(jwk(**changes))


def test_direct_construction_enforces_the_size() -> None:
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key()
    with pytest.raises(ValueError, match="2048"):
        RsaPublicJwk(n="x", e="AQAB", key=small)


def test_from_key_rejects_a_small_exponent() -> None:
    weak = rsa.RSAPublicNumbers(3, NUMBERS.n).public_key()
    with pytest.raises(ValueError, match="exponent"):
        rsa_public_jwk_from_key(weak)


def test_verify_never_raises() -> None:
    key = rsa_public_jwk_from_key(KEY.public_key())
    assert not key.verify(b"", b"message")
    assert not key.verify(b"\xff" * 256, b"message")
    assert not key.verify(b"\x00" * 256, b"message")


@given(
    st.dictionaries(
        st.sampled_from(["kty", "n", "e", "alg", "use", "kid", "d"]), st.text(max_size=40)
    )
)
def test_arbitrary_members_never_crash(value: dict[str, str]) -> None:
    try:
        parse_rsa_public_jwk(dict(value))
    except FormatError as error:
        assert error.code is ErrorCode.MALFORMED_JWK  # noqa: PT017
