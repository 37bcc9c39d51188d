"""The wallet's storage (:mod:`furusato_vc.wallet.storage`): the in-memory store, scrypt
parameters (RFC 7914), the encrypted file (AES-256-GCM, NIST SP 800-38D) with its passphrase
check value, every kind of damage, atomic replacement (injected failures and writers killed
with SIGKILL), file permissions and passphrase changes. scrypt runs with n = 2^10 for speed."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from hypothesis import given, settings
from hypothesis import strategies as st

from furusato_vc.core.encoding import b64url_decode, b64url_encode, dumps_compact
from furusato_vc.core.errors import ErrorCode, StorageError
from furusato_vc.wallet import storage
from furusato_vc.wallet.storage import (
    MAX_STORE_BYTES,
    STORE_FORMAT,
    EncryptedFileStorage,
    MemoryStorage,
    ScryptParams,
    WalletStorage,
)
from tests.helpers import SeededRandom

if TYPE_CHECKING:
    from collections.abc import Callable

REPOSITORY = Path(__file__).resolve().parents[2]
FAST = ScryptParams(n=2**10, r=8, p=1)
PASSPHRASE = "ふるさと 2027 correct horse"
OTHER_PASSPHRASE = "a different passphrase"
STATE = dumps_compact(
    {"cards": [{"body": "042056", "name": "気仙沼市", "copies": 3}], "version": 1}
).encode("utf-8")
NEW_STATE = b'{"cards":[],"version":2}'

Document = dict[str, Any]


def _store(
    path: Path,
    passphrase: str = PASSPHRASE,
    *,
    seed: str = "store",
    kdf: ScryptParams = FAST,
) -> EncryptedFileStorage:
    return EncryptedFileStorage(path, passphrase, random=SeededRandom(seed), kdf=kdf)


def _written(path: Path, data: bytes = STATE) -> EncryptedFileStorage:
    store = _store(path)
    store.write(data)
    return store


def _document(path: Path) -> Document:
    value: Document = json.loads(path.read_bytes())
    return value


def _save(path: Path, document: Document) -> None:
    path.write_text(json.dumps(document), encoding="utf-8")


def _code_of_read(store: EncryptedFileStorage) -> ErrorCode:
    with pytest.raises(StorageError) as info:
        store.read()
    return info.value.code


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _temporaries(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


# --------------------------------------------------------------------------- memory


def test_memory_storage_is_empty_until_written() -> None:
    assert MemoryStorage().read() is None


def test_memory_storage_returns_the_last_write() -> None:
    memory = MemoryStorage(b"first")
    memory.write(b"second")
    assert memory.read() == b"second"


def test_both_stores_implement_the_protocol(tmp_path: Path) -> None:
    assert isinstance(MemoryStorage(), WalletStorage)
    assert isinstance(_store(tmp_path / "wallet.json"), WalletStorage)


# --------------------------------------------------------------------------- scrypt parameters


def test_default_scrypt_parameters() -> None:
    assert ScryptParams() == ScryptParams(n=2**15, r=8, p=1)


@pytest.mark.parametrize(
    "values",
    [
        {"n": 1000},  # not a power of 2
        {"n": 3 * 2**10},
        {"n": 2**9},  # too cheap to slow down guessing
        {"n": 2**21},
        {"n": 1024.0},
        {"r": 0},
        {"r": 33},
        {"p": 0},
        {"p": 17},
        {"n": 2**16, "r": 1},  # RFC 7914 §2: N < 2^(128 r / 8)
        {"n": 2**20, "r": 16},  # 2 GiB
        {"r": True},
    ],
)
def test_out_of_range_scrypt_parameters_are_refused(values: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="scrypt"):
        ScryptParams(**values)


# --------------------------------------------------------------------------- round trips


def test_no_file_reads_as_no_wallet(tmp_path: Path) -> None:
    assert _store(tmp_path / "wallet.json").read() is None


def test_a_written_state_opens_in_a_new_instance(tmp_path: Path) -> None:
    _written(tmp_path / "wallet.json")
    assert _store(tmp_path / "wallet.json", seed="reader").read() == STATE


def test_the_file_is_the_documented_envelope_without_plaintext(tmp_path: Path) -> None:
    path = tmp_path / "wallet.json"
    _written(path)
    raw = path.read_bytes()
    document = _document(path)
    assert list(document) == ["format", "kdf", "check", "nonce", "ciphertext"]
    assert document["format"] == STORE_FORMAT
    assert document["kdf"]["alg"] == "scrypt"
    assert (document["kdf"]["n"], document["kdf"]["r"], document["kdf"]["p"]) == (2**10, 8, 1)
    assert len(b64url_decode(document["kdf"]["salt"])) == 16
    assert len(b64url_decode(document["check"])) == 16
    assert len(b64url_decode(document["nonce"])) == 12
    assert len(b64url_decode(document["ciphertext"])) == len(STATE) + 16  # GCM tag
    assert "気仙沼市".encode() not in raw
    assert b"042056" not in raw


def test_the_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    old_umask = os.umask(0)
    try:
        store = _written(tmp_path / "wallet.json")
        store.write(NEW_STATE)
    finally:
        os.umask(old_umask)
    assert _mode(tmp_path / "wallet.json") == 0o600


def test_a_missing_directory_is_created_for_the_owner_only(tmp_path: Path) -> None:
    old_umask = os.umask(0)
    try:
        _written(tmp_path / "profile" / "wallet.json")
    finally:
        os.umask(old_umask)
    assert _mode(tmp_path / "profile") == 0o700
    assert _store(tmp_path / "profile" / "wallet.json").read() == STATE


def test_each_write_has_a_fresh_nonce_under_the_same_salt(tmp_path: Path) -> None:
    path = tmp_path / "wallet.json"
    store = _written(path)
    first = _document(path)
    store.write(STATE)
    second = _document(path)
    assert first["kdf"] == second["kdf"]
    assert first["check"] == second["check"]
    assert first["nonce"] != second["nonce"]
    assert first["ciphertext"] != second["ciphertext"]


def test_the_key_is_derived_once_per_instance_and_salt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[bytes] = []
    real = storage._derive_key

    def counting(passphrase: bytes, salt: bytes, params: ScryptParams) -> bytes:
        calls.append(salt)
        return real(passphrase, salt, params)

    monkeypatch.setattr(storage, "_derive_key", counting)
    store = _store(tmp_path / "wallet.json")
    for _ in range(3):
        store.write(STATE)
        assert store.read() == STATE
    assert len(calls) == 1
    reader = _store(tmp_path / "wallet.json", seed="reader")
    reader.read()
    reader.read()
    assert calls == [calls[0], calls[0]]


def test_a_file_with_other_parameters_opens_and_is_rekeyed_on_write(tmp_path: Path) -> None:
    path = tmp_path / "wallet.json"
    _written(path)
    old_salt = _document(path)["kdf"]["salt"]
    stronger = _store(path, seed="stronger", kdf=ScryptParams(n=2**11, r=8, p=1))
    assert stronger.read() == STATE
    stronger.write(NEW_STATE)
    kdf = _document(path)["kdf"]
    assert (kdf["n"], kdf["salt"] != old_salt) == (2**11, True)
    assert _store(path, seed="reader").read() == NEW_STATE


def test_passphrases_are_compared_after_nfc_normalization(tmp_path: Path) -> None:
    composed = "パスフレーズ"  # U+30D1: PA as one code point
    decomposed = "ハ\u309aスフレーズ"  # HA + combining semi-voiced mark
    assert composed != decomposed
    _store(tmp_path / "wallet.json", composed).write(STATE)
    assert _store(tmp_path / "wallet.json", decomposed).read() == STATE


@pytest.mark.parametrize(
    ("passphrase", "error"),
    [("", ValueError), ("\ud800", ValueError), (b"bytes", TypeError)],
)
def test_a_passphrase_must_be_non_empty_text(
    tmp_path: Path, passphrase: object, error: type[Exception]
) -> None:
    with pytest.raises(error):
        EncryptedFileStorage(
            tmp_path / "wallet.json",
            passphrase,  # type: ignore[arg-type]
            random=SeededRandom(),
        )


def test_the_representation_shows_no_passphrase(tmp_path: Path) -> None:
    text = repr(_store(tmp_path / "wallet.json"))
    assert "wallet.json" in text
    assert PASSPHRASE not in text


def test_a_random_source_returning_too_few_bytes_is_refused(tmp_path: Path) -> None:
    class Short:
        def token_bytes(self, n: int) -> bytes:
            return bytes(n - 1)

    store = EncryptedFileStorage(tmp_path / "wallet.json", PASSPHRASE, random=Short(), kdf=FAST)
    with pytest.raises(ValueError, match="random source"):
        store.write(STATE)
    assert not (tmp_path / "wallet.json").exists()


def test_a_state_too_large_for_the_store_is_refused_before_writing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "wallet.json"
    store = _written(path)
    before = path.read_bytes()
    monkeypatch.setattr(storage, "MAX_STORE_BYTES", 1024)
    with pytest.raises(ValueError, match="too large"):
        store.write(bytes(1000))  # fits, but its envelope would not
    with pytest.raises(ValueError, match="too large"):
        store.write(bytes(2000))
    assert path.read_bytes() == before


# --------------------------------------------------------------------------- wrong passphrase


def test_a_wrong_passphrase_is_told_apart_from_damage(tmp_path: Path) -> None:
    _written(tmp_path / "wallet.json")
    wrong = _store(tmp_path / "wallet.json", OTHER_PASSPHRASE)
    assert _code_of_read(wrong) is ErrorCode.WALLET_PASSPHRASE_INVALID


def test_a_wrong_passphrase_never_replaces_the_wallet(tmp_path: Path) -> None:
    path = tmp_path / "wallet.json"
    _written(path)
    before = path.read_bytes()
    wrong = _store(path, OTHER_PASSPHRASE)
    for _ in range(2):  # a failed open must not leave the instance able to write
        with pytest.raises(StorageError) as info:
            wrong.write(NEW_STATE)
        assert info.value.code is ErrorCode.WALLET_PASSPHRASE_INVALID
    assert path.read_bytes() == before


def test_a_damaged_file_is_not_replaced_by_an_instance_that_never_opened_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "wallet.json"
    path.write_bytes(b"{not json")
    with pytest.raises(StorageError) as info:
        _store(path).write(STATE)
    assert info.value.code is ErrorCode.WALLET_STORE_CORRUPT
    assert path.read_bytes() == b"{not json"


@pytest.mark.parametrize("member", ["salt", "check"])
def test_a_changed_salt_or_check_value_reads_as_a_wrong_passphrase(
    tmp_path: Path, member: str
) -> None:
    # Documented limit: the key depends on the salt, so damage there (or to the check value
    # itself) cannot be told apart from a mistyped passphrase.
    path = tmp_path / "wallet.json"
    _written(path)
    document = _document(path)
    where = document["kdf"] if member == "salt" else document
    where[member] = b64url_encode(bytes(16))
    _save(path, document)
    assert _code_of_read(_store(path)) is ErrorCode.WALLET_PASSPHRASE_INVALID


# --------------------------------------------------------------------------- corruption


def _member(name: str, value: object) -> Callable[[Document], None]:
    def mutate(document: Document) -> None:
        document[name] = value

    return mutate


def _kdf_member(name: str, value: object) -> Callable[[Document], None]:
    def mutate(document: Document) -> None:
        document["kdf"][name] = value

    return mutate


def _without(name: str) -> Callable[[Document], None]:
    def mutate(document: Document) -> None:
        del document[name]

    return mutate


def _without_kdf(name: str) -> Callable[[Document], None]:
    def mutate(document: Document) -> None:
        del document["kdf"][name]

    return mutate


DOCUMENT_DAMAGE: dict[str, Callable[[Document], None]] = {
    "format missing": _without("format"),
    "another format": _member("format", "furusato-vc-bundle/1"),
    "a future version": _member("format", "furusato-wallet-store/2"),
    "format not a string": _member("format", 1),
    "an unknown member": _member("comment", "hello"),
    "nonce missing": _without("nonce"),
    "ciphertext missing": _without("ciphertext"),
    "kdf not an object": _member("kdf", "scrypt"),
    "kdf salt missing": _without_kdf("salt"),
    "an unknown kdf member": _kdf_member("maxmem", 1),
    "another kdf": _kdf_member("alg", "argon2id"),
    "n not a power of 2": _kdf_member("n", 1000),
    "n absurd": _kdf_member("n", 2**30),
    "n a float": _kdf_member("n", 1024.0),
    "n a string": _kdf_member("n", "1024"),
    "r a boolean": _kdf_member("r", True),
    "p zero": _kdf_member("p", 0),
    "over 1 GiB of scrypt memory": lambda d: d["kdf"].update(n=2**20, r=16),
    "salt padded": _kdf_member("salt", b64url_encode(bytes(16)) + "=="),
    "salt too short": _kdf_member("salt", b64url_encode(bytes(15))),
    "salt not a string": _kdf_member("salt", 16),
    "check too long": _member("check", b64url_encode(bytes(17))),
    "check not a string": _member("check", None),
    "nonce too long": _member("nonce", b64url_encode(bytes(16))),
    "nonce outside the alphabet": _member("nonce", "!!!!!!!!!!!!!!!!"),
    "ciphertext in standard base64": _member("ciphertext", "ab+/"),
    "ciphertext empty": _member("ciphertext", ""),
    "ciphertext shorter than the tag": _member("ciphertext", b64url_encode(bytes(15))),
    "another nonce": _member("nonce", b64url_encode(bytes(12))),
}


@pytest.mark.parametrize("damage", DOCUMENT_DAMAGE.values(), ids=DOCUMENT_DAMAGE.keys())
def test_a_damaged_envelope_is_corrupt(tmp_path: Path, damage: Callable[[Document], None]) -> None:
    path = tmp_path / "wallet.json"
    _written(path)
    document = _document(path)
    damage(document)
    _save(path, document)
    assert _code_of_read(_store(path)) is ErrorCode.WALLET_STORE_CORRUPT


BYTE_DAMAGE: dict[str, Callable[[bytes], bytes]] = {
    "empty file": lambda raw: b"",
    "cut in half": lambda raw: raw[: len(raw) // 2],
    "cut before the last byte": lambda raw: raw.rstrip()[:-1],
    "not JSON": lambda raw: b"\x00\x01garbage",
    "not UTF-8": lambda raw: raw.replace(b'"format"', b'"form\xffat"'),
    "a JSON array": lambda raw: b"[" + raw + b"]",
    "a byte order mark": lambda raw: b"\xef\xbb\xbf" + raw,
    "a duplicated member": lambda raw: raw.replace(b'{"format"', b'{"check":"AAAA","format"', 1),
    "data after the JSON": lambda raw: raw.rstrip() + b"{}",
}


@pytest.mark.parametrize("damage", BYTE_DAMAGE.values(), ids=BYTE_DAMAGE.keys())
def test_damaged_bytes_are_corrupt(tmp_path: Path, damage: Callable[[bytes], bytes]) -> None:
    path = tmp_path / "wallet.json"
    _written(path)
    path.write_bytes(damage(path.read_bytes()))
    assert _code_of_read(_store(path)) is ErrorCode.WALLET_STORE_CORRUPT


def test_a_file_over_16_mib_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "wallet.json"
    _written(path)
    with path.open("r+b") as handle:
        handle.truncate(MAX_STORE_BYTES + 1)  # sparse: cheap to make
    assert _code_of_read(_store(path)) is ErrorCode.WALLET_STORE_CORRUPT


def test_a_ciphertext_from_another_write_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "wallet.json"
    store = _written(path)
    first = _document(path)
    store.write(NEW_STATE)
    second = _document(path)
    second["ciphertext"] = first["ciphertext"]  # same key, but sealed under the other nonce
    _save(path, second)
    assert _code_of_read(_store(path)) is ErrorCode.WALLET_STORE_CORRUPT


def test_the_header_is_authenticated(tmp_path: Path) -> None:
    # A ciphertext made with the right key and nonce but without the header as associated
    # data does not open: the header is part of what GCM authenticates.
    path = tmp_path / "wallet.json"
    _written(path)
    document = _document(path)
    kdf = document["kdf"]
    key = Scrypt(
        salt=b64url_decode(kdf["salt"]), length=32, n=kdf["n"], r=kdf["r"], p=kdf["p"]
    ).derive(PASSPHRASE.encode())
    nonce = b64url_decode(document["nonce"])
    document["ciphertext"] = b64url_encode(AESGCM(key).encrypt(nonce, STATE, None))
    _save(path, document)
    assert _code_of_read(_store(path)) is ErrorCode.WALLET_STORE_CORRUPT


@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=4096))
def test_any_state_round_trips(data: bytes) -> None:
    memory = MemoryStorage()
    memory.write(data)
    assert memory.read() == data


def test_any_state_round_trips_through_the_encrypted_file(tmp_path: Path) -> None:
    path = tmp_path / "wallet.json"
    writer = _store(path)
    reader = _store(path, seed="reader")

    @settings(max_examples=60, deadline=None)
    @given(data=st.binary(max_size=4096))
    def round_trip(data: bytes) -> None:
        writer.write(data)
        assert reader.read() == data

    round_trip()


def test_any_flipped_ciphertext_bit_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "wallet.json"
    _written(path)
    document = _document(path)
    ciphertext = b64url_decode(document["ciphertext"])
    reader = _store(path, seed="reader")
    tampered = tmp_path / "tampered.json"
    tampered_reader = _store(tampered, seed="reader")

    @settings(max_examples=100, deadline=None)
    @given(index=st.integers(0, len(ciphertext) - 1), bit=st.integers(0, 7))
    def flip(index: int, bit: int) -> None:
        changed = bytearray(ciphertext)
        changed[index] ^= 1 << bit
        _save(tampered, {**document, "ciphertext": b64url_encode(bytes(changed))})
        assert _code_of_read(tampered_reader) is ErrorCode.WALLET_STORE_CORRUPT

    flip()
    assert reader.read() == STATE


def test_any_changed_byte_of_the_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "wallet.json"
    _written(path)
    raw = path.read_bytes()
    tampered = tmp_path / "tampered.json"
    reader = _store(tampered, seed="reader")

    @settings(max_examples=150, deadline=None)
    @given(index=st.integers(0, len(raw) - 1), value=st.integers(0, 255))
    def change(index: int, value: int) -> None:
        if raw[index] == value:
            return
        changed = bytearray(raw)
        changed[index] = value
        tampered.write_bytes(bytes(changed))
        assert _code_of_read(reader) in {
            ErrorCode.WALLET_STORE_CORRUPT,
            ErrorCode.WALLET_PASSPHRASE_INVALID,  # only in the salt, kdf or check
        }

    change()


# --------------------------------------------------------------------------- passphrase change


def test_change_passphrase_reencrypts_under_the_new_one(tmp_path: Path) -> None:
    path = tmp_path / "wallet.json"
    store = _written(path)
    old_salt = _document(path)["kdf"]["salt"]
    store.change_passphrase(OTHER_PASSPHRASE)
    assert _document(path)["kdf"]["salt"] != old_salt
    assert _store(path, OTHER_PASSPHRASE).read() == STATE
    assert _code_of_read(_store(path, PASSPHRASE)) is ErrorCode.WALLET_PASSPHRASE_INVALID


def test_the_instance_keeps_working_after_a_passphrase_change(tmp_path: Path) -> None:
    path = tmp_path / "wallet.json"
    store = _written(path)
    store.change_passphrase(OTHER_PASSPHRASE)
    store.write(NEW_STATE)
    assert store.read() == NEW_STATE
    assert _store(path, OTHER_PASSPHRASE).read() == NEW_STATE
    assert _mode(path) == 0o600


def test_change_passphrase_needs_the_current_one(tmp_path: Path) -> None:
    path = tmp_path / "wallet.json"
    _written(path)
    before = path.read_bytes()
    with pytest.raises(StorageError) as info:
        _store(path, "not the passphrase").change_passphrase(OTHER_PASSPHRASE)
    assert info.value.code is ErrorCode.WALLET_PASSPHRASE_INVALID
    assert path.read_bytes() == before


def test_change_passphrase_of_a_damaged_store_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "wallet.json"
    _written(path)
    document = _document(path)
    document["ciphertext"] = b64url_encode(bytes(40))
    _save(path, document)
    with pytest.raises(StorageError) as info:
        _store(path).change_passphrase(OTHER_PASSPHRASE)
    assert info.value.code is ErrorCode.WALLET_STORE_CORRUPT


def test_change_passphrase_before_the_first_write(tmp_path: Path) -> None:
    path = tmp_path / "wallet.json"
    store = _store(path)
    store.change_passphrase(OTHER_PASSPHRASE)
    assert not path.exists()
    store.write(STATE)
    assert _store(path, OTHER_PASSPHRASE).read() == STATE


# --------------------------------------------------------------------------- atomic writes


@pytest.mark.parametrize("stage", ["write", "rename"])
def test_a_failed_write_keeps_the_previous_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stage: str
) -> None:
    path = tmp_path / "wallet.json"
    store = _written(path)

    def full_disk(fd: int, data: bytes) -> None:
        os.write(fd, data[: len(data) // 2])
        os.close(fd)
        raise OSError(28, "No space left on device")

    def refused(self: Path, target: object) -> Path:
        raise OSError(5, "I/O error")

    if stage == "write":
        monkeypatch.setattr(storage, "_write_and_sync", full_disk)
    else:
        monkeypatch.setattr(Path, "replace", refused)
    with pytest.raises(OSError, match=r"I/O error|No space"):
        store.write(NEW_STATE)
    monkeypatch.undo()
    assert _store(path, seed="reader").read() == STATE
    assert _temporaries(tmp_path) == []


def test_a_failed_directory_sync_comes_after_the_new_state_is_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "wallet.json"
    store = _written(path)

    def refused(directory: Path) -> None:
        raise OSError(5, "I/O error")

    monkeypatch.setattr(storage, "_fsync_directory", refused)
    with pytest.raises(OSError, match="I/O error"):
        store.write(NEW_STATE)
    monkeypatch.undo()
    assert _store(path, seed="reader").read() == NEW_STATE


def test_stale_temporary_files_are_ignored_then_cleaned_up(tmp_path: Path) -> None:
    path = tmp_path / "wallet.json"
    store = _written(path)
    (tmp_path / ".wallet.json.k3j9x_a1.tmp").write_bytes(b"half a wallet")
    (tmp_path / ".other.json.k3j9x_a1.tmp").write_bytes(b"not ours")
    (tmp_path / "notes.tmp").write_bytes(b"not ours either")
    assert _store(path, seed="reader").read() == STATE
    store.write(NEW_STATE)
    assert _temporaries(tmp_path) == [".other.json.k3j9x_a1.tmp", "notes.tmp"]
    assert _store(path, seed="reader").read() == NEW_STATE


_KILLED_AT_A_STAGE = """
import os, signal, sys
from pathlib import Path
from furusato_vc.wallet import storage
from tests.helpers import SeededRandom

