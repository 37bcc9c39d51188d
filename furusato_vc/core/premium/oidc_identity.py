"""Identity proofing through an OpenID Connect provider of verified identity (issue 8, item 1b).

In the manner of the Digital Agency's デジタル認証アプリ (an OIDC relying-party API that issues
a per-RP pairwise ``sub``; see ``reference/domain-rules.md`` §1.3), the service verifies the
provider's ID token and keeps only derived facts (:class:`VerifiedOidcIdentity`): the method,
the date, a salted person key, the address municipality code and the birth year. The raw token,
``sub``, name and full address are never returned, so they cannot be stored by accident.

ID token validation follows OpenID Connect Core 1.0 §3.1.3.7 (steps 2-3 iss/aud, 4-5 azp, 6-8
signature with an allow-listed algorithm, 9 exp, 10 iat, 11 nonce) and RFC 8725 §3.1.

Algorithms: ES256 only, through the project's JOSE allow-list
(:mod:`furusato_vc.core.jose.algorithms`): ``none`` and HMAC cannot be allowed at all. RS256 is
not supported yet, because the JOSE core has no RSA key type; a provider that signs only with
RS256 needs that added to the core (an opt-in algorithm with its own tests) first. RSA keys in
the provider's JWKS are skipped, not rejected, so a mixed JWKS still works for ES256 tokens.

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
from typing import TYPE_CHECKING, Final

from furusato_vc.core.encoding import JsonLimits, b64url_encode, parse_json_object
from furusato_vc.core.errors import ErrorCode, FormatError, VerificationError
from furusato_vc.core.jose.algorithms import DEFAULT_ALGORITHMS, AlgorithmPolicy, JwsAlgorithm
from furusato_vc.core.jose.jwk import parse_public_jwk
from furusato_vc.core.jose.jws import JwsLimits, decode_unverified_jws, verify_jws_signature
from furusato_vc.core.jose.jwt import numeric_date, require_string, to_numeric_date
from furusato_vc.core.premium.identity_facts import IdentityFacts, IdentityMethod
from furusato_vc.core.registration.bodies import validate_body_code
from furusato_vc.core.registration.claims import JST

if TYPE_CHECKING:
    from datetime import datetime

    from furusato_vc.core.encoding import JSONObject, JSONValue
    from furusato_vc.core.jose.jwk import PublicJwk

__all__ = [
    "OidcProvider",
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


@dataclass(frozen=True, slots=True, kw_only=True)
class OidcProvider:
    """One trusted verified-identity provider, configured by the deployment.

    ``jwks`` are the provider's current keys (fetched and cached at the edge, passed in here).
    ``max_token_age`` bounds ``iat``: the token must have been issued for this login.
    """

    issuer: str
    client_id: str
    jwks: tuple[PublicJwk, ...]
    algorithms: AlgorithmPolicy = DEFAULT_ALGORITHMS
    clock_skew: timedelta = timedelta(seconds=60)
    max_token_age: timedelta = timedelta(minutes=10)
    address_code_claim: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.issuer or not self.client_id:
            raise ValueError("issuer and client_id must not be empty")
        if not self.jwks:
            raise ValueError("the provider needs at least one key")
        if self.algorithms.allowed != frozenset({JwsAlgorithm.ES256}):
            # EdDSA ID tokens are not expected from these providers; keep the surface small.
            raise ValueError("only ES256 is supported for ID tokens")
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


def parse_provider_jwks(value: JSONValue) -> tuple[PublicJwk, ...]:
    """The ES256 verification keys of a provider's JWKS document (RFC 7517 §5).

    Keys of other types (RSA, OKP) and keys marked for encryption are skipped; a P-256 key that
    is malformed is an error, never skipped.

    Raises:
        FormatError: ``malformed_jwk`` if the document is not ``{"keys": [...]}``, has more than
            32 keys, holds a malformed P-256 key, or no usable key at all.
    """
    if not isinstance(value, dict) or not isinstance(value.get("keys"), list):
        raise FormatError(ErrorCode.MALFORMED_JWK, "a JWKS is an object with a keys array")
    entries = value["keys"]
    assert isinstance(entries, list)
    if len(entries) > _MAX_JWKS_KEYS:
        raise FormatError(ErrorCode.MALFORMED_JWK, "too many keys in the JWKS")
    keys: list[PublicJwk] = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise FormatError(ErrorCode.MALFORMED_JWK, "JWKS entry is not an object")
        if entry.get("kty") != "EC" or entry.get("crv") != "P-256" or entry.get("use") == "enc":
            continue
        keys.append(parse_public_jwk(entry))
    if not keys:
        raise FormatError(ErrorCode.MALFORMED_JWK, "no ES256 key in the JWKS")
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
        VerificationError: ``algorithm_not_allowed`` (anything but ES256, incl. ``none`` and
            HMAC); ``issuer_key_unknown`` (no provider key for the header's ``kid``);
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
    provider.algorithms.check(jws.alg)  # before any key lookup (RFC 8725 §3.1)
    verify_jws_signature(jws, _select_key(provider, jws.kid), algorithms=provider.algorithms)
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


def _select_key(provider: OidcProvider, kid: str | None) -> PublicJwk:
    if kid is None:
        if len(provider.jwks) == 1:
            return provider.jwks[0]
        raise VerificationError(ErrorCode.ISSUER_KEY_UNKNOWN, "no kid and several provider keys")
    for key in provider.jwks:
        if key.kid == kid:
            return key
    raise VerificationError(ErrorCode.ISSUER_KEY_UNKNOWN, "no provider key with this kid")


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
