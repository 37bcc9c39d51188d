"""The published JSON Schema of the trust list (``schemas/trust-list/``) describes what the
codec writes, and refuses what the codec refuses, for the mutations a hand-edited or foreign
list typically has."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from furusato_vc.core.errors import ErrorCode, FormatError
from furusato_vc.core.trustlist import BodyState, TrustedKey
from furusato_vc.core.trustlist.codec import trust_list_from_json, trust_list_to_json
from furusato_vc.core.trustlist.edit import add_key, set_state, withdraw_key
from tests.core.trustlist.builders import BODIES, KEYS_FROM, NOW_S, draft, signed
from tests.helpers import fixed_signer

jsonschema: Any = pytest.importorskip("jsonschema")

SCHEMA_FILE = Path(__file__).parents[3] / "schemas" / "trust-list" / "trust-list-1.schema.json"


def _validator() -> Any:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _document() -> dict[str, Any]:
    trust_list = draft()
    new_key = fixed_signer("rotated", kid="rotated-2028").public_jwk
    trust_list = add_key(trust_list, BODIES[0], TrustedKey(jwk=new_key, not_before=NOW_S))
    entry = trust_list.entry(BODIES[0])
    assert entry is not None
    first_kid = entry.keys[0].kid
    trust_list = withdraw_key(trust_list, BODIES[0], first_kid, from_=NOW_S - 3600)
    trust_list = set_state(trust_list, BODIES[1], BodyState.SUSPENDED, since=NOW_S - 60)
    document = json.loads(json.dumps(trust_list_to_json(signed(trust_list))))
    assert isinstance(document, dict)
    return document


def test_what_the_codec_writes_is_valid() -> None:
    document = _document()
    errors = [error.message for error in _validator().iter_errors(document)]
    assert errors == []
    parsed = trust_list_from_json(document)
    entry = parsed.entry(BODIES[0])
    assert entry is not None
    assert [key.withdrawn_from for key in entry.keys] == [NOW_S - 3600, None]
    assert entry.keys[0].not_before == KEYS_FROM
    assert {item["state"] for item in document["bodies"]} == {"active", "suspended"}


def _remove_state(doc: dict[str, Any]) -> None:
    del doc["bodies"][0]["state"]


def _unknown_state(doc: dict[str, Any]) -> None:
    doc["bodies"][0]["state"] = "paused"


def _unknown_member(doc: dict[str, Any]) -> None:
    doc["bodies"][0]["extension"] = {"critical": True}


def _unknown_top_member(doc: dict[str, Any]) -> None:
    doc["policy"] = "trust everyone"


def _private_key(doc: dict[str, Any]) -> None:
    doc["bodies"][0]["keys"][0]["jwk"]["d"] = doc["bodies"][0]["keys"][0]["jwk"]["x"]


def _rsa_key(doc: dict[str, Any]) -> None:
    doc["bodies"][0]["keys"][0]["jwk"] = {"kty": "RSA", "n": "AQAB", "e": "AQAB"}


def _short_code(doc: dict[str, Any]) -> None:
    doc["bodies"][0]["code"] = "04205"


def _string_time(doc: dict[str, Any]) -> None:
    doc["exp"] = str(doc["exp"])


def _no_keys_member(doc: dict[str, Any]) -> None:
    del doc["bodies"][0]["keys"]


def _list_without_uri(doc: dict[str, Any]) -> None:
    del doc["bodies"][0]["status_lists"][0]["uri"]


def _kid_with_space(doc: dict[str, Any]) -> None:
    doc["bodies"][0]["keys"][0]["kid"] = "two words"


@pytest.mark.parametrize(
    "mutate",
    [
        _remove_state,
        _unknown_state,
        _unknown_member,
        _unknown_top_member,
        _private_key,
        _rsa_key,
        _short_code,
        _string_time,
        _no_keys_member,
        _list_without_uri,
        _kid_with_space,
    ],
)
def test_schema_and_codec_both_refuse(mutate: Any) -> None:
    document = copy.deepcopy(_document())
    mutate(document)
    assert list(_validator().iter_errors(document)), "the schema accepted it"
    with pytest.raises(FormatError) as caught:
        trust_list_from_json(document)
    assert caught.value.code is ErrorCode.MALFORMED_TRUST_LIST
