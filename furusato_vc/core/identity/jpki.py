"""Identity proofing with the My Number Card's JPKI signing certificate (署名用電子証明書).

The app signs a server nonce with the card's signing key and sends the signature together with
the signing certificate. :func:`verify_jpki_signature` checks, in this order, and fails closed:

1. sizes (certificate, signature, CRLs) against fixed bounds, before any parsing;
2. the RSA-2048 PKCS#1 v1.5 SHA-256 signature over the nonce (RFC 8017 §8.2);
3. the certificate's validity period at ``now`` (RFC 5280 §4.1.2.5);
4. the chain to the configured roots, with cryptography's ``PolicyBuilder`` client verifier
   (RFC 5280 path validation, Web PKI algorithm and CA-profile rules); the end-entity profile is
   relaxed to J-LIS's: no EKU needed, but keyUsage must allow digitalSignature or
   nonRepudiation;
5. revocation of every non-root certificate in the chain, through a CRL or an OCSP response the
   caller fetched: a CRL (RFC 5280 §6.3) signed by the certificate's issuer, complete (no
   delta), ``thisUpdate ≤ now < nextUpdate``; an OCSP response (RFC 6960) as checked by
   :mod:`furusato_vc.core.identity.ocsp`. "Revoked" from any usable source wins; otherwise one
   usable source saying "not revoked" is enough; with none it is ``identity_revocation_unknown``;
6. the 基本4情報 in subjectAltName otherName entries under 1.2.392.200149.8.5.5
   (.1 name, .3 sex, .4 birth date, .5 address), each exactly once, each a single
   UTF8String or PrintableString read by a bounded DER reader;
7. the address municipality, by ``municipality_code_from_address`` (see its docstring).

Only derived facts leave this module, as a ``ProofedIdentity``.
The person key is ``HMAC-SHA-256(secret, "furusato-vc/jpki-person/v1" ‖ name ‖ birth date ‖ sex)``
over the normalised values: stable across certificate renewals (a new card or a 5-year renewal
gets a new serial and key pair), never the serial (a cross-service identifier, catalogue §4.2).
It changes when the name changes; see ``docs/identity-proofing.md``.

The attribute encodings are a **test profile** modelled on J-LIS; see the docs for what was and
was not confirmed against the J-LIS certificate profile.
"""

from __future__ import annotations

import itertools
import unicodedata
from datetime import UTC, date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Final

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ObjectIdentifier
from cryptography.x509.verification import (
    Criticality,
    ExtensionPolicy,
    PolicyBuilder,
    Store,
)
from cryptography.x509.verification import VerificationError as X509VerificationError

from furusato_vc.core.errors import ErrorCode, FormatError, VerificationError
from furusato_vc.core.identity.ocsp import (
    DEFAULT_OCSP_POLICY,
    MAX_OCSP_RESPONSE_SIZE,
    MAX_OCSP_RESPONSES,
    OcspStatus,
    load_ocsp_response,
    ocsp_status,
)
from furusato_vc.core.identity.proofing import (
    MIN_SECRET_LENGTH,
    IdentityMethod,
    ProofedIdentity,
    derive_person_key,
    municipality_code_from_address,
)
from furusato_vc.core.registration.bodies import load_bodies

if TYPE_CHECKING:
    from collections.abc import Sequence

    from cryptography.x509.verification import Policy

    from furusato_vc.core.identity.ocsp import (
        FetchedOcspResponse,
        LoadedOcspResponse,
        OcspPolicy,
    )
    from furusato_vc.core.registration.bodies import BodyRegistry

__all__ = [
    "JPKI_ADDRESS_OID",
    "JPKI_BIRTHDATE_OID",
    "JPKI_NAME_OID",
    "JPKI_SEX_OID",
    "verify_jpki_signature",
]

# J-LIS otherName arc for the 基本4情報 (issue 8; .2 and .6 mark 代替文字 positions, unused here)
JPKI_NAME_OID: Final = ObjectIdentifier("1.2.392.200149.8.5.5.1")
JPKI_SEX_OID: Final = ObjectIdentifier("1.2.392.200149.8.5.5.3")
JPKI_BIRTHDATE_OID: Final = ObjectIdentifier("1.2.392.200149.8.5.5.4")
JPKI_ADDRESS_OID: Final = ObjectIdentifier("1.2.392.200149.8.5.5.5")
_ATTRIBUTE_OIDS: Final = (JPKI_NAME_OID, JPKI_SEX_OID, JPKI_BIRTHDATE_OID, JPKI_ADDRESS_OID)