path, passphrase, operation, stage = Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]

def die(*args):
    os.kill(os.getpid(), signal.SIGKILL)

def half_written(fd, data):
    os.write(fd, data[: len(data) // 2])
    os.fsync(fd)
    die()

if stage == "write":
    storage._write_and_sync = half_written
elif stage == "rename":
    Path.replace = die
else:
    storage._fsync_directory = die
store = storage.EncryptedFileStorage(
    path, passphrase, random=SeededRandom("killed"), kdf=storage.ScryptParams(n=1024)
)
if operation == "write":
    store.write(sys.argv[5].encode())
else:
    store.change_passphrase(sys.argv[5])
"""


def _killed(*arguments: str, script: str = _KILLED_AT_A_STAGE) -> None:
    completed = subprocess.run(
        [sys.executable, "-c", script, *arguments],
        check=False,
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(REPOSITORY)},
    )
    assert completed.returncode == -signal.SIGKILL, completed.stderr.decode()


@pytest.mark.parametrize(
    ("stage", "replaced"), [("write", False), ("rename", False), ("sync", True)]
)
def test_a_write_killed_at_each_stage_leaves_the_old_or_the_new_state(
    tmp_path: Path, stage: str, replaced: bool
) -> None:
    path = tmp_path / "wallet.json"
    _written(path)
    _killed(str(path), PASSPHRASE, "write", stage, NEW_STATE.decode())
    reader = _store(path, seed="reader")
    assert reader.read() == (NEW_STATE if replaced else STATE)
    assert _mode(path) == 0o600
    assert len(_temporaries(tmp_path)) == (0 if replaced else 1)
    reader.write(NEW_STATE)  # the next write removes the debris
    assert _temporaries(tmp_path) == []


@pytest.mark.parametrize(("stage", "changed"), [("rename", False), ("sync", True)])
def test_a_passphrase_change_killed_mid_write_leaves_one_passphrase_working(
    tmp_path: Path, stage: str, changed: bool
) -> None:
    path = tmp_path / "wallet.json"
    _written(path)
    _killed(str(path), PASSPHRASE, "change", stage, OTHER_PASSPHRASE)
    working, refused = (OTHER_PASSPHRASE, PASSPHRASE) if changed else (PASSPHRASE, OTHER_PASSPHRASE)
    assert _store(path, working).read() == STATE
    assert _code_of_read(_store(path, refused)) is ErrorCode.WALLET_PASSPHRASE_INVALID


_WRITE_LOOP = """
import sys
from pathlib import Path
from furusato_vc.runtime import SystemRandom
from furusato_vc.wallet.storage import EncryptedFileStorage, ScryptParams

store = EncryptedFileStorage(
    Path(sys.argv[1]), sys.argv[2], random=SystemRandom(), kdf=ScryptParams(n=1024)
)
generation = 0
while True:
    generation += 1
    store.write(b"%d:" % generation + bytes(64 * 1024))
    print(generation, flush=True)
"""


def _generation_state(generation: int) -> bytes:
    return b"%d:" % generation + bytes(64 * 1024)


@pytest.mark.parametrize("writes_before_kill", [1, 5, 12])
def test_a_writer_killed_in_a_write_loop_loses_nothing(
    tmp_path: Path, writes_before_kill: int
) -> None:
    path = tmp_path / "wallet.json"
    _written(path, _generation_state(0))
    process = subprocess.Popen(
        [sys.executable, "-c", _WRITE_LOOP, str(path), PASSPHRASE],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(REPOSITORY)},
    )
    assert process.stdout is not None
    try:
        reported: list[int] = []
        # Waits for progress, not for time: the kill lands wherever the loop happens to be.
        while len(reported) < writes_before_kill:
            line = process.stdout.readline()
            if not line:
                break
            reported.append(int(line))
        process.send_signal(signal.SIGKILL)
        rest, errors = process.communicate()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == -signal.SIGKILL, errors.decode()
    reported += [int(line) for line in rest.split()]
    assert len(reported) >= writes_before_kill
    state = _store(path, seed="reader").read()
    assert state is not None
    generation = int(state.split(b":", 1)[0])
    # every reported write is complete; the one under way when killed is all there or absent
    assert generation in {reported[-1], reported[-1] + 1}
    assert state == _generation_state(generation)
    assert _mode(path) == 0o600
