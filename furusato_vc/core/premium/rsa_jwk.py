"""RSA public JWKs and RS256 verification, for OpenID Connect ID tokens only.

The JOSE core (:mod:`furusato_vc.core.jose`) has no RSA on purpose: credentials, status lists
and trust lists are ES256. Verified-identity providers commonly sign ID tokens with RS256
(OIDC Core 1.0 §3.1.3.7 step 7: RS256 is the default ``id_token_signed_response_alg``), so this
module gives :mod:`furusato_vc.core.premium.oidc_identity` just enough RSA to verify them,
opt-in per provider.

A key (RFC 7517, RFC 7518 §6.3.1) is accepted only if it is a public ``kty: RSA`` key with
``n`` and ``e`` as strict, unpadded base64url of a minimal big-endian unsigned integer (RFC 7518
§2 "Base64urlUInt": no leading zero octets; §6.3.1.1 notes libraries that add one to ``n``),
a modulus of 2048 to 8192 bits, and an odd public exponent with 2^16 < e < 2^256 (FIPS 186-5
§A.1.1). Private members (RFC 7518 §6.3.2) are rejected, as is an ``alg`` other than RS256,
a ``use`` other than ``sig`` or ``key_ops`` without ``verify``.

RS256 is RSASSA-PKCS1-v1_5 with SHA-256 (RFC 7518 §3.3, RFC 8017 §8.2.2); the signature must
be exactly as long as the modulus (RFC 8017 §8.2.2 step 1).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from furusato_vc.core.encoding import b64url_decode, b64url_encode
from furusato_vc.core.errors import ErrorCode, FormatError
from furusato_vc.core.jose.jwk import valid_kid, verification_key_kid

if TYPE_CHECKING:
    from furusato_vc.core.encoding import JSONValue

__all__ = [
    "MAX_RSA_BITS",
    "MIN_RSA_BITS",
    "RS256",
    "RsaPublicJwk",
    "parse_rsa_public_jwk",
    "rsa_public_jwk_from_key",
]

RS256: Final = "RS256"
MIN_RSA_BITS: Final = 2048  # RFC 7518 §3.3: a key of 2048 bits or larger MUST be used
MAX_RSA_BITS: Final = 8192  # bounds the work of one verification
_MIN_EXPONENT: Final = 2**16 + 1  # FIPS 186-5 §A.1.1: 2^16 < e < 2^256, odd
_MAX_EXPONENT_BYTES: Final = 32
_PRIVATE_MEMBERS: Final = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth"})
_PKCS1V15: Final = padding.PKCS1v15()
_SHA256: Final = hashes.SHA256()


@dataclass(frozen=True, slots=True, kw_only=True)
class RsaPublicJwk:
    """A validated RSA public key for RS256 ID-token signatures. Build it with
    :func:`parse_rsa_public_jwk` or :func:`rsa_public_jwk_from_key`."""

    n: str
    e: str
    kid: str | None = None
    key: rsa.RSAPublicKey = field(compare=False, repr=False)

    def __post_init__(self) -> None:
        if not MIN_RSA_BITS <= self.key.key_size <= MAX_RSA_BITS:
            raise ValueError(f"RS256 needs an RSA key of {MIN_RSA_BITS}-{MAX_RSA_BITS} bits")
        if self.kid is not None and not valid_kid(self.kid):
            raise ValueError("kid must be 1-128 printable ASCII characters")

    @property
    def algorithm(self) -> str:
        return RS256

    def verify(self, signature: bytes, message: bytes) -> bool:
        """RSASSA-PKCS1-v1_5 SHA-256 verification (RFC 8017 §8.2.2). Never raises for a bad
        signature."""
        if len(signature) != (self.key.key_size + 7) // 8:
            return False
        try:
            self.key.verify(signature, message, _PKCS1V15, _SHA256)
        except InvalidSignature:
            return False
        return True


def _uint(value: JSONValue, name: str, *, max_bytes: int) -> tuple[str, int]:
    if not isinstance(value, str):
        raise FormatError(ErrorCode.MALFORMED_JWK, f"member {name!r} missing or not a string")
    max_chars = (max_bytes * 4 + 2) // 3
    try:
        raw = b64url_decode(value, max_chars=max_chars)
    except FormatError as exc:
        raise FormatError(
            ErrorCode.MALFORMED_JWK, f"member {name!r} is not base64url or too long"
        ) from exc
    if not raw or raw[0] == 0:
        # RFC 7518 §2 Base64urlUInt: the minimum number of octets (and n, e are never zero)
        raise FormatError(ErrorCode.MALFORMED_JWK, f"member {name!r} has leading zero octets")
    return value, int.from_bytes(raw, "big")


def parse_rsa_public_jwk(value: JSONValue) -> RsaPublicJwk:
    """Validate an untrusted RSA public JWK for RS256 (RFC 7518 §6.3.1).

    Unknown members are ignored (RFC 7517 §4); ``alg``, ``use`` and ``key_ops``, when present,
    must allow RS256 signature verification.

    Raises:
        FormatError: ``malformed_jwk`` for a key that is not ``kty: RSA``, holds private
            members, has malformed or non-minimal ``n``/``e``, a modulus under 2048 or over
            8192 bits, an even or out-of-range exponent, a contradicting ``alg``/``use``/
            ``key_ops``, or a malformed ``kid``.
    """
    if not isinstance(value, dict):
        raise FormatError(ErrorCode.MALFORMED_JWK, "JWK is not an object")
    if value.get("kty") != "RSA":
        raise FormatError(ErrorCode.MALFORMED_JWK, "not an RSA key")
    if _PRIVATE_MEMBERS.intersection(value):
        raise FormatError(ErrorCode.MALFORMED_JWK, "private key material in a public JWK")
    alg = value.get("alg")
    if alg is not None and alg != RS256:
        raise FormatError(ErrorCode.MALFORMED_JWK, "alg of the RSA key is not RS256")
    kid = verification_key_kid(value)
    n_text, n = _uint(value.get("n"), "n", max_bytes=MAX_RSA_BITS // 8)
    e_text, e = _uint(value.get("e"), "e", max_bytes=_MAX_EXPONENT_BYTES)
    if n.bit_length() < MIN_RSA_BITS:
        raise FormatError(
            ErrorCode.MALFORMED_JWK,
            f"RSA key of {n.bit_length()} bits; RS256 needs at least {MIN_RSA_BITS}",
        )
    if n % 2 == 0 or e % 2 == 0 or e < _MIN_EXPONENT or e >= n:
        raise FormatError(ErrorCode.MALFORMED_JWK, "RSA modulus or public exponent not sane")
    try:
        key = rsa.RSAPublicNumbers(e, n).public_key()
    except ValueError as exc:
        raise FormatError(ErrorCode.MALFORMED_JWK, "RSA public key rejected") from exc
    return RsaPublicJwk(n=n_text, e=e_text, kid=kid, key=key)


def rsa_public_jwk_from_key(key: rsa.RSAPublicKey, *, kid: str | None = None) -> RsaPublicJwk:
    """Wrap a ``cryptography`` RSA public key (same rules as :func:`parse_rsa_public_jwk`).

    Raises:
        ValueError: a modulus outside 2048-8192 bits, an exponent outside the sane range, or a
            malformed ``kid``.
    """
    numbers = key.public_numbers()
    n_text = b64url_encode(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big"))
    e_text = b64url_encode(numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8, "big"))
    if numbers.e % 2 == 0 or numbers.e < _MIN_EXPONENT or numbers.e.bit_length() > 256:
        raise ValueError("RSA public exponent not sane")
    return RsaPublicJwk(n=n_text, e=e_text, kid=kid, key=key)
