"""Identity proofing through an OpenID Connect provider of verified identity (issue 8, item 1b).

In the manner of the Digital Agency's デジタル認証アプリ (an OIDC relying-party API that issues
a per-RP pairwise ``sub``; see ``reference/domain-rules.md`` §1.3), the service verifies the
provider's ID token and keeps only derived facts (:class:`VerifiedOidcIdentity`): the method,
the date, a salted person key, the address municipality code and the birth year. The raw token,
``sub``, name and full address are never returned, so they cannot be stored by accident.

ID token validation follows OpenID Connect Core 1.0 §3.1.3.7 (steps 2-3 iss/aud, 4-5 azp, 6-8
signature with an allow-listed algorithm, 9 exp, 10 iat, 11 nonce) and RFC 8725 §3.1.

Algorithms: each provider has an explicit set (:attr:`OidcProvider.algorithms`), ES256 by
default. RS256 is opt-in per provider and exists only here, for ID tokens
(:mod:`furusato_vc.core.premium.rsa_jwk`): the JOSE core and its allow-list for credentials stay
ES256. ``none``, HMAC and every other ``alg`` are not in :class:`IdTokenAlgorithm`, so no
provider can allow them (RFC 8725 §3.1, §3.2). The header's ``alg`` is checked against the
provider's set before any key is looked up, and must then fit the key type selected by ``kid``
(an RS256 header never uses an EC key, nor ES256 an RSA key). Keys come only from the configured
JWKS, never from the token (``jwk``, ``jku``, ``x5c``, ``x5u`` are ignored).

Address: the OIDC ``address`` claim (Core §5.1.1) is free text and has no municipality code.
A provider may give a structured claim with the 6-digit 全国地方公共団体コード; name its path in
:attr:`OidcProvider.address_code_claim` (e.g. ``("address", "municipality_code")``). Without it
the address municipality is ``None`` and the 住所地 rule fails closed.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Final

from furusato_vc.core.encoding import JsonLimits, b64url_encode, parse_json_object
from furusato_vc.core.errors import ErrorCode, FormatError, VerificationError
from furusato_vc.core.jose.algorithms import JwsAlgorithm
from furusato_vc.core.jose.jwk import PublicJwk, parse_public_jwk
from furusato_vc.core.jose.jws import JwsLimits, decode_unverified_jws
from furusato_vc.core.jose.jwt import numeric_date, require_string, to_numeric_date
from furusato_vc.core.premium.identity_facts import IdentityFacts, IdentityMethod
from furusato_vc.core.premium.rsa_jwk import RsaPublicJwk, parse_rsa_public_jwk
from furusato_vc.core.registration.bodies import validate_body_code
from furusato_vc.core.registration.claims import JST

if TYPE_CHECKING:
    from datetime import datetime

    from furusato_vc.core.encoding import JSONObject, JSONValue
    from furusato_vc.core.jose.jws import UnverifiedJws

__all__ = [
    "IdTokenAlgorithm",
    "OidcProvider",
    "ProviderKey",
    "VerifiedOidcIdentity",
    "derive_person_key",
    "parse_provider_jwks",
    "verify_id_token",
]

MIN_PERSON_KEY_SECRET_BYTES: Final = 32
_MAX_JWKS_KEYS: Final = 32
_MAX_SUB_CHARS: Final = 255  # OIDC Core §2: sub MUST NOT exceed 255 ASCII characters
_PAYLOAD_LIMITS: Final = JsonLimits(max_bytes=16 * 1024, max_depth=6)
_BIRTHDATE = re.compile(r"(\d{4})(?:-(\d{2})-(\d{2}))?")


class IdTokenAlgorithm(StrEnum):
    """The JWS algorithms an ID token may use (RFC 7518 §3.1); a provider allows a subset."""

    ES256 = "ES256"
    RS256 = "RS256"  # opt-in per provider; RSA keys of at least 2048 bits


ProviderKey = PublicJwk | RsaPublicJwk
"""A provider verification key: EC P-256 (ES256) or RSA (RS256)."""

_ES256_ONLY: Final = frozenset({IdTokenAlgorithm.ES256})


@dataclass(frozen=True, slots=True, kw_only=True)
class OidcProvider:
    """One trusted verified-identity provider, configured by the deployment.

    ``jwks`` are the provider's current keys (fetched and cached at the edge, parsed with
    :func:`parse_provider_jwks` and passed in here). ``algorithms`` is the set of ID-token
    ``alg`` values accepted from this provider: ES256 only by default; add
    :attr:`IdTokenAlgorithm.RS256` for a provider that signs with RSA.
    ``max_token_age`` bounds ``iat``: the token must have been issued for this login.
    """

    issuer: str
    client_id: str
    jwks: tuple[ProviderKey, ...]
    algorithms: frozenset[IdTokenAlgorithm] = _ES256_ONLY
    clock_skew: timedelta = timedelta(seconds=60)
    max_token_age: timedelta = timedelta(minutes=10)
    address_code_claim: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.issuer or not self.client_id:
            raise ValueError("issuer and client_id must not be empty")
        if not self.jwks:
            raise ValueError("the provider needs at least one key")
        algorithms: object = self.algorithms  # callers of the ES256-only API passed a policy
        if (
            not isinstance(algorithms, frozenset)
            or not algorithms
            or not all(isinstance(alg, IdTokenAlgorithm) for alg in algorithms)
        ):
            # EdDSA ID tokens are not expected from these providers; keep the surface small.
            raise ValueError("algorithms is a non-empty set of IdTokenAlgorithm (ES256, RS256)")
        if not all(isinstance(key, PublicJwk | RsaPublicJwk) for key in self.jwks):
            raise ValueError("provider keys are PublicJwk (P-256) or RsaPublicJwk")
        if not any(_fits(key, alg) for key in self.jwks for alg in self.algorithms):
            raise ValueError("no provider key for an allowed algorithm")
        if not timedelta(0) <= self.clock_skew <= timedelta(minutes=5):
            raise ValueError("clock_skew must be 0-5 minutes")
        if not timedelta(0) < self.max_token_age <= timedelta(hours=1):
            raise ValueError("max_token_age must be at most one hour")
        if len(self.address_code_claim) > 3 or not all(self.address_code_claim):
            raise ValueError("address_code_claim is a path of at most 3 non-empty names")


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifiedOidcIdentity:
    """The derived facts of one verified ID token; nothing else of the token is kept.

    ``person_key`` is HMAC-SHA-256(secret, iss + NUL + sub), base64url: stable for one person
    at one provider, unlinkable without the secret.
    """

    person_key: str
    facts: IdentityFacts


def derive_person_key(*, secret: bytes, issuer: str, subject: str) -> str:
    """The salted person key for a provider's pairwise ``sub`` (HMAC-SHA-256, base64url)."""
    if len(secret) < MIN_PERSON_KEY_SECRET_BYTES:
        raise ValueError(
            f"the person-key secret must be at least {MIN_PERSON_KEY_SECRET_BYTES} bytes"
        )
    message = issuer.encode("utf-8") + b"\x00" + subject.encode("utf-8")
    return b64url_encode(hmac.new(secret, message, hashlib.sha256).digest())


