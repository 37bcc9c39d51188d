"""The publication layout shared by the national platform and verifiers: where the trust
list and the status lists are, in a directory or under an ``http(s)://`` base URL (an edge:
it reads files and the network).

::

    trust-list.cwt | trust-list.jwt          the signed national trust list
    status-lists.cbor                        every body's Status List Token, by URI
    status/<body code>/<list id>.cwt | .jwt  one body's list, when there is no aggregate
    benefits.jwt                             every body's benefits, signed by the anchor
                                             (optional; docs/benefits.md)

``status-lists.cbor`` is what a verifier should fetch: one request instead of one per list.
Tokens are signed by their bodies and the trust list by the anchor, so any mirror or CDN may
serve these files; a reader trusts nothing it has not verified.
"""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Final, Protocol

from furusato_vc.core.bundle import decode_status_aggregate
from furusato_vc.core.errors import ErrorCode, StorageError
from furusato_vc.core.trustlist.token import verify_trust_list

if TYPE_CHECKING:
    from collections.abc import Sequence

    from furusato_vc.core.jose.jwk import PublicJwk

__all__ = [
    "AGGREGATE_FILE",
    "BENEFITS_FILE",
    "MAX_AGGREGATE_BYTES",
    "MAX_BENEFITS_BYTES",
    "MAX_TOKEN_BYTES",
    "MAX_TRUST_LIST_BYTES",
    "TRUST_LIST_CWT",
    "TRUST_LIST_JWT",
    "DirectorySource",
    "HttpSource",
    "SyncSource",
    "fetch_status_tokens",
    "fetch_trust_list",
    "open_source",
    "status_list_path",
]

TRUST_LIST_CWT: Final = "trust-list.cwt"
TRUST_LIST_JWT: Final = "trust-list.jwt"
AGGREGATE_FILE: Final = "status-lists.cbor"
BENEFITS_FILE: Final = "benefits.jwt"

MAX_TRUST_LIST_BYTES = 12 * 1024 * 1024
MAX_AGGREGATE_BYTES = 256 * 1024 * 1024
MAX_TOKEN_BYTES = 16 * 1024 * 1024
MAX_BENEFITS_BYTES = 64 * 1024 * 1024


def status_list_path(body_code: str, list_id: int, form: str) -> str:
    """The relative path of one list's token (``form`` is ``cwt`` or ``jwt``)."""
    return f"status/{body_code}/{list_id}.{form}"


class SyncSource(Protocol):
    description: str

    def read(self, name: str, *, max_bytes: int) -> bytes | None:
        """The file ``name`` (a relative path), or ``None`` if the source does not have it.

        Raises:
            StorageError: ``sync_source_unavailable`` (unreachable, unreadable, too large).
        """
        ...


class DirectorySource:
    def __init__(self, root: Path) -> None:
        if not root.is_dir():
            raise StorageError(ErrorCode.SYNC_SOURCE_UNAVAILABLE, "source directory not found")
        self.root = root
        self.description = str(root)

    def read(self, name: str, *, max_bytes: int) -> bytes | None:
        path = self.root / name
        try:
            with path.open("rb") as handle:
                data = handle.read(max_bytes + 1)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StorageError(ErrorCode.SYNC_SOURCE_UNAVAILABLE, f"cannot read {name}") from exc
        if len(data) > max_bytes:
            raise StorageError(ErrorCode.SYNC_SOURCE_UNAVAILABLE, f"{name} is too large")
        return data


class HttpSource:
    """The same layout under an ``http://`` or ``https://`` base URL (GET; 404 = absent)."""

    def __init__(self, base_url: str, *, timeout: float = 30.0) -> None:
        parsed = urllib.parse.urlsplit(base_url)
        if parsed.scheme not in {"http", "https"} or not parsed.netloc:
            raise StorageError(ErrorCode.SYNC_SOURCE_UNAVAILABLE, "not an http(s) URL")
        self.base = base_url if base_url.endswith("/") else base_url + "/"
        self.timeout = timeout
        self.description = self.base

    def read(self, name: str, *, max_bytes: int) -> bytes | None:
        url = urllib.parse.urljoin(self.base, name)
        request = urllib.request.Request(url, headers={"User-Agent": "furusato-vc-bundle-sync"})  # noqa: S310 (scheme checked)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                data: bytes = response.read(max_bytes + 1)
        except urllib.error.HTTPError as exc:
            if exc.code in {404, 410}:
                return None
            raise StorageError(
                ErrorCode.SYNC_SOURCE_UNAVAILABLE, f"{name}: HTTP {exc.code}"
            ) from exc
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            raise StorageError(ErrorCode.SYNC_SOURCE_UNAVAILABLE, f"{name}: unreachable") from exc
        if len(data) > max_bytes:
            raise StorageError(ErrorCode.SYNC_SOURCE_UNAVAILABLE, f"{name} is too large")
        return data


def open_source(location: str) -> SyncSource:
    """A URL (``http://``, ``https://``) or a directory path.

    Raises:
        StorageError: ``sync_source_unavailable``.
    """
    if location.startswith(("http://", "https://")):
        return HttpSource(location)
    return DirectorySource(Path(location))


def fetch_trust_list(source: SyncSource) -> tuple[bytes, str]:
    for name in (TRUST_LIST_CWT, TRUST_LIST_JWT):
        data = source.read(name, max_bytes=MAX_TRUST_LIST_BYTES)
        if data is not None:
            return data, name
    raise StorageError(ErrorCode.SYNC_SOURCE_UNAVAILABLE, "the source has no trust list")


def fetch_status_tokens(
    source: SyncSource,
    trust: bytes,
    *,
    anchors: Sequence[PublicJwk],
    now: int,
    use_aggregate: bool = True,
) -> dict[str, bytes | str]:
    """The Status List Tokens a source offers, by URI: its aggregate file when there is one
    (and ``use_aggregate``), else one file per list named in the (verified) trust list.

    Raises:
        StorageError: ``sync_source_unavailable``.
        FormatError, VerificationError: the trust list or the aggregate is malformed.
    """
    if use_aggregate:
        aggregate = source.read(AGGREGATE_FILE, max_bytes=MAX_AGGREGATE_BYTES)
        if aggregate is not None:
            return decode_status_aggregate(aggregate)
    # No aggregate: one file per list, named by body code and list id.
    trust_list = verify_trust_list(trust, anchors=anchors, now=now)
    tokens: dict[str, bytes | str] = {}
    for entry in trust_list.entries:
        for location in entry.status_lists:
            cwt = source.read(
                status_list_path(entry.body_code, location.list_id, "cwt"),
                max_bytes=MAX_TOKEN_BYTES,
            )
            if cwt is not None:
                tokens[location.uri] = cwt
                continue
            jwt = source.read(
                status_list_path(entry.body_code, location.list_id, "jwt"),
                max_bytes=MAX_TOKEN_BYTES,
            )
            if jwt is not None:
                try:
                    tokens[location.uri] = jwt.decode("ascii").strip()
                except UnicodeDecodeError:
                    continue  # reported as missing by verify_bundle
    return tokens
