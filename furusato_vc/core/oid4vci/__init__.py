"""OpenID for Verifiable Credential Issuance 1.0 (Final, 2025-09-16), Pre-Authorized Code Flow:
the pure protocol pieces an issuer service and a Wallet call. No I/O, clock or randomness of
its own: ``now`` and a :class:`~furusato_vc.core.randomness.RandomSource` are arguments.

Issuer: :func:`issuer_metadata`, :func:`authorization_server_metadata` → offer
(:class:`CredentialOffer`, :func:`offer_to_uri`) → :func:`parse_token_request`,
:func:`check_tx_code`, :class:`PreAuthorizedCodeCodec`, :class:`AccessTokenCodec`,
:class:`TokenResponse` → :class:`NonceCodec`, :class:`NonceResponse` →
:func:`parse_credential_request`, :func:`verify_proofs`, :class:`CredentialResponse`; errors
through :func:`oauth_error_response`.

Wallet: :func:`parse_offer_uri` → :func:`well_known_metadata_url`,
:func:`parse_issuer_metadata`, :func:`check_offer_against_metadata` →
:class:`TokenRequest`, :func:`parse_token_response` → :func:`parse_nonce_response`,
:func:`create_proof_jwt`, :class:`CredentialRequest` → :func:`parse_credential_response`.
"""

from furusato_vc.core.oid4vci.constants import (
    COMPACT_FORMAT,
    OAUTH_ERROR_FOR,
    OFFER_URI_SCHEME,
    PRE_AUTHORIZED_CODE_GRANT,
    PROOF_JWT_TYP,
    SD_JWT_VC_FORMAT,
    OAuthError,
)
from furusato_vc.core.oid4vci.credential_request import (
    CredentialRequest,
    CredentialResponse,
    parse_credential_request,
    parse_credential_request_json,
    parse_credential_response,
)
from furusato_vc.core.oid4vci.error_response import OAuthErrorResponse, oauth_error_response
from furusato_vc.core.oid4vci.metadata import (
    ClaimDescription,
    CredentialConfiguration,
    Display,
    IssuerMetadata,
    check_offer_against_metadata,
    compact_configuration,
    issuer_metadata,
    parse_issuer_metadata,
    parse_issuer_metadata_json,
    sd_jwt_vc_configuration,
)
from furusato_vc.core.oid4vci.nonce import NonceResponse, parse_nonce_response
from furusato_vc.core.oid4vci.offer import (
    CredentialOffer,
    OfferReference,
    TxCode,
    offer_reference,
    offer_to_uri,
    parse_credential_offer,
    parse_credential_offer_json,
    parse_offer_uri,
)
from furusato_vc.core.oid4vci.proof import (
    VerifiedProof,
    create_proof_jwt,
    verify_proof_jwt,
    verify_proofs,
)
from furusato_vc.core.oid4vci.sealed import (
    AccessGrant,
    AccessTokenCodec,
    NonceCodec,
    OpenedValue,
    PreAuthorizedCodeCodec,
    SealedCodec,
    VerifiedGrant,
)
from furusato_vc.core.oid4vci.token import (
    TokenRequest,
    TokenResponse,
    check_tx_code,
    create_pre_authorized_code,
    create_tx_code,
    parse_token_request,
    parse_token_request_body,
    parse_token_response,
)
from furusato_vc.core.oid4vci.well_known import (
    AuthorizationServerMetadata,
    authorization_server_metadata,
    authorization_server_metadata_url,
    jwt_vc_issuer_metadata,
    jwt_vc_issuer_metadata_url,
    parse_authorization_server_metadata,
    well_known_metadata_url,
)

__all__ = [
    "COMPACT_FORMAT",
    "OAUTH_ERROR_FOR",
    "OFFER_URI_SCHEME",
    "PRE_AUTHORIZED_CODE_GRANT",
    "PROOF_JWT_TYP",
    "SD_JWT_VC_FORMAT",
    "AccessGrant",
    "AccessTokenCodec",
    "AuthorizationServerMetadata",
    "ClaimDescription",
    "CredentialConfiguration",
    "CredentialOffer",
    "CredentialRequest",
    "CredentialResponse",
    "Display",
    "IssuerMetadata",
    "NonceCodec",
    "NonceResponse",
    "OAuthError",
    "OAuthErrorResponse",
    "OfferReference",
    "OpenedValue",
    "PreAuthorizedCodeCodec",
    "SealedCodec",
    "TokenRequest",
    "TokenResponse",
    "TxCode",
    "VerifiedGrant",
    "VerifiedProof",
    "authorization_server_metadata",
    "authorization_server_metadata_url",
    "check_offer_against_metadata",
    "check_tx_code",
    "compact_configuration",
    "create_pre_authorized_code",
    "create_proof_jwt",
    "create_tx_code",
    "issuer_metadata",
    "jwt_vc_issuer_metadata",
    "jwt_vc_issuer_metadata_url",
    "oauth_error_response",
    "offer_reference",
    "offer_to_uri",
    "parse_authorization_server_metadata",
    "parse_credential_offer",
    "parse_credential_offer_json",
    "parse_credential_request",
    "parse_credential_request_json",
    "parse_credential_response",
    "parse_issuer_metadata",
    "parse_issuer_metadata_json",
    "parse_nonce_response",
    "parse_offer_uri",
    "parse_token_request",
    "parse_token_request_body",
    "parse_token_response",
    "sd_jwt_vc_configuration",
    "verify_proof_jwt",
    "verify_proofs",
    "well_known_metadata_url",
]
