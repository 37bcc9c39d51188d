"""JSON Web Keys for signature verification (RFC 7517, RFC 7518 §6.2, RFC 8037 §2) and
thumbprints (RFC 7638).

Only two key shapes exist here: EC P-256 (for ES256) and, when explicitly enabled, OKP Ed25519
(for EdDSA). A public JWK that carries a private member (``d``) is rejected, off-curve P-256
points are rejected by ``cryptography`` at import, and Ed25519 keys of small order or with a
non-canonical encoding are rejected here because ``cryptography`` accepts them (a small-order
key lets anyone forge a signature that verifies for every message).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from furusato_vc.core.encoding import b64url_decode, b64url_encode, dumps_compact
from furusato_vc.core.errors import ErrorCode, FormatError
from furusato_vc.core.frozen import slot_constructor
from furusato_vc.core.jose.algorithms import JwsAlgorithm

if TYPE_CHECKING:
    from collections.abc import Callable

    from furusato_vc.core.encoding import JSONObject, JSONValue

__all__ = [
    "PrivateKey",
    "PublicJwk",
    "PublicKey",
    "generate_es256_private_key",
    "parse_private_jwk",
    "parse_public_jwk",
    "private_jwk",
    "public_jwk_from_key",
    "verify_es256",
]

PublicKey = ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey
PrivateKey = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey

_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_P256_PRIME_BYTES = (2**256 - 2**224 + 2**192 + 2**96 - 1).to_bytes(32, "big")
_KID = re.compile(r"[\x21-\x7e]{1,128}")
_ECDSA_SHA256 = ec.ECDSA(hashes.SHA256())
# Enum members looked up once: `JwsAlgorithm.ES256` is a slow class-attribute access in 3.11.
_ES256 = JwsAlgorithm.ES256
_EDDSA = JwsAlgorithm.EDDSA
_P256 = ec.SECP256R1()


@dataclass(frozen=True, slots=True, kw_only=True)
class PublicJwk:
    """A validated public verification key. Build with :func:`parse_public_jwk` or
    :func:`public_jwk_from_key`; equality compares the key material and ``kid``."""

    kty: str
    crv: str
    x: str
    y: str | None
    kid: str | None = None
    key: PublicKey = field(compare=False, repr=False)

    @property
    def algorithm(self) -> JwsAlgorithm:
        return _ES256 if self.kty == "EC" else _EDDSA

    def to_json(self, *, include_kid: bool = True) -> JSONObject:
        """The public JWK members (never private material)."""
        out: JSONObject = {"kty": self.kty, "crv": self.crv, "x": self.x}
        if self.y is not None:
            out["y"] = self.y
        if include_kid and self.kid is not None:
            out["kid"] = self.kid
        return out

    def thumbprint(self) -> str:
        """RFC 7638 §3: SHA-256 over the required members in lexicographic order."""
        members: JSONObject
        if self.kty == "EC":
            members = {"crv": self.crv, "kty": self.kty, "x": self.x, "y": self.y}
        else:
            members = {"crv": self.crv, "kty": self.kty, "x": self.x}
        canonical = dumps_compact(members).encode("ascii")
        return b64url_encode(hashlib.sha256(canonical).digest())

    def with_kid(self, kid: str | None) -> PublicJwk:
        if kid is not None and not valid_kid(kid):
            raise ValueError("kid must be 1-128 printable ASCII characters")
        return PublicJwk(kty=self.kty, crv=self.crv, x=self.x, y=self.y, kid=kid, key=self.key)

    def verify(self, signature: bytes, message: bytes) -> bool:
        """Verify a JOSE signature (ES256: IEEE P1363 ``r || s``, exactly 64 bytes, RFC 7518
        §3.4; EdDSA: 64 bytes, RFC 8037 §3.1). Never raises for a bad signature."""
        # Branch on kty (a string test): isinstance on cryptography's ABCs is slow.
        if self.kty == "EC":
            return verify_es256(cast("ec.EllipticCurvePublicKey", self.key), signature, message)
        if len(signature) != 64:
            return False
        try:
            cast("ed25519.Ed25519PublicKey", self.key).verify(signature, message)
        except InvalidSignature:
            return False
        return True


# (kty, crv, x, y, kid, key): a Holder key is parsed from every credential verified.
_new_jwk: Callable[[str, str, str, str | None, str | None, PublicKey], PublicJwk] = (
    slot_constructor(PublicJwk)
)


def verify_es256(key: ec.EllipticCurvePublicKey, signature: bytes, message: bytes) -> bool:
    """ECDSA P-256/SHA-256 over an IEEE P1363 ``r || s`` signature (JOSE RFC 7518 §3.4 and
    COSE RFC 9053 §2.1 use the same form): exactly 64 bytes, 0 < r, s < n. Never raises."""
    if len(signature) != 64:
        return False
    r = int.from_bytes(signature[:32], "big")
    s = int.from_bytes(signature[32:], "big")
    if not (0 < r < _P256_ORDER and 0 < s < _P256_ORDER):
        return False
    try:
        key.verify(encode_dss_signature(r, s), message, _ECDSA_SHA256)
    except InvalidSignature:
        return False
    return True


def _require_str(obj: JSONObject, name: str) -> str:
    value = obj.get(name)
    if not isinstance(value, str):
        raise FormatError(ErrorCode.MALFORMED_JWK, f"member {name!r} missing or not a string")
    return value


def _coordinate(obj: JSONObject, name: str) -> tuple[str, bytes]:
    text = obj.get(name)
    if not isinstance(text, str):  # as _require_str, without a second call (hot path)
        raise FormatError(ErrorCode.MALFORMED_JWK, f"member {name!r} missing or not a string")
    try:
        raw = b64url_decode(text, max_chars=64)
    except FormatError as exc:
        raise FormatError(ErrorCode.MALFORMED_JWK, f"member {name!r} is not base64url") from exc
    if len(raw) != 32:
        raise FormatError(ErrorCode.MALFORMED_JWK, f"member {name!r} must be 32 bytes")
    return text, raw


def valid_kid(kid: str) -> bool:
    """1-128 printable ASCII characters: the ``kid`` every key here may carry."""
    return _KID.fullmatch(kid) is not None


def verification_key_kid(value: JSONObject) -> str | None:
    """The members a public JWK of any key type shares (RFC 7517 §4.2, §4.3, §4.5): ``use``
    when present is ``sig``, ``key_ops`` when present allows ``verify``, and ``kid`` is
    1-128 printable ASCII characters; returns the ``kid``.

    Raises:
        FormatError: ``malformed_jwk``.
    """
    kid = value.get("kid")
    if kid is not None and (not isinstance(kid, str) or not valid_kid(kid)):
        raise FormatError(ErrorCode.MALFORMED_JWK, "kid must be 1-128 printable ASCII characters")
    use = value.get("use")
    if use is not None and use != "sig":
        raise FormatError(ErrorCode.MALFORMED_JWK, "key is not for signatures")
    key_ops = value.get("key_ops")
    if key_ops is not None and (not isinstance(key_ops, list) or "verify" not in key_ops):
        raise FormatError(ErrorCode.MALFORMED_JWK, "key_ops does not allow verify")
    return kid


def parse_public_jwk(value: JSONValue, *, allow_eddsa: bool = False) -> PublicJwk:
    """Validate an untrusted public JWK.

    Accepts EC P-256 (``kty``, ``crv``, ``x``, ``y``; a minimal JWK is enough) and, with
    ``allow_eddsa``, OKP Ed25519. Unknown members are ignored (RFC 7517 §4), except that an
    ``alg`` or ``use`` that contradicts signature use with this key is rejected.

    Raises:
        FormatError: ``malformed_jwk`` for any other key type or curve, wrong coordinate length,
            an off-curve point, an Ed25519 key of small order or non-canonical encoding, a
            private member ``d``, or a malformed ``kid``.
    """
    if not isinstance(value, dict):
        raise FormatError(ErrorCode.MALFORMED_JWK, "JWK is not an object")
    if "d" in value:
        raise FormatError(ErrorCode.MALFORMED_JWK, "private key material in a public JWK")
    kty = _require_str(value, "kty")
    crv = _require_str(value, "crv")
    kid = verification_key_kid(value)
    alg = value.get("alg")
    key: PublicKey
    if kty == "EC" and crv == "P-256":
        if alg is not None and alg != JwsAlgorithm.ES256.value:
            raise FormatError(ErrorCode.MALFORMED_JWK, "alg does not match a P-256 key")
        x_text, x_raw = _coordinate(value, "x")
        y_text, y_raw = _coordinate(value, "y")
        if x_raw >= _P256_PRIME_BYTES or y_raw >= _P256_PRIME_BYTES:  # big-endian, same length
            # cryptography reduces them mod p: one key would have two encodings (thumbprints)
            raise FormatError(ErrorCode.MALFORMED_JWK, "coordinate not below the field prime")
        try:
            key = ec.EllipticCurvePublicKey.from_encoded_point(_P256, b"\x04" + x_raw + y_raw)
        except ValueError as exc:
            raise FormatError(ErrorCode.MALFORMED_JWK, "point is not on P-256") from exc
        return _new_jwk(kty, crv, x_text, y_text, kid, key)
    if kty == "OKP" and crv == "Ed25519" and allow_eddsa:
        if alg is not None and alg != JwsAlgorithm.EDDSA.value:
            raise FormatError(ErrorCode.MALFORMED_JWK, "alg does not match an Ed25519 key")
        x_text, x_raw = _coordinate(value, "x")
        check_ed25519_public_key(x_raw)
        key = ed25519.Ed25519PublicKey.from_public_bytes(x_raw)
        return PublicJwk(kty=kty, crv=crv, x=x_text, y=None, kid=kid, key=key)
    raise FormatError(ErrorCode.MALFORMED_JWK, "unsupported key type or curve")


def public_jwk_from_key(key: PublicKey, *, kid: str | None = None) -> PublicJwk:
    """Wrap a ``cryptography`` public key (P-256 or Ed25519)."""
    if isinstance(key, ec.EllipticCurvePublicKey):
        if not isinstance(key.curve, ec.SECP256R1):
            raise TypeError("only P-256 EC keys are supported")
        numbers = key.public_numbers()
        jwk = PublicJwk(
            kty="EC",
            crv="P-256",
            x=b64url_encode(numbers.x.to_bytes(32, "big")),
            y=b64url_encode(numbers.y.to_bytes(32, "big")),
            key=key,
        )
    elif isinstance(key, ed25519.Ed25519PublicKey):
        raw = key.public_bytes(Encoding.Raw, PublicFormat.Raw)
        check_ed25519_public_key(raw)
        jwk = PublicJwk(kty="OKP", crv="Ed25519", x=b64url_encode(raw), y=None, key=key)
    else:  # pragma: no cover - guarded by the type
        raise TypeError("unsupported key type")
    return jwk.with_kid(kid)


def generate_es256_private_key() -> ec.EllipticCurvePrivateKey:
    """A fresh P-256 key from the operating system's CSPRNG (via OpenSSL)."""
    return ec.generate_private_key(ec.SECP256R1())