_PERSON_KEY_LABEL: Final = "furusato-vc/jpki-person/v1"
_RSA_BITS: Final = 2048
_SIGNATURE_LENGTH: Final = _RSA_BITS // 8
MIN_NONCE_LENGTH: Final = 16
MAX_NONCE_LENGTH: Final = 256
MAX_CERTIFICATE_SIZE: Final = 8 * 1024
MAX_CRL_SIZE: Final = 32 * 1024 * 1024  # J-LIS CRLs are large (millions of cards)
MAX_CRLS: Final = 8
MAX_CHAIN_DEPTH: Final = 4
_MAX_ATTRIBUTE_LENGTH: Final = 1024
_SEX_CODES: Final = frozenset({"1", "2", "3"})  # 住民票: 1 男, 2 女; 3 as in the J-LIS profile
_JST: Final = timezone(timedelta(hours=9), "JST")  # no DST in Japan; fixed offset is exact

_UTF8_STRING: Final = 0x0C
_PRINTABLE_STRING: Final = 0x13
_PRINTABLE: Final = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 '()+,-./:=?"
)


def verify_jpki_signature(
    nonce: bytes,
    signature: bytes,
    *,
    certificate: bytes,
    trust_roots: Sequence[x509.Certificate],
    intermediates: Sequence[x509.Certificate] = (),
    crls: Sequence[bytes] = (),
    ocsp_responses: Sequence[FetchedOcspResponse] = (),
    ocsp_policy: OcspPolicy = DEFAULT_OCSP_POLICY,
    now: datetime,
    secret: bytes,
    bodies: BodyRegistry | None = None,
) -> ProofedIdentity:
    """Verify a card signature over ``nonce`` and return the derived identity facts.

    Args:
        nonce: the server nonce the app was asked to sign (the caller checks it was issued by
            it, is unused and is fresh).
        signature: the card's RSASSA-PKCS1-v1_5 SHA-256 signature over ``nonce``.
        certificate: the signing certificate, DER.
        trust_roots: the configured J-LIS roots.
        intermediates: CA certificates that may complete the chain.
        crls: DER CRLs the caller fetched: one per non-root certificate of the chain, issued
            by that certificate's issuer.
        ocsp_responses: OCSP responses the caller fetched (see
            :func:`~furusato_vc.core.identity.ocsp.build_ocsp_request`), each matched to a
            certificate of the chain by its CertID. Each non-root certificate needs a usable
            CRL or a usable OCSP response; "revoked" from either always wins.
        ocsp_policy: the clock skew and maximum age rules for OCSP responses.
        now: an aware datetime; ``verified_at`` is its date in JST.
        secret: the person-key HMAC secret, at least 32 bytes.
        bodies: the body table (default: the bundled one).

    Raises:
        FormatError: ``input_too_large`` if the certificate, a CRL or an OCSP response exceeds
            its bound (8 KiB; 8 CRLs of 32 MiB; 8 OCSP responses of 64 KiB).
        VerificationError: ``identity_signature_invalid``, ``identity_certificate_untrusted``
            (also for a certificate that is not DER), ``identity_certificate_expired``,
            ``identity_certificate_not_yet_valid``, ``identity_certificate_revoked``,
            ``identity_revocation_unknown``, ``identity_attributes_invalid``,
            ``identity_address_unknown``.
        ValueError: a naive ``now``, a short ``secret``, a nonce outside 16–256 bytes, no
            trust roots (programmer errors).
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    if len(secret) < MIN_SECRET_LENGTH:
        raise ValueError(f"the person-key secret must be at least {MIN_SECRET_LENGTH} bytes")
    if not MIN_NONCE_LENGTH <= len(nonce) <= MAX_NONCE_LENGTH:
        raise ValueError("the nonce must be 16-256 bytes")
    if not trust_roots:
        raise ValueError("no trust roots configured")
    if len(certificate) > MAX_CERTIFICATE_SIZE:
        raise FormatError(ErrorCode.INPUT_TOO_LARGE, "certificate too large")
    if len(crls) > MAX_CRLS or any(len(c) > MAX_CRL_SIZE for c in crls):
        raise FormatError(ErrorCode.INPUT_TOO_LARGE, "too many or too large CRLs")
    if len(ocsp_responses) > MAX_OCSP_RESPONSES or any(
        len(r.der) > MAX_OCSP_RESPONSE_SIZE for r in ocsp_responses
    ):
        raise FormatError(ErrorCode.INPUT_TOO_LARGE, "too many or too large OCSP responses")
    now_utc = now.astimezone(UTC)

    leaf = _load_certificate(certificate)
    _check_nonce_signature(leaf, nonce, signature)
    _check_validity(leaf, now_utc)
    chain = _verify_chain(leaf, trust_roots, intermediates, now_utc)
    _check_revocation(chain, crls, ocsp_responses, ocsp_policy, now_utc)
    name, sex, birthdate, address = _read_basic_four(leaf, now_utc)
    municipality = municipality_code_from_address(
        address, bodies=bodies if bodies is not None else load_bodies()
    )
    return ProofedIdentity(
        method=IdentityMethod.JPKI_SIGNING,
        verified_at=now.astimezone(_JST).date(),
        address_municipality_code=municipality,
        birth_year=birthdate.year,
        person_key=derive_person_key(secret, _PERSON_KEY_LABEL, name, birthdate.isoformat(), sex),
    )


def _load_certificate(der: bytes) -> x509.Certificate:
    try:
        return x509.load_der_x509_certificate(der)
    except ValueError:
        raise VerificationError(
            ErrorCode.IDENTITY_CERTIFICATE_UNTRUSTED, "certificate is not DER"
        ) from None


def _check_nonce_signature(leaf: x509.Certificate, nonce: bytes, signature: bytes) -> None:
    key = leaf.public_key()
    if not isinstance(key, rsa.RSAPublicKey) or key.key_size != _RSA_BITS:
        raise VerificationError(
            ErrorCode.IDENTITY_CERTIFICATE_UNTRUSTED, "certificate key is not RSA-2048"
        )
    if len(signature) != _SIGNATURE_LENGTH:
        raise VerificationError(ErrorCode.IDENTITY_SIGNATURE_INVALID, "wrong signature length")
    try:
        key.verify(signature, nonce, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        raise VerificationError(
            ErrorCode.IDENTITY_SIGNATURE_INVALID, "signature over the nonce does not verify"
        ) from None


def _check_validity(cert: x509.Certificate, now_utc: datetime) -> None:
    if now_utc < cert.not_valid_before_utc:
        raise VerificationError(ErrorCode.IDENTITY_CERTIFICATE_NOT_YET_VALID, "notBefore")
    if now_utc > cert.not_valid_after_utc:  # RFC 5280 §4.1.2.5: notAfter is inclusive
        raise VerificationError(ErrorCode.IDENTITY_CERTIFICATE_EXPIRED, "notAfter")


def _signing_key_usage(
    _policy: Policy, _cert: x509.Certificate, extension: x509.KeyUsage | None
) -> None:
    if extension is None or not (extension.digital_signature or extension.content_commitment):
        raise ValueError("keyUsage must allow digitalSignature or nonRepudiation")


def _verify_chain(
    leaf: x509.Certificate,
    trust_roots: Sequence[x509.Certificate],
    intermediates: Sequence[x509.Certificate],
    now_utc: datetime,
) -> list[x509.Certificate]:
    # The Web PKI EE profile wants EKU and subject names that J-LIS signing certificates do not
    # carry; the CA profile (basicConstraints cA, keyCertSign, AKI/SKI) is kept.
    ee_policy = ExtensionPolicy.permit_all().require_present(
        x509.KeyUsage, Criticality.AGNOSTIC, _signing_key_usage
    )
    verifier = (
        PolicyBuilder()
        .store(Store(list(trust_roots)))
        .time(now_utc)
        .max_chain_depth(MAX_CHAIN_DEPTH)
        .extension_policies(ca_policy=ExtensionPolicy.webpki_defaults_ca(), ee_policy=ee_policy)
        .build_client_verifier()
    )
    try:
        verified = verifier.verify(leaf, list(intermediates))
    except X509VerificationError:
        raise VerificationError(
            ErrorCode.IDENTITY_CERTIFICATE_UNTRUSTED, "no valid path to a trust root"
        ) from None
    return list(verified.chain)


def _check_revocation(
    chain: list[x509.Certificate],
    crls: Sequence[bytes],
    ocsp_responses: Sequence[FetchedOcspResponse],
    ocsp_policy: OcspPolicy,
    now_utc: datetime,
) -> None:
    loaded: list[x509.CertificateRevocationList] = []
    for der in crls:
        try:
            loaded.append(x509.load_der_x509_crl(der))
        except ValueError:
            continue  # an unreadable CRL is no CRL; absence is judged below
    # an unreadable or unsuccessful OCSP response is no response, likewise
    responses: list[LoadedOcspResponse] = [
        r for r in map(load_ocsp_response, ocsp_responses) if r is not None
    ]
    # chain[-1] is the trust root: configured trust, not subject to revocation checks here.
    for cert, issuer in itertools.pairwise(chain):
        usable_crls = [c for c in loaded if _crl_usable(c, issuer, now_utc)]
        crl_says: OcspStatus | None = None
        if usable_crls:
            crl_says = OcspStatus.GOOD
            if any(
                c.get_revoked_certificate_by_serial_number(cert.serial_number) is not None
                for c in usable_crls
            ):
                crl_says = OcspStatus.REVOKED
        ocsp_says = ocsp_status(
            cert,
            issuer,
            responses,
            now_utc=now_utc,
            policy=ocsp_policy,
            issuer_crls=usable_crls,
        )
        if OcspStatus.REVOKED in (crl_says, ocsp_says):
            raise VerificationError(
                ErrorCode.IDENTITY_CERTIFICATE_REVOKED, "revoked per CRL or OCSP"
            )
        if OcspStatus.GOOD not in (crl_says, ocsp_says):
            raise VerificationError(
                ErrorCode.IDENTITY_REVOCATION_UNKNOWN,
                "no valid, current CRL or OCSP response for a certificate",
            )


def _crl_usable(
    crl: x509.CertificateRevocationList, issuer: x509.Certificate, now_utc: datetime
) -> bool:
    if crl.issuer != issuer.subject:
        return False
    next_update = crl.next_update_utc
    if next_update is None or not crl.last_update_utc <= now_utc < next_update:
        return False
    try:
        crl.extensions.get_extension_for_class(x509.DeltaCRLIndicator)
    except x509.ExtensionNotFound:
        pass
    else:
        return False  # a delta CRL alone does not say a serial is *not* revoked
    public_key = issuer.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        return False
    return crl.is_signature_valid(public_key)


def _read_basic_four(leaf: x509.Certificate, now_utc: datetime) -> tuple[str, str, date, str]:
    try:
        san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        raise VerificationError(ErrorCode.IDENTITY_ATTRIBUTES_INVALID, "no SAN") from None
    values: dict[ObjectIdentifier, str] = {}
    for other in san.get_values_for_type(x509.OtherName):
        if other.type_id not in _ATTRIBUTE_OIDS:
            continue
        if other.type_id in values:
            raise VerificationError(ErrorCode.IDENTITY_ATTRIBUTES_INVALID, "duplicate attribute")
        values[other.type_id] = _read_der_string(other.value)
    if any(oid not in values for oid in _ATTRIBUTE_OIDS):
        raise VerificationError(ErrorCode.IDENTITY_ATTRIBUTES_INVALID, "attribute missing")
    name = _normalize_name(values[JPKI_NAME_OID])
    sex = values[JPKI_SEX_OID]
    address = values[JPKI_ADDRESS_OID]
    if not name or not address.strip() or sex not in _SEX_CODES:
        raise VerificationError(ErrorCode.IDENTITY_ATTRIBUTES_INVALID, "attribute value")
    birthdate = _parse_birthdate(values[JPKI_BIRTHDATE_OID])
    if birthdate > now_utc.astimezone(_JST).date():
        raise VerificationError(ErrorCode.IDENTITY_ATTRIBUTES_INVALID, "birth date in future")
    return name, sex, birthdate, address


def _normalize_name(name: str) -> str:
    # NFKC and no spaces (full-width U+3000 between family and given name varies by source)
    return "".join(unicodedata.normalize("NFKC", name).split())


def _parse_birthdate(text: str) -> date:
    # Test profile: YYYYMMDD (Gregorian). See docs/identity-proofing.md.
    if len(text) != 8 or not text.isascii() or not text.isdigit():
        raise VerificationError(ErrorCode.IDENTITY_ATTRIBUTES_INVALID, "birth date format")
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        raise VerificationError(ErrorCode.IDENTITY_ATTRIBUTES_INVALID, "birth date") from None


def _read_der_string(der: bytes) -> str:
    """One DER UTF8String or PrintableString (X.690 §8.1, §8.23), nothing before or after."""
    invalid = VerificationError(ErrorCode.IDENTITY_ATTRIBUTES_INVALID, "attribute encoding")
    if len(der) < 2 or len(der) > _MAX_ATTRIBUTE_LENGTH + 4:
        raise invalid
    tag, first = der[0], der[1]
    if first < 0x80:
        length, offset = first, 2
    elif first in (0x81, 0x82) and len(der) >= 2 + (first & 0x7F):
        count = first & 0x7F
        length = int.from_bytes(der[2 : 2 + count], "big")
        offset = 2 + count
        if length < 0x80 or (count == 2 and length < 0x100):  # DER: minimal length octets
            raise invalid
    else:
        raise invalid
    if length > _MAX_ATTRIBUTE_LENGTH or offset + length != len(der):
        raise invalid
    content = der[offset:]
    if tag == _UTF8_STRING:
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError:
            raise invalid from None
    elif tag == _PRINTABLE_STRING:
        text = content.decode("ascii", errors="replace")
        if not set(text) <= _PRINTABLE:
            raise invalid
    else:
        raise invalid
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in text):
        raise invalid
    return text
