"""Verifying SD-JWT and SD-JWT+KB — RFC 9901 §7.1 (common), §7.2 (Holder), §7.3 (Verifier).

Whether Key Binding is required is decided by the caller's :class:`SdJwtPolicy`, never by
whether a KB-JWT happens to be present (§7.3 step 1): a policy with ``key_binding=None``
accepts only a bare SD-JWT (the last ``~``-component must be empty, §4), and a policy with a
:class:`KeyBindingPolicy` rejects a presentation without a KB-JWT (§7.3 step 2, "KB stripping").
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from furusato_vc.core.encoding import JsonLimits, parse_json_object
from furusato_vc.core.errors import ErrorCode, FormatError, VerificationError
from furusato_vc.core.frozen import slot_constructor
from furusato_vc.core.jose.algorithms import DEFAULT_ALGORITHMS, AlgorithmPolicy
from furusato_vc.core.jose.jwk import parse_public_jwk
from furusato_vc.core.jose.jws import JwsLimits, decode_unverified_jws, verify_jws_signature
from furusato_vc.core.jose.jwt import numeric_date, optional_numeric_date, to_numeric_date
from furusato_vc.core.sdjwt.compact import SdJwtLimits, split_compact
from furusato_vc.core.sdjwt.constants import KB_JWT_TYP, SD_HASH_KEY
from furusato_vc.core.sdjwt.disclosure import parse_disclosure
from furusato_vc.core.sdjwt.hashing import SdAlg, digest, sd_alg_of
from furusato_vc.core.sdjwt.processing import DisclosedClaim, process_payload

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from datetime import datetime

    from furusato_vc.core.encoding import JSONObject
    from furusato_vc.core.jose.jwk import PublicJwk
    from furusato_vc.core.jose.jws import UnverifiedJws

__all__ = [
    "IssuerKeyResolver",
    "KeyBindingPolicy",
    "SdJwtPolicy",
    "StaticIssuerKeys",
    "VerifiedKeyBinding",
    "VerifiedSdJwt",
    "holder_key_of",
    "verify_sd_jwt",
]


class IssuerKeyResolver(Protocol):
    """Where issuer keys come from (RFC 9901 §7.1 step 2.c: the key must belong to ``iss``).

    Implementations: :class:`StaticIssuerKeys` (a JWKS per issuer), and the national trust
    list of a later milestone. A resolver never fetches anything named by the token.
    """

    def issuer_keys(self, *, issuer: str, kid: str | None) -> Sequence[PublicJwk]:
        """Candidate keys for ``issuer`` (every key with that ``kid``, or all when ``kid`` is
        ``None``).

        Raises:
            VerificationError: ``issuer_not_trusted`` or ``issuer_key_unknown``.
        """
        ...


@dataclass(frozen=True, slots=True)
class StaticIssuerKeys:
    """A fixed map from issuer identifier to its public keys."""

    keys: Mapping[str, tuple[PublicJwk, ...]]

    def issuer_keys(self, *, issuer: str, kid: str | None) -> Sequence[PublicJwk]:
        known = self.keys.get(issuer)
        if known is None:
            raise VerificationError(ErrorCode.ISSUER_NOT_TRUSTED, "issuer not in the key set")
        candidates = known if kid is None else tuple([k for k in known if k.kid == kid])
        if not candidates:
            raise VerificationError(ErrorCode.ISSUER_KEY_UNKNOWN, "no key with that kid")
        return candidates


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyBindingPolicy:
    """What a KB-JWT must say for this verifier and transaction (RFC 9901 §7.3 step 5).

    ``nonce=None`` is the one-way (display-only) QR mode: the KB-JWT must still carry a string
    nonce, and the caller must reject replays with a cache keyed on it.
    """

    audience: str
    nonce: str | None
    max_age_seconds: int = 300
    max_future_seconds: int = 60
    algorithms: AlgorithmPolicy = DEFAULT_ALGORITHMS

    def __post_init__(self) -> None:
        if not self.audience:
            raise ValueError("audience must be non-empty")
        if self.max_age_seconds < 0 or self.max_future_seconds < 0:
            raise ValueError("windows must be non-negative")


@dataclass(frozen=True, slots=True, kw_only=True)
class SdJwtPolicy:
    """Everything §7 leaves to the verifier's policy.

    ``key_binding`` has no default on purpose: every caller states whether Key Binding is
    required. ``accepted_typ`` pins the ``typ`` header (explicit typing, §9.11).
    ``issuer_claim`` names the plaintext claim that identifies the Issuer for key lookup
    (§7.1 step 2.c leaves this to the application: ``iss`` for JWTs and SD-JWT VC, ``issuer``
    for the W3C VCDM of RFC 9901 Appendix A.4).
    """

    key_binding: KeyBindingPolicy | None
    accepted_typ: frozenset[str]
    algorithms: AlgorithmPolicy = DEFAULT_ALGORITHMS
    limits: SdJwtLimits = SdJwtLimits()
    clock_skew_seconds: int = 60
    require_expiry: bool = True
    issuer_claim: str = "iss"
    # A Holder may store a credential before its start (nbf); verifiers never set this.
    accept_not_yet_valid: bool = False

    def __post_init__(self) -> None:
        # A str would turn `typ in accepted_typ` into a substring test (catalogue J-19).
        accepted: object = self.accepted_typ
        if not isinstance(accepted, frozenset) or not all(isinstance(t, str) for t in accepted):
            raise TypeError("accepted_typ must be a frozenset of strings")
        if self.clock_skew_seconds < 0:
            raise ValueError("clock skew must be non-negative")


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifiedKeyBinding:
    issued_at: int
    audience: str
    nonce: str
    holder_key: PublicJwk
    replay_key: bytes  # SHA-256 of the KB-JWT signing input (never of the malleable signature)


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifiedSdJwt:
    """The result of §7.1 (and §7.3 when Key Binding was required)."""

    issuer_jwt: str
    header: JSONObject
    issuer_payload: JSONObject  # as signed: digests, no Disclosures applied
    claims: JSONObject  # the Processed SD-JWT Payload
    disclosed: tuple[DisclosedClaim, ...]
    issuer_key: PublicJwk
    key_binding: VerifiedKeyBinding | None


# Positional constructors for the two result types (hot path, see furusato_vc.core.frozen).
_new_key_binding: Callable[[int, str, str, PublicJwk, bytes], VerifiedKeyBinding] = (
    slot_constructor(VerifiedKeyBinding)
)
_new_verified: Callable[
    [
        str,
        JSONObject,
        JSONObject,
        JSONObject,
        tuple[DisclosedClaim, ...],
        PublicJwk,
        VerifiedKeyBinding | None,
    ],
    VerifiedSdJwt,
] = slot_constructor(VerifiedSdJwt)


def holder_key_of(claims: JSONObject, *, algorithms: AlgorithmPolicy) -> PublicJwk:
    """The Holder's key from ``cnf.jwk`` (RFC 7800 §3.2; RFC 9901 §4.1.2).

    Other confirmation methods (``kid``, ``jku``, ``x5u``) are refused: the key must be in the
    Issuer-signed payload, never fetched.

    Raises:
        VerificationError: ``holder_key_missing``.
        FormatError: ``malformed_jwk``.
    """
    cnf = claims.get("cnf")
    if not isinstance(cnf, dict) or not isinstance(cnf.get("jwk"), dict):
        raise VerificationError(ErrorCode.HOLDER_KEY_MISSING, "cnf.jwk missing")
    return parse_public_jwk(cnf["jwk"], allow_eddsa=algorithms.allows_eddsa)


def _verify_issuer_signature(
    jws: UnverifiedJws, payload: JSONObject, resolver: IssuerKeyResolver, policy: SdJwtPolicy
) -> PublicJwk:
    alg = policy.algorithms.check(jws.alg)  # §7.1 step 2.a, before any key work
    issuer = payload.get(policy.issuer_claim)
    if not isinstance(issuer, str):
        raise VerificationError(
            ErrorCode.REQUIRED_CLAIM_MISSING, f"{policy.issuer_claim} must name the issuer"
        )
    candidates = resolver.issuer_keys(issuer=issuer, kid=jws.kid)
    for key in candidates:  # every key sharing the kid is tried (HCERT §3.3.3)
        # `alg` is allowed and is this key's algorithm: all verify_jws_signature would check
        # before the signature itself, so the key verifies directly.
        if key.algorithm is alg and key.verify(jws.signature, jws.signing_input):
            return key
    raise VerificationError(ErrorCode.SIGNATURE_INVALID, "no issuer key verifies the signature")


def _check_validity(claims: JSONObject, now: int, policy: SdJwtPolicy) -> None:
    """§7.1 step 6 on the processed payload."""
    skew = policy.clock_skew_seconds
    exp = (
        numeric_date(claims, "exp")
        if policy.require_expiry
        else optional_numeric_date(claims, "exp")
    )
    if exp is not None and now >= exp + skew:
        raise VerificationError(ErrorCode.TOKEN_EXPIRED, "exp has passed")
    nbf = optional_numeric_date(claims, "nbf")
    if nbf is not None and now < nbf - skew and not policy.accept_not_yet_valid:
        raise VerificationError(ErrorCode.TOKEN_NOT_YET_VALID, "nbf is in the future")
    iat = optional_numeric_date(claims, "iat")
    if iat is not None and iat > now + skew:
        raise VerificationError(ErrorCode.TOKEN_ISSUED_IN_FUTURE, "iat is in the future")


_KB_PAYLOAD_LIMITS = JsonLimits(max_bytes=4096, max_depth=4)
_KB_JWS_LIMITS = JwsLimits(max_chars=8192)
_KB_SIGNATURE_INVALID = ErrorCode.KB_SIGNATURE_INVALID  # enum member looked up once (hot path)


def _kb_string(payload: JSONObject, name: str) -> str:
    """A required string claim of the KB-JWT (``null`` counts as missing)."""
    value = payload.get(name)
    if isinstance(value, str):
        return value
    if value is None:
        raise VerificationError(ErrorCode.REQUIRED_CLAIM_MISSING, f"KB-JWT {name} missing")
    raise FormatError(ErrorCode.MALFORMED_CLAIM, f"KB-JWT {name} is not a string")


def _verify_key_binding(
    kb_jwt: str,
    *,
    sd_hash_input: str,
    claims: JSONObject,
    policy: KeyBindingPolicy,
    now: int,
    sd_alg: SdAlg,
) -> VerifiedKeyBinding:
    """§7.3 step 5 (a)-(h)."""
    holder_key = holder_key_of(claims, algorithms=policy.algorithms)  # (a)
    jws = decode_unverified_jws(kb_jwt, limits=_KB_JWS_LIMITS)
    verify_jws_signature(  # (b), (c)
        jws, holder_key, algorithms=policy.algorithms, failure=_KB_SIGNATURE_INVALID
    )
    if jws.typ != KB_JWT_TYP:  # (d)
        raise VerificationError(ErrorCode.TYP_MISMATCH, "KB-JWT typ must be kb+jwt")
    payload = parse_json_object(jws.payload, limits=_KB_PAYLOAD_LIMITS)
    iat = numeric_date(payload, "iat")
    audience = _kb_string(payload, "aud")  # §4.3: aud is a single string
    nonce = _kb_string(payload, "nonce")
    sd_hash = _kb_string(payload, SD_HASH_KEY)
    if iat < now - policy.max_age_seconds:  # (e)
        raise VerificationError(ErrorCode.KB_TOO_OLD, "KB-JWT iat outside the window")
    if iat > now + policy.max_future_seconds:
        raise VerificationError(ErrorCode.KB_IN_FUTURE, "KB-JWT iat in the future")
    if audience != policy.audience:  # (f), exact string equality
        raise VerificationError(ErrorCode.KB_AUDIENCE_MISMATCH, "aud is another verifier")
    if policy.nonce is not None and not hmac.compare_digest(
        nonce.encode("utf-8"), policy.nonce.encode("utf-8")
    ):
        raise VerificationError(ErrorCode.KB_NONCE_MISMATCH, "nonce differs")
    expected = digest(sd_alg, sd_hash_input)  # (g)
    if not hmac.compare_digest(sd_hash.encode("ascii", "replace"), expected.encode("ascii")):
        raise VerificationError(ErrorCode.KB_SD_HASH_MISMATCH, "sd_hash does not match")
    return _new_key_binding(
        iat, audience, nonce, holder_key, hashlib.sha256(jws.signing_input).digest()
    )


def verify_sd_jwt(
    presentation: str,
    *,
    policy: SdJwtPolicy,
    issuer_keys: IssuerKeyResolver,
    now: datetime,
) -> VerifiedSdJwt:
    """Verify an SD-JWT (``policy.key_binding is None``) or SD-JWT+KB exactly per RFC 9901 §7.

    Raises:
        FormatError: for malformed input (see :mod:`furusato_vc.core.errors`).
        VerificationError: ``kb_required``, ``kb_not_expected``, ``typ_mismatch``,
            ``algorithm_not_allowed``, ``issuer_not_trusted``, ``issuer_key_unknown``,
            ``signature_invalid``, ``sd_alg_unsupported``, the Disclosure codes of
            :func:`~furusato_vc.core.sdjwt.processing.process_payload`, ``token_expired``,
            ``token_not_yet_valid``, ``token_issued_in_future``, ``required_claim_missing``,
            and the ``kb_*`` / ``holder_key_missing`` codes of Key Binding.
    """
    now_s = to_numeric_date(now)
    limits = policy.limits
    parts = split_compact(presentation, limits=limits)  # §7.1 step 1
    if policy.key_binding is None and parts.kb_jwt is not None:
        raise VerificationError(ErrorCode.KB_NOT_EXPECTED, "expected an SD-JWT without KB-JWT")
    if policy.key_binding is not None and parts.kb_jwt is None:
        raise VerificationError(ErrorCode.KB_REQUIRED, "Key Binding is required")  # §7.3 step 2
    jws = decode_unverified_jws(parts.issuer_jwt, limits=limits.jws)
    if jws.typ not in policy.accepted_typ:
        raise VerificationError(ErrorCode.TYP_MISMATCH, "unexpected typ header")
    json_limits = limits.json
    payload = parse_json_object(jws.payload, limits=json_limits)
    issuer_key = _verify_issuer_signature(jws, payload, issuer_keys, policy)  # §7.1 step 2
    sd_alg = sd_alg_of(payload)  # step 2.d
    disclosures = [parse_disclosure(d, limits=json_limits) for d in parts.disclosures]
    processed = process_payload(  # steps 3-5
        payload, disclosures, sd_alg=sd_alg, max_depth=limits.max_depth
    )
    _check_validity(processed.claims, now_s, policy)  # step 6
    key_binding = None
    if policy.key_binding is not None:
        assert parts.kb_jwt is not None
        key_binding = _verify_key_binding(
            parts.kb_jwt,
            # parts.sd_hash_input() (§4.3.1: everything up to the last `~`), sliced from the
            # presentation rather than joined again: the KB-JWT is its last component.
            sd_hash_input=presentation[: len(presentation) - len(parts.kb_jwt)],
            claims=processed.claims,
            policy=policy.key_binding,
            now=now_s,
            sd_alg=sd_alg,
        )
    return _new_verified(
        parts.issuer_jwt,
        jws.header,
        payload,
        processed.claims,
        processed.disclosed,
        issuer_key,
        key_binding,
    )