def private_jwk(key: PrivateKey, *, kid: str | None = None) -> JSONObject:
    """Serialize a private key as a JWK (RFC 7518 §6.2.2, RFC 8037 §2). Handle with care."""
    public = public_jwk_from_key(key.public_key(), kid=kid)
    out = public.to_json()
    if isinstance(key, ec.EllipticCurvePrivateKey):
        out["d"] = b64url_encode(key.private_numbers().private_value.to_bytes(32, "big"))
    else:
        out["d"] = b64url_encode(key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()))
    return out


def parse_private_jwk(
    value: JSONValue, *, allow_eddsa: bool = False
) -> tuple[PrivateKey, str | None]:
    """Load a private JWK written by :func:`private_jwk`; returns the key and its ``kid``.

    Raises:
        FormatError: ``malformed_jwk`` if the public part is invalid, ``d`` is missing or
            malformed, or ``d`` does not match the public point.
    """
    if not isinstance(value, dict):
        raise FormatError(ErrorCode.MALFORMED_JWK, "JWK is not an object")
    public = parse_public_jwk({k: v for k, v in value.items() if k != "d"}, allow_eddsa=allow_eddsa)
    d_text = _require_str(value, "d")
    try:
        d_raw = b64url_decode(d_text, max_chars=64)
    except FormatError as exc:
        raise FormatError(ErrorCode.MALFORMED_JWK, "member 'd' is not base64url") from exc
    if len(d_raw) != 32:
        raise FormatError(ErrorCode.MALFORMED_JWK, "member 'd' must be 32 bytes")
    private: PrivateKey
    try:
        if public.kty == "EC":
            private = ec.derive_private_key(int.from_bytes(d_raw, "big"), ec.SECP256R1())
        else:
            private = ed25519.Ed25519PrivateKey.from_private_bytes(d_raw)
    except ValueError as exc:
        raise FormatError(ErrorCode.MALFORMED_JWK, "invalid private scalar") from exc
    if public_jwk_from_key(private.public_key()).thumbprint() != public.thumbprint():
        raise FormatError(ErrorCode.MALFORMED_JWK, "private key does not match public key")
    return private, public.kid


