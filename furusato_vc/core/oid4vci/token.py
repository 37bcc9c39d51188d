"""Token Endpoint of the Pre-Authorized Code Flow (OpenID4VCI 1.0 §6; RFC 6749 §4.1.3, §5).

The issuer reads the form with :func:`parse_token_request` (or
:func:`parse_token_request_body` from the raw ``application/x-www-form-urlencoded`` bytes),
checks the code and the Transaction Code, and answers with a :class:`TokenResponse`. The
Wallet builds the request with :meth:`TokenRequest.to_form` and reads the answer with
:func:`parse_token_response`.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from furusato_vc.core.encoding import b64url_encode
from furusato_vc.core.errors import ErrorCode, FormatError, VerificationError
from furusato_vc.core.oid4vci._urls import encode_form, parse_query
from furusato_vc.core.oid4vci.constants import BEARER, PRE_AUTHORIZED_CODE_GRANT

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from furusato_vc.core.encoding import JSONObject
    from furusato_vc.core.oid4vci.offer import TxCode
    from furusato_vc.core.randomness import RandomSource

__all__ = [
    "TokenRequest",
    "TokenResponse",
    "check_tx_code",
    "create_pre_authorized_code",
    "create_tx_code",
    "parse_token_request",
    "parse_token_request_body",
    "parse_token_response",
]

MAX_FORM_BYTES: Final = 8 * 1024
MAX_CODE_CHARS: Final = 1024
MAX_TX_CODE_CHARS: Final = 64
MAX_ACCESS_TOKEN_CHARS: Final = 4096

_GRANT_TYPE: Final = "grant_type"
_PRE_AUTHORIZED_CODE: Final = "pre-authorized_code"
_TX_CODE: Final = "tx_code"
_AUTHORIZATION_DETAILS: Final = "authorization_details"


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenRequest:
    """§6.1 with ``grant_type=urn:ietf:params:oauth:grant-type:pre-authorized_code``."""

    pre_authorized_code: str
    tx_code: str | None = None

    def to_form(self) -> str:
        """The ``application/x-www-form-urlencoded`` request body (RFC 6749 Appendix B)."""
        pairs = [
            (_GRANT_TYPE, PRE_AUTHORIZED_CODE_GRANT),
            (_PRE_AUTHORIZED_CODE, self.pre_authorized_code),
        ]
        if self.tx_code is not None:
            pairs.append((_TX_CODE, self.tx_code))
        return encode_form(pairs)


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenResponse:
    """§6.2 / RFC 6749 §5.1. No refresh token: the Wallet starts again from a new offer."""

    access_token: str
    expires_in: int | None
    token_type: str = BEARER

    def to_json(self) -> JSONObject:
        out: JSONObject = {"access_token": self.access_token, "token_type": self.token_type}
        if self.expires_in is not None:
            out["expires_in"] = self.expires_in
        return out


def _malformed(detail: str) -> FormatError:
    return FormatError(ErrorCode.MALFORMED_REQUEST, detail)


def _single_values(form: Mapping[str, str] | Sequence[tuple[str, str]]) -> dict[str, str]:
    # The edge may hand over anything a form parser produced (files, lists): check each value.
    pairs: Iterable[tuple[object, object]] = form.items() if isinstance(form, Mapping) else form
    values: dict[str, str] = {}
    for name, value in pairs:
        if not isinstance(name, str) or not isinstance(value, str):
            raise _malformed("form parameters must be strings")
        if name in values:  # RFC 6749 §3.1: "MUST NOT be included more than once"
            raise _malformed("a parameter is repeated")
        if value:  # RFC 6749 §3.1: an empty parameter is treated as omitted
            values[name] = value
    return values


def parse_token_request(form: Mapping[str, str] | Sequence[tuple[str, str]]) -> TokenRequest:
    """Read a Token Request (§6.1). Pass the decoded pairs in order when you have them, so
    that a repeated parameter is caught. Unknown parameters (``client_id`` …) are ignored:
    clients are anonymous (§6.1, "authentication of the Client is OPTIONAL").

    Raises:
        FormatError: ``malformed_request`` if ``grant_type`` or ``pre-authorized_code`` is
            missing, a parameter is repeated, over-long or not printable, or
            ``authorization_details`` is sent (RFC 9396 is not supported: its Token Response
            would have to carry ``credential_identifiers``, §6.2).
        VerificationError: ``grant_type_unsupported`` for any other ``grant_type``.
    """
    values = _single_values(form)
    grant_type = values.get(_GRANT_TYPE)
    if grant_type is None:
        raise _malformed("grant_type is missing")
    if grant_type != PRE_AUTHORIZED_CODE_GRANT:
        raise VerificationError(ErrorCode.GRANT_TYPE_UNSUPPORTED, "only the pre-authorized grant")
    code = values.get(_PRE_AUTHORIZED_CODE)
    if code is None:
        raise _malformed("pre-authorized_code is missing")  # §6.1 "MUST be present"
    if len(code) > MAX_CODE_CHARS or not code.isprintable():
        raise _malformed("pre-authorized_code is malformed")
    tx_code = values.get(_TX_CODE)
    if tx_code is not None and (len(tx_code) > MAX_TX_CODE_CHARS or not tx_code.isprintable()):
        raise _malformed("tx_code is malformed")
    if _AUTHORIZATION_DETAILS in values:
        raise _malformed("authorization_details is not supported")
    return TokenRequest(pre_authorized_code=code, tx_code=tx_code)


def parse_token_request_body(body: bytes) -> TokenRequest:
    """:func:`parse_token_request` over a raw ``application/x-www-form-urlencoded`` body.

    Raises:
        FormatError: ``malformed_request`` also for a body over 8 KiB, non-ASCII bytes or
            bad percent-encoding.
        VerificationError: ``grant_type_unsupported``.
    """
    if len(body) > MAX_FORM_BYTES:
        raise _malformed("token request body is too large")
    try:
        text = body.decode("ascii")
    except UnicodeDecodeError:
        raise _malformed("token request body is not ASCII") from None
    return parse_token_request(parse_query(text, what="token request"))


def check_tx_code(provided: str | None, *, expected: str | None) -> None:
    """Compare the Transaction Code of a Token Request with the one set up for the offer
    (§6.3), in constant time. Counting failed attempts and invalidating the code after too
    many (``tx_code_attempts_exceeded``) is the caller's, as it needs storage.

    Raises:
        FormatError: ``malformed_request`` if a code is sent but none was expected (§6.3
            ``invalid_request``).
        VerificationError: ``tx_code_missing`` if one was expected and none sent;
            ``tx_code_invalid`` if it differs.
    """
    if expected is None:
        if provided is not None:
            raise _malformed("tx_code was not expected")
        return
    if provided is None:
        raise VerificationError(ErrorCode.TX_CODE_MISSING, "tx_code is required")
    if not hmac.compare_digest(provided.encode("utf-8"), expected.encode("utf-8")):
        raise VerificationError(ErrorCode.TX_CODE_INVALID, "tx_code does not match")


def create_pre_authorized_code(*, random: RandomSource) -> str:
    """An opaque pre-authorized code: 256 random bits, base64url (for issuers that keep codes
    in storage rather than sealing them with
    :class:`~furusato_vc.core.oid4vci.sealed.PreAuthorizedCodeCodec`)."""
    return b64url_encode(random.token_bytes(32))


def create_tx_code(tx_code: TxCode, *, random: RandomSource) -> str:
    """A Transaction Code matching the offer's ``tx_code`` description (§4.1.1): uniform
    digits for ``numeric`` (rejection sampling, no modulo bias), or uppercase letters and
    digits without look-alikes for ``text``. The length defaults to 6."""
    alphabet = (
        "0123456789" if tx_code.input_mode == "numeric" else "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    )
    length = tx_code.length if tx_code.length is not None else 6
    limit = 256 - 256 % len(alphabet)
    out: list[str] = []
    while len(out) < length:
        for octet in random.token_bytes(length * 2):
            if octet < limit and len(out) < length:
                out.append(alphabet[octet % len(alphabet)])
    return "".join(out)


def parse_token_response(value: object) -> TokenResponse:
    """The Wallet's reading of a successful Token Response (§6.2, RFC 6749 §5.1). Unknown
    members are ignored (§6.2 "MUST ignore any unrecognized parameters").

    Raises:
        FormatError: ``malformed_request`` for a non-object, a missing or over-long
            ``access_token``, a ``token_type`` other than ``Bearer`` (case-insensitive,
            RFC 6749 §7.1) or an ``expires_in`` that is not a positive integer.
    """
    if not isinstance(value, dict):
        raise _malformed("token response is not an object")
    token = value.get("access_token")
    if not isinstance(token, str) or not 0 < len(token) <= MAX_ACCESS_TOKEN_CHARS:
        raise _malformed("access_token missing or malformed")
    token_type = value.get("token_type")
    if not isinstance(token_type, str) or token_type.lower() != BEARER.lower():
        raise _malformed("token_type is not Bearer")
    expires_in = value.get("expires_in")
    if expires_in is not None and (
        isinstance(expires_in, bool) or not isinstance(expires_in, int) or expires_in <= 0
    ):
        raise _malformed("expires_in is not a positive integer")
    return TokenResponse(access_token=token, expires_in=expires_in, token_type=BEARER)
