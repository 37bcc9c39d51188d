"""Shared fixtures for the OpenID4VCI tests: a fixed clock, fixed keys and secrets, and
hand-made proof JWTs.

:func:`raw_proof` signs any header and payload with a P-256 key, so that each rejection test
reaches exactly the rule it is about (the signature is valid; only the one defect differs).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import TYPE_CHECKING

from furusato_vc.core.encoding import b64url_encode, dumps_compact
from furusato_vc.core.jose.jwt import to_numeric_date
from furusato_vc.core.oid4vci import (
    PROOF_JWT_TYP,
    AccessGrant,
    AccessTokenCodec,
    NonceCodec,
    PreAuthorizedCodeCodec,
)
from tests.helpers import FIXED_NOW, SeededRandom, fixed_signer

if TYPE_CHECKING:
    from furusato_vc.core.encoding import JSONObject
    from furusato_vc.core.jose import SoftwareSigner

__all__ = [
    "CONFIG_COMPACT",
    "CONFIG_SD_JWT",
    "GRANT",
    "ISSUER",
    "NOW",
    "SECRET",
    "SECRET_OLD",
    "access_tokens",
    "fresh_nonce",
    "holder",
    "hs256_jws",
    "nonces",
    "pre_authorized_codes",
    "proof_claims",
    "proof_header",
    "raw_proof",
    "seeded",
]

NOW = to_numeric_date(FIXED_NOW)
ISSUER = "https://furusato.example.jp/bodies/042056"
CONFIG_SD_JWT = "furusato_registration_sd_jwt"
CONFIG_COMPACT = "furusato_registration_compact"
SECRET = hashlib.sha256(b"oid4vci test secret, current").digest()
SECRET_OLD = hashlib.sha256(b"oid4vci test secret, previous").digest()
GRANT = AccessGrant(
    registration_id="reg-0001",
    body_code="042056",
    credential_configuration_ids=(CONFIG_SD_JWT, CONFIG_COMPACT),
)


def seeded(seed: str = "oid4vci") -> SeededRandom:
    return SeededRandom(seed)


def holder(label: str = "holder") -> SoftwareSigner:
    return fixed_signer(f"oid4vci {label}")


def nonces() -> NonceCodec:
    return NonceCodec([SECRET])


def access_tokens() -> AccessTokenCodec:
    return AccessTokenCodec([SECRET])


def pre_authorized_codes() -> PreAuthorizedCodeCodec:
    return PreAuthorizedCodeCodec([SECRET])


def fresh_nonce(seed: str = "nonce") -> str:
    return nonces().create_nonce(now=NOW, random=seeded(seed))


def proof_header(signer: SoftwareSigner | None = None) -> JSONObject:
    key = (signer or holder()).public_jwk.to_json(include_kid=False)
    return {"alg": "ES256", "typ": PROOF_JWT_TYP, "jwk": key}


def proof_claims(nonce: str | None = None) -> JSONObject:
    return {"aud": ISSUER, "iat": NOW, "nonce": nonce if nonce is not None else fresh_nonce()}


def raw_proof(
    header: JSONObject, payload: JSONObject, *, signer: SoftwareSigner | None = None
) -> str:
    """Sign exactly this header and payload (no member added or checked)."""
    signing_input = (
        b64url_encode(dumps_compact(header).encode("utf-8"))
        + "."
        + b64url_encode(dumps_compact(payload).encode("utf-8"))
    )
    signature = (signer or holder()).sign(signing_input.encode("ascii"))
    return signing_input + "." + b64url_encode(signature)


def hs256_jws(header: JSONObject, payload: JSONObject, *, secret: bytes) -> str:
    signing_input = (
        b64url_encode(dumps_compact(header).encode("utf-8"))
        + "."
        + b64url_encode(dumps_compact(payload).encode("utf-8"))
    )
    mac = hmac.new(secret, signing_input.encode("ascii"), hashlib.sha256).digest()
    return signing_input + "." + b64url_encode(mac)
