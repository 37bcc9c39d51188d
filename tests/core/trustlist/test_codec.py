"""The trust list's JSON and CBOR forms: round trips and the strict reader."""

from __future__ import annotations

import copy
import dataclasses
from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from furusato_vc.core.cbor import decode_cbor, encode_cbor
from furusato_vc.core.encoding import parse_json
from furusato_vc.core.errors import ErrorCode, FormatError
from furusato_vc.core.trustlist import (
    DEFAULT_TRUST_LIST_LIMITS,
    BodyState,
    TrustedKey,
    TrustListLimits,
    trust_list_from_cbor,
    trust_list_from_json,
    trust_list_to_cbor,
    trust_list_to_json,
)
from furusato_vc.core.trustlist.edit import set_state, withdraw_key
from tests.core.trustlist.builders import NOW_S, signed
from tests.registration_fixtures import KESENNUMA, MINAMIMINOWA

if TYPE_CHECKING:
    from collections.abc import Callable


def _json() -> dict[str, object]:
    return trust_list_to_json(signed())


def _json_code(value: object, limits: TrustListLimits = DEFAULT_TRUST_LIST_LIMITS) -> ErrorCode:
    with pytest.raises(FormatError) as info:
        trust_list_from_json(value, limits=limits)
    return info.value.code


def test_json_round_trip_through_text() -> None:
    trust_list = signed()
    import json  # noqa: PLC0415

    text = json.dumps(trust_list_to_json(trust_list), ensure_ascii=False)
    assert trust_list_from_json(parse_json(text)) == trust_list


def test_cbor_round_trip_through_bytes() -> None:
    trust_list = signed()
    encoded = encode_cbor(trust_list_to_cbor(trust_list))
    assert trust_list_from_cbor(decode_cbor(encoded)) == trust_list


def test_names_kinds_and_states_are_carried() -> None:
    trust_list = set_state(signed(), MINAMIMINOWA, BodyState.SUSPENDED, since=NOW_S)
    trust_list = withdraw_key(trust_list, KESENNUMA, "042056-2027", from_=NOW_S)
    back = trust_list_from_json(trust_list_to_json(trust_list))
    entry = back.entry(MINAMIMINOWA)
    assert entry is not None
    assert (entry.name_ja, entry.name_en, entry.kind.value) == (
        "長野県南箕輪村",
        "Minamiminowa Village, Nagano Prefecture",
        "village",
    )
    assert (entry.state, entry.state_since) == (BodyState.SUSPENDED, NOW_S)
    kesennuma = back.entry(KESENNUMA)
    assert kesennuma is not None
    assert kesennuma.keys[0].withdrawn_from == NOW_S


@settings(max_examples=30, deadline=None)
@given(
    not_before=st.integers(min_value=0, max_value=2**40),
    length=st.one_of(st.none(), st.integers(min_value=1, max_value=2**30)),
    withdrawn=st.one_of(st.none(), st.integers(min_value=0, max_value=2**40)),
)
def test_key_windows_round_trip(not_before: int, length: int | None, withdrawn: int | None) -> None:
    base = signed()
    entry = base.entries[0]
    key = TrustedKey(
        jwk=entry.keys[0].jwk,
        not_before=not_before,
        not_after=None if length is None else not_before + length,
        withdrawn_from=withdrawn,
    )
    changed = dataclasses.replace(
        base, entries=(dataclasses.replace(entry, keys=(key,)), *base.entries[1:])
    )
    assert trust_list_from_json(trust_list_to_json(changed)) == changed
    assert trust_list_from_cbor(trust_list_to_cbor(changed)) == changed


# --------------------------------------------------------------------------- the strict reader


def _body(value: dict[str, object]) -> dict[str, object]:
    bodies = value["bodies"]
    assert isinstance(bodies, list)
    first = bodies[0]
    assert isinstance(first, dict)
    return first


def _key(value: dict[str, object]) -> dict[str, object]:
    keys = _body(value)["keys"]
    assert isinstance(keys, list)
    first = keys[0]
    assert isinstance(first, dict)
    return first


def _set(path: Callable[[dict[str, object]], dict[str, object]], name: str, item: object):  # type: ignore[no-untyped-def]
    def change(value: dict[str, object]) -> None:
        path(value)[name] = item

    return change


def _drop(path: Callable[[dict[str, object]], dict[str, object]], name: str):  # type: ignore[no-untyped-def]
    def change(value: dict[str, object]) -> None:
        del path(value)[name]

    return change


def _top(value: dict[str, object]) -> dict[str, object]:
    return value


def _second_body_copies(name: str):  # type: ignore[no-untyped-def]
    def change(value: dict[str, object]) -> None:
        bodies = value["bodies"]
        assert isinstance(bodies, list)
        bodies[1][name] = copy.deepcopy(bodies[0][name])

    return change


