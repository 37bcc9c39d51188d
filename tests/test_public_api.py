"""The public API, pinned (after httpx ``tests/test_exported_members.py``).

Each ``__all__`` below is written out as a literal on purpose: adding, removing or renaming a
public name must be a conscious edit of this file, reviewed together with the change.
"""

from __future__ import annotations

import importlib

import pytest

PUBLIC_API: dict[str, list[str]] = {
    "furusato_vc.issuer": [
        "InMemoryStatusLists",
        "IssuancePolicy",
        "IssuedCredentials",
        "IssuingBody",
        "PublishedStatusList",
        "StatusListConfig",
        "issue_registration_compact",
        "issue_registration_credential",
        "issue_registration_credentials",
    ],
    "furusato_vc.wallet": [
        "DEFAULT_ROTATION",
        "HeldCredential",
        "RotatingQr",
        "accept_credential",
        "present_credential",
        "present_qr",
        "qr_groups",
    ],
    "furusato_vc.qr": [
        "QUIET_ZONE",
        "READERS",
        "ZBAR",
        "ZXING_CPP",
        "ErrorLevel",
        "ScanResult",
        "available_readers",
        "capacity_chars",
        "encode_qr",
        "qr_version",
        "read_qr",
        "render_png",
        "render_svg",
        "render_terminal",
    ],
    "furusato_vc.verifier": [
        "BundleDirectory",
        "RegistrationVerifier",
        "Rejected",
        "ReplayCache",
        "SyncResult",
        "Verified",
    ],
    "furusato_vc.core.sdjwt": [
        "NO_DECOYS",
        "SD",
        "ClaimInput",
        "ClaimPath",
        "CompactSdJwt",
        "DecoyPolicy",
        "DisclosedClaim",
        "Disclosure",
        "IssuedSdJwt",
        "IssuerKeyResolver",
        "KeyBindingPolicy",
        "KeyBindingRequest",
        "ProcessedPayload",
        "SdAlg",
        "SdJwtLimits",
        "SdJwtPolicy",
        "SdPayload",
        "StaticIssuerKeys",
        "VerifiedKeyBinding",
        "VerifiedSdJwt",
        "build_sd_payload",
        "create_kb_jwt",
        "create_presentation",
        "holder_key_of",
        "issue_sd_jwt",
        "parse_disclosure",
        "process_payload",
        "select_disclosures",
        "split_compact",
        "verify_sd_jwt",
    ],
    "furusato_vc.core.jose": [
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
    ],
    "furusato_vc.core.sdjwtvc.credential": [
        "DC_SD_JWT_TYP",
        "LEGACY_VC_SD_JWT_TYP",
        "NEVER_DISCLOSABLE_CLAIMS",
        "SD_JWT_VC_DRAFT",
        "SdJwtVcContent",
        "SdJwtVcPolicy",
        "VerifiedSdJwtVc",
        "issue_sd_jwt_vc",
        "verify_sd_jwt_vc",
    ],
    "furusato_vc.core.statuslist": [
        "DEFAULT_STATUS_LIST_LIMITS",
        "STATUS_LIST_CWT_TYP",
        "STATUS_LIST_DRAFT",
        "STATUS_LIST_JWT_TYP",
        "ParsedStatusList",
        "StatusChecker",
        "StatusList",
        "StatusListBuilder",
        "StatusListCwtClaim",
        "StatusListForm",
        "StatusListLimits",
        "StatusListTokenContent",
        "StatusReference",
        "StatusType",
        "VerifiedStatusList",
        "parse_status_claim",
        "parse_status_list_cbor",
        "parse_status_list_json",
        "sign_status_list_cwt",
        "sign_status_list_jwt",
        "verify_status_list_cwt",
        "verify_status_list_jwt",
    ],
    "furusato_vc.core.trustlist": [
        "DEFAULT_TRUST_LIST_LIMITS",
        "MAX_TRUST_LIST_BYTES",
        "TRUST_LIST_CWT_TYP",
        "TRUST_LIST_JWT_TYP",
        "BodyState",
        "StatusListLocation",
        "TrustList",
        "TrustListEntry",
        "TrustListLimits",
        "TrustListTrust",
        "TrustedKey",
        "check_not_rolled_back",
        "sign_trust_list_cwt",
        "sign_trust_list_jwt",
        "trust_list_entry_to_json",
        "trust_list_from_cbor",
        "trust_list_from_json",
        "trust_list_to_cbor",
        "trust_list_to_json",
        "verify_trust_list",
        "verify_trust_list_cwt",
        "verify_trust_list_jwt",
    ],
    "furusato_vc.core.bundle": [
        "AGGREGATE_LIMITS",
        "BundleProblem",
        "ListOutcome",
        "TrustBundle",
        "decode_status_aggregate",
        "encode_status_aggregate",
        "verify_bundle",
    ],
    "furusato_vc.core.oid4vci": [
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
    ],
    "furusato_vc.core.errors": [
        "ErrorCode",
        "ErrorFamily",
        "FormatError",
        "FurusatoError",
        "IssuanceError",
        "RequestError",
        "StorageError",
        "VerificationError",
    ],
}

MODULES = sorted(PUBLIC_API)


def _all_of(module_name: str) -> list[str]:
    exported: object = getattr(importlib.import_module(module_name), "__all__", None)
    assert isinstance(exported, list | tuple), f"{module_name} has no __all__ list"
    assert all(isinstance(name, str) for name in exported)
    return [str(name) for name in exported]


@pytest.mark.parametrize("module_name", MODULES)
def test_all_is_pinned(module_name: str) -> None:
    assert _all_of(module_name) == PUBLIC_API[module_name]


@pytest.mark.parametrize("module_name", MODULES)
def test_every_exported_name_is_importable(module_name: str) -> None:
    module = importlib.import_module(module_name)
    missing = [name for name in _all_of(module_name) if not hasattr(module, name)]
    assert missing == []


@pytest.mark.parametrize("module_name", MODULES)
def test_no_exported_name_is_private(module_name: str) -> None:
    assert [name for name in _all_of(module_name) if name.startswith("_")] == []


@pytest.mark.parametrize("module_name", MODULES)
def test_no_exported_name_is_listed_twice(module_name: str) -> None:
    exported = _all_of(module_name)
    assert len(exported) == len(set(exported))
