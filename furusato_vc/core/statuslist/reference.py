"""The ``status`` claim of a Referenced Token (draft-ietf-oauth-status-list §6.2)::

"status": {"status_list": {"idx": 1234, "uri": "https://example.com/statuslists/1"}}
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from furusato_vc.core.errors import ErrorCode, FormatError

if TYPE_CHECKING:
    from furusato_vc.core.encoding import JSONObject, JSONValue

__all__ = ["StatusChecker", "StatusReference", "parse_status_claim"]

_MAX_IDX = 2**32  # far above any list we publish; bounds the work of a lookup


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusReference:
    uri: str
    idx: int

    def __post_init__(self) -> None:
        if not self.uri or not 0 <= self.idx < _MAX_IDX:
            raise ValueError("status reference needs a uri and 0 <= idx < 2**32")

    def to_claim(self) -> JSONObject:
        return {"status_list": {"idx": self.idx, "uri": self.uri}}


def parse_status_claim(value: JSONValue) -> StatusReference:
    """Parse the ``status`` claim.

    Raises:
        FormatError: ``malformed_claim`` unless it is ``{"status_list": {"idx": int, "uri": str}}``
            with a non-negative, bounded integer ``idx`` (booleans are not integers here).
    """
    status_list = value.get("status_list") if isinstance(value, dict) else None
    if not isinstance(status_list, dict):
        raise FormatError(ErrorCode.MALFORMED_CLAIM, "status.status_list missing")
    idx = status_list.get("idx")
    uri = status_list.get("uri")
    if isinstance(idx, bool) or not isinstance(idx, int) or not 0 <= idx < _MAX_IDX:
        raise FormatError(ErrorCode.MALFORMED_CLAIM, "status_list.idx is not a valid index")
    if not isinstance(uri, str) or not uri:
        raise FormatError(ErrorCode.MALFORMED_CLAIM, "status_list.uri is not a string")
    return StatusReference(uri=uri, idx=idx)


class StatusChecker(Protocol):
    """Checks a credential's status against status data the caller holds (no I/O here).

    Raises ``VerificationError`` when the credential is revoked or suspended, or when the
    status data is missing, expired or older than ``max_age`` seconds (the verifier's
    maximum staleness, counted from the Status List Token's ``iat``), so that verification
    fails closed.
    """

    def check(self, reference: StatusReference, *, issuer: str, now: int, max_age: int) -> None: ...
