"""Holder keys (:mod:`furusato_vc.wallet.keys`): ES256 keys named by their RFC 7638
thumbprint, signers that never expose the private key, and the strict export/import of the
software key store's state (RFC 7518 §6.2 private JWKs)."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from furusato_vc.core.encoding import b64url_encode, dumps_compact, parse_json
from furusato_vc.core.errors import ErrorCode, StorageError
from furusato_vc.core.jose.algorithms import JwsAlgorithm
from furusato_vc.core.jose.jwk import private_jwk, public_jwk_from_key
from furusato_vc.core.jose.jws import decode_unverified_jws, sign_compact_jws
from furusato_vc.wallet.keys import KeyStore, SoftwareKeyStore
from furusato_vc.wallet.storage import EncryptedFileStorage, ScryptParams
from tests.helpers import SeededRandom, fixed_p256_key

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from furusato_vc.core.encoding import JSONObject, JSONValue

MESSAGE = b"furusato-vc holder key test"
B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

State = dict[str, Any]


def _store_with(count: int) -> SoftwareKeyStore:
    store = SoftwareKeyStore()
    for _ in range(count):
        store.create_key()
    return store


def _corrupt_code(value: JSONValue) -> ErrorCode:
    with pytest.raises(StorageError) as info:
        SoftwareKeyStore.from_state(value)
    return info.value.code


# --------------------------------------------------------------------------- keys


def test_the_software_key_store_implements_the_protocol() -> None:
    assert isinstance(SoftwareKeyStore(), KeyStore)


def test_a_new_key_is_named_by_its_rfc7638_thumbprint() -> None:
    store = SoftwareKeyStore()
    key_id = store.create_key()
    public = store.signer(key_id).public_jwk
    assert public.thumbprint() == key_id
    assert (public.kty, public.crv) == ("EC", "P-256")
    assert store.signer(key_id).algorithm is JwsAlgorithm.ES256


def test_a_signer_signs_with_the_key_it_names() -> None:
    store = _store_with(2)
    first, second = store.key_ids()
    signature = store.signer(first).sign(MESSAGE)
    assert len(signature) == 64  # RFC 7518 §3.4: r || s
    assert store.signer(first).public_jwk.verify(signature, MESSAGE)
    assert not store.signer(second).public_jwk.verify(signature, MESSAGE)


def test_signers_put_no_kid_in_a_jws_header() -> None:
    store = _store_with(1)
    signer = store.signer(store.key_ids()[0])
    assert signer.public_jwk.kid is None
    token = sign_compact_jws(header={"typ": "JWT"}, payload=b"{}", signer=signer)
    assert "kid" not in decode_unverified_jws(token).header


def test_key_ids_list_the_keys_oldest_first() -> None:
    store = SoftwareKeyStore()
    created = [store.create_key() for _ in range(4)]
    assert store.key_ids() == tuple(created)
    assert len(set(created)) == 4


def test_an_unknown_key_is_unavailable() -> None:
    with pytest.raises(StorageError) as info:
        _store_with(1).signer("not-a-key-id")
    assert info.value.code is ErrorCode.WALLET_KEY_UNAVAILABLE


def test_a_deleted_key_is_unavailable() -> None:
    store = _store_with(2)
    doomed, kept = store.key_ids()
    store.delete_key(doomed)
    assert store.key_ids() == (kept,)
    with pytest.raises(StorageError) as info:
        store.signer(doomed)
    assert info.value.code is ErrorCode.WALLET_KEY_UNAVAILABLE


def test_deleting_an_unknown_key_does_nothing() -> None:
    store = _store_with(1)
    before = store.key_ids()
    store.delete_key("not-a-key-id")
    assert store.key_ids() == before


def test_the_representation_shows_no_key_material() -> None:
    store = _store_with(1)
    jwk = store.export_state()["keys"]
    assert isinstance(jwk, dict)
    (private,) = jwk.values()
    assert isinstance(private, dict)
    assert str(private["d"]) not in repr(store)
    assert repr(store) == "SoftwareKeyStore(1 keys)"


# --------------------------------------------------------------------------- state


def test_the_exported_state_holds_private_jwks_by_key_id() -> None:
    store = _store_with(2)
    state = store.export_state()
    keys = state["keys"]
    assert list(state) == ["keys"]
    assert isinstance(keys, dict)
    assert tuple(keys) == store.key_ids()
    for jwk in keys.values():
        assert isinstance(jwk, dict)
        assert sorted(jwk) == ["crv", "d", "kty", "x", "y"]
        assert (jwk["kty"], jwk["crv"]) == ("EC", "P-256")


def test_the_state_round_trips_through_json_text() -> None:
    store = _store_with(3)
    text = dumps_compact(store.export_state())
    restored = SoftwareKeyStore.from_state(parse_json(text))
    assert restored.key_ids() == store.key_ids()
    for key_id in store.key_ids():
        signature = restored.signer(key_id).sign(MESSAGE)
        assert store.signer(key_id).public_jwk.verify(signature, MESSAGE)


def test_an_empty_store_round_trips() -> None:
    assert SoftwareKeyStore.from_state(SoftwareKeyStore().export_state()).key_ids() == ()


def test_changing_the_exported_state_does_not_change_the_store() -> None:
    store = _store_with(1)
    state = store.export_state()
    keys = state["keys"]
    assert isinstance(keys, dict)
    keys.clear()
    assert len(store.key_ids()) == 1


def test_keys_survive_the_encrypted_store(tmp_path: Path) -> None:
    store = _store_with(2)
    path = tmp_path / "wallet.json"
    params = ScryptParams(n=2**10)
    EncryptedFileStorage(path, "passphrase", random=SeededRandom(), kdf=params).write(
        dumps_compact(store.export_state()).encode()
    )
    data = EncryptedFileStorage(path, "passphrase", random=SeededRandom(), kdf=params).read()
    assert data is not None
    restored = SoftwareKeyStore.from_state(parse_json(data))
    assert restored.key_ids() == store.key_ids()


def _jwk_of(label: str) -> JSONObject:
    return private_jwk(fixed_p256_key(label))


def _state_of(label: str) -> State:
    key = fixed_p256_key(label)
    return {"keys": {public_jwk_from_key(key.public_key()).thumbprint(): private_jwk(key)}}


def _only_jwk(state: State) -> State:
    (jwk,) = state["keys"].values()
    value: State = jwk
    return value


def _set(name: str, value: object) -> Callable[[State], None]:
    def mutate(state: State) -> None:
        _only_jwk(state)[name] = value

    return mutate


def _drop(name: str) -> Callable[[State], None]:
    def mutate(state: State) -> None:
        del _only_jwk(state)[name]

    return mutate


def _as_ed25519(state: State) -> None:
    jwk = _only_jwk(state)
    del jwk["y"]
    jwk.update(kty="OKP", crv="Ed25519")


def _refile(state: State) -> None:
    (jwk,) = state["keys"].values()
    state["keys"] = {next(iter(_state_of("another key")["keys"])): jwk}


STATE_DAMAGE: dict[str, Callable[[State], None]] = {
    "no keys member": lambda s: s.clear(),
    "an unknown top-level member": lambda s: s.update(version=1),
    "keys an array": lambda s: s.update(keys=[]),
    "a key not an object": lambda s: s.update(keys=dict.fromkeys(s["keys"], "jwk")),
    "a kid member": _set("kid", "k1"),
    "an alg member": _set("alg", "ES256"),
    "d missing": _drop("d"),
    "d of another key": _set("d", _jwk_of("another key")["d"]),
    "d zero": _set("d", b64url_encode(bytes(32))),
    "d too short": _set("d", b64url_encode(bytes(31))),
    "x not base64url": _set("x", "not base64url!"),
    "y of another key": _set("y", _jwk_of("another key")["y"]),
    "another curve": _set("crv", "P-384"),
    "an Ed25519 key": _as_ed25519,
    "filed under another key's thumbprint": _refile,
}


@pytest.mark.parametrize("damage", STATE_DAMAGE.values(), ids=STATE_DAMAGE.keys())
def test_a_damaged_key_store_state_is_corrupt(damage: Callable[[State], None]) -> None:
    state = _state_of("holder")
    SoftwareKeyStore.from_state(copy.deepcopy(state))  # the undamaged state loads
    damage(state)
    assert _corrupt_code(state) is ErrorCode.WALLET_STORE_CORRUPT


@pytest.mark.parametrize("value", [None, [], "keys", 1, {"keys": None}])
def test_a_state_of_the_wrong_shape_is_corrupt(value: JSONValue) -> None:
    assert _corrupt_code(value) is ErrorCode.WALLET_STORE_CORRUPT


@settings(max_examples=30, deadline=None)
@given(
    operations=st.lists(
        st.one_of(st.just("create"), st.integers(min_value=0, max_value=7)), max_size=12
    )
)
def test_any_sequence_of_creations_and_deletions_round_trips(
    operations: list[str | int],
) -> None:
    store = SoftwareKeyStore()
    for operation in operations:
        if operation == "create":
            store.create_key()
        elif store.key_ids():
            assert isinstance(operation, int)
            store.delete_key(store.key_ids()[operation % len(store.key_ids())])
    restored = SoftwareKeyStore.from_state(parse_json(dumps_compact(store.export_state())))
    assert restored.key_ids() == store.key_ids()
    assert [restored.signer(k).public_jwk for k in restored.key_ids()] == [
        store.signer(k).public_jwk for k in store.key_ids()
    ]


STATE = _state_of("holder")
KEY_ID = next(iter(STATE["keys"]))
MEMBERS = ["kid", *sorted(_only_jwk(STATE))]


@settings(max_examples=200, deadline=None)
@given(
    member=st.sampled_from(MEMBERS),
    position=st.integers(min_value=0, max_value=63),
    replacement=st.sampled_from(B64URL),
)
def test_any_changed_character_of_a_stored_key_is_corrupt(
    member: str, position: int, replacement: str
) -> None:
    state = copy.deepcopy(STATE)
    jwk = _only_jwk(state)
    original = KEY_ID if member == "kid" else jwk[member]
    index = position % len(original)
    if original[index] == replacement:
        return
    changed = original[:index] + replacement + original[index + 1 :]
    if member == "kid":
        state["keys"] = {changed: jwk}
    else:
        jwk[member] = changed
    assert _corrupt_code(state) is ErrorCode.WALLET_STORE_CORRUPT
