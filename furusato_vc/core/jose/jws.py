"""JWS Compact Serialization (RFC 7515 §3.1, §5.1 signing, §5.2 validation).

Only the compact form is accepted: three base64url segments, a JSON-object header with an
allow-listed ``alg``, no ``crit`` (we understand no extensions, RFC 7515 §4.1.11), and no JWE
or compression parameters. The signature is verified over the exact received bytes.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

from furusato_vc.core.encoding import (
    JsonLimits,
    b64url_decode,
    b64url_encode,
    dumps_compact,
    parse_json_object,
)
from furusato_vc.core.errors import ErrorCode, FormatError, VerificationError
from furusato_vc.core.frozen import slot_constructor
from furusato_vc.core.jose.algorithms import DEFAULT_ALGORITHMS, AlgorithmPolicy, JwsAlgorithm

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from furusato_vc.core.encoding import JSONObject
    from furusato_vc.core.jose.jwk import PublicJwk
    from furusato_vc.core.jose.signer import Signer

__all__ = [
    "JwsLimits",
    "UnverifiedJws",
    "decode_unverified_jws",
    "first_verifying_key",
    "sign_compact_jws",
    "verify_jws_signature",
]

_HEADER_LIMITS = JsonLimits(max_bytes=4096, max_depth=4)
# Header parameters that belong to JWE or change how the payload is read.
_FORBIDDEN_HEADER = frozenset({"enc", "zip", "epk", "p2s", "p2c", "b64"})


@dataclass(frozen=True, slots=True, kw_only=True)
class JwsLimits:
    max_chars: int = 64 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class UnverifiedJws:
    """A parsed JWS whose signature has *not* been checked yet."""

    header: JSONObject
    payload: bytes
    signing_input: bytes
    signature: bytes

    @property
    def alg(self) -> str:
        alg = self.header["alg"]
        assert isinstance(alg, str)  # checked at decode
        return alg

    @property
    def typ(self) -> str | None:
        typ = self.header.get("typ")
        return typ if isinstance(typ, str) else None

    @property
    def kid(self) -> str | None:
        kid = self.header.get("kid")
        return kid if isinstance(kid, str) else None


# (header, payload, signing_input, signature): two per SD-JWT+KB verification.
_new_jws: Callable[[JSONObject, bytes, bytes, bytes], UnverifiedJws] = slot_constructor(
    UnverifiedJws
)


def decode_unverified_jws(compact: str, *, limits: JwsLimits = JwsLimits()) -> UnverifiedJws:
    """Split and decode a compact JWS without checking its signature.

    Raises:
        FormatError: ``input_too_large``, ``malformed_jws`` (not three non-empty segments,
            bad base64url), ``malformed_jws_header`` (header not a JSON object, ``alg``/``typ``/
            ``kid`` of the wrong type, JWE parameters) and the JSON codes of
            :func:`~furusato_vc.core.encoding.parse_json`.
        VerificationError: ``critical_header_unsupported`` if ``crit`` is present.
    """
    if len(compact) > limits.max_chars:
        raise FormatError(ErrorCode.INPUT_TOO_LARGE, f"JWS over {limits.max_chars} chars")
    parts = compact.split(".")
    if len(parts) != 3 or not parts[0] or not parts[2]:
        raise FormatError(ErrorCode.MALFORMED_JWS, "a compact JWS has three segments")
    header_b64, payload_b64, signature_b64 = parts
    header = _cached_header(header_b64)
    try:
        payload = b64url_decode(payload_b64)
        signature = b64url_decode(signature_b64)
    except FormatError as exc:
        raise FormatError(ErrorCode.MALFORMED_JWS, "segment is not base64url") from exc
    return _new_jws(header, payload, f"{header_b64}.{payload_b64}".encode("ascii"), signature)


def _cached_header(header_b64: str) -> JSONObject:
    """Verifiers see the same few headers (one per issuer key, one for KB-JWTs) over and over,
    so flat headers are memoized; a caller gets its own copy. Headers with nested members
    (``jwk``, ``x5c``) are parsed every time."""
    cached = _flat_header(header_b64)
    return dict(cached) if cached is not None else _parse_header(header_b64)


@functools.lru_cache(maxsize=128)
def _flat_header(header_b64: str) -> JSONObject | None:
    header = _parse_header(header_b64)
    return None if any(isinstance(v, dict | list) for v in header.values()) else header


def _parse_header(header_b64: str) -> JSONObject:
    try:
        header_bytes = b64url_decode(header_b64, max_chars=_HEADER_LIMITS.max_bytes * 2)
    except FormatError as exc:
        raise FormatError(ErrorCode.MALFORMED_JWS, "segment is not base64url") from exc
    try:
        header = parse_json_object(header_bytes, limits=_HEADER_LIMITS)
    except FormatError as exc:
        if exc.code in {ErrorCode.MALFORMED_JSON, ErrorCode.INPUT_TOO_LARGE}:
            raise FormatError(
                ErrorCode.MALFORMED_JWS_HEADER, "header is not a JSON object"
            ) from exc
        raise
    if not isinstance(header.get("alg"), str):
        raise FormatError(ErrorCode.MALFORMED_JWS_HEADER, "alg missing or not a string")
    for name in ("typ", "kid", "cty"):
        if name in header and not isinstance(header[name], str):
            raise FormatError(ErrorCode.MALFORMED_JWS_HEADER, f"{name} is not a string")
    if _FORBIDDEN_HEADER.intersection(header):
        raise FormatError(ErrorCode.MALFORMED_JWS_HEADER, "JWE or unencoded-payload parameter")
    if "crit" in header:
        raise VerificationError(ErrorCode.CRITICAL_HEADER_UNSUPPORTED, "crit is not supported")
    return header


def verify_jws_signature(
    jws: UnverifiedJws,
    key: PublicJwk,
    *,
    algorithms: AlgorithmPolicy = DEFAULT_ALGORITHMS,
    failure: ErrorCode = ErrorCode.SIGNATURE_INVALID,
) -> None:
    """Check ``alg`` against the allow-list and the key, then the signature (RFC 7515 §5.2).

    Raises:
        VerificationError: ``algorithm_not_allowed`` if ``alg`` is not allowed or does not
            fit the key; ``failure`` (default ``signature_invalid``) if the signature is wrong.
    """
    alg = algorithms.check(jws.alg)
    if alg is not key.algorithm:
        raise VerificationError(ErrorCode.ALGORITHM_NOT_ALLOWED, "alg does not match the key")
    if not key.verify(jws.signature, jws.signing_input):
        raise VerificationError(failure, "signature does not verify")


def first_verifying_key(
    jws: UnverifiedJws,
    candidates: Iterable[PublicJwk],
    *,
    algorithms: AlgorithmPolicy = DEFAULT_ALGORITHMS,
) -> PublicJwk | None:
    """The first of ``candidates`` that verifies ``jws`` (:func:`verify_jws_signature`), or
    None. Every candidate is tried: keys may share a ``kid`` (HCERT §3.3.3), and a JWS whose
    ``alg`` is not allowed verifies with none of them."""
    for key in candidates:
        try:
            verify_jws_signature(jws, key, algorithms=algorithms)
        except VerificationError:
            continue
        return key
    return None


def sign_compact_jws(
    *, header: JSONObject, payload: bytes, signer: Signer, include_kid: bool = True
) -> str:
    """Sign ``payload`` and return the compact serialization. ``alg`` (and ``kid`` when the
    signer has one, ``include_kid`` is set and the header has none) come from the signer."""
    full: JSONObject = {"alg": JwsAlgorithm(signer.algorithm).value}
    kid = signer.public_jwk.kid
    if include_kid and kid is not None and "kid" not in header:
        full["kid"] = kid
    full.update(header)
    if full["alg"] != signer.algorithm.value:
        raise ValueError("header alg does not match the signer")
    signing_input = (
        b64url_encode(dumps_compact(full).encode("utf-8")) + "." + b64url_encode(payload)
    )
    signature = signer.sign(signing_input.encode("ascii"))
    return signing_input + "." + b64url_encode(signature)
