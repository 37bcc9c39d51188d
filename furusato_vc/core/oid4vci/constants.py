"""Wire names of OpenID for Verifiable Credential Issuance 1.0 (Final, 2025-09-16) and the map
from our error codes to its OAuth error values.

Only the Pre-Authorized Code Flow (§3.5) is implemented: the issuer is its own Authorization
Server, Wallets are anonymous public clients, and key proofs are ``jwt`` proofs carrying a
``jwk`` (Appendix F.1).
"""

from __future__ import annotations

from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, Final

from furusato_vc.core.errors import ErrorCode

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "BEARER",
    "BINDING_METHOD_COSE_KEY",
    "BINDING_METHOD_JWK",
    "COMPACT_FORMAT",
    "COSE_ES256",
    "CREDENTIAL_OFFER_PARAM",
    "CREDENTIAL_OFFER_URI_PARAM",
    "HAIP_OFFER_URI_SCHEME",
    "OAUTH_ERROR_FOR",
    "OAUTH_ERROR_STATUS",
    "OFFER_URI_SCHEME",
    "PRE_AUTHORIZED_CODE_GRANT",
    "PROOF_JWT_TYP",
    "PROOF_TYPE_JWT",
    "SD_JWT_VC_FORMAT",
    "WELL_KNOWN_CREDENTIAL_ISSUER",
    "WELL_KNOWN_JWT_VC_ISSUER",
    "WELL_KNOWN_OAUTH_AUTHORIZATION_SERVER",
    "OAuthError",
]

PRE_AUTHORIZED_CODE_GRANT: Final = "urn:ietf:params:oauth:grant-type:pre-authorized_code"  # §4.1.1
PROOF_JWT_TYP: Final = "openid4vci-proof+jwt"  # Appendix F.1
PROOF_TYPE_JWT: Final = "jwt"  # Appendix F
SD_JWT_VC_FORMAT: Final = "dc+sd-jwt"  # Appendix A.3.1
COMPACT_FORMAT: Final = "furusato+sd-cwt"  # our QR credential (a profile of SD-CWT)
BINDING_METHOD_JWK: Final = "jwk"  # §12.2.4 cryptographic_binding_methods_supported
BINDING_METHOD_COSE_KEY: Final = "cose_key"  # §12.2.4 (the compact credential's cnf)
COSE_ES256: Final = -7  # RFC 9053 §2.1; COSE algorithms are numbers (cf. Appendix A.2.2)
BEARER: Final = "Bearer"  # RFC 6750; no DPoP, so tokens are short-lived instead (§13.10)

OFFER_URI_SCHEME: Final = "openid-credential-offer://"  # §12.1
HAIP_OFFER_URI_SCHEME: Final = "haip-vci://"  # HAIP 1.0 §4.1 (optional alternative)
CREDENTIAL_OFFER_PARAM: Final = "credential_offer"  # §4.1
CREDENTIAL_OFFER_URI_PARAM: Final = "credential_offer_uri"  # §4.1

WELL_KNOWN_CREDENTIAL_ISSUER: Final = "/.well-known/openid-credential-issuer"  # §12.2.2
WELL_KNOWN_OAUTH_AUTHORIZATION_SERVER: Final = "/.well-known/oauth-authorization-server"  # RFC 8414
WELL_KNOWN_JWT_VC_ISSUER: Final = "/.well-known/jwt-vc-issuer"  # SD-JWT VC -18 §5.1


class OAuthError(StrEnum):
    """``error`` values on the wire: RFC 6749 §5.2 (token), RFC 6750 §3.1 (bearer), §8.3.1.2."""

    INVALID_REQUEST = "invalid_request"
    INVALID_GRANT = "invalid_grant"
    INVALID_CLIENT = "invalid_client"
    UNSUPPORTED_GRANT_TYPE = "unsupported_grant_type"
    INVALID_TOKEN = "invalid_token"  # noqa: S105 - an error name, not a secret
    INVALID_CREDENTIAL_REQUEST = "invalid_credential_request"
    UNKNOWN_CREDENTIAL_CONFIGURATION = "unknown_credential_configuration"
    UNKNOWN_CREDENTIAL_IDENTIFIER = "unknown_credential_identifier"
    INVALID_PROOF = "invalid_proof"
    INVALID_NONCE = "invalid_nonce"
    CREDENTIAL_REQUEST_DENIED = "credential_request_denied"


OAUTH_ERROR_FOR: Final[Mapping[ErrorCode, OAuthError]] = MappingProxyType(
    {
        # §6.3 token endpoint
        ErrorCode.MALFORMED_REQUEST: OAuthError.INVALID_REQUEST,
        ErrorCode.GRANT_TYPE_UNSUPPORTED: OAuthError.UNSUPPORTED_GRANT_TYPE,
        ErrorCode.TX_CODE_MISSING: OAuthError.INVALID_REQUEST,
        ErrorCode.TX_CODE_INVALID: OAuthError.INVALID_GRANT,
        ErrorCode.TX_CODE_ATTEMPTS_EXCEEDED: OAuthError.INVALID_GRANT,
        ErrorCode.PRE_AUTHORIZED_CODE_INVALID: OAuthError.INVALID_GRANT,
        # RFC 6750 §3.1 (§8.3.1.1)
        ErrorCode.ACCESS_TOKEN_INVALID: OAuthError.INVALID_TOKEN,
        # §8.3.1.2 credential endpoint
        ErrorCode.PROOF_MISSING: OAuthError.INVALID_PROOF,
        ErrorCode.PROOF_INVALID: OAuthError.INVALID_PROOF,
        ErrorCode.PROOF_KEY_REUSED: OAuthError.INVALID_PROOF,
        ErrorCode.PROOF_NONCE_INVALID: OAuthError.INVALID_NONCE,
        ErrorCode.CREDENTIAL_CONFIGURATION_UNKNOWN: OAuthError.UNKNOWN_CREDENTIAL_CONFIGURATION,
        ErrorCode.CREDENTIAL_REQUEST_INVALID: OAuthError.INVALID_CREDENTIAL_REQUEST,
        ErrorCode.BATCH_SIZE_EXCEEDED: OAuthError.INVALID_CREDENTIAL_REQUEST,
    }
)

# RFC 6749 §5.2: 400, except 401 for invalid_client; RFC 6750 §3.1: invalid_token is 401.
OAUTH_ERROR_STATUS: Final[Mapping[OAuthError, int]] = MappingProxyType(
    {error: 401 if error in {"invalid_client", "invalid_token"} else 400 for error in OAuthError}
)
