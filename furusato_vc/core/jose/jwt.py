"""JWT claim helpers (RFC 7519 §2 NumericDate, §4.1 registered claims)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from furusato_vc.core.errors import ErrorCode, FormatError, VerificationError

if TYPE_CHECKING:
    from datetime import datetime

    from furusato_vc.core.encoding import JSONObject

__all__ = ["numeric_date", "optional_numeric_date", "require_string", "to_numeric_date"]


def to_numeric_date(moment: datetime) -> int:
    """Seconds since the epoch for a timezone-aware datetime (fractions truncated)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("datetime must be timezone-aware")
    return int(moment.timestamp())


def optional_numeric_date(claims: JSONObject, name: str) -> int | None:
    """A NumericDate claim as an ``int``; ``None`` when absent.

    Only JSON integers in [0, 2**53) are accepted: floats, booleans (a Python ``int``
    subclass) and strings are rejected so that ``exp: true`` or ``exp: 1e400`` can never
    mean "valid forever".

    Raises:
        FormatError: ``malformed_claim``.
    """
    if name not in claims:
        return None
    value = claims[name]
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**53:
        raise FormatError(ErrorCode.MALFORMED_CLAIM, f"{name} is not a NumericDate integer")
    return value


def numeric_date(claims: JSONObject, name: str) -> int:
    """A required NumericDate claim.

    Raises:
        FormatError: ``malformed_claim``.
        VerificationError: ``required_claim_missing``.
    """
    value = optional_numeric_date(claims, name)
    if value is None:
        raise VerificationError(ErrorCode.REQUIRED_CLAIM_MISSING, f"{name} is required")
    return value


def require_string(claims: JSONObject, name: str) -> str:
    """A required string claim.

    Raises:
        FormatError: ``malformed_claim`` if present but not a string.
        VerificationError: ``required_claim_missing``.
    """
    if name not in claims:
        raise VerificationError(ErrorCode.REQUIRED_CLAIM_MISSING, f"{name} is required")
    value = claims[name]
    if not isinstance(value, str):
        raise FormatError(ErrorCode.MALFORMED_CLAIM, f"{name} is not a string")
    return value
