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
from cryptography.x509.oid import NameOID

from furusato_vc.core.identity.jpki import (
    JPKI_ADDRESS_OID,
    JPKI_BIRTHDATE_OID,
    JPKI_NAME_OID,
    JPKI_SEX_OID,
)

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
