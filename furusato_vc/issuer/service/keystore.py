"""The bodies' signing keys, stored in the database encrypted with the deployment's key
encryption key (AES-256-GCM, 96-bit random nonce, the body code and kid as associated data so
a sealed key cannot be moved to another body or kid). Decrypted keys live only in process
memory, behind the :class:`~furusato_vc.core.jose.signer.Signer` protocol; an HSM backend
implements the same protocol later.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from furusato_vc.core.encoding import dumps_compact, parse_json_object
from furusato_vc.core.errors import ErrorCode, StorageError
from furusato_vc.core.jose.jwk import parse_private_jwk, private_jwk
from furusato_vc.core.jose.signer import SoftwareSigner

if TYPE_CHECKING:
    from furusato_vc.core.jose.jwk import PrivateKey
    from furusato_vc.core.randomness import RandomSource

__all__ = ["open_signing_key", "seal_signing_key"]

_VERSION: Final = b"\x01"


def _aad(body_code: str, kid: str) -> bytes:
    return b"furusato-vc signing key\x00" + body_code.encode() + b"\x00" + kid.encode()


def seal_signing_key(
    key: PrivateKey, *, body_code: str, kid: str, kek: bytes, random: RandomSource
) -> bytes:
    nonce = random.token_bytes(12)
    plaintext = dumps_compact(private_jwk(key, kid=kid)).encode()
    return _VERSION + nonce + AESGCM(kek).encrypt(nonce, plaintext, _aad(body_code, kid))


def open_signing_key(sealed: bytes, *, body_code: str, kid: str, kek: bytes) -> SoftwareSigner:
    """Raises:
    StorageError: ``signing_key_unavailable`` (wrong key encryption key, or the sealed key
        was altered or moved).
    """
    if len(sealed) < 1 + 12 + 16 or sealed[:1] != _VERSION:
        raise StorageError(ErrorCode.SIGNING_KEY_UNAVAILABLE, "sealed key has an unknown form")
    try:
        plaintext = AESGCM(kek).decrypt(sealed[1:13], sealed[13:], _aad(body_code, kid))
    except InvalidTag as exc:
        raise StorageError(ErrorCode.SIGNING_KEY_UNAVAILABLE, "cannot decrypt signing key") from exc
    key, _kid = parse_private_jwk(parse_json_object(plaintext.decode()))
    return SoftwareSigner(key, kid=kid)
