"""The error-code contract of :mod:`furusato_vc.core.errors` and :mod:`furusato_vc.core.messages`.

(a) every code has short Japanese and English text for the edge; (b) codes are well-formed and
carried only by the exception class of their family; (c) every code has at least one negative
test somewhere in the suite; (d) codes are append-only: the snapshot below only ever grows.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from furusato_vc.core.errors import (
    ErrorCode,
    ErrorFamily,
    FormatError,
    FurusatoError,
    IssuanceError,
    RequestError,
    StorageError,
    VerificationError,
)
from furusato_vc.core.messages import MESSAGES, message_for

CODES = list(ErrorCode)
TESTS_DIR = Path(__file__).resolve().parent

FAMILY_CLASSES: dict[ErrorFamily, type[FurusatoError]] = {
    ErrorFamily.FORMAT: FormatError,
    ErrorFamily.VERIFICATION: VerificationError,
    ErrorFamily.ISSUANCE: IssuanceError,
    ErrorFamily.STORAGE: StorageError,
    ErrorFamily.REQUEST: RequestError,
}

# Hiragana, katakana (incl. the prolonged sound mark) and CJK unified ideographs.
_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")
_SNAKE_CASE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")

# (d) Append-only snapshot: (value, family) of every code, in enum order. Never edit or delete
# an entry; append new codes at the end when they are added to ErrorCode.
SNAPSHOT: tuple[tuple[str, str], ...] = (
    ("input_too_large", "format"),
    ("malformed_base64url", "format"),
    ("malformed_json", "format"),
    ("json_duplicate_key", "format"),
    ("json_too_deep", "format"),
    ("json_number_out_of_range", "format"),
    ("json_invalid_string", "format"),
    ("malformed_jws", "format"),
    ("malformed_jws_header", "format"),
    ("malformed_jwk", "format"),
    ("malformed_sd_jwt", "format"),
    ("malformed_disclosure", "format"),
    ("malformed_claim", "format"),
    ("malformed_type_metadata", "format"),
    ("invalid_body_code", "format"),
    ("too_many_disclosures", "format"),
    ("algorithm_not_allowed", "verification"),
    ("signature_invalid", "verification"),
    ("critical_header_unsupported", "verification"),
    ("typ_mismatch", "verification"),
    ("issuer_not_trusted", "verification"),
    ("issuer_key_unknown", "verification"),
    ("sd_alg_unsupported", "verification"),
    ("sd_structure_invalid", "verification"),
    ("digest_duplicate", "verification"),
    ("disclosure_duplicate", "verification"),
    ("disclosure_unreferenced", "verification"),
    ("disclosure_claim_name_forbidden", "verification"),
    ("disclosure_claim_collision", "verification"),
    ("disclosure_kind_mismatch", "verification"),
    ("token_expired", "verification"),
    ("token_not_yet_valid", "verification"),
    ("token_issued_in_future", "verification"),
    ("required_claim_missing", "verification"),
    ("kb_required", "verification"),
    ("kb_not_expected", "verification"),
    ("holder_key_missing", "verification"),
    ("kb_signature_invalid", "verification"),
    ("kb_sd_hash_mismatch", "verification"),
    ("kb_nonce_mismatch", "verification"),
    ("kb_audience_mismatch", "verification"),
    ("kb_too_old", "verification"),
    ("kb_in_future", "verification"),
    ("vct_not_accepted", "verification"),
    ("claim_not_disclosable", "verification"),
    ("claim_metadata_violation", "verification"),
    ("type_metadata_integrity", "verification"),
    ("type_metadata_cycle", "verification"),
    ("type_metadata_unavailable", "verification"),
    ("status_not_checked", "verification"),
    ("registration_not_valid", "verification"),
    ("required_disclosure_missing", "verification"),
    ("holder_key_mismatch", "verification"),
    ("registration_claims_invalid", "issuance"),
    ("forbidden_claim", "issuance"),
    ("sd_request_invalid", "issuance"),
    ("qr_prefix_unknown", "format"),
    ("malformed_base45", "format"),
    ("base45_non_canonical", "format"),
    ("compressed_too_large", "format"),
    ("inflated_too_large", "format"),
    ("malformed_deflate", "format"),
    ("malformed_cbor", "format"),
    ("cbor_duplicate_key", "format"),
    ("cbor_indefinite_length", "format"),
    ("cbor_too_deep", "format"),
    ("cbor_map_too_large", "format"),
    ("cbor_trailing_bytes", "format"),
    ("malformed_cose", "format"),
    ("qr_not_found", "format"),
    ("kb_replayed", "verification"),
    ("qr_reader_unavailable", "verification"),
    ("credential_mismatch", "verification"),
    ("malformed_status_list", "format"),
    ("malformed_trust_list", "format"),
    ("credential_revoked", "verification"),
    ("credential_suspended", "verification"),
    ("status_value_unknown", "verification"),
    ("status_stale", "verification"),
    ("status_list_expired", "verification"),
    ("status_index_out_of_range", "verification"),
    ("status_list_mismatch", "verification"),
    ("status_list_rollback", "verification"),
    ("trust_list_rollback", "verification"),
    ("trust_list_expired", "verification"),
    ("trust_anchor_unknown", "verification"),
    ("issuer_key_not_valid", "verification"),
    ("issuer_key_withdrawn", "verification"),
    ("issuer_suspended", "verification"),
    ("issuer_withdrawn", "verification"),
    ("clock_behind_trust_data", "verification"),
    ("bundle_missing", "storage"),
    ("bundle_corrupt", "storage"),
    ("bundle_write_failed", "storage"),
    ("sync_source_unavailable", "storage"),
    ("malformed_request", "format"),
    ("grant_type_unsupported", "verification"),
    ("pre_authorized_code_invalid", "verification"),
    ("tx_code_missing", "verification"),
    ("tx_code_invalid", "verification"),
    ("tx_code_attempts_exceeded", "verification"),
    ("access_token_invalid", "verification"),
    ("proof_missing", "verification"),
    ("proof_invalid", "verification"),
    ("proof_nonce_invalid", "verification"),
    ("proof_key_reused", "verification"),
    ("credential_configuration_unknown", "verification"),
    ("credential_request_invalid", "verification"),
    ("batch_size_exceeded", "verification"),
    ("registration_limit_reached", "issuance"),
    ("registration_exists", "issuance"),
    ("registration_not_active", "issuance"),
    ("status_change_not_allowed", "issuance"),
    ("body_not_issuing", "issuance"),
    ("database_unavailable", "storage"),
    ("signing_key_unavailable", "storage"),
    ("status_list_exhausted", "storage"),
    ("staff_unauthenticated", "request"),
    ("staff_forbidden", "request"),
    ("resource_not_found", "request"),
    ("method_not_allowed", "request"),
    ("idempotency_key_missing", "request"),
    ("idempotency_key_reused", "request"),
    ("idempotency_in_progress", "request"),
    ("rate_limited", "request"),
    ("request_too_large", "request"),
    ("issuer_response_invalid", "format"),
    ("issuer_rejected", "verification"),
    ("activity_not_current", "verification"),
    ("identity_signature_invalid", "verification"),
    ("identity_certificate_untrusted", "verification"),
    ("identity_certificate_expired", "verification"),
    ("identity_certificate_not_yet_valid", "verification"),
    ("identity_certificate_revoked", "verification"),
    ("identity_revocation_unknown", "verification"),
    ("identity_attributes_invalid", "verification"),
    ("identity_address_unknown", "verification"),
    ("wallet_passphrase_invalid", "storage"),
    ("wallet_store_corrupt", "storage"),
    ("wallet_key_unavailable", "storage"),
    ("wallet_card_not_found", "storage"),
    ("wallet_copies_exhausted", "storage"),
    ("issuer_unavailable", "storage"),
    ("qr_keyboard_layout", "format"),
    ("id_token_invalid", "verification"),
    ("id_token_expired", "verification"),
    ("id_token_nonce_mismatch", "verification"),
    ("id_token_audience_mismatch", "verification"),
    ("identity_nonce_invalid", "verification"),
    ("attendance_already_recorded", "verification"),
    ("attendance_key_not_bound", "verification"),
    ("attendance_location_required", "verification"),
    ("attendance_outside_geofence", "verification"),
    ("activity_full", "issuance"),
    ("premium_not_eligible", "issuance"),
    ("premium_application_exists", "issuance"),
    ("review_already_decided", "issuance"),
    ("evidence_type_not_allowed", "request"),
    ("import_csv_invalid", "format"),
    ("import_row_duplicate", "issuance"),
    ("import_member_changed", "issuance"),
    ("notice_feed_rollback", "verification"),
)


# --------------------------------------------------------------------------- (a) messages


def test_every_code_has_a_message() -> None:
    assert [code for code in CODES if code not in MESSAGES] == []


@pytest.mark.parametrize("code", CODES, ids=str)
def test_message_has_japanese_and_english_text(code: ErrorCode) -> None:
    message = message_for(code)
    assert message.ja.strip()
    assert message.en.strip()
    assert _JAPANESE.search(message.ja), message.ja


@pytest.mark.parametrize("code", CODES, ids=str)
def test_message_has_no_placeholders(code: ErrorCode) -> None:
    message = message_for(code)
    assert "{" not in message.ja
    assert "{" not in message.en


@pytest.mark.parametrize("code", CODES, ids=str)
def test_english_message_is_not_japanese(code: ErrorCode) -> None:
    assert _JAPANESE.search(message_for(code).en) is None


def test_messages_hold_only_error_codes() -> None:
    assert set(MESSAGES) == set(ErrorCode)


# --------------------------------------------------------------------------- (b) codes


def test_code_values_are_unique() -> None:
    # A StrEnum with a repeated value silently makes the second name an alias of the first.
    assert len(ErrorCode.__members__) == len(CODES)
    assert len({code.value for code in CODES}) == len(CODES)


@pytest.mark.parametrize("code", CODES, ids=str)
def test_code_value_is_lower_snake_case(code: ErrorCode) -> None:
    assert _SNAKE_CASE.fullmatch(code.value), code.value


@pytest.mark.parametrize("code", CODES, ids=str)
def test_code_name_is_its_value_upper_cased(code: ErrorCode) -> None:
    # The reference scan of (c) relies on ErrorCode.NAME and "value" naming the same code.
    assert code.name == code.value.upper()


def test_every_family_has_an_exception_class() -> None:
    assert set(FAMILY_CLASSES) == set(ErrorFamily)
    for family, cls in FAMILY_CLASSES.items():
        assert cls.family is family


@pytest.mark.parametrize("code", CODES, ids=str)
def test_code_is_carried_by_the_class_of_its_family(code: ErrorCode) -> None:
    cls = FAMILY_CLASSES[code.family]
    error = cls(code, "detail")
    assert error.code is code
    assert error.detail == "detail"
    assert isinstance(error, FurusatoError)


@pytest.mark.parametrize("code", CODES, ids=str)
def test_code_is_refused_by_the_classes_of_other_families(code: ErrorCode) -> None:
    for family, cls in FAMILY_CLASSES.items():
        if family is code.family:
            continue
        with pytest.raises(ValueError, match=code.family.value):
            cls(code)


def test_format_error_refuses_a_verification_code() -> None:
    with pytest.raises(ValueError, match="verification"):
        FormatError(ErrorCode.SIGNATURE_INVALID)


# --------------------------------------------------------------------------- (c) negative tests


def _test_sources() -> dict[Path, str]:
    this = Path(__file__).resolve()
    return {
        path: path.read_text(encoding="utf-8")
        for path in sorted(TESTS_DIR.rglob("*.py"))
        if path.resolve() != this
    }


def _reference(code: ErrorCode) -> re.Pattern[str]:
    """``ErrorCode.NAME`` or the value in single or double quotes."""
    return re.compile(rf"\bErrorCode\.{re.escape(code.name)}\b|([\"']){re.escape(code.value)}\1")


def test_every_code_is_referenced_by_a_test() -> None:
    sources = _test_sources()
    unreferenced = [
        code.value
        for code in CODES
        if not any(_reference(code).search(text) for text in sources.values())
    ]
    assert unreferenced == [], f"error codes without a negative test: {unreferenced}"


# --------------------------------------------------------------------------- (d) append-only


def test_snapshot_codes_still_exist_unchanged() -> None:
    current = {code.value: code.family.value for code in CODES}
    lost = [value for value, _family in SNAPSHOT if value not in current]
    moved = [
        (value, family, current[value])
        for value, family in SNAPSHOT
        if value in current and current[value] != family
    ]
    assert lost == [], f"error codes removed or renamed (append-only): {lost}"
    assert moved == [], f"error codes moved to another family: {moved}"


def test_snapshot_lists_every_code() -> None:
    # New codes are allowed, but each must be appended to SNAPSHOT so that it is protected too.
    snapshot = {value for value, _family in SNAPSHOT}
    assert [code.value for code in CODES if code.value not in snapshot] == []


def test_snapshot_has_no_duplicates() -> None:
    values = [value for value, _family in SNAPSHOT]
    assert len(values) == len(set(values))
