"""COSE_Sign1 (RFC 9052 §4.2, §4.4) with ES256 (RFC 9053 §2.1), and COSE_Key for EC2 keys
with point compression (RFC 9053 §7.1.1).

ECDSA signatures in COSE are the fixed-length ``r || s`` form, exactly as in JOSE, so the
same :class:`~furusato_vc.core.jose.jwk.PublicJwk` and :class:`Signer` serve both.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING, Final

import cbor2
from cryptography.hazmat.primitives.asymmetric import ec

from furusato_vc.core.cbor import CborLimits, check_items, decode_cbor, encode_cbor
from furusato_vc.core.encoding import b64url_decode
from furusato_vc.core.errors import ErrorCode, FormatError, VerificationError
from furusato_vc.core.jose.algorithms import JwsAlgorithm
from furusato_vc.core.jose.jwk import PublicJwk, public_jwk_from_key, verify_es256

if TYPE_CHECKING:
    from collections.abc import Mapping

    from furusato_vc.core.jose.signer import Signer

__all__ = [
    "COSE_SIGN1_TAG",
    "CoseAlgorithm",
    "CoseHeader",
    "Sign1",
    "bstr_header",
    "cose_key_from_public_jwk",
    "p256_key_from_cose_key",
    "parse_sign1",
    "parse_sign1_envelope",
    "public_jwk_from_cose_key",
    "sig_structure1",
    "sign1",
    "verify_sign1",
]

COSE_SIGN1_TAG: Final = 18  # RFC 9052 §2


class CoseHeader(IntEnum):
    """Header parameter labels (IANA "COSE Header Parameters")."""

    ALG = 1
    CRIT = 2
    KID = 4
    KCWT = 13  # RFC 9528 §10.? (kcwt), used by SD-KBT
    TYP = 16  # RFC 9596
    SD_CLAIMS = 17  # draft-ietf-spice-sd-cwt-07 §"sd_claims"
    SD_ALG = 170  # draft-ietf-spice-sd-cwt-07 §"sd_alg"


class CoseAlgorithm(IntEnum):
    ES256 = -7
    EDDSA = -8


_JOSE_OF = {CoseAlgorithm.ES256: JwsAlgorithm.ES256, CoseAlgorithm.EDDSA: JwsAlgorithm.EDDSA}
_ALG_BY_VALUE = {a.value: a for a in CoseAlgorithm}
_COSE_OF = {v: k for k, v in _JOSE_OF.items()}
_P256 = ec.SECP256R1()


def bstr_header(length: int) -> bytes:
    """The CBOR head of a byte string of ``length`` bytes (preferred serialization)."""
    if length < 24:
        return bytes((0x40 | length,))
    if length < 0x100:
        return bytes((0x58, length))
    if length < 0x10000:
        return b"\x59" + length.to_bytes(2, "big")
    return b"\x5a" + length.to_bytes(4, "big")


_SIGNATURE1 = b"\x84\x6aSignature1"  # array(4), text(10) "Signature1"


def sig_structure1(protected: bytes, payload: bytes, external_aad: bytes = b"") -> bytes:
    """``Sig_structure = ["Signature1", body_protected, external_aad, payload]`` (RFC 9052
    §4.4), encoded directly: it is built twice per QR verification."""
    return b"".join(
        (
            _SIGNATURE1,
            bstr_header(len(protected)),
            protected,
            bstr_header(len(external_aad)),
            external_aad,
            bstr_header(len(payload)),
            payload,
        )
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Sign1:
    """A COSE_Sign1 message; ``protected`` is the decoded form of ``protected_bytes``."""

    protected_bytes: bytes
    protected: Mapping[object, object]
    unprotected: Mapping[object, object]
    payload: bytes
    signature: bytes

    def to_cbor_value(self) -> cbor2.CBORTag:
        return cbor2.CBORTag(
            COSE_SIGN1_TAG,
            [self.protected_bytes, self.unprotected, self.payload, self.signature],
        )

    def encode(self) -> bytes:
        return encode_cbor(self.to_cbor_value())

    def algorithm(self) -> CoseAlgorithm:
        value = self.protected.get(CoseHeader.ALG)
        if type(value) is not int:
            raise FormatError(ErrorCode.MALFORMED_COSE, "alg missing from protected header")
        alg = _ALG_BY_VALUE.get(value)
        if alg is None:
            raise VerificationError(ErrorCode.ALGORITHM_NOT_ALLOWED, "unknown COSE alg")
        return alg


def sign1(
    *,
    protected: dict[object, object],
    unprotected: dict[object, object],
    payload: bytes,
    signer: Signer,
) -> Sign1:
    """Sign ``payload``; ``alg`` is written first into the protected header from the signer."""
    header: dict[object, object] = {CoseHeader.ALG.value: _COSE_OF[signer.algorithm].value}
    header.update(protected)
    protected_bytes = encode_cbor(header)
    signature = signer.sign(sig_structure1(protected_bytes, payload))
    return Sign1(
        protected_bytes=protected_bytes,
        protected=header,
        unprotected=dict(unprotected),
        payload=payload,
        signature=signature,
    )


def parse_sign1(value: object, *, limits: CborLimits) -> Sign1:
    """Interpret a decoded CBOR value as a tagged COSE_Sign1 (tag 18) and decode its protected
    header strictly. No signature is checked.

    Raises:
        FormatError: ``malformed_cose`` (wrong tag, shape or types; ``crit`` present is
            handled by the caller's policy) and the CBOR codes of the protected header.
    """
    if not isinstance(value, cbor2.CBORTag) or value.tag != COSE_SIGN1_TAG:
        raise FormatError(ErrorCode.MALFORMED_COSE, "not a tagged COSE_Sign1")
    body = value.value
    if (type(body) is not list and type(body) is not tuple) or len(body) != 4:
        raise FormatError(ErrorCode.MALFORMED_COSE, "COSE_Sign1 is an array of four")
    protected_bytes, unprotected, payload, signature = body
    if not (
        isinstance(protected_bytes, bytes)
        # inside a tag cbor2 decodes maps as its immutable frozendict
        and isinstance(unprotected, dict | cbor2.frozendict)
        and isinstance(payload, bytes)
        and isinstance(signature, bytes)
    ):
        raise FormatError(ErrorCode.MALFORMED_COSE, "COSE_Sign1 member of the wrong type")
    # The protected header is covered by the signature: its bytes are authenticated as sent.
    protected = (
        decode_cbor(protected_bytes, limits=limits, canonical=False) if protected_bytes else {}
    )
    if not isinstance(protected, dict):
        raise FormatError(ErrorCode.MALFORMED_COSE, "protected header is not a map")
    check_items(protected, limits)
    check_items(unprotected, limits)
    if CoseHeader.CRIT in protected:
        raise VerificationError(ErrorCode.CRITICAL_HEADER_UNSUPPORTED, "crit is not supported")
    if set(protected).intersection(unprotected):
        # RFC 9052 §3: a label MUST NOT occur in both buckets.
        raise FormatError(ErrorCode.MALFORMED_COSE, "header label in both buckets")
    return Sign1(
        protected_bytes=protected_bytes,
        protected=protected,
        unprotected=unprotected,
        payload=payload,
        signature=signature,
    )


def _read_bstr(data: bytes, pos: int) -> tuple[bytes, int]:
    """One definite-length byte string in preferred serialization (RFC 8949 §4.1)."""
    if pos >= len(data):
        raise FormatError(ErrorCode.MALFORMED_CBOR, "truncated")
    head = data[pos]
    if head == 0x5F:
        raise FormatError(ErrorCode.CBOR_INDEFINITE_LENGTH, "indefinite byte string")
    info = head - 0x40
    if not 0 <= info <= 26:
        raise FormatError(ErrorCode.MALFORMED_COSE, "expected a byte string")
    if info < 24:
        length, pos = info, pos + 1
    else:
        size = 1 << (info - 24)
        length = int.from_bytes(data[pos + 1 : pos + 1 + size], "big")
        if len(data) < pos + 1 + size or length < (24 if size == 1 else 1 << (4 * size)):
            raise FormatError(ErrorCode.MALFORMED_CBOR, "not in preferred serialization")
        pos += 1 + size
    end = pos + length
    if end > len(data):
        raise FormatError(ErrorCode.MALFORMED_CBOR, "truncated")
    return data[pos:end], end


def parse_sign1_envelope(data: bytes, *, limits: CborLimits) -> Sign1:
    """Parse ``18([protected, {}, payload, signature])`` directly from bytes.

    Only the framing of a COSE_Sign1 is not covered by its signature; reading that framing by
    hand (strictly: tag 18, an array of four, preferred lengths, an empty unprotected map,
    nothing after it) avoids decoding and re-encoding the whole message. The protected
    header is then decoded like any signed byte string.

    Raises:
        FormatError: ``input_too_large``, ``malformed_cose``, ``malformed_cbor``,
            ``cbor_indefinite_length``, ``cbor_trailing_bytes`` and the CBOR codes of the
            protected header.
    """
    if len(data) > limits.max_bytes:
        raise FormatError(ErrorCode.INPUT_TOO_LARGE, f"CBOR over {limits.max_bytes} bytes")
    if data[:2] == b"\xd2\x9f":
        raise FormatError(ErrorCode.CBOR_INDEFINITE_LENGTH, "indefinite array")
    if data[:2] != b"\xd2\x84":
        raise FormatError(ErrorCode.MALFORMED_COSE, "not a tagged COSE_Sign1")
    protected_bytes, pos = _read_bstr(data, 2)
    if data[pos : pos + 1] != b"\xa0":
        raise FormatError(ErrorCode.MALFORMED_COSE, "unprotected header must be empty here")
    payload, pos = _read_bstr(data, pos + 1)
    signature, pos = _read_bstr(data, pos)
    if pos != len(data):
        raise FormatError(ErrorCode.CBOR_TRAILING_BYTES, "bytes after the COSE_Sign1")
    return parse_sign1(
        cbor2.CBORTag(COSE_SIGN1_TAG, (protected_bytes, {}, payload, signature)), limits=limits
    )


def verify_sign1(
    message: Sign1,
    key: PublicJwk | ec.EllipticCurvePublicKey,
    *,
    allowed: frozenset[CoseAlgorithm],
    failure: ErrorCode = ErrorCode.SIGNATURE_INVALID,
) -> None:
    """Check ``alg`` against the allow-list and the key type, then the signature over the
    Sig_structure (RFC 9052 §4.4). A bare ``cryptography`` key must be P-256 (ES256).

    Raises:
        FormatError: ``malformed_cose`` when ``alg`` is missing.
        VerificationError: ``algorithm_not_allowed``; ``failure`` for a bad signature.
    """
    alg = message.algorithm()
    to_be_signed = sig_structure1(message.protected_bytes, message.payload)
    if isinstance(key, PublicJwk):
        if alg not in allowed or _JOSE_OF[alg] is not key.algorithm:
            raise VerificationError(ErrorCode.ALGORITHM_NOT_ALLOWED, "COSE alg not allowed here")
        good = key.verify(message.signature, to_be_signed)
    else:
        if alg is not CoseAlgorithm.ES256 or alg not in allowed:
            raise VerificationError(ErrorCode.ALGORITHM_NOT_ALLOWED, "COSE alg not allowed here")
        good = verify_es256(key, message.signature, to_be_signed)
    if not good:
        raise VerificationError(failure, "COSE signature does not verify")


# --- COSE_Key (RFC 9052 §7, RFC 9053 §7.1) for EC2 P-256 with point compression

_KTY, _CRV, _X, _Y = 1, -1, -2, -3
_EC2, _P256_CRV = 2, 1


def cose_key_from_public_jwk(jwk: PublicJwk) -> dict[int, object]:
    """``{kty: EC2, crv: P-256, x, y: sign bit}`` — the compressed form (33 bytes of key)."""
    if jwk.kty != "EC":
        raise ValueError("only P-256 keys have a compact COSE form here")
    y_odd = bool(b64url_decode(jwk.y or "")[-1] & 1)
    return {_KTY: _EC2, _CRV: _P256_CRV, _X: b64url_decode(jwk.x), _Y: y_odd}


def public_jwk_from_cose_key(value: object) -> PublicJwk:
    """Load an EC2 P-256 COSE_Key given with a compressed (bool ``y``) or full point.

    Raises:
        FormatError: ``malformed_jwk`` for any other key, wrong lengths, or a point not on
            the curve; ``malformed_cose`` if it is not a map.
    """
    return public_jwk_from_key(p256_key_from_cose_key(value))


def p256_key_from_cose_key(value: object) -> ec.EllipticCurvePublicKey:
    """:func:`public_jwk_from_cose_key` without the JWK wrapper (the verifier's hot path).

    Raises:
        FormatError: as :func:`public_jwk_from_cose_key`.
    """
    if not isinstance(value, dict):
        raise FormatError(ErrorCode.MALFORMED_COSE, "COSE_Key is not a map")
    if value.get(_KTY) != _EC2 or value.get(_CRV) != _P256_CRV or set(value) - {_KTY, _CRV, _X, _Y}:
        raise FormatError(ErrorCode.MALFORMED_JWK, "only EC2 P-256 COSE keys are accepted")
    x, y = value.get(_X), value.get(_Y)
    if not isinstance(x, bytes) or len(x) != 32:
        raise FormatError(ErrorCode.MALFORMED_JWK, "x must be 32 bytes")
    if isinstance(y, bool):
        point = (b"\x03" if y else b"\x02") + x
    elif isinstance(y, bytes) and len(y) == 32:
        point = b"\x04" + x + y
    else:
        raise FormatError(ErrorCode.MALFORMED_JWK, "y must be 32 bytes or a sign bit")
    try:
        return ec.EllipticCurvePublicKey.from_encoded_point(_P256, point)
    except ValueError as exc:
        raise FormatError(ErrorCode.MALFORMED_JWK, "point is not on P-256") from exc
