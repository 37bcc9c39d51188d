"""RS256 ID tokens: opt-in per provider, RSA keys of at least 2048 bits, no algorithm confusion."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

import jwt
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import given, settings
from hypothesis import strategies as st

from furusato_vc.core.encoding import JSONObject, b64url_decode, b64url_encode, dumps_compact
from furusato_vc.core.errors import ErrorCode, FormatError, FurusatoError
from furusato_vc.core.jose import SoftwareSigner, generate_es256_private_key, sign_compact_jws
from furusato_vc.core.premium import (
    IdentityMethod,
    IdTokenAlgorithm,
    OidcProvider,
    RsaPublicJwk,
    VerifiedOidcIdentity,
    parse_provider_jwks,
    rsa_public_jwk_from_key,
    verify_id_token,
)

ISSUER = "https://auth.example.jp"
CLIENT_ID = "furusato-vc-042056"
NONCE = "n-0S6_WzA2Mj"
SECRET = b"s" * 32
NOW_TS = 1_805_000_000
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
SMALL_RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=1024)
EC_SIGNER = SoftwareSigner(generate_es256_private_key(), kid="ec1")
BOTH = frozenset({IdTokenAlgorithm.ES256, IdTokenAlgorithm.RS256})


def rsa_jwk(key: rsa.RSAPrivateKey, kid: str = "r1", **extra: str) -> JSONObject:
    numbers = key.public_key().public_numbers()
    out: JSONObject = {
        "kty": "RSA",
        "kid": kid,
        "n": b64url_encode(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
        "e": b64url_encode(numbers.e.to_bytes(3, "big")),
    }
    out.update(extra)
    return out


JWKS: JSONObject = {
    "keys": [rsa_jwk(RSA_KEY, use="sig", alg="RS256"), EC_SIGNER.public_jwk.to_json()]
}
PROVIDER = OidcProvider(
    issuer=ISSUER,
    client_id=CLIENT_ID,
    jwks=parse_provider_jwks(JWKS, algorithms=BOTH),
    algorithms=BOTH,
)


def claims(**changes: object) -> JSONObject:
    out: JSONObject = {
        "iss": ISSUER,
        "sub": "pairwise-7f3c9a1e",
        "aud": CLIENT_ID,
        "iat": NOW_TS - 30,
        "exp": NOW_TS + 270,
        "nonce": NONCE,
        "birthdate": "1990-06-01",
    }
    out.update(changes)  # type: ignore[arg-type]
    return out


def segment(value: JSONObject) -> str:
    return b64url_encode(dumps_compact(value).encode())


def rs256_token(
    key: rsa.RSAPrivateKey = RSA_KEY,
    *,
    header: JSONObject | None = None,
    body: JSONObject | None = None,
) -> str:
    signing_input = (
        f"{segment(header or {'alg': 'RS256', 'kid': 'r1'})}.{segment(body or claims())}"
    )
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{b64url_encode(signature)}"


def verify(token: str, provider: OidcProvider = PROVIDER) -> VerifiedOidcIdentity:
    now = datetime.fromtimestamp(NOW_TS, UTC)
    return verify_id_token(token, provider=provider, nonce=NONCE, now=now, person_key_secret=SECRET)


def code_of(token: str, provider: OidcProvider = PROVIDER) -> ErrorCode:
    with pytest.raises(FurusatoError) as info:
        verify(token, provider)
    return info.value.code


# --------------------------------------------------------------------------- accepted


def test_rs256_token_is_accepted_when_the_provider_allows_it() -> None:
    identity = verify(rs256_token())
    assert identity.facts.method is IdentityMethod.OIDC
    assert identity.facts.birth_year == 1990


def test_es256_still_works_next_to_rs256() -> None:
    token = sign_compact_jws(header={}, payload=dumps_compact(claims()).encode(), signer=EC_SIGNER)
    assert verify(token).person_key == verify(rs256_token()).person_key


def test_rs256_only_provider() -> None:
    only = frozenset({IdTokenAlgorithm.RS256})
    provider = OidcProvider(
        issuer=ISSUER,
        client_id=CLIENT_ID,
        jwks=parse_provider_jwks(JWKS, algorithms=only),
        algorithms=only,
    )
    assert [key.kid for key in provider.jwks] == ["r1"]
    assert verify(rs256_token(), provider).person_key


def test_pyjwt_signed_token_verifies() -> None:
    token = jwt.encode(claims(), RSA_KEY, algorithm="RS256", headers={"kid": "r1"})
    assert verify(token).facts.birth_year == 1990


def test_pyjwt_jwk_is_parsed() -> None:
    document = jwt.algorithms.RSAAlgorithm.to_jwk(RSA_KEY.public_key(), as_dict=True)
    document["kid"] = "r1"
    provider = OidcProvider(
        issuer=ISSUER,
        client_id=CLIENT_ID,
        jwks=parse_provider_jwks({"keys": [document]}, algorithms=BOTH),
        algorithms=BOTH,
    )
    token = jwt.encode(claims(), RSA_KEY, algorithm="RS256", headers={"kid": "r1"})
    assert verify(token, provider).facts.birth_year == 1990


def test_our_jwk_is_read_by_pyjwt() -> None:
    key = rsa_public_jwk_from_key(RSA_KEY.public_key(), kid="r1")
    loaded = jwt.PyJWK({"kty": "RSA", "n": key.n, "e": key.e})
    token = jwt.encode({"aud": CLIENT_ID, "nonce": NONCE}, RSA_KEY, algorithm="RS256")
    assert jwt.decode(token, loaded.key, algorithms=["RS256"], audience=CLIENT_ID)["nonce"] == NONCE


def test_several_keys_with_one_kid_are_all_tried() -> None:
    document: JSONObject = {"keys": [rsa_jwk(OTHER_RSA_KEY), rsa_jwk(RSA_KEY)]}
    provider = OidcProvider(
        issuer=ISSUER,
        client_id=CLIENT_ID,
        jwks=parse_provider_jwks(document, algorithms=BOTH),
        algorithms=BOTH,
    )
    assert verify(rs256_token(), provider).person_key


# --------------------------------------------------------------------------- rejected


def test_provider_without_rs256_rejects_rs256_tokens() -> None:
    # even with the RSA key configured: the alg allow-list comes first (RFC 8725 §3.1)
    provider = OidcProvider(issuer=ISSUER, client_id=CLIENT_ID, jwks=PROVIDER.jwks)
    assert code_of(rs256_token(), provider) is ErrorCode.ALGORITHM_NOT_ALLOWED


def test_default_jwks_parsing_skips_rsa_keys() -> None:
    assert [key.kid for key in parse_provider_jwks(JWKS)] == ["ec1"]


def test_rs256_header_with_an_ec_key_is_rejected() -> None:
    token = rs256_token(header={"alg": "RS256", "kid": "ec1"})
    assert code_of(token) is ErrorCode.ALGORITHM_NOT_ALLOWED


def test_es256_header_with_an_rsa_key_is_rejected() -> None:
    signing_input = f"{segment({'alg': 'ES256', 'kid': 'r1'})}.{segment(claims())}"
    signature = EC_SIGNER.sign(signing_input.encode())
    assert code_of(f"{signing_input}.{b64url_encode(signature)}") is ErrorCode.ALGORITHM_NOT_ALLOWED


@pytest.mark.parametrize(
    "secret",
    [
        RSA_KEY.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo),
        RSA_KEY.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo),
        RSA_KEY.public_key().public_bytes(Encoding.PEM, PublicFormat.PKCS1),
        dumps_compact(rsa_jwk(RSA_KEY)).encode(),
    ],
)
@pytest.mark.parametrize("alg", ["HS256", "HS384", "HS512"])
def test_hmac_with_the_rsa_public_key_as_secret_is_rejected(secret: bytes, alg: str) -> None:
    signing_input = f"{segment({'alg': alg, 'kid': 'r1'})}.{segment(claims())}"
    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[alg]
    mac = hmac.new(secret, signing_input.encode(), digest).digest()
    assert code_of(f"{signing_input}.{b64url_encode(mac)}") is ErrorCode.ALGORITHM_NOT_ALLOWED


@pytest.mark.parametrize(
    "alg", ["none", "None", "rs256", "RS384", "RS512", "PS256", "ES384", "EdDSA"]
)
def test_other_algorithms_are_rejected(alg: str) -> None:
    token = rs256_token(header={"alg": alg, "kid": "r1"})
    assert code_of(token) is ErrorCode.ALGORITHM_NOT_ALLOWED


def test_pyjwt_hs256_token_with_the_public_key_is_rejected() -> None:
    # PyJWT itself refuses a PEM public key as an HMAC secret; sign with the raw modulus
    secret = RSA_KEY.public_key().public_numbers().n.to_bytes(256, "big")
    token = jwt.encode(claims(), secret, algorithm="HS256", headers={"kid": "r1"})
    assert code_of(token) is ErrorCode.ALGORITHM_NOT_ALLOWED


def test_wrong_rsa_key_is_rejected() -> None:
    assert code_of(rs256_token(OTHER_RSA_KEY)) is ErrorCode.SIGNATURE_INVALID


def test_key_in_the_header_is_ignored() -> None:
    header: JSONObject = {"alg": "RS256", "kid": "r1", "jwk": rsa_jwk(OTHER_RSA_KEY)}
    assert code_of(rs256_token(OTHER_RSA_KEY, header=header)) is ErrorCode.SIGNATURE_INVALID


def test_unknown_kid_is_rejected() -> None:
    assert (
        code_of(rs256_token(header={"alg": "RS256", "kid": "r2"})) is ErrorCode.ISSUER_KEY_UNKNOWN
    )


def test_no_kid_with_several_keys_is_rejected() -> None:
    assert code_of(rs256_token(header={"alg": "RS256"})) is ErrorCode.ISSUER_KEY_UNKNOWN


@pytest.mark.parametrize("change", ["truncate", "extend", "prefix_zero"])
def test_signature_of_the_wrong_length_is_rejected(change: str) -> None:
    head, body, signature_b64 = rs256_token().split(".")
    signature = b64url_decode(signature_b64)
    changed = {
        "truncate": signature[:-1],
        "extend": signature + b"\x00",
        "prefix_zero": b"\x00" + signature,
    }[change]
    assert code_of(f"{head}.{body}.{b64url_encode(changed)}") is ErrorCode.SIGNATURE_INVALID


def test_rs256_claims_are_still_checked() -> None:
    assert (
        code_of(rs256_token(body=claims(aud="another-rp"))) is ErrorCode.ID_TOKEN_AUDIENCE_MISMATCH
    )
    assert (
        code_of(rs256_token(body=claims(iss="https://evil.example"))) is ErrorCode.ID_TOKEN_INVALID
    )


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_any_change_to_a_signed_byte_is_rejected(data: st.DataObject) -> None:
    head, body, signature_b64 = rs256_token().split(".")
    part = data.draw(st.sampled_from(["payload", "signature"]))
    raw = bytearray(b64url_decode(body if part == "payload" else signature_b64))
    index = data.draw(st.integers(0, len(raw) - 1))
    raw[index] ^= data.draw(st.integers(1, 255))
    token = (
        f"{head}.{b64url_encode(bytes(raw))}.{signature_b64}"
        if part == "payload"
        else f"{head}.{body}.{b64url_encode(bytes(raw))}"
    )
    assert code_of(token) is ErrorCode.SIGNATURE_INVALID


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_any_change_to_the_header_is_rejected(data: st.DataObject) -> None:
    head, body, signature_b64 = rs256_token().split(".")
    raw = bytearray(b64url_decode(head))
    index = data.draw(st.integers(0, len(raw) - 1))
    raw[index] ^= data.draw(st.integers(1, 255))
    with pytest.raises(FurusatoError):
        verify(f"{b64url_encode(bytes(raw))}.{body}.{signature_b64}")


# --------------------------------------------------------------------------- configuration


def test_rsa_1024_is_rejected_with_a_clear_error() -> None:
    with pytest.raises(FormatError) as info:
        parse_provider_jwks({"keys": [rsa_jwk(SMALL_RSA_KEY)]}, algorithms=BOTH)
    assert info.value.code is ErrorCode.MALFORMED_JWK
    assert "1024 bits" in str(info.value)
    assert "2048" in str(info.value)
    with pytest.raises(ValueError, match="2048"):
        rsa_public_jwk_from_key(SMALL_RSA_KEY.public_key())


def test_rsa_1024_next_to_a_good_key_still_fails_the_jwks() -> None:
    document: JSONObject = {"keys": [rsa_jwk(RSA_KEY), rsa_jwk(SMALL_RSA_KEY, kid="old")]}
    with pytest.raises(FormatError):
        parse_provider_jwks(document, algorithms=BOTH)


def test_rsa_keys_for_other_algorithms_or_encryption_are_skipped() -> None:
    document: JSONObject = {
        "keys": [
            rsa_jwk(OTHER_RSA_KEY, kid="ps", alg="PS256"),
            rsa_jwk(OTHER_RSA_KEY, kid="enc", use="enc"),
            rsa_jwk(RSA_KEY),
        ]
    }
    keys = parse_provider_jwks(document, algorithms=BOTH)
    assert [key.kid for key in keys] == ["r1"]
    assert isinstance(keys[0], RsaPublicJwk)


def test_rsa_key_marked_for_another_use_in_jwk_alone_is_malformed() -> None:
    document: JSONObject = {"keys": [rsa_jwk(RSA_KEY, key_ops="sign")]}
    with pytest.raises(FormatError):
        parse_provider_jwks(document, algorithms=BOTH)


@pytest.mark.parametrize("algorithms", [frozenset(), frozenset({"RS256"}), frozenset({"HS256"})])
def test_algorithms_must_be_a_non_empty_set_of_id_token_algorithms(
    algorithms: frozenset[str],
) -> None:
    with pytest.raises(ValueError):
        OidcProvider(issuer=ISSUER, client_id=CLIENT_ID, jwks=PROVIDER.jwks, algorithms=algorithms)  # type: ignore[arg-type]


def test_provider_needs_a_key_for_an_allowed_algorithm() -> None:
    ec_only = parse_provider_jwks(JWKS)
    with pytest.raises(ValueError, match="no provider key"):
        OidcProvider(
            issuer=ISSUER,
            client_id=CLIENT_ID,
            jwks=ec_only,
            algorithms=frozenset({IdTokenAlgorithm.RS256}),
        )


def test_provider_keys_must_be_parsed_keys() -> None:
    with pytest.raises(ValueError):
        OidcProvider(issuer=ISSUER, client_id=CLIENT_ID, jwks=(RSA_KEY.public_key(),))  # type: ignore[arg-type]
