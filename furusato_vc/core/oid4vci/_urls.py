"""Strict URL checks and percent-encoding without ``urllib`` (core imports no network module).

Only what OpenID4VCI needs: ``https`` URLs of the issuer and its endpoints (§12.2.1, §12.2.4),
the query of a Credential Offer URI (§4.1) and ``application/x-www-form-urlencoded`` token
requests (RFC 6749 Appendix B). Everything is ASCII-only and bounded; anything unusual is
rejected with ``malformed_request`` rather than normalized.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from furusato_vc.core.errors import ErrorCode, FormatError

if TYPE_CHECKING:
    from collections.abc import Iterable

MAX_URL_CHARS = 2048
MAX_FORM_PARAMS = 64

# RFC 3986 §3: scheme "://" host [":" port] path-abempty ["?" query] ["#" fragment]; no userinfo
# (an "@" before the host is a classic phishing trick and never needed here).
_URL = re.compile(
    r"(?P<scheme>[a-z][a-z0-9+.-]*)://"
    r"(?P<host>[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])"
    r"(?::(?P<port>[0-9]{1,5}))?"
    r"(?P<path>(?:/[A-Za-z0-9\-._~!$&'()*+,;=:@%]*)*)"
    r"(?:\?(?P<query>[A-Za-z0-9\-._~!$&'()*+,;=:@%/?]*))?"
    r"(?:#(?P<fragment>[A-Za-z0-9\-._~!$&'()*+,;=:@%/?]*))?"
)
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]"})
_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_HEX = "0123456789ABCDEF"
# what each octet becomes, looked up once (offers are encoded per member in bulk imports)
_PERCENT_ENCODED = tuple(
    chr(octet) if octet in _UNRESERVED else "%" + _HEX[octet >> 4] + _HEX[octet & 15]
    for octet in range(256)
)


@dataclass(frozen=True, slots=True, kw_only=True)
class HttpsUrl:
    """A checked URL, also split at the start of its path."""

    url: str
    origin: str  # scheme://host[:port]
    path: str  # "" or starting with "/"
    query: str | None


def check_url(
    value: object,
    *,
    what: str,
    allow_query: bool,
    allow_insecure_localhost: bool,
) -> HttpsUrl:
    """An absolute ``https`` URL with a host, no userinfo and no fragment (``http`` only for a
    loopback host when ``allow_insecure_localhost``).

    Raises:
        FormatError: ``malformed_request``.
    """
    if not isinstance(value, str) or not value:
        raise FormatError(ErrorCode.MALFORMED_REQUEST, f"{what} is not a string")
    if len(value) > MAX_URL_CHARS:
        raise FormatError(ErrorCode.MALFORMED_REQUEST, f"{what} is too long")
    match = _URL.fullmatch(value)
    if match is None or _BAD_PERCENT.search(value):
        raise FormatError(ErrorCode.MALFORMED_REQUEST, f"{what} is not an absolute URL")
    scheme, host, port = match["scheme"], match["host"], match["port"]
    if scheme != "https" and not (
        scheme == "http" and allow_insecure_localhost and host in _LOOPBACK_HOSTS
    ):
        raise FormatError(ErrorCode.MALFORMED_REQUEST, f"{what} must use https")
    if ".." in host:
        raise FormatError(ErrorCode.MALFORMED_REQUEST, f"{what} has an invalid host")
    if port is not None and not 0 < int(port) <= 65535:
        raise FormatError(ErrorCode.MALFORMED_REQUEST, f"{what} has an invalid port")
    if match["fragment"] is not None:
        raise FormatError(ErrorCode.MALFORMED_REQUEST, f"{what} must not have a fragment")
    if match["query"] is not None and not allow_query:
        raise FormatError(ErrorCode.MALFORMED_REQUEST, f"{what} must not have a query")
    origin = f"{scheme}://{host}" + (f":{port}" if port is not None else "")
    return HttpsUrl(url=value, origin=origin, path=match["path"], query=match["query"])


def check_url_argument(
    value: str, *, what: str, allow_query: bool, allow_insecure_localhost: bool
) -> HttpsUrl:
    """:func:`check_url` for values a caller of ours supplied: a bad one is a programmer error."""
    try:
        return check_url(
            value,
            what=what,
            allow_query=allow_query,
            allow_insecure_localhost=allow_insecure_localhost,
        )
    except FormatError as exc:
        raise ValueError(exc.detail) from None


def percent_encode(text: str) -> str:
    """RFC 3986 §2.1: every octet of the UTF-8 encoding except the unreserved set (§2.3)."""
    return "".join([_PERCENT_ENCODED[octet] for octet in text.encode("utf-8")])


def percent_decode(text: str, *, what: str, plus_is_space: bool) -> str:
    """Strict percent-decoding to UTF-8 (WHATWG URL "application/x-www-form-urlencoded" parsing
    when ``plus_is_space``).

    Raises:
        FormatError: ``malformed_request`` for non-ASCII or control characters, a ``%`` not
            followed by two hex digits, or bytes that are not UTF-8.
    """
    if not text.isascii() or not text.isprintable() or _BAD_PERCENT.search(text):
        raise FormatError(ErrorCode.MALFORMED_REQUEST, f"{what} is not percent-encoded ASCII")
    if plus_is_space:
        text = text.replace("+", " ")
    if "%" not in text:
        return text
    raw = bytearray()
    i = 0
    while i < len(text):
        char = text[i]
        if char == "%":
            raw.append(int(text[i + 1 : i + 3], 16))
            i += 3
        else:
            raw.append(ord(char))
            i += 1
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise FormatError(ErrorCode.MALFORMED_REQUEST, f"{what} is not UTF-8") from None


def parse_query(text: str, *, what: str) -> tuple[tuple[str, str], ...]:
    """Split ``a=1&b=2`` into decoded pairs, in order, keeping duplicates for the caller to
    reject. Empty segments are skipped; a segment without ``=`` has the value ``""``.

    Raises:
        FormatError: ``malformed_request``.
    """
    segments = [segment for segment in text.split("&") if segment]
    if len(segments) > MAX_FORM_PARAMS:
        raise FormatError(ErrorCode.MALFORMED_REQUEST, f"{what} has too many parameters")
    pairs: list[tuple[str, str]] = []
    for segment in segments:
        name, _, value = segment.partition("=")
        pairs.append(
            (
                percent_decode(name, what=what, plus_is_space=True),
                percent_decode(value, what=what, plus_is_space=True),
            )
        )
    return tuple(pairs)


def encode_form(pairs: Iterable[tuple[str, str]]) -> str:
    """``application/x-www-form-urlencoded`` (spaces as ``%20``, which every decoder accepts)."""
    return "&".join(f"{percent_encode(name)}={percent_encode(value)}" for name, value in pairs)


def insert_well_known(url: HttpsUrl, well_known: str, *, strip_trailing_slash: bool) -> str:
    """Insert a well-known path between the host and the path (RFC 8615; OID4VCI §12.2.2)."""
    path = url.path.rstrip("/") if strip_trailing_slash else url.path
    return url.origin + well_known + path
