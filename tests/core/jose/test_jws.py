"""Compact JWS (RFC 7515 §3.1, §5.1, §5.2) with the ES256/EdDSA allow-list (RFC 7518 §3.1,
§3.4; RFC 8037 §3.1; RFC 8725 §3.1).

Catalogue rows: J-1 (``alg: none`` and case variants), J-2 (HMAC confusion), J-9 (``crit``),
J-10 (duplicate header members), J-12/J-13/J-15 (JSON serialization, JWE and ``zip``
parameters), J-14 (oversized tokens), J-16 (base64url), J-17 (segment count), C-1/C-3/C-4
(ES256 signature encoding, special values, high-S). PyJWT is used as an independent
implementation for interoperability in both directions.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import TYPE_CHECKING

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from hypothesis import given, settings
from hypothesis import strategies as st

from furusato_vc.core.encoding import b64url_decode, b64url_encode, dumps_compact
from furusato_vc.core.errors import ErrorCode, FurusatoError, VerificationError
from furusato_vc.core.jose import (
    DEFAULT_ALGORITHMS,
    AlgorithmPolicy,
    JwsLimits,
    SoftwareSigner,
    decode_unverified_jws,
    parse_public_jwk,
    sign_compact_jws,
    verify_jws_signature,
)
from tests.helpers import fixed_p256_key, fixed_signer

if TYPE_CHECKING:
    from collections.abc import Callable

    from furusato_vc.core.encoding import JSONObject, JSONValue
    from furusato_vc.core.jose import PublicJwk, Signer

P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
WITH_EDDSA = AlgorithmPolicy().with_eddsa()

SIGNER = fixed_signer("test_jws", kid="issuer-1")
OTHER_SIGNER = fixed_signer("test_jws-other")
ED_SIGNER = SoftwareSigner(
    ed25519.Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"test_jws-ed").digest()),
    kid="ed-1",
)
PAYLOAD = dumps_compact({"iss": "https://city.example.jp", "given_name": "花子"}).encode()
TOKEN = sign_compact_jws(header={"typ": "dc+sd-jwt"}, payload=PAYLOAD, signer=SIGNER)


def _forge(header: JSONObject | bytes, *, payload: bytes = PAYLOAD, signer: Signer = SIGNER) -> str:
    """A compact JWS with exactly this header, signed by ``signer`` (whatever ``alg`` says)."""
    header_bytes = header if isinstance(header, bytes) else dumps_compact(header).encode()
    signing_input = b64url_encode(header_bytes) + "." + b64url_encode(payload)
    return signing_input + "." + b64url_encode(signer.sign(signing_input.encode("ascii")))


def _with_signature(token: str, signature: bytes) -> str:
    header, payload, _ = token.split(".")
    return f"{header}.{payload}.{b64url_encode(signature)}"


def _signature_ints(token: str) -> tuple[int, int]:
    raw = b64url_decode(token.split(".")[2])
    return int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")


def _rs(r: int, s: int) -> bytes:
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def _decode_code(token: str, *, limits: JwsLimits | None = None) -> ErrorCode:
    with pytest.raises(FurusatoError) as info:
        decode_unverified_jws(token, limits=limits or JwsLimits())
    return info.value.code


def _verify_code(
    token: str,
    key: PublicJwk = SIGNER.public_jwk,
    *,
    algorithms: AlgorithmPolicy = DEFAULT_ALGORITHMS,
    failure: ErrorCode = ErrorCode.SIGNATURE_INVALID,
) -> ErrorCode:
    jws = decode_unverified_jws(token)
    with pytest.raises(VerificationError) as info:
        verify_jws_signature(jws, key, algorithms=algorithms, failure=failure)
    return info.value.code


def _decode_and_verify(token: str) -> None:
    verify_jws_signature(decode_unverified_jws(token), SIGNER.public_jwk)


# ---------------------------------------------------------------- round trips


def test_es256_token_round_trips() -> None:
    jws = decode_unverified_jws(TOKEN)
    verify_jws_signature(jws, SIGNER.public_jwk)
    assert jws.header == {"alg": "ES256", "kid": "issuer-1", "typ": "dc+sd-jwt"}
    assert (jws.alg, jws.kid, jws.typ) == ("ES256", "issuer-1", "dc+sd-jwt")
    assert jws.payload == PAYLOAD


def test_es256_signature_is_64_bytes_r_s() -> None:
    assert len(decode_unverified_jws(TOKEN).signature) == 64


def test_eddsa_token_round_trips_with_eddsa_policy() -> None:
    token = sign_compact_jws(header={"typ": "kb+jwt"}, payload=PAYLOAD, signer=ED_SIGNER)
    jws = decode_unverified_jws(token)
    verify_jws_signature(jws, ED_SIGNER.public_jwk, algorithms=WITH_EDDSA)
    assert (jws.alg, jws.kid) == ("EdDSA", "ed-1")


def test_eddsa_rfc_8037_appendix_a4_token_verifies() -> None:
    key = parse_public_jwk(
        {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},
        allow_eddsa=True,
    )
    token = (
        "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PG"
        "cvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"
    )
    jws = decode_unverified_jws(token)
    verify_jws_signature(jws, key, algorithms=WITH_EDDSA)
    assert jws.payload == b"Example of Ed25519 signing"


def test_sign_compact_jws_omits_kid_when_asked() -> None:
    token = sign_compact_jws(header={}, payload=b"", signer=SIGNER, include_kid=False)
    assert decode_unverified_jws(token).header == {"alg": "ES256"}


def test_sign_compact_jws_keeps_a_kid_given_in_the_header() -> None:
    token = sign_compact_jws(header={"kid": "mine"}, payload=b"x", signer=SIGNER)
    assert decode_unverified_jws(token).kid == "mine"


def test_sign_compact_jws_refuses_a_header_alg_that_contradicts_the_signer() -> None:
    with pytest.raises(ValueError):
        sign_compact_jws(header={"alg": "EdDSA"}, payload=b"x", signer=SIGNER)


def test_empty_payload_round_trips() -> None:
    token = sign_compact_jws(header={}, payload=b"", signer=SIGNER)
    assert token.split(".")[1] == ""
    _decode_and_verify(token)


def test_signature_is_checked_over_the_received_header_bytes() -> None:
    # Insignificant whitespace is kept: the signature covers the bytes, not a re-serialization.
    _decode_and_verify(_forge(b'{ "alg" : "ES256" ,\n "typ":"JWT" }'))


def test_high_s_signature_is_accepted() -> None:
    # (r, n - s) is a valid ECDSA signature (Wycheproof doc/ecdsa.md); JOSE has no low-S rule,
    # so signature bytes must never serve as a unique identifier.
    r, s = _signature_ints(TOKEN)
    _decode_and_verify(_with_signature(TOKEN, _rs(r, P256_N - s)))


# ---------------------------------------------------------------- PyJWT interop


def test_our_es256_token_verifies_with_pyjwt() -> None:
    public_key = fixed_p256_key("test_jws").public_key()
    claims = jwt.decode(TOKEN, key=public_key, algorithms=["ES256"])
    assert claims == {"iss": "https://city.example.jp", "given_name": "花子"}


def test_pyjwt_es256_token_verifies_with_ours() -> None:
    token = jwt.encode(
        {"sub": "holder", "n": 1},
        fixed_p256_key("test_jws"),
        algorithm="ES256",
        headers={"kid": "issuer-1"},
    )
    jws = decode_unverified_jws(token)
    verify_jws_signature(jws, SIGNER.public_jwk)
    assert jws.payload == b'{"sub":"holder","n":1}'


def test_pyjwt_es256_token_fails_with_another_key() -> None:
    token = jwt.encode({"sub": "holder"}, fixed_p256_key("test_jws"), algorithm="ES256")
    assert _verify_code(token, OTHER_SIGNER.public_jwk) is ErrorCode.SIGNATURE_INVALID


# ---------------------------------------------------------------- algorithm allow-list


@pytest.mark.parametrize(
    "alg", ["none", "None", "NONE", "nOnE", "HS256", "es256", "ES256 ", "ES384"]
)
def test_alg_outside_the_allow_list_is_rejected(alg: str) -> None:
    assert _verify_code(_forge({"alg": alg})) is ErrorCode.ALGORITHM_NOT_ALLOWED


def test_alg_none_with_an_empty_signature_is_malformed() -> None:
    header = b64url_encode(b'{"alg":"none"}')
    assert _decode_code(f"{header}.{b64url_encode(PAYLOAD)}.") is ErrorCode.MALFORMED_JWS


def test_hs256_keyed_with_the_public_key_is_rejected() -> None:
    # HMAC confusion (J-2): the attacker uses the issuer's public JWK text as the HMAC secret.
    secret = dumps_compact(SIGNER.public_jwk.to_json()).encode()
    signing_input = b64url_encode(b'{"alg":"HS256"}') + "." + b64url_encode(PAYLOAD)
    mac = hmac.new(secret, signing_input.encode("ascii"), hashlib.sha256).digest()
    token = signing_input + "." + b64url_encode(mac)
    assert _verify_code(token) is ErrorCode.ALGORITHM_NOT_ALLOWED


def test_eddsa_token_is_rejected_by_the_default_policy() -> None:
    token = sign_compact_jws(header={}, payload=PAYLOAD, signer=ED_SIGNER)
    assert _verify_code(token, ED_SIGNER.public_jwk) is ErrorCode.ALGORITHM_NOT_ALLOWED


def test_es256_token_with_an_ed25519_key_is_rejected() -> None:
    code = _verify_code(TOKEN, ED_SIGNER.public_jwk, algorithms=WITH_EDDSA)
    assert code is ErrorCode.ALGORITHM_NOT_ALLOWED


def test_eddsa_token_with_a_p256_key_is_rejected() -> None:
    token = sign_compact_jws(header={}, payload=PAYLOAD, signer=ED_SIGNER)
    code = _verify_code(token, SIGNER.public_jwk, algorithms=WITH_EDDSA)
    assert code is ErrorCode.ALGORITHM_NOT_ALLOWED


def test_eddsa_header_over_an_es256_signature_is_rejected() -> None:
    code = _verify_code(_forge({"alg": "EdDSA"}), SIGNER.public_jwk, algorithms=WITH_EDDSA)
    assert code is ErrorCode.ALGORITHM_NOT_ALLOWED


def test_failure_code_does_not_replace_algorithm_not_allowed() -> None:
    code = _verify_code(_forge({"alg": "none"}), failure=ErrorCode.KB_SIGNATURE_INVALID)
    assert code is ErrorCode.ALGORITHM_NOT_ALLOWED


def test_embedded_jwk_header_is_never_used_as_the_key() -> None:
    attacker = OTHER_SIGNER.public_jwk.to_json()
    token = _forge({"alg": "ES256", "jwk": attacker}, signer=OTHER_SIGNER)
    assert _verify_code(token) is ErrorCode.SIGNATURE_INVALID


# ---------------------------------------------------------------- signature encoding


def _bad_signatures() -> dict[str, bytes]:
    r, s = _signature_ints(TOKEN)
    return {
        "63-bytes": _rs(r, s)[:63],
        "65-bytes": _rs(r, s) + b"\x00",
        "65-bytes-leading-zero": b"\x00" + _rs(r, s),
        "der": encode_dss_signature(r, s),
        "r=0": _rs(0, s),
        "s=0": _rs(r, 0),
        "r=s=0": _rs(0, 0),
        "r=n": _rs(P256_N, s),
        "s=n": _rs(r, P256_N),
        "r+n-65-bytes": (r + P256_N).to_bytes(33, "big") + s.to_bytes(32, "big"),
        "r-s-swapped": _rs(s, r),
        "other-key": OTHER_SIGNER.sign(b"x"),
    }


BAD_SIGNATURES = _bad_signatures()


@pytest.mark.parametrize("name", BAD_SIGNATURES)
def test_malformed_or_wrong_es256_signature_is_signature_invalid(name: str) -> None:
    token = _with_signature(TOKEN, BAD_SIGNATURES[name])
    assert _verify_code(token) is ErrorCode.SIGNATURE_INVALID


@pytest.mark.parametrize("name", BAD_SIGNATURES)
def test_wrong_signature_is_reported_with_the_requested_failure_code(name: str) -> None:
    token = _with_signature(TOKEN, BAD_SIGNATURES[name])
    code = _verify_code(token, failure=ErrorCode.KB_SIGNATURE_INVALID)
    assert code is ErrorCode.KB_SIGNATURE_INVALID


@pytest.mark.parametrize("length", [63, 65])
def test_eddsa_signature_of_the_wrong_length_is_signature_invalid(length: int) -> None:
    token = sign_compact_jws(header={}, payload=PAYLOAD, signer=ED_SIGNER)
    signature = (decode_unverified_jws(token).signature + b"\x00")[:length]
    code = _verify_code(
        _with_signature(token, signature), ED_SIGNER.public_jwk, algorithms=WITH_EDDSA
    )
    assert code is ErrorCode.SIGNATURE_INVALID


def test_signature_by_another_key_is_signature_invalid() -> None:
    assert _verify_code(TOKEN, OTHER_SIGNER.public_jwk) is ErrorCode.SIGNATURE_INVALID


# ---------------------------------------------------------------- header rules


@pytest.mark.parametrize(
    "header",
    [{"alg": "ES256", "crit": ["exp"], "exp": 1}, {"alg": "ES256", "crit": []}],
    ids=["crit-exp", "crit-empty"],
)
def test_crit_header_is_critical_header_unsupported(header: JSONObject) -> None:
    assert _decode_code(_forge(header)) is ErrorCode.CRITICAL_HEADER_UNSUPPORTED


@pytest.mark.parametrize(
    "extra",
    [
        {"zip": "DEF"},
        {"enc": "A128GCM"},
        {"epk": {"kty": "EC"}},
        {"p2s": "c2FsdA"},
        {"p2c": 2**31 - 1},
        {"b64": False},
    ],
    ids=["zip", "enc", "epk", "p2s", "p2c", "b64"],
)
def test_jwe_and_payload_encoding_parameters_are_malformed_header(extra: JSONObject) -> None:
    assert _decode_code(_forge({"alg": "ES256", **extra})) is ErrorCode.MALFORMED_JWS_HEADER


@pytest.mark.parametrize(
    "header",
    [b"[]", b'["alg","ES256"]', b'"ES256"', b"null", b"not json", b"{", b'{"alg":"ES256"} x'],
    ids=["empty-array", "array", "string", "null", "not-json", "truncated", "trailing"],
)
def test_header_that_is_not_a_json_object_is_malformed_header(header: bytes) -> None:
    assert _decode_code(_forge(header)) is ErrorCode.MALFORMED_JWS_HEADER


def test_header_that_is_not_utf8_is_malformed_header() -> None:
    assert _decode_code(_forge(b'{"alg":"ES256","x":"\xff"}')) is ErrorCode.MALFORMED_JWS_HEADER


@pytest.mark.parametrize(
    "header",
    [{"typ": "JWT"}, {"alg": None}, {"alg": 256}, {"alg": ["ES256"]}, {"alg": {"v": "ES256"}}],
    ids=["missing", "null", "int", "array", "object"],
)
def test_alg_missing_or_not_a_string_is_malformed_header(header: JSONObject) -> None:
    assert _decode_code(_forge(header)) is ErrorCode.MALFORMED_JWS_HEADER


@pytest.mark.parametrize("name", ["typ", "kid", "cty"])
@pytest.mark.parametrize("value", [1, None, ["x"], True], ids=["int", "null", "array", "bool"])
def test_typ_kid_cty_that_is_not_a_string_is_malformed_header(name: str, value: JSONValue) -> None:
    header: JSONObject = {"alg": "ES256", name: value}
    assert _decode_code(_forge(header)) is ErrorCode.MALFORMED_JWS_HEADER


def test_duplicate_alg_in_header_is_json_duplicate_key() -> None:
    token = _forge(b'{"alg":"ES256","alg":"none"}')
    assert _decode_code(token) is ErrorCode.JSON_DUPLICATE_KEY


def test_deeply_nested_header_is_json_too_deep() -> None:
    token = _forge(b'{"alg":"ES256","x":[[[[[1]]]]]}')
    assert _decode_code(token) is ErrorCode.JSON_TOO_DEEP


def test_header_over_4096_bytes_is_malformed_header() -> None:
    assert _decode_code(_forge({"alg": "ES256", "x": "a" * 4096})) is ErrorCode.MALFORMED_JWS_HEADER


def test_lone_surrogate_in_header_is_json_invalid_string() -> None:
    token = _forge(b'{"alg":"ES256","kid":"\\ud800"}')
    assert _decode_code(token) is ErrorCode.JSON_INVALID_STRING


# ---------------------------------------------------------------- compact structure


def _parts() -> tuple[str, str, str]:
    header, payload, signature = TOKEN.split(".")
    return header, payload, signature


@pytest.mark.parametrize(
    "token",
    [
        "",
        ".".join(_parts()[:2]),
        ".".join(_parts()[1:]),
        TOKEN + ".",
        TOKEN + ".e30",
        "..",
        "...",
        f".{_parts()[1]}.{_parts()[2]}",
        f"{_parts()[0]}.{_parts()[1]}.",
    ],
    ids=[
        "empty",
        "2-segments",
        "2-segments-no-header",
        "4-segments-empty",
        "4-segments",
        "3-empty",
        "4-empty",
        "empty-header",
        "empty-signature",
    ],
)
def test_wrong_segment_structure_is_malformed_jws(token: str) -> None:
    assert _decode_code(token) is ErrorCode.MALFORMED_JWS


DAMAGES: dict[str, Callable[[str], str]] = {
    "padding-1": lambda s: s + "=",
    "padding-2": lambda s: s + "==",
    "leading-space": lambda s: " " + s,
    "trailing-newline": lambda s: s + "\n",
    "plus": lambda s: s[:4] + "+" + s[5:],
    "slash": lambda s: s[:4] + "/" + s[5:],
    "junk": lambda s: s[:4] + "!" + s[4:],
}


@pytest.mark.parametrize("segment", [0, 1, 2], ids=["header", "payload", "signature"])
@pytest.mark.parametrize("damage", DAMAGES)
def test_segment_that_is_not_canonical_base64url_is_malformed_jws(
    segment: int, damage: str
) -> None:
    parts = list(_parts())
    parts[segment] = DAMAGES[damage](parts[segment])
    assert _decode_code(".".join(parts)) is ErrorCode.MALFORMED_JWS


def test_non_zero_trailing_bits_in_a_segment_is_malformed_jws() -> None:
    # Wycheproof "ModifiedUnusedBitsInPayload": "AB" is a non-canonical spelling of "AA".
    header = b64url_encode(b'{"alg":"ES256"}')
    assert _decode_code(f"{header}.AB.{_parts()[2]}") is ErrorCode.MALFORMED_JWS


def test_json_serialization_is_malformed_jws() -> None:
    header, payload, signature = _parts()
    token = dumps_compact({"payload": payload, "protected": header, "signature": signature})
    assert _decode_code(token) is ErrorCode.MALFORMED_JWS


def test_token_over_the_default_limit_is_input_too_large() -> None:
    big = sign_compact_jws(header={}, payload=b"a" * 64 * 1024, signer=SIGNER)
    assert _decode_code(big) is ErrorCode.INPUT_TOO_LARGE


def test_token_over_a_custom_limit_is_input_too_large() -> None:
    limits = JwsLimits(max_chars=len(TOKEN) - 1)
    assert _decode_code(TOKEN, limits=limits) is ErrorCode.INPUT_TOO_LARGE


def test_token_exactly_at_the_limit_is_decoded() -> None:
    assert decode_unverified_jws(TOKEN, limits=JwsLimits(max_chars=len(TOKEN))).payload == PAYLOAD


def test_size_is_checked_before_structure() -> None:
    assert _decode_code("." * 70_000) is ErrorCode.INPUT_TOO_LARGE


# ---------------------------------------------------------------- tampering properties


def _rejected(token: str) -> bool:
    try:
        _decode_and_verify(token)
    except FurusatoError:
        return True
    return False


@settings(max_examples=200)
@given(index=st.integers(min_value=0, max_value=len(TOKEN) - 1), mask=st.integers(1, 255))
def test_any_single_byte_change_is_rejected(index: int, mask: int) -> None:
    raw = bytearray(TOKEN.encode("ascii"))
    raw[index] ^= mask
    assert _rejected(raw.decode("latin-1"))


@settings(max_examples=200)
@given(index=st.integers(min_value=0, max_value=len(TOKEN) - 1), char=st.characters())
def test_any_single_character_change_is_rejected(index: int, char: str) -> None:
    tampered = TOKEN[:index] + char + TOKEN[index + 1 :]
    if tampered != TOKEN:
        assert _rejected(tampered)


@settings(max_examples=100)
@given(index=st.integers(min_value=0, max_value=len(TOKEN)), char=st.characters())
def test_any_single_character_insertion_is_rejected(index: int, char: str) -> None:
    assert _rejected(TOKEN[:index] + char + TOKEN[index:])


@settings(max_examples=100)
@given(index=st.integers(min_value=0, max_value=len(TOKEN) - 1))
def test_any_single_character_deletion_is_rejected(index: int) -> None:
    assert _rejected(TOKEN[:index] + TOKEN[index + 1 :])


@pytest.mark.parametrize("segment", [0, 1, 2], ids=["header", "payload", "signature"])
@pytest.mark.parametrize(
    "char", ["\ud800", "é", "あ", "\x00"], ids=["lone-surrogate", "e-acute", "hiragana", "nul"]
)
def test_character_outside_the_alphabet_in_a_segment_is_malformed_jws(
    segment: int, char: str
) -> None:
    parts = list(_parts())
    parts[segment] = char + parts[segment][1:]
    assert _decode_code(".".join(parts)) is ErrorCode.MALFORMED_JWS
