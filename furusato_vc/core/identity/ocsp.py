"""OCSP for JPKI revocation (RFC 6960), pure: the edge fetches, this module builds and checks.

:func:`build_ocsp_request` builds the DER ``OCSPRequest`` for one certificate (RFC 6960 §4.1)
that the edge POSTs to the responder (``application/ocsp-request``, RFC 6960 App. A.1). The
DER ``OCSPResponse`` it gets back goes into ``verify_jpki_signature`` as a
:class:`FetchedOcspResponse`; :func:`ocsp_status` decides what it says about one certificate:

- ``responseStatus`` is ``successful`` and the response is a ``BasicOCSPResponse`` (§4.2.1);
- it is signed by the certificate's issuer itself, or by a delegated responder certificate in
  ``certs`` that the issuer signed directly, that carries ``id-kp-OCSPSigning`` in its EKU
  (§4.2.2.2), is valid at ``now``, and is either marked ``id-pkix-ocsp-nocheck`` or absent
  from a usable CRL of the issuer (§4.2.2.2.1); the ``ResponderID`` names the signer
  (§4.2.2.3); signatures are RSA PKCS#1 v1.5 or ECDSA with SHA-256/384/512 (SHA-1 and PSS
  signatures are not accepted);
- a ``SingleResponse`` whose ``CertID`` matches the certificate: issuer name hash, issuer key
  hash and serial, under the ``hashAlgorithm`` it names (§4.1.1);
- ``thisUpdate ≤ now + clock_skew``; ``now < nextUpdate``; without ``nextUpdate``, ``thisUpdate``
  no older than ``max_age_without_next_update`` (§4.2.2.1, §2.4);
- if the caller sent a nonce, the response carries the same nonce (§4.4.1, RFC 8954).

Anything else makes the response unusable (``None``): it never says ``good``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import Enum
from typing import TYPE_CHECKING, Final

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, SignatureAlgorithmOID

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

__all__ = [
    "DEFAULT_OCSP_POLICY",
    "MAX_OCSP_NONCE_LENGTH",
    "MAX_OCSP_RESPONSES",
    "MAX_OCSP_RESPONSE_SIZE",
    "FetchedOcspResponse",
    "LoadedOcspResponse",
    "OcspPolicy",
    "OcspStatus",
    "build_ocsp_request",
    "load_ocsp_response",
    "ocsp_status",
]

MAX_OCSP_RESPONSE_SIZE: Final = 64 * 1024  # a signed response with a responder certificate
MAX_OCSP_RESPONSES: Final = 8
MAX_OCSP_NONCE_LENGTH: Final = 32  # RFC 8954 §2.1: 1 to 32 octets
_MAX_RESPONDER_CERTIFICATES: Final = 4
_MAX_SINGLE_RESPONSES: Final = 16
_CERT_ID_HASHES: Final = (hashes.SHA1, hashes.SHA256, hashes.SHA384, hashes.SHA512)
_SHA1: Final = hashes.SHA1()  # noqa: S303  (CertID identifies, never signs: RFC 5019 §2.1.1)

# Signature algorithms accepted on a BasicOCSPResponse (RFC 6960 §4.3 requires SHA-256 RSA).
_RSA_PKCS1: Final[dict[x509.ObjectIdentifier, hashes.HashAlgorithm]] = {
    SignatureAlgorithmOID.RSA_WITH_SHA256: hashes.SHA256(),
    SignatureAlgorithmOID.RSA_WITH_SHA384: hashes.SHA384(),
    SignatureAlgorithmOID.RSA_WITH_SHA512: hashes.SHA512(),
}
_ECDSA: Final[dict[x509.ObjectIdentifier, hashes.HashAlgorithm]] = {
    SignatureAlgorithmOID.ECDSA_WITH_SHA256: hashes.SHA256(),
    SignatureAlgorithmOID.ECDSA_WITH_SHA384: hashes.SHA384(),
    SignatureAlgorithmOID.ECDSA_WITH_SHA512: hashes.SHA512(),
}


class OcspStatus(Enum):
    """What a usable response says about one certificate (RFC 6960 §2.2)."""

    GOOD = "good"
    REVOKED = "revoked"


@dataclass(frozen=True, slots=True, kw_only=True)
class OcspPolicy:
    """Time rules for OCSP responses.

    ``clock_skew`` is how far ``thisUpdate`` may lie ahead of ``now`` (responder and service
    clocks differ); ``nextUpdate`` is never stretched. ``max_age_without_next_update`` bounds a
    response that gives no ``nextUpdate`` (RFC 6960 §2.4: newer information is always
    available; a client must then judge freshness itself).
    """

    clock_skew: timedelta = timedelta(minutes=5)
    max_age_without_next_update: timedelta = timedelta(hours=1)

    def __post_init__(self) -> None:
        if not timedelta(0) <= self.clock_skew <= timedelta(minutes=10):
            raise ValueError("clock_skew must be 0-10 minutes")
        if not timedelta(0) < self.max_age_without_next_update <= timedelta(days=7):
            raise ValueError("max_age_without_next_update must be positive and at most 7 days")


DEFAULT_OCSP_POLICY: Final = OcspPolicy()


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchedOcspResponse:
    """A DER ``OCSPResponse`` the edge fetched, and the nonce it put in the request, if any."""

    der: bytes
    nonce: bytes | None = None

    def __post_init__(self) -> None:
        if self.nonce is not None and not 1 <= len(self.nonce) <= MAX_OCSP_NONCE_LENGTH:
            raise ValueError("an OCSP nonce is 1-32 bytes (RFC 8954 §2.1)")


def build_ocsp_request(
    certificate: x509.Certificate,
    issuer: x509.Certificate,
    *,
    nonce: bytes | None = None,
    hash_algorithm: hashes.HashAlgorithm = _SHA1,
) -> bytes:
    """The DER ``OCSPRequest`` for ``certificate`` (RFC 6960 §4.1), to POST to the responder.

    ``hash_algorithm`` is the ``CertID`` hash: SHA-1 by default, which every responder accepts
    (RFC 5019 §2.1.1; it only identifies the issuer, nothing is signed with it), or SHA-256/
    384/512. ``nonce`` (1-32 bytes, RFC 8954) comes from the caller's random source; pass the
    same bytes with the response to :class:`FetchedOcspResponse`.

    Raises:
        ValueError: ``issuer`` is not the certificate's issuer by name, or a nonce outside
            1-32 bytes (programmer errors).
        TypeError: ``hash_algorithm`` is not SHA-1, SHA-256, SHA-384 or SHA-512.
    """
    if certificate.issuer != issuer.subject:
        raise ValueError("issuer is not the certificate's issuer")
    if not isinstance(hash_algorithm, _CERT_ID_HASHES):
        raise TypeError("CertID hash must be SHA-1, SHA-256, SHA-384 or SHA-512")
    builder = ocsp.OCSPRequestBuilder().add_certificate(certificate, issuer, hash_algorithm)
    if nonce is not None:
        if not 1 <= len(nonce) <= MAX_OCSP_NONCE_LENGTH:
            raise ValueError("an OCSP nonce is 1-32 bytes (RFC 8954 §2.1)")
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    return builder.build().public_bytes(Encoding.DER)


@dataclass(frozen=True, slots=True)
class LoadedOcspResponse:
    """A parsed, ``successful`` response and the nonce its request carried (internal)."""

    response: ocsp.OCSPResponse
    nonce: bytes | None


def load_ocsp_response(fetched: FetchedOcspResponse) -> LoadedOcspResponse | None:
    """Parse a fetched response; ``None`` if it is not DER or not ``successful`` (§4.2.1)."""
    try:
        response = ocsp.load_der_ocsp_response(fetched.der)
        if response.response_status is not ocsp.OCSPResponseStatus.SUCCESSFUL:
            return None  # malformedRequest, internalError, tryLater, sigRequired, unauthorized
    except ValueError:
        return None
    return LoadedOcspResponse(response, fetched.nonce)


def ocsp_status(
    certificate: x509.Certificate,
    issuer: x509.Certificate,
    responses: Sequence[LoadedOcspResponse],
    *,
    now_utc: datetime,
    policy: OcspPolicy,
    issuer_crls: Sequence[x509.CertificateRevocationList],
) -> OcspStatus | None:
    """What the usable responses say about ``certificate``: ``REVOKED`` if any says revoked,
    else ``GOOD`` if any says good, else ``None`` (no usable response, or only ``unknown``).

    ``issuer_crls`` are CRLs of ``issuer`` the caller has already found usable; they decide
    whether a delegated responder without ``id-pkix-ocsp-nocheck`` is revoked.
    """
    statuses: set[OcspStatus | None] = set()
    for loaded in responses:
        try:
            statuses.add(
                _status_of(
                    certificate,
                    issuer,
                    loaded,
                    now_utc=now_utc,
                    policy=policy,
                    issuer_crls=issuer_crls,
                )
            )
        except (ValueError, UnsupportedAlgorithm):
            # cryptography parses the response lazily: a field that turns out malformed
            # when read makes the whole response unusable
            continue
    if OcspStatus.REVOKED in statuses:
        return OcspStatus.REVOKED
    if OcspStatus.GOOD in statuses:
        return OcspStatus.GOOD
    return None


def _status_of(
    certificate: x509.Certificate,
    issuer: x509.Certificate,
    loaded: LoadedOcspResponse,
    *,
    now_utc: datetime,
    policy: OcspPolicy,
    issuer_crls: Sequence[x509.CertificateRevocationList],
) -> OcspStatus | None:
    response = loaded.response
    single = _matching_single_response(response, certificate, issuer)
    if single is None or not _current(single, now_utc, policy):
        return None
    if loaded.nonce is not None and _nonce(response) != loaded.nonce:
        return None
    if not _signed_by_issuer_or_delegate(response, issuer, now_utc, issuer_crls):
        return None
    status = single.certificate_status
    if status is ocsp.OCSPCertStatus.REVOKED:
        return OcspStatus.REVOKED
    if status is ocsp.OCSPCertStatus.GOOD:
        return OcspStatus.GOOD
    return None  # unknown: the responder does not know the certificate (§2.2)


def _matching_single_response(
    response: ocsp.OCSPResponse, certificate: x509.Certificate, issuer: x509.Certificate
) -> ocsp.OCSPSingleResponse | None:
    # RFC 6960 §4.1.1: CertID = hashAlgorithm, issuerNameHash (over the issuer's DER name),
    # issuerKeyHash (over the issuer's subjectPublicKey BIT STRING value), serialNumber. The
    # expected hashes are computed by cryptography's request builder for the CertID's hash.
    for index, single in enumerate(response.responses):
        if index >= _MAX_SINGLE_RESPONSES:
            return None
        if single.serial_number != certificate.serial_number:
            continue
        try:
            algorithm = single.hash_algorithm
        except UnsupportedAlgorithm:
            continue
        if not isinstance(algorithm, _CERT_ID_HASHES):
            continue
        expected = ocsp.OCSPRequestBuilder().add_certificate(certificate, issuer, algorithm).build()
        if (
            single.issuer_name_hash == expected.issuer_name_hash
            and single.issuer_key_hash == expected.issuer_key_hash
        ):
            return single
    return None


def _current(single: ocsp.OCSPSingleResponse, now_utc: datetime, policy: OcspPolicy) -> bool:
    this_update = single.this_update_utc
    if this_update > now_utc + policy.clock_skew:
        return False
    next_update = single.next_update_utc
    if next_update is None:
        return now_utc - this_update <= policy.max_age_without_next_update
    return now_utc < next_update


def _nonce(response: ocsp.OCSPResponse) -> bytes | None:
    try:
        return response.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
    except x509.ExtensionNotFound:
        return None


def _signed_by_issuer_or_delegate(
    response: ocsp.OCSPResponse,
    issuer: x509.Certificate,
    now_utc: datetime,
    issuer_crls: Sequence[x509.CertificateRevocationList],
) -> bool:
    # RFC 6960 §4.2.2.2: the CA itself, or a responder certificate the CA issued directly
    # with id-kp-OCSPSigning. A locally configured trusted responder is not supported.
    if _names_signer(response, issuer) and _signature_valid(response, issuer.public_key()):
        return True
    delegates = response.certificates
    if len(delegates) > _MAX_RESPONDER_CERTIFICATES:
        return False
    return any(
        _names_signer(response, delegate)
        and _authorized_responder(delegate, issuer, now_utc, issuer_crls)
        and _signature_valid(response, delegate.public_key())
        for delegate in delegates
    )


def _names_signer(response: ocsp.OCSPResponse, signer: x509.Certificate) -> bool:
    # RFC 6960 §4.2.2.3: ResponderID byName, or byKey = SHA-1 of the subjectPublicKey BIT
    # STRING value, the same digest as the RFC 5280 §4.2.1.2 method-1 key identifier.
    if response.responder_name is not None:
        return response.responder_name == signer.subject
    key_hash = response.responder_key_hash
    if key_hash is None:
        return False
    try:
        digest = x509.SubjectKeyIdentifier.from_public_key(signer.public_key()).digest
    except (ValueError, UnsupportedAlgorithm):
        return False
    return key_hash == digest


def _authorized_responder(
    delegate: x509.Certificate,
    issuer: x509.Certificate,
    now_utc: datetime,
    issuer_crls: Sequence[x509.CertificateRevocationList],
) -> bool:
    try:
        delegate.verify_directly_issued_by(issuer)  # issuer name and signature
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    if not delegate.not_valid_before_utc <= now_utc <= delegate.not_valid_after_utc:
        return False
    extensions = delegate.extensions
    try:
        eku = extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return False
    if ExtendedKeyUsageOID.OCSP_SIGNING not in eku:
        return False
    try:
        key_usage = extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        pass
    else:
        if not key_usage.digital_signature:
            return False
    try:
        extensions.get_extension_for_class(x509.OCSPNoCheck)
    except x509.ExtensionNotFound:
        # RFC 6960 §4.2.2.2.1: without id-pkix-ocsp-nocheck the responder certificate's own
        # status must be checked; here, against a usable CRL of the same issuer.
        return bool(issuer_crls) and all(
            crl.get_revoked_certificate_by_serial_number(delegate.serial_number) is None
            for crl in issuer_crls
        )
    return True


def _signature_valid(response: ocsp.OCSPResponse, key: object) -> bool:
    oid = response.signature_algorithm_oid
    data, signature = response.tbs_response_bytes, response.signature
    try:
        if isinstance(key, rsa.RSAPublicKey) and oid in _RSA_PKCS1:
            key.verify(signature, data, padding.PKCS1v15(), _RSA_PKCS1[oid])
        elif isinstance(key, ec.EllipticCurvePublicKey) and oid in _ECDSA:
            key.verify(signature, data, ec.ECDSA(_ECDSA[oid]))
        else:
            return False
    except InvalidSignature:
        return False
    return True
