"""The ``Signer`` protocol: anything that can produce a JOSE signature with a key it holds.

Issuer keys may later live in an HSM and holder keys in a phone's secure enclave; callers only
ever see this protocol, never private key objects.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from furusato_vc.core.jose.jwk import PrivateKey, PublicJwk, public_jwk_from_key

if TYPE_CHECKING:
    from furusato_vc.core.jose.algorithms import JwsAlgorithm

__all__ = ["Signer", "SoftwareSigner"]


@runtime_checkable
class Signer(Protocol):
    """Signs JWS signing input; returns the JOSE signature bytes (ES256: 64-byte ``r || s``)."""

    @property
    def algorithm(self) -> JwsAlgorithm: ...

    @property
    def public_jwk(self) -> PublicJwk:
        """The public key, with ``kid`` set when the key has one."""
        ...

    def sign(self, message: bytes) -> bytes: ...


class SoftwareSigner:
    """A :class:`Signer` over an in-memory ``cryptography`` private key."""

    __slots__ = ("_algorithm", "_key", "_public")

    def __init__(self, key: PrivateKey, *, kid: str | None = None) -> None:
        self._key = key
        self._public = public_jwk_from_key(key.public_key(), kid=kid)
        self._algorithm = self._public.algorithm

    @property
    def algorithm(self) -> JwsAlgorithm:
        return self._algorithm

    @property
    def public_jwk(self) -> PublicJwk:
        return self._public

    def sign(self, message: bytes) -> bytes:
        key = self._key
        if isinstance(key, ec.EllipticCurvePrivateKey):
            r, s = decode_dss_signature(key.sign(message, ec.ECDSA(hashes.SHA256())))
            return r.to_bytes(32, "big") + s.to_bytes(32, "big")
        if isinstance(key, ed25519.Ed25519PrivateKey):
            return key.sign(message)
        raise TypeError("unsupported key type")  # pragma: no cover
