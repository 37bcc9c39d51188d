"""The service's OCSP client for JPKI proofing (RFC 6960 §A.1: an ``application/ocsp-request``
POST). The pure checks of the answer are :mod:`furusato_vc.core.identity.ocsp`; this module
only builds the requests, sends them and hands the answers over. A responder that cannot be
reached or answers badly gives no answer, which the core treats as "revocation unknown"
(fail closed) unless a CRL decides."""

from __future__ import annotations

import urllib.request
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Protocol

from furusato_vc.core.identity.ocsp import (
    MAX_OCSP_RESPONSE_SIZE,
    FetchedOcspResponse,
    build_ocsp_request,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from cryptography import x509

    from furusato_vc.core.randomness import RandomSource

__all__ = ["OcspFetcher", "OcspSource", "fetch_ocsp_responses", "http_post_ocsp"]

_TIMEOUT_SECONDS: Final = 5.0
_NONCE_BYTES: Final = 16


class OcspFetcher(Protocol):
    def __call__(self, url: str, request: bytes) -> bytes:
        """POST ``request`` (DER) to ``url`` and return the DER answer.

        Raises:
            OSError: no answer (unreachable, timeout, an HTTP error, too large).
        """
        ...


def http_post_ocsp(url: str, request: bytes) -> bytes:
    """The standard-library fetcher: one POST, 5 s timeout, at most 64 KiB read."""
    if not url.startswith(("http://", "https://")):  # OCSP is usually plain http (RFC 6960)
        raise OSError("OCSP responder URL must be http(s)")
    outgoing = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        url,
        data=request,
        method="POST",
        headers={"Content-Type": "application/ocsp-request", "Accept": "application/ocsp-response"},
    )
    with urllib.request.urlopen(outgoing, timeout=_TIMEOUT_SECONDS) as answer:  # noqa: S310
        body: bytes = answer.read(MAX_OCSP_RESPONSE_SIZE + 1)
    if len(body) > MAX_OCSP_RESPONSE_SIZE:
        raise OSError("OCSP answer too large")
    return body


@dataclass(frozen=True, slots=True, kw_only=True)
class OcspSource:
    """Where the service asks about revocation: the J-LIS OCSP responder's URL (the same
    responder for every certificate of the hierarchy), and how to send (tests pass their own
    fetcher). ``nonce``: ask for an RFC 8954 nonce and require it back."""

    responder_url: str
    fetch: OcspFetcher = http_post_ocsp
    nonce: bool = True


def fetch_ocsp_responses(
    source: OcspSource,
    *,
    certificate: x509.Certificate,
    intermediates: Sequence[x509.Certificate],
    trust_roots: Sequence[x509.Certificate],
    random: RandomSource,
) -> list[FetchedOcspResponse]:
    """Ask about ``certificate`` and each CA above it up to a root (each by its issuer among
    the configured certificates). Certificates whose issuer is not configured, and answers
    that do not come, are left out: the core then decides "unknown" unless a CRL covers them.
    Blocking (run it in a worker thread)."""
    known = [*intermediates, *trust_roots]
    answers: list[FetchedOcspResponse] = []
    current = certificate
    for _depth in range(len(known) + 1):
        if current.issuer == current.subject:  # a root: nothing to ask
            break
        issuer = next((ca for ca in known if ca.subject == current.issuer), None)
        if issuer is None:
            break
        nonce = random.token_bytes(_NONCE_BYTES) if source.nonce else None
        try:
            der = source.fetch(
                source.responder_url, build_ocsp_request(current, issuer, nonce=nonce)
            )
        except OSError:
            der = None
        if der is not None:
            answers.append(FetchedOcspResponse(der=der, nonce=nonce))
        current = issuer
    return answers