def _duplicate_first_key(value: dict[str, object]) -> None:
    keys = _body(value)["keys"]
    assert isinstance(keys, list)
    keys.append(copy.deepcopy(keys[0]))


def _duplicate_list_id(value: dict[str, object]) -> None:
    lists = _body(value)["status_lists"]
    assert isinstance(lists, list)
    lists.append({"id": lists[0]["id"], "uri": "https://elsewhere.example/status/9"})


RSA_LIKE = {"kty": "RSA", "n": "AQAB", "e": "AQAB"}


@pytest.mark.parametrize(
    "change",
    [
        _drop(_top, "seq"),
        _drop(_top, "bodies"),
        _set(_top, "extra", 1),
        _set(_top, "seq", -1),
        _set(_top, "seq", "1"),
        _set(_top, "iat", 1.5),
        _set(_top, "next_update", NOW_S - 10),  # before iat
        _set(_top, "exp", NOW_S + 10),  # before next_update
        _set(_top, "iss", ""),
        _set(_top, "bodies", {}),
        _set(_body, "code", "042057"),  # wrong check digit
        _set(_body, "code", 42056),
        _set(_body, "kind", "county"),
        _set(_body, "state", "paused"),
        _set(_body, "name", {"ja": "気仙沼市"}),
        _set(_body, "name", {"ja": "気仙沼市", "en": ""}),
        _set(_body, "issuer", 7),
        _set(_body, "issuer_url", "x" * 600),
        _set(_body, "state_since", "yesterday"),
        _set(_body, "keys", "none"),
        _set(_body, "surprise", True),
        _set(_body, "status_lists", [{"id": -1, "uri": "https://a.example/1"}]),
        _set(_body, "status_lists", [{"id": 1}]),
        _set(_body, "status_lists", [{"id": True, "uri": "https://a.example/1"}]),
        _set(_key, "kid", ""),
        _set(_key, "kid", "ключ"),  # not printable ASCII
        _set(_key, "jwk", RSA_LIKE),
        _set(_key, "jwk", {"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}),
        _set(_key, "jwk", "not a key"),
        _set(_key, "not_before", None),
        _set(_key, "not_after", 0),  # not after not_before
        _set(_key, "withdrawn_from", -5),
        _drop(_key, "not_before"),
        _set(_key, "alg", "ES256"),  # unknown member in a key entry
        _second_body_copies("code"),
        _second_body_copies("issuer"),
        _second_body_copies("status_lists"),  # one URI for two bodies
        _duplicate_first_key,
        _duplicate_list_id,
    ],
)
def test_malformed_lists_are_rejected(change: Callable[[dict[str, object]], None]) -> None:
    value = _json()
    change(value)
    assert _json_code(value) is ErrorCode.MALFORMED_TRUST_LIST


def test_jwk_with_its_own_kid_is_rejected() -> None:
    value = _json()
    jwk = _key(value)["jwk"]
    assert isinstance(jwk, dict)
    jwk["kid"] = "another"
    assert _json_code(value) is ErrorCode.MALFORMED_TRUST_LIST


def test_eddsa_keys_are_not_trust_list_keys() -> None:
    value = _json()
    _key(value)["jwk"] = {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
    }
    assert _json_code(value) is ErrorCode.MALFORMED_TRUST_LIST


def test_cbor_keys_must_be_full_points() -> None:
    value = trust_list_to_cbor(signed())
    bodies = value["bodies"]
    assert isinstance(bodies, list)
    cose_key = bodies[0]["keys"][0]["cose_key"]
    cose_key[-3] = True  # compressed form
    with pytest.raises(FormatError) as info:
        trust_list_from_cbor(value)
    assert info.value.code is ErrorCode.MALFORMED_TRUST_LIST


def test_cbor_point_off_the_curve_is_rejected() -> None:
    value = trust_list_to_cbor(signed())
    bodies = value["bodies"]
    assert isinstance(bodies, list)
    bodies[0]["keys"][0]["cose_key"][-3] = bytes(32)
    with pytest.raises(FormatError) as info:
        trust_list_from_cbor(value)
    assert info.value.code is ErrorCode.MALFORMED_TRUST_LIST


def test_limits_bound_the_list() -> None:
    assert _json_code(_json(), TrustListLimits(max_bodies=2)) is ErrorCode.MALFORMED_TRUST_LIST
    assert _json_code(_json(), TrustListLimits(max_keys_per_body=0)) is (
        ErrorCode.MALFORMED_TRUST_LIST
    )
    assert _json_code(_json(), TrustListLimits(max_status_lists_per_body=0)) is (
        ErrorCode.MALFORMED_TRUST_LIST
    )
    assert _json_code(_json(), TrustListLimits(max_text=5)) is ErrorCode.MALFORMED_TRUST_LIST


def test_top_level_must_be_a_map() -> None:
    assert _json_code([1, 2]) is ErrorCode.MALFORMED_TRUST_LIST
    assert _json_code(None) is ErrorCode.MALFORMED_TRUST_LIST
