"""A test PKI in the shape of JPKI's signing certificates, generated with ``cryptography``.

This is a **test profile**, not J-LIS's: a root and an intermediate CA (J-LIS's own hierarchy
may differ), an RSA-2048 end-entity certificate with keyUsage nonRepudiation + digitalSignature,
and the 基本4情報 as subjectAltName otherName entries under 1.2.392.200149.8.5.5 (.1 name,
.3 sex, .4 birth date, .5 address) as named in issue 8. The value encodings (UTF8String for
name and address, PrintableString "1"/"2"/"3" for sex and "YYYYMMDD" for the birth date) are our
assumption; see docs/identity-proofing.md.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from furusato_vc.core.identity.jpki import (
    JPKI_ADDRESS_OID,
    JPKI_BIRTHDATE_OID,
    JPKI_NAME_OID,
    JPKI_SEX_OID,
)
from furusato_vc.core.identity.ocsp import FetchedOcspResponse

NOW = datetime(2026, 7, 1, 3, 0, tzinfo=UTC)
NONCE = bytes(range(32))
SECRET = b"s" * 32
NAME = "山田　花子"
SEX = "2"
BIRTHDATE = "19900415"
ADDRESS = "長野県上伊那郡南箕輪村１２３４番地５"
MUNICIPALITY = "203858"  # 南箕輪村
LEAF_SERIAL = 0x1234_5678_9ABC_DEF0


def utf8(text: str) -> bytes:
    raw = text.encode("utf-8")
    return bytes([0x0C, *_length(len(raw))]) + raw


def printable(text: str) -> bytes:
    raw = text.encode("ascii")
    return bytes([0x13, *_length(len(raw))]) + raw


def _length(n: int) -> list[int]:
    if n < 0x80:
        return [n]
    if n < 0x100:
        return [0x81, n]
    return [0x82, n >> 8, n & 0xFF]


def basic_four(
    *, name: str = NAME, sex: str = SEX, birthdate: str = BIRTHDATE, address: str = ADDRESS
) -> list[x509.GeneralName]:
    return [
        x509.OtherName(JPKI_NAME_OID, utf8(name)),
        x509.OtherName(JPKI_SEX_OID, printable(sex)),
        x509.OtherName(JPKI_BIRTHDATE_OID, printable(birthdate)),
        x509.OtherName(JPKI_ADDRESS_OID, utf8(address)),
    ]


@functools.cache
def rsa_key(label: str) -> rsa.RSAPrivateKey:
    del label  # one key per label, cached for the session
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(cn: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "furusato-vc test JPKI"),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


@dataclass(frozen=True)
class Ca:
    cert: x509.Certificate
    key: rsa.RSAPrivateKey


def _ca(cn: str, key: rsa.RSAPrivateKey, issuer: Ca | None) -> Ca:
    signer_key = issuer.key if issuer else key
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(issuer.cert.subject if issuer else _name(cn))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(days=3650))
        .not_valid_after(NOW + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signer_key.public_key()),
            critical=False,
        )
    )
    return Ca(builder.sign(signer_key, hashes.SHA256()), key)


@functools.cache
def root() -> Ca:
    return _ca("Test JPKI Root", rsa_key("root"), None)


@functools.cache
def other_root() -> Ca:
    return _ca("Test JPKI Root", rsa_key("other-root"), None)  # same name, other key


@functools.cache
def intermediate() -> Ca:
    return _ca("Test JPKI Signing CA", rsa_key("intermediate"), root())


def leaf(
    *,
    san: list[x509.GeneralName] | None = None,
    not_before: datetime = NOW - timedelta(days=30),
    not_after: datetime = NOW + timedelta(days=5 * 365),
    issuer: Ca | None = None,
    key: rsa.RSAPrivateKey | None = None,
    serial: int = LEAF_SERIAL,
) -> x509.Certificate:
    ca = issuer or intermediate()
    subject_key = key or rsa_key("leaf")
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name("test signing certificate"))
        .issuer_name(ca.cert.subject)
        .public_key(subject_key.public_key())
        .serial_number(serial)
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()),
            critical=False,
        )
    )
    names = basic_four() if san is None else san
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(ca.key, hashes.SHA256())


def der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(Encoding.DER)


def sign(message: bytes, key: rsa.RSAPrivateKey | None = None) -> bytes:
    return (key or rsa_key("leaf")).sign(message, padding.PKCS1v15(), hashes.SHA256())


def crl(
    ca: Ca,
    *,
    revoked: tuple[int, ...] = (),
    this_update: datetime = NOW - timedelta(hours=1),
    next_update: datetime = NOW + timedelta(days=1),
    signer: rsa.RSAPrivateKey | None = None,
) -> bytes:
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.cert.subject)
        .last_update(this_update)
        .next_update(next_update)
    )
    for serial in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(serial)
            .revocation_date(this_update)
            .build()
        )
    return builder.sign(signer or ca.key, hashes.SHA256()).public_bytes(Encoding.DER)


def good_crls() -> list[bytes]:
    """The intermediate's CRL (for the leaf) and the root's ARL (for the intermediate)."""
    return [crl(intermediate()), crl(root())]


# --------------------------------------------------------------------------- OCSP (RFC 6960)

OCSP_NONCE = b"ocsp-nonce-0123456789abcdef"
RESPONDER_SERIAL = 0x0C5B_0001


def responder(
    *,
    issuer: Ca | None = None,
    eku: bool = True,
    nocheck: bool = True,
    key_label: str = "responder",
    not_after: datetime = NOW + timedelta(days=30),
) -> Ca:
    """A delegated OCSP responder certificate issued by ``issuer`` (RFC 6960 §4.2.2.2)."""
    ca = issuer or intermediate()
    key = rsa_key(key_label)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name("Test JPKI OCSP Responder"))
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(RESPONDER_SERIAL)
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()),
            critical=False,
        )
    )
    if eku:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]), critical=False
        )
    if nocheck:
        builder = builder.add_extension(x509.OCSPNoCheck(), critical=False)
    return Ca(builder.sign(ca.key, hashes.SHA256()), key)


def ocsp_response(
    cert: x509.Certificate,
    issuer: Ca,
    *,
    status: ocsp.OCSPCertStatus = ocsp.OCSPCertStatus.GOOD,
    this_update: datetime = NOW - timedelta(minutes=10),
    next_update: datetime | None = NOW + timedelta(hours=12),
    signer: Ca | None = None,
    signing_key: rsa.RSAPrivateKey | None = None,
    by_key_hash: bool = False,
    nonce: bytes | None = None,
    serial: int | None = None,
    cert_id_hash: hashes.HashAlgorithm | None = None,
) -> bytes:
    """A BasicOCSPResponse about ``cert``; signed by ``issuer`` unless ``signer`` (a delegated
    responder, embedded in ``certs``) or a bare ``signing_key`` is given."""
    algorithm = cert_id_hash or hashes.SHA1()
    revoked = status is ocsp.OCSPCertStatus.REVOKED
    builder = ocsp.OCSPResponseBuilder()
    if serial is None:
        builder = builder.add_response(
            cert,
            issuer.cert,
            algorithm,
            status,
            this_update,
            next_update,
            this_update if revoked else None,
            x509.ReasonFlags.key_compromise if revoked else None,
        )
    else:
        request = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer.cert, algorithm).build()
        builder = builder.add_response_by_hash(
            request.issuer_name_hash,
            request.issuer_key_hash,
            serial,
            algorithm,
            status,
            this_update,
            next_update,
            this_update if revoked else None,
            x509.ReasonFlags.key_compromise if revoked else None,
        )
    responder_cert = signer.cert if signer else issuer.cert
    if signing_key is not None:  # an impostor: the issuer's name, another key
        responder_cert = _ca(_common_name(issuer), signing_key, None).cert
    encoding = ocsp.OCSPResponderEncoding.HASH if by_key_hash else ocsp.OCSPResponderEncoding.NAME
    builder = builder.responder_id(encoding, responder_cert)
    if signer is not None:
        builder = builder.certificates([signer.cert])
    if nonce is not None:
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    key = signing_key or (signer.key if signer else issuer.key)
    return builder.sign(key, hashes.SHA256()).public_bytes(Encoding.DER)


def _common_name(ca: Ca) -> str:
    value = ca.cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    assert isinstance(value, str)
    return value


def fetched(der_bytes: bytes, nonce: bytes | None = None) -> FetchedOcspResponse:
    return FetchedOcspResponse(der=der_bytes, nonce=nonce)


def good_ocsp(cert: x509.Certificate | None = None) -> list[FetchedOcspResponse]:
    """Good responses for the leaf (from the intermediate) and the intermediate (root)."""
    return [
        fetched(ocsp_response(cert or leaf(), intermediate())),
        fetched(ocsp_response(intermediate().cert, root())),
    ]
