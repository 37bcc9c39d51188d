"""JOSE for furusato-vc: JWK (RFC 7517/7518/8037/7638), compact JWS (RFC 7515), JWT claims
(RFC 7519), over ``cryptography``. ES256 by default; EdDSA only when explicitly enabled."""

from furusato_vc.core.jose.algorithms import DEFAULT_ALGORITHMS, AlgorithmPolicy, JwsAlgorithm
from furusato_vc.core.jose.jwk import (
    PrivateKey,
    PublicJwk,
    PublicKey,
    generate_es256_private_key,
    parse_private_jwk,
    parse_public_jwk,
    private_jwk,
    public_jwk_from_key,
)
from furusato_vc.core.jose.jws import (
    JwsLimits,
    UnverifiedJws,
    decode_unverified_jws,
    sign_compact_jws,
    verify_jws_signature,
)
from furusato_vc.core.jose.signer import Signer, SoftwareSigner

__all__ = [
    "DEFAULT_ALGORITHMS",
    "AlgorithmPolicy",
    "JwsAlgorithm",
    "JwsLimits",
    "PrivateKey",
    "PublicJwk",
    "PublicKey",
    "Signer",
    "SoftwareSigner",
    "UnverifiedJws",
    "decode_unverified_jws",
    "generate_es256_private_key",
    "parse_private_jwk",
    "parse_public_jwk",
    "private_jwk",
    "public_jwk_from_key",
    "sign_compact_jws",
    "verify_jws_signature",
]
