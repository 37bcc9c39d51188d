"""Nonce Endpoint response (OpenID4VCI 1.0 §7.2). The values come from
:class:`~furusato_vc.core.oid4vci.sealed.NonceCodec`; the HTTP layer adds
``Cache-Control: no-store`` (§7.2)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from furusato_vc.core.errors import ErrorCode, FormatError

if TYPE_CHECKING:
    from furusato_vc.core.encoding import JSONObject

__all__ = ["NonceResponse", "parse_nonce_response"]

MAX_NONCE_CHARS: Final = 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class NonceResponse:
    c_nonce: str

    def to_json(self) -> JSONObject:
        return {"c_nonce": self.c_nonce}


def parse_nonce_response(value: object) -> NonceResponse:
    """The Wallet's reading of a Nonce Response (§7.2); other members are ignored.

    Raises:
        FormatError: ``malformed_request`` unless ``c_nonce`` is a non-empty string of at
            most 1024 characters.
    """
    nonce = value.get("c_nonce") if isinstance(value, dict) else None
    if not isinstance(nonce, str) or not 0 < len(nonce) <= MAX_NONCE_CHARS:
        raise FormatError(ErrorCode.MALFORMED_REQUEST, "c_nonce missing or malformed")
    return NonceResponse(c_nonce=nonce)
