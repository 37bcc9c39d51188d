"""``jwt`` key proofs (OpenID4VCI 1.0 Appendix F.1) and their verification (Appendix F.4).

Our profile is narrower than F.1 allows: the key travels as a ``jwk`` header (no ``kid``,
``x5c`` or ``trust_chain``: we resolve no DIDs, certificates or federations), ``alg`` is ES256
unless the caller's policy says otherwise, and a ``nonce`` is always required because the
issuer always has a Nonce Endpoint (F.1: "MUST be present when the issuer has a Nonce
Endpoint").

Every rejection is ``proof_invalid`` (``invalid_proof`` on the wire, §8.3.1.2) except a
``nonce`` that is present but not accepted by ``nonce_check``: ``proof_nonce_invalid``
(``invalid_nonce``), so the Wallet fetches a fresh ``c_nonce`` and tries again. A *missing*
``nonce`` is ``proof_invalid``, as §8.3.1.2 lists it under ``invalid_proof``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from furusato_vc.core.encoding import JsonLimits, dumps_compact, parse_json_object
from furusato_vc.core.errors import ErrorCode, FurusatoError, VerificationError
from furusato_vc.core.jose.algorithms import DEFAULT_ALGORITHMS, AlgorithmPolicy
from furusato_vc.core.jose.jwk import parse_public_jwk
from furusato_vc.core.jose.jws import (
    JwsLimits,
    decode_unverified_jws,
    sign_compact_jws,
    verify_jws_signature,
)
from furusato_vc.core.oid4vci.constants import PROOF_JWT_TYP

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from furusato_vc.core.encoding import JSONObject, JSONValue
    from furusato_vc.core.jose.jwk import PublicJwk
    from furusato_vc.core.jose.signer import Signer

__all__ = [
    "MAX_PROOF_CHARS",
    "VerifiedProof",
    "create_proof_jwt",
    "verify_proof_jwt",
    "verify_proofs",
]

MAX_PROOF_CHARS: Final = 8 * 1024
_JWS_LIMITS = JwsLimits(max_chars=MAX_PROOF_CHARS)
_PAYLOAD_LIMITS = JsonLimits(max_bytes=4096, max_depth=4)
# F.1: exactly one of kid / jwk / x5c names the key; we accept only jwk. jku/x5u would make
# us fetch a key named by the sender; trust_chain needs a kid.
_OTHER_KEY_SOURCES: Final = ("kid", "x5c", "x5u", "jku", "x5t", "x5t#S256", "trust_chain")
# F.4 "the header parameter does not contain a private key": every private or symmetric
# JWK member of RFC 7518 §6.2.2, §6.3.2 and §6.4.1.
_PRIVATE_JWK_MEMBERS: Final = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifiedProof:
    """A key proof that passed Appendix F.4: bind one credential to ``key``."""

    key: PublicJwk
    issued_at: int
    nonce: str


def create_proof_jwt(signer: Signer, *, audience: str, nonce: str | None, issued_at: int) -> str:
    """A Wallet's key proof (Appendix F.1): header ``typ`` ``openid4vci-proof+jwt``, ``alg``
    of the signer and its public ``jwk`` (never a ``kid``); payload ``aud`` (the Credential
    Issuer Identifier), ``iat`` and, when the issuer gave one, ``nonce`` (``c_nonce``). No
    ``iss``: our Wallet is an anonymous client (F.1)."""
    if not audience:
        raise ValueError("audience must be the Credential Issuer Identifier")
    header: JSONObject = {
        "typ": PROOF_JWT_TYP,
        "jwk": signer.public_jwk.to_json(include_kid=False),
    }
    payload: JSONObject = {"aud": audience, "iat": issued_at}
    if nonce is not None:
        payload["nonce"] = nonce
    return sign_compact_jws(
        header=header,
        payload=dumps_compact(payload).encode("utf-8"),
        signer=signer,
        include_kid=False,
    )


def _invalid(detail: str) -> VerificationError:
    return VerificationError(ErrorCode.PROOF_INVALID, detail)


def _numeric_date(payload: JSONObject, name: str) -> int | None:
    value: JSONValue = payload.get(name)
    if value is None and name not in payload:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**53:
        raise _invalid(f"{name} is not a NumericDate integer")
    return value


def verify_proof_jwt(
    jwt: object,
    *,
    audience: str,
    now: int,
    nonce_check: Callable[[str], None],
    max_age: int = 300,
    max_future: int = 60,
    algorithms: AlgorithmPolicy = DEFAULT_ALGORITHMS,
) -> VerifiedProof:
    """Verify one ``jwt`` key proof (Appendix F.4) for the Credential Issuer ``audience``.

    ``iat`` must lie in ``[now - max_age, now + max_future]`` (both ends included; §13.8
    allows a little future for clock skew). ``exp``/``nbf``, if a Wallet adds them, are
    honoured too (RFC 7519 §4.1.4-5). ``iss`` is not checked: clients are anonymous (F.1).
    ``nonce_check`` runs last, once the signature and every other claim passed, so it is
    never an oracle for unsigned input; it raises ``proof_nonce_invalid`` to refuse.

    Raises:
        VerificationError: ``proof_invalid`` for a value that is not a compact JWS (or over
            8 KiB), ``typ`` other than exactly ``openid4vci-proof+jwt``, an ``alg`` outside
            ``algorithms`` (``none``, ``HS256`` …) or not matching the key, ``crit``, a key
            named by ``kid``/``x5c``/``x5u``/``jku``/``trust_chain`` (alone or with ``jwk``),
            a missing ``jwk``, private or symmetric members in it, an invalid or off-curve
            key, a bad signature, a payload that is not a JSON object, ``aud`` missing, not a
            string (an array too) or not equal to ``audience``, ``iat`` missing, not an
            integer, too old or too far in the future, an expired ``exp`` or future ``nbf``,
            and a missing or non-string ``nonce``; ``proof_nonce_invalid`` (or whatever else)
            from ``nonce_check``.
    """
    if not isinstance(jwt, str):
        raise _invalid("proof is not a string")
    try:
        jws = decode_unverified_jws(jwt, limits=_JWS_LIMITS)
    except FurusatoError as exc:  # malformed JWS, header, crit
        raise _invalid("proof is not an acceptable compact JWS") from exc
    header = jws.header
    if header.get("typ") != PROOF_JWT_TYP:  # F.4 explicit typing; exact, case-sensitive
        raise _invalid("typ must be openid4vci-proof+jwt")
    try:
        algorithms.check(jws.alg)  # F.4: asymmetric, not none, acceptable per local policy
    except VerificationError as exc:
        raise _invalid("alg not allowed for key proofs") from exc
    if any(name in header for name in _OTHER_KEY_SOURCES):
        raise _invalid("only a jwk header may name the proof key")
    jwk = header.get("jwk")
    if not isinstance(jwk, dict):
        raise _invalid("jwk header missing")
    if _PRIVATE_JWK_MEMBERS.intersection(jwk):  # F.4
        raise _invalid("jwk header contains private key material")
    try:
        key = parse_public_jwk(jwk, allow_eddsa=algorithms.allows_eddsa)
        verify_jws_signature(jws, key, algorithms=algorithms, failure=ErrorCode.PROOF_INVALID)
    except FurusatoError as exc:
        raise _invalid("proof key invalid or signature does not verify") from exc
    try:
        payload = parse_json_object(jws.payload, limits=_PAYLOAD_LIMITS)
    except FurusatoError as exc:
        raise _invalid("proof payload is not a JSON object") from exc
    aud = payload.get("aud")
    if not isinstance(aud, str) or aud != audience:  # F.1: a single string, exactly
        raise _invalid("aud is not this Credential Issuer")
    issued_at = _numeric_date(payload, "iat")
    if issued_at is None:
        raise _invalid("iat missing")
    if issued_at < now - max_age:
        raise _invalid("iat too old")
    if issued_at > now + max_future:
        raise _invalid("iat in the future")
    exp = _numeric_date(payload, "exp")
    if exp is not None and now >= exp:
        raise _invalid("proof expired")
    nbf = _numeric_date(payload, "nbf")
    if nbf is not None and now + max_future < nbf:
        raise _invalid("proof not yet valid")
    nonce = payload.get("nonce")
    if not isinstance(nonce, str):  # §8.3.1.2 (3): a proof without c_nonce is invalid_proof
        raise _invalid("nonce missing or not a string")
    nonce_check(nonce)
    return VerifiedProof(key=key, issued_at=issued_at, nonce=nonce)


def verify_proofs(
    jwts: Sequence[object],
    *,
    batch_size: int,
    audience: str,
    now: int,
    nonce_check: Callable[[str], None],
    max_age: int = 300,
    max_future: int = 60,
    algorithms: AlgorithmPolicy = DEFAULT_ALGORITHMS,
) -> tuple[VerifiedProof, ...]:
    """Verify the ``proofs.jwt`` array of a Credential Request (§8.2): one credential per key.

    Raises:
        VerificationError: ``proof_missing`` for an empty array; ``batch_size_exceeded`` for
            more than ``batch_size`` proofs (checked before any signature work,
            §12.2.4 ``batch_size``); ``proof_key_reused`` when two proofs carry the same key
            (RFC 7638 thumbprint; each key binds at most one credential, §8.3); and every
            rejection of :func:`verify_proof_jwt`.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    if not jwts:
        raise VerificationError(ErrorCode.PROOF_MISSING, "no key proof")
    if len(jwts) > batch_size:
        raise VerificationError(ErrorCode.BATCH_SIZE_EXCEEDED, "more proofs than batch_size")
    verified: list[VerifiedProof] = []
    seen: set[str] = set()
    for jwt in jwts:
        proof = verify_proof_jwt(
            jwt,
            audience=audience,
            now=now,
            nonce_check=nonce_check,
            max_age=max_age,
            max_future=max_future,
            algorithms=algorithms,
        )
        thumbprint = proof.key.thumbprint()
        if thumbprint in seen:
            raise VerificationError(ErrorCode.PROOF_KEY_REUSED, "two proofs share one key")
        seen.add(thumbprint)
        verified.append(proof)
    return tuple(verified)
