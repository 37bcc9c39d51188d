"""Stateless sealed values: ``c_nonce`` (§7), access tokens (§6.2) and pre-authorized codes
(§4.1.1) that any replica of a horizontally scaled issuer can check without a database row.

A sealed value is ``base64url(body || HMAC-SHA256(k_purpose, body))`` where ::

    body      = version (1 byte, 1) || exp (8 bytes, big-endian seconds)
                || id (16 random bytes) || payload (compact JSON object, UTF-8)
    k_purpose = HMAC-SHA256(secret, "furusato-vc/oid4vci/sealed/v1" || 0x00 || purpose)

Deriving the key from ``purpose`` binds the purpose into every MAC, so a nonce never opens as
an access token even when both share a secret. Several secrets may be configured for rotation:
the first seals, all open. Values are *integrity*-protected, not encrypted: the bearer can read
the payload, so it must hold nothing the bearer may not see.

Stateless means "not single use": a value opens until it expires. Where the protocol demands
single use (the pre-authorized code, §4.1.1), the caller records :attr:`OpenedValue.token_id`
until :attr:`OpenedValue.expires_at` and refuses a second use.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from furusato_vc.core.encoding import (
    JsonLimits,
    b64url_decode,
    b64url_encode,
    dumps_compact,
    parse_json_object,
)
from furusato_vc.core.errors import ErrorCode, ErrorFamily, FormatError, VerificationError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from furusato_vc.core.encoding import JSONObject, JSONValue
    from furusato_vc.core.randomness import RandomSource

__all__ = [
    "MAX_ACCESS_TOKEN_LIFETIME",
    "AccessGrant",
    "AccessTokenCodec",
    "NonceCodec",
    "OpenedValue",
    "PreAuthorizedCodeCodec",
    "SealedCodec",
    "VerifiedGrant",
]

MIN_SECRET_BYTES: Final = 32
MAX_SEALED_CHARS: Final = 4096
MAX_PAYLOAD_BYTES: Final = 2048
# §13.10: access tokens living longer than 5 minutes must be sender-constrained; ours are
# bearer tokens, so they never live longer.
MAX_ACCESS_TOKEN_LIFETIME: Final = 300

_VERSION: Final = 1
_ID_BYTES: Final = 16
_MAC_BYTES: Final = 32
_PREFIX_BYTES: Final = 1 + 8 + _ID_BYTES
_KDF_LABEL: Final = b"furusato-vc/oid4vci/sealed/v1\x00"
_PAYLOAD_LIMITS = JsonLimits(max_bytes=MAX_PAYLOAD_BYTES, max_depth=4)


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenedValue:
    """A sealed value whose MAC and expiry were checked."""

    payload: JSONObject
    expires_at: int
    token_id: str  # base64url of the 16 random bytes: the key for a single-use ledger


def _is_secret(value: object) -> bool:
    return isinstance(value, bytes) and len(value) >= MIN_SECRET_BYTES


class SealedCodec:
    """Seal and open MAC-protected, expiring JSON objects for one ``purpose``.

    ``failure`` is the verification code every rejection carries (``access_token_invalid``,
    ``proof_nonce_invalid`` …), so callers map it to the right OAuth error without looking
    at why the value was refused.
    """

    __slots__ = ("_failure", "_keys", "_max_lifetime")

    def __init__(
        self,
        secrets: Sequence[bytes],
        *,
        purpose: str,
        failure: ErrorCode,
        max_lifetime: int = 86_400,
    ) -> None:
        given: object = secrets  # callers outside mypy pass a lone bytes value by mistake
        if isinstance(given, bytes | bytearray | str) or not secrets:
            raise TypeError("secrets must be a non-empty sequence of byte strings")
        if not all(_is_secret(s) for s in secrets):
            raise ValueError(f"every secret must be at least {MIN_SECRET_BYTES} bytes")
        if not purpose or not purpose.isascii() or not purpose.isprintable():
            raise ValueError("purpose must be non-empty printable ASCII")
        if failure.family is not ErrorFamily.VERIFICATION:
            raise ValueError("failure must be a verification code")
        if max_lifetime <= 0:
            raise ValueError("max_lifetime must be positive")
        label = _KDF_LABEL + purpose.encode("ascii")
        self._keys = tuple(hmac.digest(secret, label, "sha256") for secret in secrets)
        self._failure = failure
        self._max_lifetime = max_lifetime

    def seal(
        self, payload: Mapping[str, JSONValue], *, now: int, lifetime: int, random: RandomSource
    ) -> str:
        """Seal ``payload`` until ``now + lifetime`` (exclusive).

        Raises:
            ValueError: a lifetime outside ``1..max_lifetime``, a negative ``now``, or a
                payload over 2 KiB of JSON.
        """
        if not 0 < lifetime <= self._max_lifetime:
            raise ValueError(f"lifetime must be 1..{self._max_lifetime} seconds")
        if now < 0:
            raise ValueError("now must be a NumericDate")
        token_id = random.token_bytes(_ID_BYTES)
        if len(token_id) != _ID_BYTES:
            raise ValueError("the random source returned the wrong number of bytes")
        data = dumps_compact(dict(payload)).encode("utf-8")
        if len(data) > MAX_PAYLOAD_BYTES:
            raise ValueError("payload is too large to seal")
        body = bytes([_VERSION]) + (now + lifetime).to_bytes(8, "big") + token_id + data
        return b64url_encode(body + hmac.digest(self._keys[0], body, "sha256"))

    def open(self, token: object, *, now: int) -> OpenedValue:
        """Check the MAC under every configured secret, then the expiry.

        Raises:
            VerificationError: the configured ``failure`` code for a value that is not a
                string, too long, not base64url, too short, forged or altered in any bit,
                sealed for another purpose or with an unknown secret, of an unknown version,
                or expired (``now >= exp``).
        """
        if not isinstance(token, str) or len(token) > MAX_SEALED_CHARS:
            raise self._reject("not a sealed value")
        try:
            raw = b64url_decode(token)
        except FormatError:
            raise self._reject("not base64url") from None
        if len(raw) < _PREFIX_BYTES + _MAC_BYTES:
            raise self._reject("too short")
        body, mac = raw[:-_MAC_BYTES], raw[-_MAC_BYTES:]
        valid = False
        for key in self._keys:  # no early exit: the time taken does not depend on which key
            valid |= hmac.compare_digest(hmac.digest(key, body, "sha256"), mac)
        if not valid:
            raise self._reject("MAC does not verify")
        if body[0] != _VERSION:
            raise self._reject("unknown version")
        expires_at = int.from_bytes(body[1:9], "big")
        if now >= expires_at:
            raise self._reject("expired")
        try:
            payload = parse_json_object(body[_PREFIX_BYTES:], limits=_PAYLOAD_LIMITS)
        except FormatError:
            raise self._reject("payload is not a JSON object") from None
        return OpenedValue(
            payload=payload,
            expires_at=expires_at,
            token_id=b64url_encode(body[9:_PREFIX_BYTES]),
        )

    def _reject(self, detail: str) -> VerificationError:
        return VerificationError(self._failure, detail)


class NonceCodec:
    """``c_nonce`` values for the Nonce Endpoint (§7.2) and the check a proof's ``nonce``
    must pass (Appendix F.4). Fresh random bytes in every nonce make them unpredictable
    (§7.2); each is accepted until it expires (§13.8 leaves the lifetime to the issuer)."""

    __slots__ = ("_codec", "_lifetime")

    def __init__(self, secrets: Sequence[bytes], *, lifetime: int = 300) -> None:
        self._codec = SealedCodec(
            secrets,
            purpose="oid4vci c_nonce",
            failure=ErrorCode.PROOF_NONCE_INVALID,
            max_lifetime=3600,
        )
        if not 0 < lifetime <= 3600:
            raise ValueError("nonce lifetime must be 1..3600 seconds")
        self._lifetime = lifetime

    @property
    def lifetime(self) -> int:
        return self._lifetime

    def create_nonce(self, *, now: int, random: RandomSource) -> str:
        return self._codec.seal({}, now=now, lifetime=self._lifetime, random=random)

    def verify_nonce(self, nonce: object, *, now: int) -> None:
        """Accept a ``c_nonce`` this issuer made and that has not expired.

        Raises:
            VerificationError: ``proof_nonce_invalid`` for a forged, foreign or expired nonce.
        """
        self._codec.open(nonce, now=now)

    def nonce_check(self, *, now: int) -> Callable[[str], None]:
        """The ``nonce_check`` argument of :func:`~furusato_vc.core.oid4vci.verify_proof_jwt`."""

        def check(nonce: str) -> None:
            self.verify_nonce(nonce, now=now)

        return check


@dataclass(frozen=True, slots=True, kw_only=True)
class AccessGrant:
    """What a pre-authorized code or an access token allows: credentials of these
    configurations for one registration at one issuing body (§6.1: "an Access Token valid
    only for the Credentials indicated in the Credential Offer")."""

    registration_id: str
    body_code: str
    credential_configuration_ids: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.registration_id or not self.body_code:
            raise ValueError("registration_id and body_code must be non-empty")
        ids: object = self.credential_configuration_ids
        if not isinstance(ids, tuple) or not ids or not all(isinstance(i, str) for i in ids):
            raise ValueError("credential_configuration_ids must be a non-empty tuple of str")


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifiedGrant:
    grant: AccessGrant
    expires_at: int
    token_id: str


# Payload member names: short, since access tokens travel in every Credential Request.
_REGISTRATION: Final = "r"
_BODY: Final = "b"
_CONFIGURATIONS: Final = "c"


class _GrantCodec:
    __slots__ = ("_codec", "_failure", "_lifetime")

    def __init__(
        self,
        secrets: Sequence[bytes],
        *,
        purpose: str,
        failure: ErrorCode,
        lifetime: int,
        max_lifetime: int,
    ) -> None:
        if not 0 < lifetime <= max_lifetime:
            raise ValueError(f"lifetime must be 1..{max_lifetime} seconds")
        self._codec = SealedCodec(
            secrets, purpose=purpose, failure=failure, max_lifetime=max_lifetime
        )
        self._failure = failure
        self._lifetime = lifetime

    @property
    def lifetime(self) -> int:
        return self._lifetime

    def _create(self, grant: AccessGrant, *, now: int, random: RandomSource) -> str:
        payload: JSONObject = {
            _REGISTRATION: grant.registration_id,
            _BODY: grant.body_code,
            _CONFIGURATIONS: list(grant.credential_configuration_ids),
        }
        return self._codec.seal(payload, now=now, lifetime=self._lifetime, random=random)

    def _verify(self, token: object, *, now: int) -> VerifiedGrant:
        opened = self._codec.open(token, now=now)
        registration = opened.payload.get(_REGISTRATION)
        body = opened.payload.get(_BODY)
        ids = opened.payload.get(_CONFIGURATIONS)
        if (
            not isinstance(registration, str)
            or not registration
            or not isinstance(body, str)
            or not body
            or not isinstance(ids, list)
            or not ids
            or not all(isinstance(i, str) for i in ids)
        ):
            raise VerificationError(self._failure, "sealed grant has an unexpected shape")
        grant = AccessGrant(
            registration_id=registration,
            body_code=body,
            credential_configuration_ids=tuple(str(i) for i in ids),
        )
        return VerifiedGrant(grant=grant, expires_at=opened.expires_at, token_id=opened.token_id)


class AccessTokenCodec(_GrantCodec):
    """Bearer access tokens (§6.2) sealing an :class:`AccessGrant`; at most 300 s (§13.10)."""

    __slots__ = ()

    def __init__(
        self, secrets: Sequence[bytes], *, lifetime: int = MAX_ACCESS_TOKEN_LIFETIME
    ) -> None:
        super().__init__(
            secrets,
            purpose="oid4vci access_token",
            failure=ErrorCode.ACCESS_TOKEN_INVALID,
            lifetime=lifetime,
            max_lifetime=MAX_ACCESS_TOKEN_LIFETIME,
        )

    def create_access_token(self, grant: AccessGrant, *, now: int, random: RandomSource) -> str:
        return self._create(grant, now=now, random=random)

    def verify_access_token(self, token: object, *, now: int) -> VerifiedGrant:
        """The grant sealed in a Bearer token from the ``Authorization`` header (RFC 6750 §2.1).

        Raises:
            VerificationError: ``access_token_invalid`` (forged, foreign, altered or expired).
        """
        return self._verify(token, now=now)


class PreAuthorizedCodeCodec(_GrantCodec):
    """Pre-authorized codes (§4.1.1, "short lived and single use") sealing an
    :class:`AccessGrant`. Single use is the caller's part: record
    :attr:`VerifiedGrant.token_id` until :attr:`VerifiedGrant.expires_at`."""

    __slots__ = ()

    def __init__(self, secrets: Sequence[bytes], *, lifetime: int = 600) -> None:
        super().__init__(
            secrets,
            purpose="oid4vci pre-authorized_code",
            failure=ErrorCode.PRE_AUTHORIZED_CODE_INVALID,
            lifetime=lifetime,
            max_lifetime=86_400,
        )

    def create_code(self, grant: AccessGrant, *, now: int, random: RandomSource) -> str:
        return self._create(grant, now=now, random=random)

    def verify_code(self, code: object, *, now: int) -> VerifiedGrant:
        """The grant sealed in a pre-authorized code; check single use with ``token_id``.

        Raises:
            VerificationError: ``pre_authorized_code_invalid`` (forged, altered or expired).
        """
        return self._verify(code, now=now)
