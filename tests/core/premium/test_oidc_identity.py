"""ID token verification against a test provider generated here (key pair, JWKS, tokens)."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import fields
from datetime import UTC, date, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from furusato_vc.core.encoding import JSONObject, b64url_encode, dumps_compact
from furusato_vc.core.errors import ErrorCode, FormatError, VerificationError
from furusato_vc.core.jose import SoftwareSigner, generate_es256_private_key, sign_compact_jws
from furusato_vc.core.jose.algorithms import AlgorithmPolicy, JwsAlgorithm
from furusato_vc.core.jose.jwk import private_jwk
from furusato_vc.core.premium import (
    IdentityMethod,
    IdTokenAlgorithm,
    OidcProvider,
    VerifiedOidcIdentity,
    derive_person_key,
    parse_provider_jwks,
    verify_id_token,
)

ISSUER = "https://auth.example.jp"
CLIENT_ID = "furusato-vc-042056"
NONCE = "n-0S6_WzA2Mj"
SECRET = b"s" * 32
NOW = datetime(2027, 3, 14, 16, 30, tzinfo=UTC)  # 2027-03-15 01:30 JST
SUB = "pairwise-7f3c9a1e"
ADDRESS_TEXT = "東京都千代田区千代田1-1"
SIGNER = SoftwareSigner(generate_es256_private_key(), kid="k1")
OTHER_SIGNER = SoftwareSigner(generate_es256_private_key(), kid="k1")


def _jwks_document() -> JSONObject:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    numbers = rsa_key.public_numbers()
    rsa_jwk: JSONObject = {
        "kty": "RSA",
        "kid": "rsa1",
        "n": b64url_encode(numbers.n.to_bytes(256, "big")),
        "e": "AQAB",
    }
    return {"keys": [rsa_jwk, SIGNER.public_jwk.to_json()]}


PROVIDER = OidcProvider(
    issuer=ISSUER,
    client_id=CLIENT_ID,
    jwks=parse_provider_jwks(_jwks_document()),
    address_code_claim=("address", "municipality_code"),
)


def _claims(**changes: object) -> JSONObject:
    iat = int(NOW.timestamp()) - 30
    claims: JSONObject = {
        "iss": ISSUER,
        "sub": SUB,
        "aud": CLIENT_ID,
        "iat": iat,
        "exp": iat + 300,
        "nonce": NONCE,
        "name": "山田 太郎",
        "birthdate": "1990-06-01",
        "address": {"formatted": ADDRESS_TEXT, "municipality_code": "131016"},
    }
    for name, value in changes.items():
        if value is None:
            claims.pop(name, None)
        else:
            claims[name] = value  # type: ignore[assignment]
    return claims


def _token(
    claims: JSONObject | None = None,
    *,
    signer: SoftwareSigner = SIGNER,
    header: JSONObject | None = None,
) -> str:
    return sign_compact_jws(
        header=header or {"typ": "JWT"},
        payload=dumps_compact(claims or _claims()).encode(),
        signer=signer,
    )


def _verify(
    token: str, *, now: datetime = NOW, nonce: str = NONCE, provider: OidcProvider = PROVIDER
) -> VerifiedOidcIdentity:
    return verify_id_token(token, provider=provider, nonce=nonce, now=now, person_key_secret=SECRET)


def _code_of(token: str, **kwargs: object) -> ErrorCode:
    with pytest.raises((VerificationError, FormatError)) as info:
        _verify(token, **kwargs)  # type: ignore[arg-type]
    return info.value.code


# --------------------------------------------------------------------------- accepted


def test_a_valid_token_gives_the_derived_facts() -> None:
    identity = _verify(_token())
    assert identity.facts.method is IdentityMethod.OIDC
    assert identity.facts.verified_on == date(2027, 3, 15)  # the JST date
    assert identity.facts.address_municipality_code == "131016"
    assert identity.facts.birth_year == 1990
    assert identity.facts.birth_date is None
    expected = hmac.new(SECRET, f"{ISSUER}\x00{SUB}".encode(), hashlib.sha256).digest()
    assert identity.person_key == b64url_encode(expected)


def test_the_person_key_is_stable_and_depends_on_the_secret() -> None:
    assert _verify(_token()).person_key == _verify(_token()).person_key
    other = derive_person_key(secret=b"t" * 32, issuer=ISSUER, subject=SUB)
    assert other != _verify(_token()).person_key
    with pytest.raises(ValueError):
        derive_person_key(secret=b"short", issuer=ISSUER, subject=SUB)


def test_nothing_sensitive_is_kept() -> None:
    token = _token()
    identity = _verify(token)
    kept = repr(identity) + "".join(
        repr(getattr(identity.facts, f.name)) for f in fields(identity.facts)
    )
    for secret_value in (
        token,
        SUB,
        NONCE,
        "山田",
        ADDRESS_TEXT,
        "千代田",
        "1990-06-01",
        "06-01",
        SECRET.decode(),
    ):
        assert secret_value not in kept
    assert {f.name for f in fields(identity)} == {"person_key", "facts"}


def test_optional_claims_may_be_absent() -> None:
    identity = _verify(_token(_claims(birthdate=None, address=None)))
    assert identity.facts.birth_year is None
    assert identity.facts.address_municipality_code is None


def test_year_withheld_and_year_only_birthdates() -> None:
    assert _verify(_token(_claims(birthdate="0000-06-01"))).facts.birth_year is None
    assert _verify(_token(_claims(birthdate="2012"))).facts.birth_year == 2012


def test_without_an_address_claim_path_no_address_is_read() -> None:
    provider = OidcProvider(issuer=ISSUER, client_id=CLIENT_ID, jwks=PROVIDER.jwks)
    assert _verify(_token(), provider=provider).facts.address_municipality_code is None


def test_a_token_without_kid_is_accepted_with_a_single_key() -> None:
    token = sign_compact_jws(
        header={}, payload=dumps_compact(_claims()).encode(), signer=SIGNER, include_kid=False
    )
    assert _verify(token).facts.method is IdentityMethod.OIDC


def test_several_audiences_with_azp_are_accepted() -> None:
    assert _verify(_token(_claims(aud=[CLIENT_ID, "other"], azp=CLIENT_ID))).person_key


# --------------------------------------------------------------------------- rejected


def test_wrong_signing_key_is_rejected() -> None:
    assert _code_of(_token(signer=OTHER_SIGNER)) is ErrorCode.SIGNATURE_INVALID


def test_tampered_payload_is_rejected() -> None:
    header, _payload, signature = _token().split(".")
    forged = b64url_encode(dumps_compact(_claims(sub="someone-else")).encode())
    assert _code_of(f"{header}.{forged}.{signature}") is ErrorCode.SIGNATURE_INVALID


def test_unknown_kid_is_rejected() -> None:
    assert (
        _code_of(_token(signer=SoftwareSigner(generate_es256_private_key(), kid="k2")))
        is ErrorCode.ISSUER_KEY_UNKNOWN
    )


def _raw_token(header: JSONObject, claims: JSONObject, signature: bytes) -> str:
    return ".".join(
        (
            b64url_encode(dumps_compact(header).encode()),
            b64url_encode(dumps_compact(claims).encode()),
            b64url_encode(signature),
        )
    )


@pytest.mark.parametrize("alg", ["none", "HS256", "RS256", "EdDSA", "es256"])
def test_other_algorithms_are_rejected(alg: str) -> None:
    token = _raw_token({"alg": alg, "kid": "k1"}, _claims(), b"\x00" * 64)
    assert _code_of(token) is ErrorCode.ALGORITHM_NOT_ALLOWED


def test_hmac_with_the_public_key_as_secret_is_rejected() -> None:
    header: JSONObject = {"alg": "HS256", "kid": "k1"}
    head = b64url_encode(dumps_compact(header).encode())
    unsigned = f"{head}.{b64url_encode(dumps_compact(_claims()).encode())}"
    mac = hmac.new(
        dumps_compact(SIGNER.public_jwk.to_json()).encode(), unsigned.encode(), hashlib.sha256
    ).digest()
    assert _code_of(f"{unsigned}.{b64url_encode(mac)}") is ErrorCode.ALGORITHM_NOT_ALLOWED


def test_eddsa_cannot_be_configured() -> None:
    assert "EdDSA" not in {alg.value for alg in IdTokenAlgorithm}
    with pytest.raises(ValueError):
        OidcProvider(
            issuer=ISSUER,
            client_id=CLIENT_ID,
            jwks=PROVIDER.jwks,
            algorithms=AlgorithmPolicy().with_eddsa(),  # type: ignore[arg-type]
        )


def test_id_tokens_are_es256_only_by_default_and_credentials_stay_es256() -> None:
    assert PROVIDER.algorithms == frozenset({IdTokenAlgorithm.ES256})
    assert AlgorithmPolicy().allowed == frozenset({JwsAlgorithm.ES256})
    assert {alg.value for alg in JwsAlgorithm} == {"ES256", "EdDSA"}  # no RSA in the JOSE core


def test_wrong_issuer_is_rejected() -> None:
    assert _code_of(_token(_claims(iss="https://evil.example"))) is ErrorCode.ID_TOKEN_INVALID


def test_wrong_audience_is_rejected() -> None:
    assert _code_of(_token(_claims(aud="another-rp"))) is ErrorCode.ID_TOKEN_AUDIENCE_MISMATCH
    assert _code_of(_token(_claims(aud=["a", "b"]))) is ErrorCode.ID_TOKEN_AUDIENCE_MISMATCH


def test_malformed_audience_is_rejected() -> None:
    assert _code_of(_token(_claims(aud=[]))) is ErrorCode.MALFORMED_CLAIM
    assert _code_of(_token(_claims(aud=7))) is ErrorCode.MALFORMED_CLAIM


def test_several_audiences_without_our_azp_are_rejected() -> None:
    assert _code_of(_token(_claims(aud=[CLIENT_ID, "other"]))) is ErrorCode.ID_TOKEN_INVALID
    assert _code_of(_token(_claims(azp="other"))) is ErrorCode.ID_TOKEN_INVALID


def test_expiry_boundaries_with_skew() -> None:
    exp = int(NOW.timestamp()) + 10
    token = _token(_claims(exp=exp))
    skew = 60
    assert _verify(token, now=datetime.fromtimestamp(exp - 1, UTC)).person_key
    assert _verify(token, now=datetime.fromtimestamp(exp + skew - 1, UTC)).person_key
    assert (
        _code_of(token, now=datetime.fromtimestamp(exp + skew, UTC)) is ErrorCode.ID_TOKEN_EXPIRED
    )
    assert (
        _code_of(token, now=datetime.fromtimestamp(exp + skew + 1, UTC))
        is ErrorCode.ID_TOKEN_EXPIRED
    )


def test_a_token_issued_too_long_ago_is_rejected() -> None:
    iat = int(NOW.timestamp()) - 600 - 60 - 1
    token = _token(_claims(iat=iat, exp=int(NOW.timestamp()) + 3600))
    assert _code_of(token) is ErrorCode.ID_TOKEN_EXPIRED


def test_a_token_issued_in_the_future_is_rejected() -> None:
    iat = int(NOW.timestamp()) + 61
    assert _code_of(_token(_claims(iat=iat, exp=iat + 300))) is ErrorCode.TOKEN_ISSUED_IN_FUTURE


def test_wrong_nonce_is_rejected() -> None:
    assert _code_of(_token(), nonce="another-nonce") is ErrorCode.ID_TOKEN_NONCE_MISMATCH


@pytest.mark.parametrize("claim", ["iss", "sub", "aud", "exp", "iat", "nonce"])
def test_missing_required_claims_are_rejected(claim: str) -> None:
    assert _code_of(_token(_claims(**{claim: None}))) is ErrorCode.REQUIRED_CLAIM_MISSING


@pytest.mark.parametrize("sub", ["", "x" * 256, "ユーザー"])
def test_bad_subjects_are_rejected(sub: str) -> None:
    assert _code_of(_token(_claims(sub=sub))) is ErrorCode.ID_TOKEN_INVALID


def test_non_numeric_exp_is_rejected() -> None:
    assert _code_of(_token(_claims(exp=True))) is ErrorCode.MALFORMED_CLAIM


@pytest.mark.parametrize("birthdate", ["1990/06/01", "90-06-01", "1700-01-01", 1990])
def test_malformed_birthdate_is_rejected(birthdate: object) -> None:
    assert _code_of(_token(_claims(birthdate=birthdate))) is ErrorCode.ID_TOKEN_INVALID


@pytest.mark.parametrize("code", ["131017", "13101", 131016])
def test_malformed_address_code_is_rejected(code: object) -> None:
    claims = _claims(address={"municipality_code": code})
    assert _code_of(_token(claims)) is ErrorCode.ID_TOKEN_INVALID


def test_not_a_jws_is_a_format_error() -> None:
    assert _code_of("not-a-token") is ErrorCode.MALFORMED_JWS


def test_empty_nonce_is_a_programmer_error() -> None:
    with pytest.raises(ValueError):
        _verify(_token(), nonce="")


# --------------------------------------------------------------------------- the JWKS


def test_jwks_keeps_only_es256_keys() -> None:
    assert [key.kid for key in PROVIDER.jwks] == ["k1"]


def test_jwks_without_an_es256_key_is_rejected() -> None:
    ed = ed25519.Ed25519PrivateKey.generate()
    okp: JSONObject = {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": b64url_encode(ed.public_key().public_bytes_raw()),
    }
    with pytest.raises(FormatError) as info:
        parse_provider_jwks({"keys": [okp]})
    assert info.value.code is ErrorCode.MALFORMED_JWK


@pytest.mark.parametrize(
    "document",
    [
        [],
        {"keys": {}},
        {"keys": ["x"]},
        {"keys": [{"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}]},
    ],
)
def test_malformed_jwks_is_rejected(document: object) -> None:
    with pytest.raises(FormatError) as info:
        parse_provider_jwks(document)  # type: ignore[arg-type]
    assert info.value.code is ErrorCode.MALFORMED_JWK


def test_jwks_with_a_private_key_is_rejected() -> None:
    with pytest.raises(FormatError):
        parse_provider_jwks({"keys": [private_jwk(generate_es256_private_key())]})


def test_jwks_size_is_bounded() -> None:
    with pytest.raises(FormatError):
        parse_provider_jwks({"keys": [SIGNER.public_jwk.to_json()] * 33})