def parse_provider_jwks(
    value: JSONValue, *, algorithms: frozenset[IdTokenAlgorithm] = _ES256_ONLY
) -> tuple[ProviderKey, ...]:
    """The verification keys of a provider's JWKS document (RFC 7517 §5) for ``algorithms``.

    P-256 keys are read when ES256 is allowed, RSA keys when RS256 is (pass the provider's
    ``algorithms``). Keys of other types (OKP, or RSA for an ES256-only provider), keys marked
    for encryption (``use: enc``) and RSA keys whose ``alg`` names another algorithm (PS256,
    RS512 …) are skipped; a key that would be used but is malformed is an error, never skipped,
    and so is an RSA key under 2048 bits.

    Raises:
        FormatError: ``malformed_jwk`` if the document is not ``{"keys": [...]}``, has more than
            32 keys, holds a malformed P-256 or RSA key (see
            :func:`~furusato_vc.core.premium.rsa_jwk.parse_rsa_public_jwk`), or no usable key at
            all.
    """
    if not isinstance(value, dict) or not isinstance(value.get("keys"), list):
        raise FormatError(ErrorCode.MALFORMED_JWK, "a JWKS is an object with a keys array")
    entries = value["keys"]
    assert isinstance(entries, list)
    if len(entries) > _MAX_JWKS_KEYS:
        raise FormatError(ErrorCode.MALFORMED_JWK, "too many keys in the JWKS")
    keys: list[ProviderKey] = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise FormatError(ErrorCode.MALFORMED_JWK, "JWKS entry is not an object")
        if entry.get("use") == "enc":
            continue
        kty = entry.get("kty")
        if IdTokenAlgorithm.ES256 in algorithms and kty == "EC" and entry.get("crv") == "P-256":
            keys.append(parse_public_jwk(entry))
        elif IdTokenAlgorithm.RS256 in algorithms and kty == "RSA":
            if entry.get("alg", IdTokenAlgorithm.RS256.value) != IdTokenAlgorithm.RS256.value:
                continue  # RFC 7517 §4.4: a key for another algorithm
            keys.append(parse_rsa_public_jwk(entry))
    if not keys:
        raise FormatError(ErrorCode.MALFORMED_JWK, "no key for the allowed algorithms")
    return tuple(keys)


