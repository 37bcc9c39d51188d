"""Our error codes on the OAuth wire (RFC 6749 §5.2, RFC 6750 §3.1, OpenID4VCI 1.0 §6.3 and
§8.3.1.2)."""

from __future__ import annotations

import pytest

from furusato_vc.core.errors import ErrorCode, ErrorFamily, FormatError, VerificationError
from furusato_vc.core.oid4vci import OAUTH_ERROR_FOR, OAuthError, oauth_error_response
from furusato_vc.core.oid4vci.constants import OAUTH_ERROR_STATUS

EXPECTED = {
    ErrorCode.MALFORMED_REQUEST: "invalid_request",
    ErrorCode.GRANT_TYPE_UNSUPPORTED: "unsupported_grant_type",
    ErrorCode.TX_CODE_MISSING: "invalid_request",
    ErrorCode.TX_CODE_INVALID: "invalid_grant",
    ErrorCode.TX_CODE_ATTEMPTS_EXCEEDED: "invalid_grant",
    ErrorCode.PRE_AUTHORIZED_CODE_INVALID: "invalid_grant",
    ErrorCode.ACCESS_TOKEN_INVALID: "invalid_token",
    ErrorCode.PROOF_MISSING: "invalid_proof",
    ErrorCode.PROOF_INVALID: "invalid_proof",
    ErrorCode.PROOF_KEY_REUSED: "invalid_proof",
    ErrorCode.PROOF_NONCE_INVALID: "invalid_nonce",
    ErrorCode.CREDENTIAL_CONFIGURATION_UNKNOWN: "unknown_credential_configuration",
    ErrorCode.CREDENTIAL_REQUEST_INVALID: "invalid_credential_request",
    ErrorCode.BATCH_SIZE_EXCEEDED: "invalid_credential_request",
}


def test_mapping_is_exactly_the_specified_one() -> None:
    assert {code: error.value for code, error in OAUTH_ERROR_FOR.items()} == EXPECTED


def test_mapped_codes_are_format_or_verification_codes() -> None:
    assert {code.family for code in OAUTH_ERROR_FOR} <= {
        ErrorFamily.FORMAT,
        ErrorFamily.VERIFICATION,
    }


def test_mapping_is_read_only() -> None:
    with pytest.raises(TypeError):
        OAUTH_ERROR_FOR[ErrorCode.PROOF_INVALID] = OAuthError.INVALID_REQUEST  # type: ignore[index]


def test_wire_values_are_the_specified_strings() -> None:
    assert {e.value for e in OAuthError} == {
        "invalid_request",
        "invalid_grant",
        "invalid_client",
        "unsupported_grant_type",
        "invalid_token",
        "invalid_credential_request",
        "unknown_credential_configuration",
        "unknown_credential_identifier",
        "invalid_proof",
        "invalid_nonce",
        "credential_request_denied",
    }


@pytest.mark.parametrize("error", list(OAuthError))
def test_status_is_400_except_for_client_and_token_errors(error: OAuthError) -> None:
    expected = 401 if error in {OAuthError.INVALID_CLIENT, OAuthError.INVALID_TOKEN} else 400
    assert OAUTH_ERROR_STATUS[error] == expected


def test_error_response_for_a_mapped_code() -> None:
    response = oauth_error_response(
        VerificationError(ErrorCode.PROOF_NONCE_INVALID, "nonce expired"),
        fallback=OAuthError.INVALID_CREDENTIAL_REQUEST,
    )
    assert response.to_json() == {"error": "invalid_nonce", "error_description": "nonce expired"}
    assert response.status == 400
    assert response.www_authenticate is None


def test_error_response_falls_back_for_unmapped_codes() -> None:
    response = oauth_error_response(
        FormatError(ErrorCode.MALFORMED_JSON, "syntax error"), fallback=OAuthError.INVALID_REQUEST
    )
    assert response.error is OAuthError.INVALID_REQUEST


def test_invalid_token_carries_a_bearer_challenge() -> None:
    response = oauth_error_response(
        VerificationError(ErrorCode.ACCESS_TOKEN_INVALID), fallback=OAuthError.INVALID_REQUEST
    )
    assert response.status == 401
    assert response.www_authenticate == 'Bearer error="invalid_token"'
    assert response.to_json() == {"error": "invalid_token"}


def test_description_keeps_only_the_allowed_characters() -> None:
    response = oauth_error_response(
        VerificationError(ErrorCode.PROOF_INVALID, 'bad "alg" \\ 鍵\n'),
        fallback=OAuthError.INVALID_REQUEST,
    )
    assert response.description == "bad alg  "
