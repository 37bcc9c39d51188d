"""One error family with stable codes.

Exception tree::

    FurusatoError                 base; carries ``code`` (an :class:`ErrorCode`)
    ├── FormatError               the input is not well-formed (base64url, JSON, JWS, SD-JWT …)
    ├── VerificationError         well-formed, but a signature, binding, time or policy check failed
    ├── IssuanceError             the issuer was asked to build something it must not build
    ├── StorageError              a store or a verifier bundle could not be read or written
    └── RequestError              a service request is not allowed as made (who may ask, how
                                  often, idempotency, what may be uploaded); raised by the
                                  service layers and the upload screen they call

Callers catch by family and branch on ``code``. Codes are wire-stable: they appear in CLI JSON,
RFC 9457 problem documents and kiosk screens. :class:`ErrorCode` is append-only; never rename or
reuse a value. User-facing Japanese/English text is chosen at the edge from
:mod:`furusato_vc.core.messages` by code.

Programmer errors (wrong argument types, a naive datetime, a builder option set twice) stay
``TypeError``/``ValueError``; they are bugs, not bad input.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

__all__ = [
    "ErrorCode",
    "ErrorFamily",
    "FormatError",
    "FurusatoError",
    "IssuanceError",
    "RequestError",
    "StorageError",
    "VerificationError",
]


class ErrorFamily(StrEnum):
    FORMAT = "format"
    VERIFICATION = "verification"
    ISSUANCE = "issuance"
    STORAGE = "storage"
    REQUEST = "request"


class ErrorCode(StrEnum):
    """Stable error codes. Append-only: add new members at the end of their block."""

    # --- format: the bytes are not what the format requires
    INPUT_TOO_LARGE = "input_too_large"
    MALFORMED_BASE64URL = "malformed_base64url"
    MALFORMED_JSON = "malformed_json"
    JSON_DUPLICATE_KEY = "json_duplicate_key"
    JSON_TOO_DEEP = "json_too_deep"
    JSON_NUMBER_OUT_OF_RANGE = "json_number_out_of_range"
    JSON_INVALID_STRING = "json_invalid_string"
    MALFORMED_JWS = "malformed_jws"
    MALFORMED_JWS_HEADER = "malformed_jws_header"
    MALFORMED_JWK = "malformed_jwk"
    MALFORMED_SD_JWT = "malformed_sd_jwt"
    MALFORMED_DISCLOSURE = "malformed_disclosure"
    MALFORMED_CLAIM = "malformed_claim"
    MALFORMED_TYPE_METADATA = "malformed_type_metadata"
    INVALID_BODY_CODE = "invalid_body_code"
    TOO_MANY_DISCLOSURES = "too_many_disclosures"
    QR_PREFIX_UNKNOWN = "qr_prefix_unknown"
    MALFORMED_BASE45 = "malformed_base45"
    BASE45_NON_CANONICAL = "base45_non_canonical"
    COMPRESSED_TOO_LARGE = "compressed_too_large"
    INFLATED_TOO_LARGE = "inflated_too_large"
    MALFORMED_DEFLATE = "malformed_deflate"
    MALFORMED_CBOR = "malformed_cbor"
    CBOR_DUPLICATE_KEY = "cbor_duplicate_key"
    CBOR_INDEFINITE_LENGTH = "cbor_indefinite_length"
    CBOR_TOO_DEEP = "cbor_too_deep"
    CBOR_MAP_TOO_LARGE = "cbor_map_too_large"
    CBOR_TRAILING_BYTES = "cbor_trailing_bytes"
    MALFORMED_COSE = "malformed_cose"
    QR_NOT_FOUND = "qr_not_found"
    MALFORMED_STATUS_LIST = "malformed_status_list"
    MALFORMED_TRUST_LIST = "malformed_trust_list"
    MALFORMED_REQUEST = "malformed_request"
    ISSUER_RESPONSE_INVALID = "issuer_response_invalid"
    QR_KEYBOARD_LAYOUT = "qr_keyboard_layout"
    IMPORT_CSV_INVALID = "import_csv_invalid"

    # --- verification: well-formed, but not acceptable
    ALGORITHM_NOT_ALLOWED = "algorithm_not_allowed"
    SIGNATURE_INVALID = "signature_invalid"
    CRITICAL_HEADER_UNSUPPORTED = "critical_header_unsupported"
    TYP_MISMATCH = "typ_mismatch"
    ISSUER_NOT_TRUSTED = "issuer_not_trusted"
    ISSUER_KEY_UNKNOWN = "issuer_key_unknown"
    SD_ALG_UNSUPPORTED = "sd_alg_unsupported"
    SD_STRUCTURE_INVALID = "sd_structure_invalid"
    DIGEST_DUPLICATE = "digest_duplicate"
    DISCLOSURE_DUPLICATE = "disclosure_duplicate"
    DISCLOSURE_UNREFERENCED = "disclosure_unreferenced"
    DISCLOSURE_CLAIM_NAME_FORBIDDEN = "disclosure_claim_name_forbidden"
    DISCLOSURE_CLAIM_COLLISION = "disclosure_claim_collision"
    DISCLOSURE_KIND_MISMATCH = "disclosure_kind_mismatch"
    TOKEN_EXPIRED = "token_expired"
    TOKEN_NOT_YET_VALID = "token_not_yet_valid"
    TOKEN_ISSUED_IN_FUTURE = "token_issued_in_future"
    REQUIRED_CLAIM_MISSING = "required_claim_missing"
    KB_REQUIRED = "kb_required"
    KB_NOT_EXPECTED = "kb_not_expected"
    HOLDER_KEY_MISSING = "holder_key_missing"
    KB_SIGNATURE_INVALID = "kb_signature_invalid"
    KB_SD_HASH_MISMATCH = "kb_sd_hash_mismatch"
    KB_NONCE_MISMATCH = "kb_nonce_mismatch"
    KB_AUDIENCE_MISMATCH = "kb_audience_mismatch"
    KB_TOO_OLD = "kb_too_old"
    KB_IN_FUTURE = "kb_in_future"
    VCT_NOT_ACCEPTED = "vct_not_accepted"
    CLAIM_NOT_DISCLOSABLE = "claim_not_disclosable"
    CLAIM_METADATA_VIOLATION = "claim_metadata_violation"
    TYPE_METADATA_INTEGRITY = "type_metadata_integrity"
    TYPE_METADATA_CYCLE = "type_metadata_cycle"
    TYPE_METADATA_UNAVAILABLE = "type_metadata_unavailable"
    STATUS_NOT_CHECKED = "status_not_checked"
    REGISTRATION_NOT_VALID = "registration_not_valid"
    REQUIRED_DISCLOSURE_MISSING = "required_disclosure_missing"
    HOLDER_KEY_MISMATCH = "holder_key_mismatch"
    KB_REPLAYED = "kb_replayed"
    QR_READER_UNAVAILABLE = "qr_reader_unavailable"
    CREDENTIAL_MISMATCH = "credential_mismatch"
    CREDENTIAL_REVOKED = "credential_revoked"
    CREDENTIAL_SUSPENDED = "credential_suspended"
    STATUS_VALUE_UNKNOWN = "status_value_unknown"
    STATUS_STALE = "status_stale"
    STATUS_LIST_EXPIRED = "status_list_expired"
    STATUS_INDEX_OUT_OF_RANGE = "status_index_out_of_range"
    STATUS_LIST_MISMATCH = "status_list_mismatch"
    STATUS_LIST_ROLLBACK = "status_list_rollback"
    TRUST_LIST_ROLLBACK = "trust_list_rollback"
    TRUST_LIST_EXPIRED = "trust_list_expired"
    TRUST_ANCHOR_UNKNOWN = "trust_anchor_unknown"
    ISSUER_KEY_NOT_VALID = "issuer_key_not_valid"
    ISSUER_KEY_WITHDRAWN = "issuer_key_withdrawn"
    ISSUER_SUSPENDED = "issuer_suspended"
    ISSUER_WITHDRAWN = "issuer_withdrawn"
    CLOCK_BEHIND_TRUST_DATA = "clock_behind_trust_data"
    # OpenID4VCI 1.0 (token endpoint §6.3, credential endpoint §8.3.1.2)
    GRANT_TYPE_UNSUPPORTED = "grant_type_unsupported"
    PRE_AUTHORIZED_CODE_INVALID = "pre_authorized_code_invalid"
    TX_CODE_MISSING = "tx_code_missing"
    TX_CODE_INVALID = "tx_code_invalid"
    TX_CODE_ATTEMPTS_EXCEEDED = "tx_code_attempts_exceeded"
    ACCESS_TOKEN_INVALID = "access_token_invalid"
    PROOF_MISSING = "proof_missing"
    PROOF_INVALID = "proof_invalid"
    PROOF_NONCE_INVALID = "proof_nonce_invalid"
    PROOF_KEY_REUSED = "proof_key_reused"
    CREDENTIAL_CONFIGURATION_UNKNOWN = "credential_configuration_unknown"
    CREDENTIAL_REQUEST_INVALID = "credential_request_invalid"
    BATCH_SIZE_EXCEEDED = "batch_size_exceeded"
    ISSUER_REJECTED = "issuer_rejected"
    ACTIVITY_NOT_CURRENT = "activity_not_current"
    # identity proofing (M7): JPKI signing certificate
    IDENTITY_SIGNATURE_INVALID = "identity_signature_invalid"
    IDENTITY_CERTIFICATE_UNTRUSTED = "identity_certificate_untrusted"
    IDENTITY_CERTIFICATE_EXPIRED = "identity_certificate_expired"
    IDENTITY_CERTIFICATE_NOT_YET_VALID = "identity_certificate_not_yet_valid"
    IDENTITY_CERTIFICATE_REVOKED = "identity_certificate_revoked"
    IDENTITY_REVOCATION_UNKNOWN = "identity_revocation_unknown"
    IDENTITY_ATTRIBUTES_INVALID = "identity_attributes_invalid"
    IDENTITY_ADDRESS_UNKNOWN = "identity_address_unknown"
    # OpenID Connect ID tokens from a verified-identity provider (OIDC Core 1.0 §3.1.3.7)
    ID_TOKEN_INVALID = "id_token_invalid"
    ID_TOKEN_EXPIRED = "id_token_expired"
    ID_TOKEN_NONCE_MISMATCH = "id_token_nonce_mismatch"
    ID_TOKEN_AUDIENCE_MISMATCH = "id_token_audience_mismatch"
    # premium (M7): proofing nonces, attendance records, evidence
    IDENTITY_NONCE_INVALID = "identity_nonce_invalid"
    ATTENDANCE_ALREADY_RECORDED = "attendance_already_recorded"
    ATTENDANCE_KEY_NOT_BOUND = "attendance_key_not_bound"
    ATTENDANCE_LOCATION_REQUIRED = "attendance_location_required"
    ATTENDANCE_OUTSIDE_GEOFENCE = "attendance_outside_geofence"
    NOTICE_FEED_ROLLBACK = "notice_feed_rollback"

    # --- issuance: the issuer refuses to build this
    REGISTRATION_CLAIMS_INVALID = "registration_claims_invalid"
    FORBIDDEN_CLAIM = "forbidden_claim"
    SD_REQUEST_INVALID = "sd_request_invalid"
    REGISTRATION_LIMIT_REACHED = "registration_limit_reached"
    REGISTRATION_EXISTS = "registration_exists"
    REGISTRATION_NOT_ACTIVE = "registration_not_active"
    STATUS_CHANGE_NOT_ALLOWED = "status_change_not_allowed"
    BODY_NOT_ISSUING = "body_not_issuing"
    ACTIVITY_FULL = "activity_full"
    PREMIUM_NOT_ELIGIBLE = "premium_not_eligible"
    PREMIUM_APPLICATION_EXISTS = "premium_application_exists"
    REVIEW_ALREADY_DECIDED = "review_already_decided"
    IMPORT_ROW_DUPLICATE = "import_row_duplicate"
    IMPORT_MEMBER_CHANGED = "import_member_changed"

    # --- storage: a store or a synced bundle could not be read or written
    BUNDLE_MISSING = "bundle_missing"
    BUNDLE_CORRUPT = "bundle_corrupt"
    BUNDLE_WRITE_FAILED = "bundle_write_failed"
    SYNC_SOURCE_UNAVAILABLE = "sync_source_unavailable"
    DATABASE_UNAVAILABLE = "database_unavailable"
    SIGNING_KEY_UNAVAILABLE = "signing_key_unavailable"
    STATUS_LIST_EXHAUSTED = "status_list_exhausted"
    WALLET_PASSPHRASE_INVALID = "wallet_passphrase_invalid"
    WALLET_STORE_CORRUPT = "wallet_store_corrupt"
    WALLET_KEY_UNAVAILABLE = "wallet_key_unavailable"
    WALLET_CARD_NOT_FOUND = "wallet_card_not_found"
    WALLET_COPIES_EXHAUSTED = "wallet_copies_exhausted"
    ISSUER_UNAVAILABLE = "issuer_unavailable"

    # --- request: the service refuses the request as made (raised by service layers only)
    STAFF_UNAUTHENTICATED = "staff_unauthenticated"
    STAFF_FORBIDDEN = "staff_forbidden"
    RESOURCE_NOT_FOUND = "resource_not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    IDEMPOTENCY_KEY_MISSING = "idempotency_key_missing"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    IDEMPOTENCY_IN_PROGRESS = "idempotency_in_progress"
    RATE_LIMITED = "rate_limited"
    REQUEST_TOO_LARGE = "request_too_large"
    EVIDENCE_TYPE_NOT_ALLOWED = "evidence_type_not_allowed"

    @property
    def family(self) -> ErrorFamily:
        return _FAMILY_OF[self]


_FORMAT_CODES = frozenset(
    {
        ErrorCode.INPUT_TOO_LARGE,
        ErrorCode.MALFORMED_BASE64URL,
        ErrorCode.MALFORMED_JSON,
        ErrorCode.JSON_DUPLICATE_KEY,
        ErrorCode.JSON_TOO_DEEP,
        ErrorCode.JSON_NUMBER_OUT_OF_RANGE,
        ErrorCode.JSON_INVALID_STRING,
        ErrorCode.MALFORMED_JWS,
        ErrorCode.MALFORMED_JWS_HEADER,
        ErrorCode.MALFORMED_JWK,
        ErrorCode.MALFORMED_SD_JWT,
        ErrorCode.MALFORMED_DISCLOSURE,
        ErrorCode.MALFORMED_CLAIM,
        ErrorCode.MALFORMED_TYPE_METADATA,
        ErrorCode.INVALID_BODY_CODE,
        ErrorCode.TOO_MANY_DISCLOSURES,
        ErrorCode.QR_PREFIX_UNKNOWN,
        ErrorCode.MALFORMED_BASE45,
        ErrorCode.BASE45_NON_CANONICAL,
        ErrorCode.COMPRESSED_TOO_LARGE,
        ErrorCode.INFLATED_TOO_LARGE,
        ErrorCode.MALFORMED_DEFLATE,
        ErrorCode.MALFORMED_CBOR,
        ErrorCode.CBOR_DUPLICATE_KEY,
        ErrorCode.CBOR_INDEFINITE_LENGTH,
        ErrorCode.CBOR_TOO_DEEP,
        ErrorCode.CBOR_MAP_TOO_LARGE,
        ErrorCode.CBOR_TRAILING_BYTES,
        ErrorCode.MALFORMED_COSE,
        ErrorCode.QR_NOT_FOUND,
        ErrorCode.MALFORMED_STATUS_LIST,
        ErrorCode.MALFORMED_TRUST_LIST,
        ErrorCode.MALFORMED_REQUEST,
        ErrorCode.ISSUER_RESPONSE_INVALID,
        ErrorCode.QR_KEYBOARD_LAYOUT,
        ErrorCode.IMPORT_CSV_INVALID,
    }
)
_ISSUANCE_CODES = frozenset(
    {
        ErrorCode.REGISTRATION_CLAIMS_INVALID,
        ErrorCode.FORBIDDEN_CLAIM,
        ErrorCode.SD_REQUEST_INVALID,
        ErrorCode.REGISTRATION_LIMIT_REACHED,
        ErrorCode.REGISTRATION_EXISTS,
        ErrorCode.REGISTRATION_NOT_ACTIVE,
        ErrorCode.STATUS_CHANGE_NOT_ALLOWED,
        ErrorCode.BODY_NOT_ISSUING,
        ErrorCode.ACTIVITY_FULL,
        ErrorCode.PREMIUM_NOT_ELIGIBLE,
        ErrorCode.PREMIUM_APPLICATION_EXISTS,
        ErrorCode.REVIEW_ALREADY_DECIDED,
        ErrorCode.IMPORT_ROW_DUPLICATE,
        ErrorCode.IMPORT_MEMBER_CHANGED,
    }
)
_STORAGE_CODES = frozenset(
    {
        ErrorCode.BUNDLE_MISSING,
        ErrorCode.BUNDLE_CORRUPT,
        ErrorCode.BUNDLE_WRITE_FAILED,
        ErrorCode.SYNC_SOURCE_UNAVAILABLE,
        ErrorCode.DATABASE_UNAVAILABLE,
        ErrorCode.SIGNING_KEY_UNAVAILABLE,
        ErrorCode.STATUS_LIST_EXHAUSTED,
        ErrorCode.WALLET_PASSPHRASE_INVALID,
        ErrorCode.WALLET_STORE_CORRUPT,
        ErrorCode.WALLET_KEY_UNAVAILABLE,
        ErrorCode.WALLET_CARD_NOT_FOUND,
        ErrorCode.WALLET_COPIES_EXHAUSTED,
        ErrorCode.ISSUER_UNAVAILABLE,
    }
)
_REQUEST_CODES = frozenset(
    {
        ErrorCode.STAFF_UNAUTHENTICATED,
        ErrorCode.STAFF_FORBIDDEN,
        ErrorCode.RESOURCE_NOT_FOUND,
        ErrorCode.METHOD_NOT_ALLOWED,
        ErrorCode.IDEMPOTENCY_KEY_MISSING,
        ErrorCode.IDEMPOTENCY_KEY_REUSED,
        ErrorCode.IDEMPOTENCY_IN_PROGRESS,
        ErrorCode.RATE_LIMITED,
        ErrorCode.REQUEST_TOO_LARGE,
        ErrorCode.EVIDENCE_TYPE_NOT_ALLOWED,
    }
)


def _family_for(code: ErrorCode) -> ErrorFamily:
    if code in _FORMAT_CODES:
        return ErrorFamily.FORMAT
    if code in _ISSUANCE_CODES:
        return ErrorFamily.ISSUANCE
    if code in _STORAGE_CODES:
        return ErrorFamily.STORAGE
    if code in _REQUEST_CODES:
        return ErrorFamily.REQUEST
    return ErrorFamily.VERIFICATION


_FAMILY_OF: dict[ErrorCode, ErrorFamily] = {code: _family_for(code) for code in ErrorCode}


class FurusatoError(Exception):
    """Base of every error this library raises on bad input.

    ``detail`` is developer-facing English that never contains personal data or secrets;
    it says *what* was wrong (which claim, which header), not the value.
    """

    family: ClassVar[ErrorFamily]

    def __init__(self, code: ErrorCode, detail: str = "") -> None:
        if code.family is not self.family:
            raise ValueError(f"{code!r} belongs to family {code.family}, not {self.family}")
        self.code = code
        self.detail = detail
        super().__init__(f"{code.value}: {detail}" if detail else code.value)


class FormatError(FurusatoError):
    family = ErrorFamily.FORMAT


class VerificationError(FurusatoError):
    family = ErrorFamily.VERIFICATION


class IssuanceError(FurusatoError):
    family = ErrorFamily.ISSUANCE


class StorageError(FurusatoError):
    family = ErrorFamily.STORAGE


class RequestError(FurusatoError):
    family = ErrorFamily.REQUEST
