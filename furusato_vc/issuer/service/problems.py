"""RFC 9457 problem details for every error the service returns.

``type`` is a stable URN per code (``urn:furusato-vc:error:<code>``), ``title`` the English
message, plus the extension members ``code``, ``message_ja``, ``message_en``. OAuth and
OpenID4VCI endpoints (token, credential, nonce) also carry ``error`` and
``error_description`` (RFC 6749 §5.2, OpenID4VCI §6.3 and §8.3.1.2), so standard wallets
understand them: a problem document may carry extension members (RFC 9457 §3.2).
"""

from __future__ import annotations

from typing import Final

from furusato_vc.core.errors import ErrorCode, ErrorFamily, FurusatoError
from furusato_vc.core.messages import message_for

__all__ = ["PROBLEM_CONTENT_TYPE", "http_status_for", "problem_body"]

PROBLEM_CONTENT_TYPE: Final = "application/problem+json"

_STATUS: Final[dict[ErrorCode, int]] = {
    ErrorCode.ACCESS_TOKEN_INVALID: 401,
    ErrorCode.STAFF_UNAUTHENTICATED: 401,
    ErrorCode.STAFF_FORBIDDEN: 403,
    ErrorCode.RESOURCE_NOT_FOUND: 404,
    ErrorCode.METHOD_NOT_ALLOWED: 405,
    ErrorCode.IDEMPOTENCY_IN_PROGRESS: 409,
    ErrorCode.REGISTRATION_EXISTS: 409,
    ErrorCode.REGISTRATION_LIMIT_REACHED: 409,
    ErrorCode.STATUS_CHANGE_NOT_ALLOWED: 409,
    ErrorCode.REGISTRATION_NOT_ACTIVE: 409,
    ErrorCode.BODY_NOT_ISSUING: 409,
    ErrorCode.ATTENDANCE_ALREADY_RECORDED: 409,
    ErrorCode.ATTENDANCE_KEY_NOT_BOUND: 403,
    ErrorCode.ATTENDANCE_OUTSIDE_GEOFENCE: 403,
    ErrorCode.ACTIVITY_FULL: 409,
    ErrorCode.PREMIUM_APPLICATION_EXISTS: 409,
    ErrorCode.REVIEW_ALREADY_DECIDED: 409,
    ErrorCode.EVIDENCE_TYPE_NOT_ALLOWED: 415,
    ErrorCode.REQUEST_TOO_LARGE: 413,
    ErrorCode.IDEMPOTENCY_KEY_REUSED: 422,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.DATABASE_UNAVAILABLE: 503,
    ErrorCode.SIGNING_KEY_UNAVAILABLE: 503,
    ErrorCode.STATUS_LIST_EXHAUSTED: 503,
}


def http_status_for(code: ErrorCode) -> int:
    """400 for bad input unless a code says otherwise; 500 never comes from a code."""
    status = _STATUS.get(code)
    if status is not None:
        return status
    if code.family is ErrorFamily.STORAGE:
        return 503
    if code.family is ErrorFamily.ISSUANCE:
        return 422
    return 400


def problem_body(
    error: FurusatoError, *, instance: str | None = None, oauth_error: str | None = None
) -> dict[str, object]:
    message = message_for(error.code)
    body: dict[str, object] = {
        "type": f"urn:furusato-vc:error:{error.code.value}",
        "title": message.en,
        "status": http_status_for(error.code),
        "code": error.code.value,
        "message_ja": message.ja,
        "message_en": message.en,
    }
    if error.detail:
        body["detail"] = error.detail
    if instance is not None:
        body["instance"] = instance
    if oauth_error is not None:
        body["error"] = oauth_error
        body["error_description"] = message.en
    return body
