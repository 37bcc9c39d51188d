"""The wallet's only network edge: a :class:`~furusato_vc.wallet.client.Transport` over the
standard library's ``urllib``.

It speaks ``https`` (plain ``http`` only to a loopback host, for development and tests),
never follows redirects (an OpenID4VCI endpoint does not redirect, and a redirect could lead
to plain ``http`` or another host), uses no proxy unless one is given (the library reads no
environment), and reads at most ``max_response_bytes`` of any answer.
"""

from __future__ import annotations

import http.client
import urllib.error
import urllib.parse
import urllib.request
from typing import TYPE_CHECKING, Final

from furusato_vc.core.errors import ErrorCode, FormatError, StorageError
from furusato_vc.wallet.client import MAX_RESPONSE_BYTES, HttpResponse

if TYPE_CHECKING:
    import ssl
    from collections.abc import Mapping
    from email.message import Message

__all__ = ["UrllibTransport"]

_LOOPBACK_HOSTS: Final = frozenset({"localhost", "127.0.0.1", "::1"})
_USER_AGENT: Final = "furusato-vc-wallet"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Hand 3xx answers back as they are (urllib then raises them as ``HTTPError``)."""

    def redirect_request(self, *_args: object, **_kwargs: object) -> None:
        return None


def _check_target(method: str, url: str) -> None:
    if not method.isascii() or not method.isalpha() or not method.isupper():
        raise ValueError("method must be an upper-case HTTP method name")
    parts = urllib.parse.urlsplit(url)
    try:
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        raise ValueError("not a valid URL") from None
    if not host or parts.username is not None or parts.password is not None:
        raise ValueError("URL needs a host and no user information")
    if parts.scheme == "https":
        return
    if parts.scheme == "http" and host in _LOOPBACK_HOSTS:
        return
    raise ValueError("only https URLs (plain http only to a loopback host)")


def _headers(message: Message) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in message.items():
        key = name.lower()
        out[key] = f"{out[key]}, {value}" if key in out else value  # RFC 9110 §5.3
    return out


class UrllibTransport:
    """Implements :class:`~furusato_vc.wallet.client.Transport` with ``urllib.request``.

    ``timeout`` (seconds) bounds connecting and each read; ``ssl_context`` replaces the
    default (system trust store, hostname checks); ``proxies`` maps a scheme to a proxy URL
    (``{"https": "http://proxy:3128"}``), none by default.
    """

    def __init__(
        self,
        *,
        timeout: float = 30.0,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
        ssl_context: ssl.SSLContext | None = None,
        proxies: Mapping[str, str] | None = None,
    ) -> None:
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        if max_response_bytes < 1:
            raise ValueError("max_response_bytes must be positive")
        self.timeout = timeout
        self.max_response_bytes = max_response_bytes
        self._opener = urllib.request.build_opener(
            urllib.request.ProxyHandler(dict(proxies or {})),
            urllib.request.HTTPSHandler(context=ssl_context),
            _NoRedirect(),
        )

    def _read(self, source: http.client.HTTPResponse | urllib.error.HTTPError) -> bytes:
        length = source.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > self.max_response_bytes:
            raise FormatError(ErrorCode.ISSUER_RESPONSE_INVALID, "answer too large")
        data: bytes = source.read(self.max_response_bytes + 1)
        if len(data) > self.max_response_bytes:
            raise FormatError(ErrorCode.ISSUER_RESPONSE_INVALID, "answer too large")
        if length is not None and length.isdigit() and len(data) < int(length):
            # read(n) returns what arrived when the connection closes early
            raise StorageError(ErrorCode.ISSUER_UNAVAILABLE, "the answer was cut short")
        return data

    def request(
        self, method: str, url: str, *, headers: Mapping[str, str], body: bytes | None
    ) -> HttpResponse:
        """Send one request; any status comes back as an :class:`HttpResponse`.

        Raises:
            ValueError: a URL that is not ``https`` (``http`` to a loopback host is allowed),
                has no host or has user information, or a malformed method.
            StorageError: ``issuer_unavailable`` when the server cannot be reached, times out
                or closes the connection before the whole answer arrived.
            FormatError: ``issuer_response_invalid`` for an answer over
                ``max_response_bytes``.
        """
        _check_target(method, url)
        request = urllib.request.Request(  # noqa: S310 - scheme checked above
            url,
            data=body,
            headers={"User-Agent": _USER_AGENT, **headers},
            method=method,
        )
        try:
            try:
                with self._opener.open(request, timeout=self.timeout) as response:
                    return HttpResponse(
                        status=response.status,
                        headers=_headers(response.headers),
                        body=self._read(response),
                    )
            except urllib.error.HTTPError as answer:  # 3xx, 4xx, 5xx: still an answer
                with answer:
                    return HttpResponse(
                        status=answer.code,
                        headers=_headers(answer.headers),
                        body=self._read(answer),
                    )
        except (OSError, http.client.HTTPException) as exc:  # URLError, timeouts, resets
            raise StorageError(
                ErrorCode.ISSUER_UNAVAILABLE, "the issuer cannot be reached"
            ) from exc
