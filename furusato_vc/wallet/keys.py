"""Holder keys: the :class:`KeyStore` protocol and :class:`SoftwareKeyStore`.

Every credential copy is bound to its own ES256 key (``cnf``), so that two verifiers shown two
copies cannot link them by key. Callers only ever get a :class:`~furusato_vc.core.jose.Signer`
for a key id, never the private key: a phone's secure enclave (or an HSM) implements the same
protocol with keys that never leave it.

A key id is the RFC 7638 §3 JWK thumbprint (SHA-256, base64url) of the public key: stable,
computable by anyone holding the credential, and free of any other information.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, Protocol, runtime_checkable

from cryptography.hazmat.primitives.asymmetric import ec

from furusato_vc.core.errors import ErrorCode, FormatError, StorageError
from furusato_vc.core.jose.jwk import (
    generate_es256_private_key,
    parse_private_jwk,
    private_jwk,
    public_jwk_from_key,
)
from furusato_vc.core.jose.signer import Signer, SoftwareSigner

if TYPE_CHECKING:
    from furusato_vc.core.encoding import JSONObject, JSONValue

__all__ = ["KeyStore", "SoftwareKeyStore"]

STATE_KEYS: Final = "keys"
# RFC 7518 §6.2.1 and §6.2.2.1: exactly the members of a P-256 private JWK as exported
_PRIVATE_JWK_MEMBERS: Final = frozenset({"kty", "crv", "x", "y", "d"})


@runtime_checkable
class KeyStore(Protocol):
    """Holds the wallet's holder keys (ES256, P-256)."""

    def create_key(self) -> str:
        """Generate a new ES256 key; return its key id (RFC 7638 thumbprint)."""
        ...

    def signer(self, key_id: str) -> Signer:
        """A signer for the key.

        Raises:
            StorageError: ``wallet_key_unavailable`` if the store has no such key.
        """
        ...

    def delete_key(self, key_id: str) -> None:
        """Destroy the key (deleting an unknown key does nothing)."""
        ...

    def key_ids(self) -> tuple[str, ...]:
        """The ids of the keys held, oldest first."""
        ...


def _corrupt(detail: str) -> StorageError:
    return StorageError(ErrorCode.WALLET_STORE_CORRUPT, detail)


def _key_id(key: ec.EllipticCurvePrivateKey) -> str:
    return public_jwk_from_key(key.public_key()).thumbprint()


class SoftwareKeyStore:
    """A :class:`KeyStore` with the keys in process memory. It is persisted by the wallet:
    :meth:`export_state` goes into the wallet state, which an encrypted
    :class:`~furusato_vc.wallet.storage.EncryptedFileStorage` keeps at rest. New keys come from
    the operating system's CSPRNG (via OpenSSL). Signers carry no ``kid``: the key is named by
    its thumbprint in ``cnf``, and a ``kid`` would only add a handle to a JWS header."""

    __slots__ = ("_keys",)

    def __init__(self) -> None:
        self._keys: dict[str, ec.EllipticCurvePrivateKey] = {}

    def __repr__(self) -> str:
        return f"SoftwareKeyStore({len(self._keys)} keys)"  # never the key material

    def create_key(self) -> str:
        key = generate_es256_private_key()
        key_id = _key_id(key)
        self._keys[key_id] = key
        return key_id

    def signer(self, key_id: str) -> Signer:
        """A signer for the key (its ``public_jwk`` has no ``kid``).

        Raises:
            StorageError: ``wallet_key_unavailable`` if the store has no such key.
        """
        key = self._keys.get(key_id)
        if key is None:
            raise StorageError(ErrorCode.WALLET_KEY_UNAVAILABLE, "no holder key with this id")
        return SoftwareSigner(key)

    def delete_key(self, key_id: str) -> None:
        # Idempotent: clean-up paths (keys of a failed issuance) call it unconditionally.
        self._keys.pop(key_id, None)

    def key_ids(self) -> tuple[str, ...]:
        return tuple(self._keys)

    def export_state(self) -> JSONObject:
        """``{"keys": {key_id: private JWK}}`` (RFC 7518 §6.2.2: with ``d``). Secret: store it
        only encrypted. A fresh document; changing it does not change the store."""
        keys: JSONObject = {key_id: private_jwk(key) for key_id, key in self._keys.items()}
        return {STATE_KEYS: keys}

    @classmethod
    def from_state(cls, value: JSONValue) -> SoftwareKeyStore:
        """The store :meth:`export_state` described, checked strictly: exactly the members
        written, each private JWK valid (its ``d`` matching its public point) and filed under
        its own RFC 7638 thumbprint.

        Raises:
            StorageError: ``wallet_store_corrupt``.
        """
        if not isinstance(value, dict) or value.keys() != {STATE_KEYS}:
            raise _corrupt("key store state must be an object with 'keys' only")
        entries = value[STATE_KEYS]
        if not isinstance(entries, dict):
            raise _corrupt("'keys' must be an object")
        store = cls()
        for position, (key_id, jwk) in enumerate(entries.items()):
            if not isinstance(jwk, dict) or jwk.keys() != _PRIVATE_JWK_MEMBERS:
                raise _corrupt(f"key {position} is not a P-256 private JWK")
            try:
                key, _ = parse_private_jwk(jwk)
            except FormatError as exc:
                raise _corrupt(f"key {position} is not a valid private JWK") from exc
            if not isinstance(key, ec.EllipticCurvePrivateKey):  # pragma: no cover - no EdDSA
                raise _corrupt(f"key {position} is not a P-256 key")
            if _key_id(key) != key_id:
                raise _corrupt(f"key {position} is not filed under its RFC 7638 thumbprint")
            store._keys[key_id] = key
        return store