def verify_id_token(
    id_token: str,
    *,
    provider: OidcProvider,
    nonce: str,
    now: datetime,
    person_key_secret: bytes,
) -> VerifiedOidcIdentity:
    """Verify an ID token from ``provider`` for the login that sent ``nonce``.

    The verified date is ``now``'s calendar date in JST.

    Raises:
        FormatError: ``input_too_large``, ``malformed_jws``, ``malformed_jws_header`` and the
            JSON codes for a token that is not a compact JWS with a JSON object payload;
            ``malformed_claim`` for a NumericDate or string claim of the wrong type.
        VerificationError: ``algorithm_not_allowed`` (an ``alg`` outside the provider's set,
            incl. ``none`` and HMAC always, or one that does not fit the key named by ``kid``);
            ``issuer_key_unknown`` (no provider key for the header's ``kid``, or no ``kid``
            with several provider keys, OIDC Core §10.1);
            ``signature_invalid``; ``required_claim_missing`` (``iss``, ``sub``, ``aud``,
            ``exp``, ``iat``, ``nonce``); ``id_token_invalid`` (wrong ``iss``, empty or
            over-long ``sub``, wrong ``azp``, malformed ``birthdate`` or address code);
            ``id_token_audience_mismatch``; ``id_token_expired`` (``exp`` passed, or ``iat``
            older than ``max_token_age``); ``token_issued_in_future``;
            ``id_token_nonce_mismatch``.
    """
    if not nonce:
        raise ValueError("nonce must not be empty")
    jws = decode_unverified_jws(id_token, limits=JwsLimits(max_chars=32 * 1024))
    _verify_signature(jws, provider)
    claims = parse_json_object(jws.payload, limits=_PAYLOAD_LIMITS)

    issuer = require_string(claims, "iss")
    if issuer != provider.issuer:
        raise VerificationError(ErrorCode.ID_TOKEN_INVALID, "iss is not the provider")
    _check_audience(claims, provider.client_id)
    _check_times(claims, provider, now)
    token_nonce = require_string(claims, "nonce")
    if not hmac.compare_digest(token_nonce.encode("utf-8"), nonce.encode("utf-8")):
        raise VerificationError(ErrorCode.ID_TOKEN_NONCE_MISMATCH, "nonce differs")
    subject = require_string(claims, "sub")
    if not subject or len(subject) > _MAX_SUB_CHARS or not subject.isascii():
        raise VerificationError(ErrorCode.ID_TOKEN_INVALID, "sub is empty or not 1-255 ASCII")

    facts = IdentityFacts(
        method=IdentityMethod.OIDC,
        verified_on=now.astimezone(JST).date(),
        address_municipality_code=_address_code(claims, provider.address_code_claim),
        birth_year=_birth_year(claims),
    )
    person_key = derive_person_key(secret=person_key_secret, issuer=issuer, subject=subject)
    return VerifiedOidcIdentity(person_key=person_key, facts=facts)


