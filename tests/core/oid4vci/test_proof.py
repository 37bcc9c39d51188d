"""``jwt`` key proofs: creation (Appendix F.1) and every rejection of Appendix F.4 with its code.

Hand-made proofs (:func:`raw_proof`) are validly signed by the key in their own ``jwk``
header, so each test is rejected for exactly the one defect it carries.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from furusato_vc.core.encoding import b64url_decode, b64url_encode, dumps_compact, parse_json_object
from furusato_vc.core.errors import ErrorCode, VerificationError
from furusato_vc.core.jose import AlgorithmPolicy, SoftwareSigner, private_jwk
from furusato_vc.core.oid4vci import (
    PROOF_JWT_TYP,
    VerifiedProof,
    create_proof_jwt,
    verify_proof_jwt,
    verify_proofs,
)
from tests.core.oid4vci.builders import (
    ISSUER,
    NOW,
    fresh_nonce,
    holder,
    hs256_jws,
    nonces,
    proof_claims,
    proof_header,
    raw_proof,
)
from tests.helpers import fixed_p256_key

if TYPE_CHECKING:
    from furusato_vc.core.encoding import JSONObject

_B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _verify(jwt: object, *, now: int = NOW, **kwargs: object) -> VerifiedProof:
    return verify_proof_jwt(
        jwt,
        audience=ISSUER,
        now=now,
        nonce_check=nonces().nonce_check(now=now),
        **kwargs,  # type: ignore[arg-type]
    )


def _code(jwt: object, *, now: int = NOW, **kwargs: object) -> ErrorCode:
    with pytest.raises(VerificationError) as caught:
        _verify(jwt, now=now, **kwargs)
    return caught.value.code


def _with_header(**changes: object) -> str:
    header = proof_header()
    header.update(changes)  # type: ignore[arg-type]
    return raw_proof({k: v for k, v in header.items() if v is not None}, proof_claims())


def _with_claims(**changes: object) -> str:
    claims = proof_claims()
    claims.update(changes)  # type: ignore[arg-type]
    return raw_proof(proof_header(), {k: v for k, v in claims.items() if v is not None})


def _proof(*, issued_at: int = NOW, label: str = "holder") -> str:
    return create_proof_jwt(
        holder(label), audience=ISSUER, nonce=fresh_nonce(), issued_at=issued_at
    )


# ------------------------------------------------------------------------------ creation


def test_created_proof_verifies() -> None:
    verified = verify_proof_jwt(
        _proof(), audience=ISSUER, now=NOW, nonce_check=nonces().nonce_check(now=NOW)
    )
    assert verified.key == holder().public_jwk
    assert verified.issued_at == NOW


def test_created_proof_has_the_f1_header_and_claims() -> None:
    jwt = create_proof_jwt(holder(), audience=ISSUER, nonce="n-1", issued_at=NOW)
    header_b64, payload_b64, _ = jwt.split(".")
    header = parse_json_object(b64url_decode(header_b64))
    assert header == {
        "alg": "ES256",
        "typ": PROOF_JWT_TYP,
        "jwk": holder().public_jwk.to_json(include_kid=False),
    }
    assert parse_json_object(b64url_decode(payload_b64)) == {
        "aud": ISSUER,
        "iat": NOW,
        "nonce": "n-1",
    }


def test_created_proof_never_carries_a_kid() -> None:
    signer = SoftwareSigner(fixed_p256_key("oid4vci holder"), kid="device-key-1")
    jwt = create_proof_jwt(signer, audience=ISSUER, nonce="n", issued_at=NOW)
    header = parse_json_object(b64url_decode(jwt.split(".")[0]))
    assert "kid" not in header
    assert isinstance(header["jwk"], dict)
    assert "kid" not in header["jwk"]


def test_created_proof_without_nonce_has_no_nonce_claim() -> None:
    jwt = create_proof_jwt(holder(), audience=ISSUER, nonce=None, issued_at=NOW)
    assert "nonce" not in parse_json_object(b64url_decode(jwt.split(".")[1]))


def test_proof_needs_an_audience() -> None:
    with pytest.raises(ValueError, match="audience"):
        create_proof_jwt(holder(), audience="", nonce=None, issued_at=NOW)


def test_verified_proof_carries_the_nonce() -> None:
    nonce = fresh_nonce("carried")
    jwt = create_proof_jwt(holder(), audience=ISSUER, nonce=nonce, issued_at=NOW)
    assert _verify(jwt).nonce == nonce


def test_raw_proof_baseline_verifies() -> None:
    _verify(raw_proof(proof_header(), proof_claims()))


def test_eddsa_proof_needs_a_policy_that_allows_it() -> None:
    signer = SoftwareSigner(ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(32))))
    jwt = create_proof_jwt(signer, audience=ISSUER, nonce=fresh_nonce(), issued_at=NOW)
    assert _code(jwt) is ErrorCode.PROOF_INVALID
    assert _verify(jwt, algorithms=AlgorithmPolicy().with_eddsa()).key == signer.public_jwk


# ------------------------------------------------------------------------------ F.4 rejections


@pytest.mark.parametrize(
    "jwt",
    ["", "a.b", "a.b.c.d", "not a jwt", "..", "eyJ9.e30.AA", 7, None, "A" * 9000],
)
def test_malformed_jws_is_invalid(jwt: object) -> None:
    assert _code(jwt) is ErrorCode.PROOF_INVALID


@pytest.mark.parametrize(
    "typ", [None, "JWT", "openid4vci-proof+JWT", "kb+jwt", "application/openid4vci-proof+jwt", 1]
)
def test_typ_must_be_exactly_openid4vci_proof_jwt(typ: object) -> None:
    assert _code(_with_header(typ=typ)) is ErrorCode.PROOF_INVALID


@pytest.mark.parametrize("alg", ["none", "ES384", "RS256", "es256", "EdDSA", "HS256"])
def test_alg_outside_the_allow_list_is_invalid(alg: str) -> None:
    assert _code(_with_header(alg=alg)) is ErrorCode.PROOF_INVALID


def test_alg_none_with_empty_signature_is_invalid() -> None:
    header = {**proof_header(), "alg": "none"}
    unsigned = (
        b64url_encode(dumps_compact(header).encode())
        + "."
        + b64url_encode(dumps_compact(proof_claims()).encode())
        + "."
    )
    assert _code(unsigned) is ErrorCode.PROOF_INVALID


def test_hmac_proof_is_invalid() -> None:
    header = {**proof_header(), "alg": "HS256"}
    assert _code(hs256_jws(header, proof_claims(), secret=b"k" * 32)) is ErrorCode.PROOF_INVALID


def test_hmac_keyed_with_the_public_key_is_invalid() -> None:
    # the classic algorithm-confusion attack: HMAC keyed with the public JWK's bytes
    header: JSONObject = {**proof_header(), "alg": "HS256"}
    secret = dumps_compact(header["jwk"]).encode()
    assert _code(hs256_jws(header, proof_claims(), secret=secret)) is ErrorCode.PROOF_INVALID


def test_crit_is_invalid() -> None:
    assert _code(_with_header(crit=["exp"])) is ErrorCode.PROOF_INVALID


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("kid", "did:example:123#key-1"),
        ("x5c", ["MIIB"]),
        ("x5u", "https://evil.example/cert"),
        ("jku", "https://evil.example/jwks"),
        ("trust_chain", ["eyJ..."]),
    ],
)
def test_other_key_sources_next_to_jwk_are_invalid(name: str, value: object) -> None:
    assert _code(_with_header(**{name: value})) is ErrorCode.PROOF_INVALID


def test_kid_without_jwk_is_invalid() -> None:
    header = proof_header()
    del header["jwk"]
    header["kid"] = "did:example:123#key-1"
    assert _code(raw_proof(header, proof_claims())) is ErrorCode.PROOF_INVALID


def test_missing_jwk_is_invalid() -> None:
    header = proof_header()
    del header["jwk"]
    assert _code(raw_proof(header, proof_claims())) is ErrorCode.PROOF_INVALID


def test_jwk_that_is_not_an_object_is_invalid() -> None:
    assert _code(_with_header(jwk="eyJrdHkiOiJFQyJ9")) is ErrorCode.PROOF_INVALID


def test_private_key_in_jwk_is_invalid() -> None:  # F.4 "does not contain a private key"
    key = private_jwk(fixed_p256_key("oid4vci holder"))
    assert "d" in key
    assert _code(_with_header(jwk=key)) is ErrorCode.PROOF_INVALID


@pytest.mark.parametrize("member", ["p", "q", "dp", "dq", "qi", "oth", "k"])
def test_other_private_jwk_members_are_invalid(member: str) -> None:
    jwk = {**holder().public_jwk.to_json(), member: "AAAA"}
    assert _code(_with_header(jwk=jwk)) is ErrorCode.PROOF_INVALID


def test_symmetric_jwk_is_invalid() -> None:
    assert _code(_with_header(jwk={"kty": "oct", "k": "c2VjcmV0"})) is ErrorCode.PROOF_INVALID


def test_off_curve_key_is_invalid() -> None:
    jwk = holder().public_jwk.to_json()
    y = bytearray(b64url_decode(str(jwk["y"])))
    y[-1] ^= 1
    jwk["y"] = b64url_encode(bytes(y))
    assert _code(_with_header(jwk=jwk)) is ErrorCode.PROOF_INVALID


@pytest.mark.parametrize(
    "jwk",
    [
        {"kty": "EC", "crv": "P-384", "x": "AAAA", "y": "AAAA"},
        {"kty": "RSA", "n": "AQAB", "e": "AQAB"},
        {"kty": "EC", "crv": "P-256"},
    ],
)
def test_unsupported_or_incomplete_keys_are_invalid(jwk: JSONObject) -> None:
    assert _code(_with_header(jwk=jwk)) is ErrorCode.PROOF_INVALID


def test_proof_signed_by_another_key_is_invalid() -> None:
    jwt = raw_proof(proof_header(holder("a")), proof_claims(), signer=holder("b"))
    assert _code(jwt) is ErrorCode.PROOF_INVALID


def test_payload_that_is_not_an_object_is_invalid() -> None:
    signing_input = (
        b64url_encode(dumps_compact(proof_header()).encode()) + "." + b64url_encode(b"[1,2]")
    )
    jwt = signing_input + "." + b64url_encode(holder().sign(signing_input.encode()))
    assert _code(jwt) is ErrorCode.PROOF_INVALID


def test_missing_aud_is_invalid() -> None:
    assert _code(_with_claims(aud=None)) is ErrorCode.PROOF_INVALID


def test_other_aud_is_invalid() -> None:
    assert _code(_with_claims(aud="https://other.example.jp")) is ErrorCode.PROOF_INVALID


def test_aud_is_compared_exactly() -> None:
    assert _code(_with_claims(aud=ISSUER + "/")) is ErrorCode.PROOF_INVALID


def test_aud_array_is_invalid_even_when_it_contains_the_issuer() -> None:
    assert _code(_with_claims(aud=[ISSUER])) is ErrorCode.PROOF_INVALID


def test_missing_iat_is_invalid() -> None:
    assert _code(_with_claims(iat=None)) is ErrorCode.PROOF_INVALID


@pytest.mark.parametrize("iat", [str(NOW), float(NOW) + 0.5, True, -1, 2**53])
def test_iat_must_be_an_integer_numeric_date(iat: object) -> None:
    assert _code(_with_claims(iat=iat)) is ErrorCode.PROOF_INVALID


def test_expired_exp_is_invalid() -> None:
    assert _code(_with_claims(exp=NOW)) is ErrorCode.PROOF_INVALID


def test_future_nbf_is_invalid() -> None:
    assert _code(_with_claims(nbf=NOW + 61)) is ErrorCode.PROOF_INVALID


def test_unexpired_exp_is_accepted() -> None:
    _verify(_with_claims(exp=NOW + 1))


def test_missing_nonce_is_invalid_proof() -> None:  # §8.3.1.2 invalid_proof (3)
    assert _code(_with_claims(nonce=None)) is ErrorCode.PROOF_INVALID


def test_non_string_nonce_is_invalid_proof() -> None:
    assert _code(_with_claims(nonce=12345)) is ErrorCode.PROOF_INVALID


def test_unknown_nonce_is_invalid_nonce() -> None:  # §8.3.1.2 invalid_nonce
    assert _code(_with_claims(nonce="wKI4LT17ac15ES9bw8ac4")) is ErrorCode.PROOF_NONCE_INVALID


def test_expired_nonce_is_invalid_nonce() -> None:
    jwt = create_proof_jwt(holder(), audience=ISSUER, nonce=fresh_nonce(), issued_at=NOW + 300)
    assert _code(jwt, now=NOW + 300) is ErrorCode.PROOF_NONCE_INVALID


def test_nonce_check_runs_only_after_the_signature() -> None:
    calls: list[str] = []
    jwt = raw_proof(proof_header(holder("a")), proof_claims(), signer=holder("b"))
    with pytest.raises(VerificationError):
        verify_proof_jwt(jwt, audience=ISSUER, now=NOW, nonce_check=calls.append)
    assert calls == []


def test_iss_claim_is_not_checked() -> None:
    _verify(_with_claims(iss="s6BhdRkqt3"))


def test_key_attestation_header_is_ignored() -> None:
    _verify(_with_header(key_attestation="eyJ..."))


# ------------------------------------------------------------------------------ iat window


def test_iat_exactly_max_age_ago_is_accepted() -> None:
    _verify(_with_claims(iat=NOW - 300))


def test_iat_one_second_older_than_max_age_is_invalid() -> None:
    assert _code(_with_claims(iat=NOW - 301)) is ErrorCode.PROOF_INVALID


def test_iat_exactly_max_future_ahead_is_accepted() -> None:
    _verify(_with_claims(iat=NOW + 60))


def test_iat_one_second_beyond_max_future_is_invalid() -> None:
    assert _code(_with_claims(iat=NOW + 61)) is ErrorCode.PROOF_INVALID


def test_window_follows_the_arguments() -> None:
    _verify(_with_claims(iat=NOW - 30), max_age=30)
    assert _code(_with_claims(iat=NOW - 31), max_age=30) is ErrorCode.PROOF_INVALID
    assert _code(_with_claims(iat=NOW + 1), max_future=0) is ErrorCode.PROOF_INVALID


# ------------------------------------------------------------------------------ tampering


@settings(max_examples=150, deadline=None)
@given(position=st.integers(min_value=0), replacement=st.sampled_from([*_B64URL, "."]))
def test_any_character_change_of_a_proof_is_rejected(position: int, replacement: str) -> None:
    jwt = _TAMPER_BASE
    position %= len(jwt)
    assume(jwt[position] != replacement)
    tampered = jwt[:position] + replacement + jwt[position + 1 :]
    assert _code(tampered) in {ErrorCode.PROOF_INVALID, ErrorCode.PROOF_NONCE_INVALID}


def test_every_signed_character_change_is_rejected() -> None:
    # deterministic sweep over header and payload: each change breaks the signature or the
    # JSON, never verifies
    jwt = _TAMPER_BASE
    signed = jwt.rindex(".")
    for position in range(0, signed, 7):
        replacement = "A" if jwt[position] != "A" else "B"
        with pytest.raises(VerificationError):
            _verify(jwt[:position] + replacement + jwt[position + 1 :])


_TAMPER_BASE = create_proof_jwt(holder(), audience=ISSUER, nonce=fresh_nonce(), issued_at=NOW)


# ------------------------------------------------------------------------------ batches


def _batch(*labels: str) -> list[str]:
    return [_proof(label=label) for label in labels]


def test_batch_of_distinct_keys_verifies_in_order() -> None:
    proofs = verify_proofs(
        _batch("a", "b", "c"),
        batch_size=3,
        audience=ISSUER,
        now=NOW,
        nonce_check=nonces().nonce_check(now=NOW),
    )
    assert [p.key for p in proofs] == [holder(x).public_jwk for x in "abc"]


def test_empty_batch_is_proof_missing() -> None:
    with pytest.raises(VerificationError) as caught:
        verify_proofs(
            [], batch_size=3, audience=ISSUER, now=NOW, nonce_check=nonces().nonce_check(now=NOW)
        )
    assert caught.value.code is ErrorCode.PROOF_MISSING


def test_batch_larger_than_batch_size_is_refused_before_verification() -> None:
    calls: list[str] = []
    with pytest.raises(VerificationError) as caught:
        verify_proofs(
            _batch("a", "b", "c"), batch_size=2, audience=ISSUER, now=NOW, nonce_check=calls.append
        )
    assert caught.value.code is ErrorCode.BATCH_SIZE_EXCEEDED
    assert calls == []


def test_two_proofs_with_one_key_are_key_reuse() -> None:
    with pytest.raises(VerificationError) as caught:
        verify_proofs(
            _batch("a", "b", "a"),
            batch_size=5,
            audience=ISSUER,
            now=NOW,
            nonce_check=nonces().nonce_check(now=NOW),
        )
    assert caught.value.code is ErrorCode.PROOF_KEY_REUSED


def test_same_proof_twice_is_key_reuse() -> None:
    jwt = _proof()
    with pytest.raises(VerificationError) as caught:
        verify_proofs(
            [jwt, jwt],
            batch_size=2,
            audience=ISSUER,
            now=NOW,
            nonce_check=nonces().nonce_check(now=NOW),
        )
    assert caught.value.code is ErrorCode.PROOF_KEY_REUSED


def test_same_key_with_a_different_kid_is_key_reuse() -> None:
    # the RFC 7638 thumbprint ignores kid, so a relabelled key is still the same key
    header = proof_header()
    jwk = header["jwk"]
    assert isinstance(jwk, dict)
    relabelled = raw_proof({**header, "jwk": {**jwk, "kid": "other"}}, proof_claims())
    with pytest.raises(VerificationError) as caught:
        verify_proofs(
            [_proof(), relabelled],
            batch_size=2,
            audience=ISSUER,
            now=NOW,
            nonce_check=nonces().nonce_check(now=NOW),
        )
    assert caught.value.code is ErrorCode.PROOF_KEY_REUSED


def test_one_bad_proof_fails_the_batch() -> None:
    bad = _with_claims(aud="https://other.example.jp")
    with pytest.raises(VerificationError) as caught:
        verify_proofs(
            [_proof(), bad],
            batch_size=2,
            audience=ISSUER,
            now=NOW,
            nonce_check=nonces().nonce_check(now=NOW),
        )
    assert caught.value.code is ErrorCode.PROOF_INVALID


def test_batch_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="batch_size"):
        verify_proofs(
            [_proof()],
            batch_size=0,
            audience=ISSUER,
            now=NOW,
            nonce_check=nonces().nonce_check(now=NOW),
        )
