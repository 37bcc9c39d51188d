"""Where the wallet keeps its state: the :class:`WalletStorage` protocol, an in-memory store
and a passphrase-encrypted file (an edge: the only file access in the wallet library).

The file is one JSON envelope (details and rationale in ``docs/wallet-storage.md``)::

    {"format": "furusato-wallet-store/1",
     "kdf": {"alg": "scrypt", "n": 32768, "r": 8, "p": 1, "salt": b64url(16 bytes)},
     "check": b64url(16 bytes), "nonce": b64url(12 bytes), "ciphertext": b64url(...)}

    key        = scrypt(NFC(passphrase) as UTF-8, salt, n, r, p, dkLen=32)     RFC 7914 §2
    check      = HMAC-SHA256(key, "furusato-wallet/check")[:16]                RFC 2104
    ciphertext = AES-256-GCM(key, nonce, state, AAD = canonical JSON of the    NIST SP 800-38D
                 envelope without "ciphertext")

``check`` tells a wrong passphrase (``wallet_passphrase_invalid``) apart from a damaged file
(``wallet_store_corrupt``): without it both would surface as the same GCM tag failure, and a
person who mistyped would be told their wallet is broken. It makes guessing no cheaper: with
or without it, whoever holds the file tests a guessed passphrase at the cost of one scrypt.

Writes are atomic: a complete new file is written next to the old one (``O_EXCL``, mode 0600),
flushed and fsynced, renamed over it (``os.replace``, atomic on POSIX) and the directory is
fsynced. A writer killed at any point leaves the old or the new state, never a mixture; the
temporary files of such a writer are ignored by readers and removed by the next write. One
writer per file: concurrent writers do not corrupt the file, but the last one wins.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import os
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final, Protocol, runtime_checkable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from furusato_vc.core.encoding import JsonLimits, b64url_decode, b64url_encode, parse_json_object
from furusato_vc.core.errors import ErrorCode, FormatError, StorageError

if TYPE_CHECKING:
    from furusato_vc.core.encoding import JSONObject, JSONValue
    from furusato_vc.core.randomness import RandomSource

__all__ = [
    "MAX_STORE_BYTES",
    "STORE_FORMAT",
    "EncryptedFileStorage",
    "MemoryStorage",
    "ScryptParams",
    "WalletStorage",
]

STORE_FORMAT: Final = "furusato-wallet-store/1"
# A state of 10 bodies x a few dozen batch copies is well under 1 MiB; the cap bounds what a
# damaged or hostile file can make the reader allocate.
MAX_STORE_BYTES: Final = 16 * 1024 * 1024

KDF_ALG: Final = "scrypt"
SALT_BYTES: Final = 16  # RFC 7914 §2 leaves the salt length open; 128 bits as NIST SP 800-132
KEY_BYTES: Final = 32  # AES-256
NONCE_BYTES: Final = 12  # NIST SP 800-38D §8.2: 96-bit IVs (AESGCM appends a 128-bit tag)
CHECK_BYTES: Final = 16
CHECK_LABEL: Final = b"furusato-wallet/check"

# scrypt cost bounds (RFC 7914 §2: N a power of 2 with 1 < N < 2^(128*r/8), p <= (2^32-1)*32 /
# (128*r)). Ours are tighter: below 2^10 the KDF hardly slows guessing, and a file asking for
# more than 1 GiB or p > 16 is damaged or hostile, not a wallet anyone could open on a phone.
MIN_SCRYPT_N: Final = 2**10
MAX_SCRYPT_N: Final = 2**20
MAX_SCRYPT_R: Final = 32
MAX_SCRYPT_P: Final = 16
MAX_SCRYPT_MEMORY: Final = 2**30  # bytes of scrypt's V array: 128 * r * n

_FORMAT_PREFIX: Final = "furusato-wallet-store/"
_TEMPORARY_SUFFIX: Final = ".tmp"
_ENVELOPE_MEMBERS: Final = frozenset({"format", "kdf", "check", "nonce", "ciphertext"})
_KDF_MEMBERS: Final = frozenset({"alg", "n", "r", "p", "salt"})
_ENVELOPE_LIMITS: Final = JsonLimits(max_bytes=MAX_STORE_BYTES, max_depth=2)


@runtime_checkable
class WalletStorage(Protocol):
    """Where a wallet's serialized state lives. ``read`` returns ``None`` while no wallet has
    been written; ``write`` replaces the state atomically: after a crash at any point, ``read``
    returns the old or the new state, never a mixture."""

    def read(self) -> bytes | None: ...

    def write(self, data: bytes) -> None: ...


class MemoryStorage:
    """A :class:`WalletStorage` in memory, not encrypted: for tests, and for applications that
    persist the state themselves (a platform keychain, an encrypted app container)."""

    __slots__ = ("_data",)

    def __init__(self, data: bytes | None = None) -> None:
        self._data = None if data is None else bytes(data)

    def read(self) -> bytes | None:
        return self._data

    def write(self, data: bytes) -> None:
        self._data = bytes(data)


def _scrypt_problem(n: object, r: object, p: object) -> str | None:
    # type() rather than isinstance(): a JSON true must not pass as the integer 1
    if type(n) is not int or type(r) is not int or type(p) is not int:
        return "scrypt n, r and p must be integers"
    if not MIN_SCRYPT_N <= n <= MAX_SCRYPT_N or n & (n - 1):
        return f"scrypt n must be a power of 2 from {MIN_SCRYPT_N} to {MAX_SCRYPT_N}"
    if not 1 <= r <= MAX_SCRYPT_R:
        return f"scrypt r must be from 1 to {MAX_SCRYPT_R}"
    if not 1 <= p <= MAX_SCRYPT_P:
        return f"scrypt p must be from 1 to {MAX_SCRYPT_P}"
    if n >= 2 ** (16 * r):  # RFC 7914 §2: N < 2^(128 * r / 8)
        return "scrypt n must be below 2^(16 r) (RFC 7914 §2)"
    if 128 * r * n > MAX_SCRYPT_MEMORY:
        return "scrypt 128 * r * n must not exceed 1 GiB"
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class ScryptParams:
    """scrypt cost parameters (RFC 7914 §2): ``n`` CPU/memory cost, ``r`` block size, ``p``
    parallelization. The default (2^15, 8, 1) takes 32 MiB and about 0.1 s on a laptop core;
    the key is derived once per store instance and salt, not per read or write.

    Raises:
        ValueError: ``n`` not a power of 2 in [2^10, 2^20], ``r`` not in [1, 32], ``p`` not in
            [1, 16], ``n >= 2^(16 r)``, or more than 1 GiB of memory (128 * r * n bytes).
    """

    n: int = 2**15
    r: int = 8
    p: int = 1

    def __post_init__(self) -> None:
        problem = _scrypt_problem(self.n, self.r, self.p)
        if problem is not None:
            raise ValueError(problem)


@dataclass(frozen=True, slots=True, kw_only=True)
class _DerivedKey:
    """A key derived for one passphrase, salt and parameter set (kept to avoid re-running
    scrypt on every read and write)."""

    params: ScryptParams
    salt: bytes
    key: bytes
    check: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class _Envelope:
    params: ScryptParams
    salt: bytes
    check: bytes
    nonce: bytes
    ciphertext: bytes


def _corrupt(detail: str) -> StorageError:
    return StorageError(ErrorCode.WALLET_STORE_CORRUPT, detail)


def _passphrase_bytes(passphrase: str) -> bytes:
    if not isinstance(passphrase, str):
        raise TypeError("the passphrase must be a str")
    if not passphrase:
        raise ValueError("the passphrase must not be empty")
    # NFC, as the OpaqueString profile of RFC 8265 §4.2 does for passwords: the same
    # passphrase typed through different keyboards or input methods gives the same bytes.
    try:
        return unicodedata.normalize("NFC", passphrase).encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate
        raise ValueError("the passphrase is not valid Unicode text") from exc


def _derive_key(passphrase: bytes, salt: bytes, params: ScryptParams) -> bytes:
    """RFC 7914 §2 scrypt(P = passphrase, S = salt, N, r, p, dkLen = 32)."""
    kdf = Scrypt(salt=salt, length=KEY_BYTES, n=params.n, r=params.r, p=params.p)
    return kdf.derive(passphrase)


def _check_value(key: bytes) -> bytes:
    """The passphrase check value: the first 16 bytes of HMAC-SHA256(key, label) (RFC 2104;
    HMAC is a PRF, so this says nothing about the key except whether a candidate matches)."""
    return hmac.digest(key, CHECK_LABEL, "sha256")[:CHECK_BYTES]


def _header(params: ScryptParams, salt: bytes, check: bytes, nonce: bytes) -> JSONObject:
    return {
        "format": STORE_FORMAT,
        "kdf": {
            "alg": KDF_ALG,
            "n": params.n,
            "r": params.r,
            "p": params.p,
            "salt": b64url_encode(salt),
        },
        "check": b64url_encode(check),
        "nonce": b64url_encode(nonce),
    }


def _associated_data(header: JSONObject) -> bytes:
    """GCM additional authenticated data (NIST SP 800-38D §7.1, "A"): the header as canonical
    JSON (sorted member names, no whitespace, ASCII), so the layout of the file on disk does
    not matter but every header value is authenticated."""
    return json.dumps(header, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode(
        "ascii"
    )


def _bytes_member(obj: JSONObject, name: str, *, length: int | None, max_chars: int) -> bytes:
    value = obj[name]
    if not isinstance(value, str):
        raise _corrupt(f"{name!r} is not a string")
    try:
        raw = b64url_decode(value, max_chars=max_chars)
    except FormatError as exc:
        raise _corrupt(f"{name!r} is not base64url") from exc
    if length is not None and len(raw) != length:
        raise _corrupt(f"{name!r} must be {length} bytes")
    return raw


def _parse_envelope(data: bytes) -> _Envelope:
    """The envelope's members, each checked (nothing is decrypted here).

    Raises:
        StorageError: ``wallet_store_corrupt``.
    """
    if len(data) > MAX_STORE_BYTES:
        raise _corrupt("store file over 16 MiB")
    try:
        document = parse_json_object(data, limits=_ENVELOPE_LIMITS)
    except FormatError as exc:
        raise _corrupt(f"not a JSON object ({exc.code.value})") from exc
    form = document.get("format")
    if form != STORE_FORMAT:
        if isinstance(form, str) and form.startswith(_FORMAT_PREFIX):
            raise _corrupt("unsupported store format version")
        raise _corrupt("not a wallet store")
    if document.keys() != _ENVELOPE_MEMBERS:
        raise _corrupt("members missing or unexpected")
    kdf: JSONValue = document["kdf"]
    if not isinstance(kdf, dict) or kdf.keys() != _KDF_MEMBERS:
        raise _corrupt("kdf members missing or unexpected")
    if kdf["alg"] != KDF_ALG:
        raise _corrupt("unsupported key derivation")
    n, r, p = kdf["n"], kdf["r"], kdf["p"]
    if not (isinstance(n, int) and isinstance(r, int) and isinstance(p, int)):
        raise _corrupt("key derivation parameters are not integers")
    try:
        params = ScryptParams(n=n, r=r, p=p)  # also refuses true/false (JSON booleans)
    except ValueError as exc:
        raise _corrupt("key derivation parameters out of range") from exc
    return _Envelope(
        params=params,
        salt=_bytes_member(kdf, "salt", length=SALT_BYTES, max_chars=64),
        check=_bytes_member(document, "check", length=CHECK_BYTES, max_chars=64),
        nonce=_bytes_member(document, "nonce", length=NONCE_BYTES, max_chars=64),
        ciphertext=_bytes_member(document, "ciphertext", length=None, max_chars=MAX_STORE_BYTES),
    )


# ---------------------------------------------------------------------------- files


def _read_file(path: Path) -> bytes | None:
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        return None
    with handle:
        if os.fstat(handle.fileno()).st_size > MAX_STORE_BYTES:
            raise _corrupt("store file over 16 MiB")
        data = handle.read(MAX_STORE_BYTES + 1)  # the file may have grown since fstat
    if len(data) > MAX_STORE_BYTES:
        raise _corrupt("store file over 16 MiB")
    return data


def _is_temporary_of(name: str, path: Path) -> bool:
    return name.startswith(f".{path.name}.") and name.endswith(_TEMPORARY_SUFFIX)


def _remove_stale_temporaries(path: Path) -> None:
    """Delete what a writer killed before its rename left behind (best effort)."""
    with contextlib.suppress(OSError):
        for child in path.parent.iterdir():
            if _is_temporary_of(child.name, path):
                with contextlib.suppress(OSError):
                    child.unlink()


def _write_and_sync(fd: int, data: bytes) -> None:
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_directory(directory: Path) -> None:
    # POSIX: the rename is durable only once the directory entry is on disk.
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _replace_atomically(path: Path, data: bytes) -> None:
    directory = path.parent
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    _remove_stale_temporaries(path)
    # mkstemp opens with O_CREAT | O_EXCL and mode 0600 (a umask can only take bits away).
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=_TEMPORARY_SUFFIX, dir=directory)
    temporary = Path(name)
    try:
        _write_and_sync(fd, data)
        temporary.replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    _fsync_directory(directory)


# ---------------------------------------------------------------------------- the store


class EncryptedFileStorage:
    """A :class:`WalletStorage` in one file, encrypted with a key derived from a passphrase
    (scrypt, RFC 7914; AES-256-GCM, NIST SP 800-38D). Format: ``docs/wallet-storage.md``.

    The key is derived on first use and kept for the instance: the salt of an existing file,
    or a fresh one made on the first write. Every write uses a fresh random 96-bit nonce
    (SP 800-38D §8.2.2). A file written with other scrypt parameters is read with its own and
    re-keyed with ``kdf`` on the next write. A write into an existing file this instance has
    not opened yet first opens it, so a mistyped passphrase never replaces a wallet.

    Raises (constructor):
        TypeError, ValueError: the passphrase is not a non-empty ``str`` of valid Unicode.
    """

    __slots__ = ("_derived", "_kdf", "_passphrase", "_path", "_random")

    def __init__(
        self,
        path: Path,
        passphrase: str,
        *,
        random: RandomSource,
        kdf: ScryptParams = ScryptParams(),
    ) -> None:
        self._path = Path(path)
        self._passphrase = _passphrase_bytes(passphrase)
        self._random = random
        self._kdf = kdf
        # set once this instance has opened or written the file: the key of its current salt
        self._derived: _DerivedKey | None = None

    def __repr__(self) -> str:
        return f"EncryptedFileStorage(path={str(self._path)!r})"

    @property
    def path(self) -> Path:
        return self._path

    @property
    def kdf(self) -> ScryptParams:
        """The parameters new keys are derived with."""
        return self._kdf

    def read(self) -> bytes | None:
        """The decrypted state, or ``None`` if the file does not exist.

        Raises:
            StorageError: ``wallet_passphrase_invalid`` (the check value does not match this
                passphrase); ``wallet_store_corrupt`` (not JSON, unknown format or version,
                missing or extra members, bad base64url or lengths, scrypt parameters out of
                range, over 16 MiB, or GCM authentication failed although the passphrase
                matched).
            OSError: the file exists but cannot be read (permissions, I/O error).
        """
        data = _read_file(self._path)
        if data is None:
            return None
        envelope = _parse_envelope(data)
        derived = self._key_for(envelope.params, envelope.salt)
        if not hmac.compare_digest(derived.check, envelope.check):
            raise StorageError(
                ErrorCode.WALLET_PASSPHRASE_INVALID, "the passphrase does not open this store"
            )
        header = _header(envelope.params, envelope.salt, envelope.check, envelope.nonce)
        try:
            state = AESGCM(derived.key).decrypt(
                envelope.nonce, envelope.ciphertext, _associated_data(header)
            )
        except InvalidTag as exc:
            raise _corrupt("authentication failed: the file was altered") from exc
        self._derived = derived
        return state

    def write(self, data: bytes) -> None:
        """Encrypt ``data`` and replace the file atomically (mode 0600).

        Raises:
            StorageError: ``wallet_passphrase_invalid`` or ``wallet_store_corrupt`` if an
                existing file this instance has not read yet does not open (nothing written).
            ValueError: the encrypted file would exceed 16 MiB.
            OSError: the file system refused (the previous state is kept).
        """
        if self._derived is None:
            self.read()  # refuses to replace a file this passphrase does not open
        derived = self._derived
        if derived is None or derived.params != self._kdf:
            derived = self._new_key(self._passphrase)
        self._seal(bytes(data), derived)
        self._derived = derived

    def change_passphrase(self, new_passphrase: str) -> None:
        """Re-encrypt the state under ``new_passphrase`` (fresh salt, this instance's ``kdf``),
        atomically: after a crash the file opens with the old or the new passphrase. Without a
        file, the new passphrase is simply used from the first write on.

        Raises:
            StorageError: as :meth:`read` (the current passphrase must open the file).
            TypeError, ValueError: as the constructor, for ``new_passphrase``; as :meth:`write`.
            OSError: the file system refused (the old passphrase stays in force).
        """
        passphrase = _passphrase_bytes(new_passphrase)
        data = self.read()
        if data is None:
            self._passphrase = passphrase
            self._derived = None
            return
        derived = self._new_key(passphrase)
        self._seal(data, derived)
        self._passphrase = passphrase
        self._derived = derived

    # --- internals

    def _key_for(self, params: ScryptParams, salt: bytes) -> _DerivedKey:
        """The cached key if the file still has its salt (scrypt is slow on purpose);
        otherwise a derivation, cached by :meth:`read` only once the file opened."""
        cached = self._derived
        if cached is not None and cached.params == params and cached.salt == salt:
            return cached
        key = _derive_key(self._passphrase, salt, params)
        return _DerivedKey(params=params, salt=salt, key=key, check=_check_value(key))

    def _new_key(self, passphrase: bytes) -> _DerivedKey:
        salt = self._random_bytes(SALT_BYTES)
        key = _derive_key(passphrase, salt, self._kdf)
        return _DerivedKey(params=self._kdf, salt=salt, key=key, check=_check_value(key))

    def _random_bytes(self, n: int) -> bytes:
        value = self._random.token_bytes(n)
        if len(value) != n:
            raise ValueError(f"the random source must return {n} bytes")
        return value

    def _seal(self, data: bytes, derived: _DerivedKey) -> None:
        if len(data) > MAX_STORE_BYTES:
            raise ValueError("the wallet state is too large for the store")
        nonce = self._random_bytes(NONCE_BYTES)
        header = _header(derived.params, derived.salt, derived.check, nonce)
        ciphertext = AESGCM(derived.key).encrypt(nonce, data, _associated_data(header))
        document = {**header, "ciphertext": b64url_encode(ciphertext)}
        encoded = (json.dumps(document, separators=(",", ":")) + "\n").encode("ascii")
        if len(encoded) > MAX_STORE_BYTES:
            raise ValueError("the wallet state is too large for the store")
        _replace_atomically(self._path, encoded)
