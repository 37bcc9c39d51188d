"""OAuth error responses for the Token Endpoint (RFC 6749 §5.2; OpenID4VCI 1.0 §6.3) and the
Credential Endpoint (RFC 6750 §3; §8.3.1), built from our errors by code."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from furusato_vc.core.oid4vci.constants import OAUTH_ERROR_FOR, OAUTH_ERROR_STATUS, OAuthError

if TYPE_CHECKING:
    from furusato_vc.core.encoding import JSONObject
    from furusato_vc.core.errors import FurusatoError

__all__ = ["OAuthErrorResponse", "oauth_error_response"]

# RFC 6749 §5.2 / §8.3.1.2: error_description is %x20-21 / %x23-5B / %x5D-7E (no " or \).
_NOT_DESCRIPTION = re.compile(r"[^\x20-\x21\x23-\x5b\x5d-\x7e]")


@dataclass(frozen=True, slots=True, kw_only=True)
class OAuthErrorResponse:
    """An error body and its HTTP status. Send it with ``Cache-Control: no-store``; for
    ``invalid_token`` also send :attr:`www_authenticate` (RFC 6750 §3)."""

    error: OAuthError
    description: str | None = None

    @property
    def status(self) -> int:
        return OAUTH_ERROR_STATUS[self.error]

    @property
    def www_authenticate(self) -> str | None:
        if self.error is not OAuthError.INVALID_TOKEN:
            return None
        return f'Bearer error="{self.error.value}"'

    def to_json(self) -> JSONObject:
        out: JSONObject = {"error": self.error.value}
        if self.description:
            out["error_description"] = self.description
        return out


def oauth_error_response(error: FurusatoError, *, fallback: OAuthError) -> OAuthErrorResponse:
    """The OAuth error for ``error.code`` (:data:`OAUTH_ERROR_FOR`), or ``fallback`` for codes
    the map does not know (say ``invalid_request`` at the Token Endpoint and
    ``invalid_credential_request`` at the Credential Endpoint, for JSON or size errors). The
    description is the error's English detail (never input values, by the contract of
    :class:`~furusato_vc.core.errors.FurusatoError`) reduced to the allowed characters."""
    code = OAUTH_ERROR_FOR.get(error.code, fallback)
    description = _NOT_DESCRIPTION.sub("", error.detail)[:200] or None
    return OAuthErrorResponse(error=code, description=description)