def _verify_signature(jws: UnverifiedJws, provider: OidcProvider) -> None:
    # RFC 8725 §3.1: the alg is checked against the provider's allow-list before any key is
    # looked up; StrEnum equality is exact and case-sensitive ("rs256" is not RS256).
    alg = next((a for a in provider.algorithms if jws.alg == a), None)
    if alg is None:
        raise VerificationError(ErrorCode.ALGORITHM_NOT_ALLOWED, "alg not allowed for provider")
    keys = [key for key in _keys_for(provider, jws.kid) if _fits(key, alg)]
    if not keys:  # RFC 8725 §3.1: each key is used with exactly one algorithm
        raise VerificationError(ErrorCode.ALGORITHM_NOT_ALLOWED, "alg does not match the key")
    # Several keys with one kid: try each (security catalogue J-8).
    if not any(key.verify(jws.signature, jws.signing_input) for key in keys):
        raise VerificationError(ErrorCode.SIGNATURE_INVALID, "signature does not verify")


def _keys_for(provider: OidcProvider, kid: str | None) -> list[ProviderKey]:
    if kid is None:
        # OIDC Core §10.1: with several keys in the JWKS, a kid MUST be provided
        if len(provider.jwks) == 1:
            return [provider.jwks[0]]
        raise VerificationError(ErrorCode.ISSUER_KEY_UNKNOWN, "no kid and several provider keys")
    keys = [key for key in provider.jwks if key.kid == kid]
    if not keys:
        raise VerificationError(ErrorCode.ISSUER_KEY_UNKNOWN, "no provider key with this kid")
    return keys


def _fits(key: ProviderKey, alg: IdTokenAlgorithm) -> bool:
    if alg is IdTokenAlgorithm.RS256:
        return isinstance(key, RsaPublicJwk)
    return isinstance(key, PublicJwk) and key.algorithm is JwsAlgorithm.ES256


def _check_audience(claims: JSONObject, client_id: str) -> None:
    if "aud" not in claims:
        raise VerificationError(ErrorCode.REQUIRED_CLAIM_MISSING, "aud is required")
    aud = claims["aud"]
    audiences: list[str]
    if isinstance(aud, str):
        audiences = [aud]
    elif isinstance(aud, list) and aud and all(isinstance(a, str) for a in aud):
        audiences = [a for a in aud if isinstance(a, str)]
    else:
        raise FormatError(ErrorCode.MALFORMED_CLAIM, "aud is not a string or string array")
    if client_id not in audiences:
        raise VerificationError(ErrorCode.ID_TOKEN_AUDIENCE_MISMATCH, "aud does not name us")
    # Core §3.1.3.7 steps 4-5: several audiences need azp, and azp must be us.
    if ("azp" in claims or len(audiences) > 1) and claims.get("azp") != client_id:
        raise VerificationError(ErrorCode.ID_TOKEN_INVALID, "azp is missing or not us")


def _check_times(claims: JSONObject, provider: OidcProvider, now: datetime) -> None:
    current = to_numeric_date(now)
    skew = int(provider.clock_skew.total_seconds())
    exp = numeric_date(claims, "exp")
    iat = numeric_date(claims, "iat")
    if current >= exp + skew:
        raise VerificationError(ErrorCode.ID_TOKEN_EXPIRED, "exp has passed")
    if iat > current + skew:
        raise VerificationError(ErrorCode.TOKEN_ISSUED_IN_FUTURE, "iat is in the future")
    if current - iat > int(provider.max_token_age.total_seconds()) + skew:
        raise VerificationError(ErrorCode.ID_TOKEN_EXPIRED, "iat is older than max_token_age")


def _birth_year(claims: JSONObject) -> int | None:
    # OIDC Core §5.1: YYYY-MM-DD, or YYYY alone; 0000 means the year is withheld.
    if "birthdate" not in claims:
        return None
    value = claims["birthdate"]
    match = _BIRTHDATE.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise VerificationError(ErrorCode.ID_TOKEN_INVALID, "birthdate is malformed")
    year = int(match.group(1))
    if year == 0:
        return None
    if year < 1800:
        raise VerificationError(ErrorCode.ID_TOKEN_INVALID, "birthdate year out of range")
    return year


def _address_code(claims: JSONObject, path: tuple[str, ...]) -> str | None:
    if not path:
        return None
    value: JSONValue = claims
    for name in path:
        if not isinstance(value, dict) or name not in value:
            return None
        value = value[name]
    if not isinstance(value, str):
        raise VerificationError(ErrorCode.ID_TOKEN_INVALID, "address code is not a string")
    try:
        return validate_body_code(value)
    except FormatError as exc:
        raise VerificationError(ErrorCode.ID_TOKEN_INVALID, "address code is malformed") from exc
