"""Key proofs against two independent JOSE libraries (test oracles only): proofs made by PyJWT
and jwcrypto verify with :func:`verify_proof_jwt`, and ours verify with theirs."""

from __future__ import annotations

import json

import jwt
import pytest
from jwcrypto import jwk as jwcrypto_jwk
from jwcrypto import jws as jwcrypto_jws

from furusato_vc.core.encoding import dumps_compact
from furusato_vc.core.errors import ErrorCode, VerificationError
from furusato_vc.core.oid4vci import (
    PROOF_JWT_TYP,
    VerifiedProof,
    create_proof_jwt,
    verify_proof_jwt,
)
from tests.core.oid4vci.builders import ISSUER, NOW, fresh_nonce, holder, nonces
from tests.helpers import fixed_p256_key

_KEY = fixed_p256_key("oid4vci holder")
_PUBLIC_JWK = holder().public_jwk.to_json()


def _verify(token: str) -> VerifiedProof:
    return verify_proof_jwt(
        token, audience=ISSUER, now=NOW, nonce_check=nonces().nonce_check(now=NOW)
    )


def _claims() -> dict[str, object]:
    return {"aud": ISSUER, "iat": NOW, "nonce": fresh_nonce()}


def test_pyjwt_proof_verifies() -> None:
    token = jwt.encode(
        _claims(), _KEY, algorithm="ES256", headers={"typ": PROOF_JWT_TYP, "jwk": _PUBLIC_JWK}
    )
    assert _verify(token).key == holder().public_jwk


def test_pyjwt_verifies_our_proof() -> None:
    token = create_proof_jwt(holder(), audience=ISSUER, nonce="n-0S6_WzA2Mj", issued_at=NOW)
    header = jwt.get_unverified_header(token)
    assert header["typ"] == PROOF_JWT_TYP
    key = jwt.PyJWK(header["jwk"], algorithm="ES256")
    claims = jwt.decode(
        token,
        key.key,
        algorithms=["ES256"],
        audience=ISSUER,
        options={"verify_iat": False},  # NOW is the fixed test clock, not the wall clock
    )
    assert claims == {"aud": ISSUER, "iat": NOW, "nonce": "n-0S6_WzA2Mj"}


def test_pyjwt_proof_with_the_wrong_typ_is_rejected() -> None:
    token = jwt.encode(
        _claims(), _KEY, algorithm="ES256", headers={"typ": "JWT", "jwk": _PUBLIC_JWK}
    )
    with pytest.raises(VerificationError) as caught:
        _verify(token)
    assert caught.value.code is ErrorCode.PROOF_INVALID


def test_pyjwt_hs256_proof_is_rejected() -> None:
    token = jwt.encode(
        _claims(),
        "a-shared-secret-of-32-bytes-long!",
        algorithm="HS256",
        headers={"typ": PROOF_JWT_TYP, "jwk": _PUBLIC_JWK},
    )
    with pytest.raises(VerificationError) as caught:
        _verify(token)
    assert caught.value.code is ErrorCode.PROOF_INVALID


def test_jwcrypto_proof_verifies() -> None:
    key = jwcrypto_jwk.JWK.from_pyca(_KEY)
    signed = jwcrypto_jws.JWS(dumps_compact(_claims()).encode())  # type: ignore[arg-type]
    signed.add_signature(
        key,
        alg="ES256",
        protected=json.dumps(
            {"alg": "ES256", "typ": PROOF_JWT_TYP, "jwk": json.loads(key.export_public())}
        ),
    )
    verified = _verify(signed.serialize(compact=True))
    assert verified.key.thumbprint() == holder().public_jwk.thumbprint()


def test_jwcrypto_verifies_our_proof() -> None:
    token = create_proof_jwt(holder(), audience=ISSUER, nonce="n", issued_at=NOW)
    parsed = jwcrypto_jws.JWS()
    parsed.deserialize(token)
    parsed.verify(jwcrypto_jwk.JWK(**_PUBLIC_JWK))
    assert json.loads(parsed.payload) == {"aud": ISSUER, "iat": NOW, "nonce": "n"}


def test_thumbprint_matches_jwcrypto() -> None:  # the key-reuse check relies on RFC 7638
    assert holder().public_jwk.thumbprint() == jwcrypto_jwk.JWK(**_PUBLIC_JWK).thumbprint()