# --- Ed25519 public-key checks (RFC 8032 §5.1.3 decoding; small-order rejection)

_ED_P = 2**255 - 19
_ED_D = (-121665 * pow(121666, -1, _ED_P)) % _ED_P
_ED_SQRT_M1 = pow(2, (_ED_P - 1) // 4, _ED_P)


def _ed_add(p1: tuple[int, int], p2: tuple[int, int]) -> tuple[int, int]:
    (x1, y1), (x2, y2) = p1, p2
    t = _ED_D * x1 * x2 * y1 * y2 % _ED_P
    x3 = (x1 * y2 + y1 * x2) * pow(1 + t, -1, _ED_P) % _ED_P
    y3 = (y1 * y2 + x1 * x2) * pow(1 - t, -1, _ED_P) % _ED_P
    return x3, y3


def check_ed25519_public_key(raw: bytes) -> None:
    """Reject non-canonical encodings and points of small order (order dividing 8).

    Raises:
        FormatError: ``malformed_jwk``.
    """
    if len(raw) != 32:
        raise FormatError(ErrorCode.MALFORMED_JWK, "Ed25519 key must be 32 bytes")
    encoded = int.from_bytes(raw, "little")
    sign = encoded >> 255
    y = encoded & ((1 << 255) - 1)
    if y >= _ED_P:
        raise FormatError(ErrorCode.MALFORMED_JWK, "non-canonical Ed25519 encoding")
    u = (y * y - 1) % _ED_P
    v = (_ED_D * y * y + 1) % _ED_P
    x2 = u * pow(v, -1, _ED_P) % _ED_P
    x = pow(x2, (_ED_P + 3) // 8, _ED_P)
    if (x * x - x2) % _ED_P:
        x = x * _ED_SQRT_M1 % _ED_P
    if (x * x - x2) % _ED_P:
        raise FormatError(ErrorCode.MALFORMED_JWK, "not a point on Ed25519")
    if x == 0 and sign:
        raise FormatError(ErrorCode.MALFORMED_JWK, "non-canonical Ed25519 encoding")
    if x & 1 != sign:
        x = _ED_P - x
    point = (x, y)
    for _ in range(3):
        point = _ed_add(point, point)
    if point == (0, 1):
        raise FormatError(ErrorCode.MALFORMED_JWK, "Ed25519 key of small order")
