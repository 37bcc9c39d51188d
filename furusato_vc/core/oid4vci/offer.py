"""Credential Offer (OpenID4VCI 1.0 §4.1) for the Pre-Authorized Code Flow (§3.5).

The issuer builds a :class:`CredentialOffer` and renders it with :func:`offer_to_uri`; the
Wallet reads a scanned or clicked URI with :func:`parse_offer_uri`. Offer contents are
untrusted (§13.5): the Wallet must still fetch and check the issuer's metadata before use
(:func:`~furusato_vc.core.oid4vci.metadata.check_offer_against_metadata`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Literal

from furusato_vc.core.encoding import JsonLimits, dumps_compact, parse_json_object
from furusato_vc.core.errors import ErrorCode, FormatError
from furusato_vc.core.oid4vci._urls import (
    check_url,
    check_url_argument,
    parse_query,
    percent_encode,
)
from furusato_vc.core.oid4vci.constants import (
    CREDENTIAL_OFFER_PARAM,
    CREDENTIAL_OFFER_URI_PARAM,
    HAIP_OFFER_URI_SCHEME,
    OFFER_URI_SCHEME,
    PRE_AUTHORIZED_CODE_GRANT,
)

if TYPE_CHECKING:
    from collections.abc import Collection

    from furusato_vc.core.encoding import JSONObject, JSONValue

__all__ = [
    "MAX_OFFER_CHARS",
    "OFFER_URI_SCHEMES",
    "CredentialOffer",
    "OfferReference",
    "TxCode",
    "offer_reference",
    "offer_to_uri",
    "parse_credential_offer",
    "parse_credential_offer_json",
    "parse_offer_uri",
]

MAX_OFFER_CHARS: Final = 8 * 1024  # a whole offer URI, or a fetched offer document
MAX_CONFIGURATION_IDS: Final = 16
MAX_ID_CHARS: Final = 256
MAX_CODE_CHARS: Final = 1024
MAX_TX_CODE_LENGTH: Final = 64
MAX_TX_CODE_DESCRIPTION: Final = 300  # §4.1.1 "MUST NOT exceed 300 characters"
OFFER_URI_SCHEMES: Final = (OFFER_URI_SCHEME, HAIP_OFFER_URI_SCHEME)
_OFFER_TARGET = re.compile(r"[A-Za-z0-9.-]*/?")  # "openid-credential-offer://?..." in §4.1.2
_OFFER_JSON_LIMITS = JsonLimits(max_bytes=MAX_OFFER_CHARS, max_depth=8)

TxInputMode = Literal["numeric", "text"]
_INPUT_MODES: Final = ("numeric", "text")


@dataclass(frozen=True, slots=True, kw_only=True)
class TxCode:
    """§4.1.1 ``tx_code``: its presence (even with every member absent) means the Token
    Request must carry a Transaction Code."""

    input_mode: TxInputMode = "numeric"
    length: int | None = None
    description: str | None = None

    def __post_init__(self) -> None:
        if self.input_mode not in _INPUT_MODES:
            raise ValueError("input_mode must be 'numeric' or 'text'")
        if self.length is not None and (
            isinstance(self.length, bool) or not 1 <= self.length <= MAX_TX_CODE_LENGTH
        ):
            raise ValueError(f"length must be 1..{MAX_TX_CODE_LENGTH}")
        if self.description is not None and len(self.description) > MAX_TX_CODE_DESCRIPTION:
            raise ValueError("description must be at most 300 characters")

    def to_json(self) -> JSONObject:
        out: JSONObject = {"input_mode": self.input_mode}
        if self.length is not None:
            out["length"] = self.length
        if self.description is not None:
            out["description"] = self.description
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class CredentialOffer:
    """§4.1.1, pre-authorized grant only. ``authorization_server`` is the optional hint of
    §4.1.1; a Wallet must find it in the issuer's ``authorization_servers`` (§12.2.4)."""

    credential_issuer: str
    credential_configuration_ids: tuple[str, ...]
    pre_authorized_code: str
    tx_code: TxCode | None = None
    authorization_server: str | None = None

    def __post_init__(self) -> None:
        ids: object = self.credential_configuration_ids
        if not isinstance(ids, tuple) or not ids:
            raise ValueError("credential_configuration_ids must be a non-empty tuple")
        if len(set(ids)) != len(ids) or not all(_valid_id(i) for i in ids):
            raise ValueError("credential_configuration_ids must be unique non-empty strings")
        if len(ids) > MAX_CONFIGURATION_IDS:
            raise ValueError("too many credential_configuration_ids")
        if not 0 < len(self.pre_authorized_code) <= MAX_CODE_CHARS:
            raise ValueError("pre_authorized_code must be 1..1024 characters")

    def to_json(self) -> JSONObject:
        grant: JSONObject = {"pre-authorized_code": self.pre_authorized_code}
        if self.tx_code is not None:
            grant["tx_code"] = self.tx_code.to_json()
        if self.authorization_server is not None:
            grant["authorization_server"] = self.authorization_server
        return {
            "credential_issuer": self.credential_issuer,
            "credential_configuration_ids": list(self.credential_configuration_ids),
            "grants": {PRE_AUTHORIZED_CODE_GRANT: grant},
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class OfferReference:
    """§4.1.3: the offer is at ``uri`` (``https``); the Wallet GETs it (``application/json``)
    and reads the body with :func:`parse_credential_offer_json`."""

    uri: str


def _valid_id(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_ID_CHARS


def _malformed(detail: str) -> FormatError:
    return FormatError(ErrorCode.MALFORMED_REQUEST, detail)


def _parse_tx_code(value: JSONValue) -> TxCode:
    if not isinstance(value, dict):
        raise _malformed("tx_code is not an object")
    input_mode = value.get("input_mode", "numeric")
    if input_mode == "numeric":
        mode: TxInputMode = "numeric"
    elif input_mode == "text":
        mode = "text"
    else:
        raise _malformed("tx_code.input_mode is not 'numeric' or 'text'")
    length = value.get("length")
    if length is not None and (
        isinstance(length, bool)
        or not isinstance(length, int)
        or not 1 <= length <= MAX_TX_CODE_LENGTH
    ):
        raise _malformed("tx_code.length is not a small positive integer")
    description = value.get("description")
    if description is not None and (
        not isinstance(description, str) or len(description) > MAX_TX_CODE_DESCRIPTION
    ):
        raise _malformed("tx_code.description is not a string of at most 300 characters")
    return TxCode(input_mode=mode, length=length, description=description)


def parse_credential_offer(
    value: object, *, allow_insecure_localhost: bool = False
) -> CredentialOffer:
    """Read a Credential Offer object (§4.1.1) strictly. Unknown members and other grants are
    ignored (§4.1.1 "MUST ignore any unrecognized parameters"); our Wallet only implements the
    pre-authorized grant, so an offer without it is rejected.

    Raises:
        FormatError: ``malformed_request`` for a non-object, a ``credential_issuer`` that is not
            an ``https`` Credential Issuer Identifier (§12.2.1: no query, no fragment),
            ``credential_configuration_ids`` that are missing, empty, not unique strings or too
            many, a missing or malformed pre-authorized grant, or an invalid ``tx_code``.
    """
    if not isinstance(value, dict):
        raise _malformed("credential offer is not an object")
    issuer = check_url(  # §12.2.1
        value.get("credential_issuer"),
        what="credential_issuer",
        allow_query=False,
        allow_insecure_localhost=allow_insecure_localhost,
    ).url
    ids = value.get("credential_configuration_ids")
    if not isinstance(ids, list) or not ids or len(ids) > MAX_CONFIGURATION_IDS:
        raise _malformed("credential_configuration_ids is not a non-empty array")
    if not all(_valid_id(i) for i in ids):
        raise _malformed("credential_configuration_ids has a non-string entry")
    configuration_ids = tuple(str(i) for i in ids)
    if len(set(configuration_ids)) != len(configuration_ids):
        raise _malformed("credential_configuration_ids are not unique")
    grants = value.get("grants")
    if not isinstance(grants, dict):
        raise _malformed("grants missing or not an object")
    grant = grants.get(PRE_AUTHORIZED_CODE_GRANT)
    if not isinstance(grant, dict):
        raise _malformed("no pre-authorized code grant")
    code = grant.get("pre-authorized_code")
    if not isinstance(code, str) or not 0 < len(code) <= MAX_CODE_CHARS:
        raise _malformed("pre-authorized_code missing or malformed")
    tx_code = _parse_tx_code(grant["tx_code"]) if "tx_code" in grant else None
    authorization_server = None
    if "authorization_server" in grant:
        authorization_server = check_url(
            grant["authorization_server"],
            what="authorization_server",
            allow_query=False,
            allow_insecure_localhost=allow_insecure_localhost,
        ).url
    return CredentialOffer(
        credential_issuer=issuer,
        credential_configuration_ids=configuration_ids,
        pre_authorized_code=code,
        tx_code=tx_code,
        authorization_server=authorization_server,
    )


def parse_credential_offer_json(
    data: bytes | str, *, allow_insecure_localhost: bool = False
) -> CredentialOffer:
    """A Credential Offer fetched from a ``credential_offer_uri`` (§4.1.3), as bytes.

    Raises:
        FormatError: ``malformed_request`` (including bodies over 8 KiB and invalid JSON), and
            everything :func:`parse_credential_offer` raises.
    """
    try:
        value = parse_json_object(data, limits=_OFFER_JSON_LIMITS)
    except FormatError as exc:
        raise _malformed("credential offer is not a JSON object") from exc
    return parse_credential_offer(value, allow_insecure_localhost=allow_insecure_localhost)


def offer_to_uri(offer: CredentialOffer | OfferReference, *, scheme: str = OFFER_URI_SCHEME) -> str:
    """``openid-credential-offer://?credential_offer=<JSON>`` (§4.1.2) or
    ``...?credential_offer_uri=<URL>`` (§4.1.3), percent-encoded (RFC 3986 §2.1).

    Raises:
        ValueError: the URI would exceed :data:`MAX_OFFER_CHARS` (the Wallet would refuse it).
    """
    if scheme not in OFFER_URI_SCHEMES:
        raise ValueError("unknown offer URI scheme")
    if isinstance(offer, OfferReference):
        query = f"{CREDENTIAL_OFFER_URI_PARAM}={percent_encode(offer.uri)}"
    else:
        query = f"{CREDENTIAL_OFFER_PARAM}={percent_encode(dumps_compact(offer.to_json()))}"
    uri = f"{scheme}?{query}"
    if len(uri) > MAX_OFFER_CHARS:
        raise ValueError("offer URI is too long; pass the offer by reference")
    return uri


def offer_reference(uri: str, *, allow_insecure_localhost: bool = False) -> OfferReference:
    """An :class:`OfferReference` after checking ``uri`` is an ``https`` URL (§4.1)."""
    check_url_argument(
        uri,
        what="credential_offer_uri",
        allow_query=True,
        allow_insecure_localhost=allow_insecure_localhost,
    )
    return OfferReference(uri=uri)


def parse_offer_uri(
    text: str,
    *,
    schemes: Collection[str] = OFFER_URI_SCHEMES,
    allow_insecure_localhost: bool = False,
) -> CredentialOffer | OfferReference:
    """Read a Credential Offer URI (§4.1): exactly one of ``credential_offer`` (by value,
    §4.1.2) or ``credential_offer_uri`` (by reference, §4.1.3). Other query parameters are
    ignored. ``+`` decodes to a space, as in HTML form encoding (which the examples never use:
    they escape spaces as ``%20``).

    Raises:
        FormatError: ``malformed_request`` for input over 8 KiB, an unknown scheme, a fragment,
            bad percent-encoding, both or neither parameter or either one twice, a
            ``credential_offer_uri`` that is not ``https``, and every
            :func:`parse_credential_offer` rejection of the inline offer.
    """
    if len(text) > MAX_OFFER_CHARS:
        raise _malformed("offer URI is not a string of at most 8 KiB")
    scheme = next((s for s in schemes if text[: len(s)].lower() == s), None)
    if scheme is None:
        raise _malformed("not a credential offer URI")
    rest = text[len(scheme) :]
    target, question, query = rest.partition("?")
    if not question or "#" in query or _OFFER_TARGET.fullmatch(target) is None:
        raise _malformed("offer URI must be <scheme>?<query>")
    pairs = parse_query(query, what="offer URI query")
    by_value = [v for k, v in pairs if k == CREDENTIAL_OFFER_PARAM]
    by_reference = [v for k, v in pairs if k == CREDENTIAL_OFFER_URI_PARAM]
    if len(by_value) + len(by_reference) != 1:
        raise _malformed("exactly one of credential_offer and credential_offer_uri is required")
    if by_reference:
        reference = check_url(
            by_reference[0],
            what="credential_offer_uri",
            allow_query=True,
            allow_insecure_localhost=allow_insecure_localhost,
        )
        return OfferReference(uri=reference.url)
    return parse_credential_offer_json(
        by_value[0], allow_insecure_localhost=allow_insecure_localhost
    )
