"""The trust list's two wire forms: JSON (the payload of the JWS) and CBOR (the payload of the
COSE_Sign1 for small verifiers). Both carry the same members with the same text names; only
key material differs (a JWK in JSON, a COSE_Key in CBOR).

::

    {"iss": "https://trust.example.jp", "seq": 42, "iat": …, "next_update": …, "exp": …,
     "bodies": [{"code": "203858", "name": {"ja": "長野県南箕輪村", "en": "…"},
                 "kind": "village", "issuer": "https://…", "issuer_url": "https://…",
                 "state": "active", "state_since": null,
                 "keys": [{"kid": "…", "jwk": {…} | "cose_key": {…},
                           "not_before": …, "not_after": null, "withdrawn_from": null}],
                 "status_lists": [{"id": 1, "uri": "https://…/status/1"}]}]}

Parsing is strict: every member has one type, unknown members are refused (a verifier must
not silently ignore a rule it does not understand: TS 119 602's critical-extension rule),
codes, issuers, kids, list ids and URIs are unique where they must be, and sizes are bounded.
Every violation is ``malformed_trust_list``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from furusato_vc.core.cose import public_jwk_from_cose_key
from furusato_vc.core.encoding import b64url_decode
from furusato_vc.core.errors import ErrorCode, FormatError
from furusato_vc.core.jose.algorithms import JwsAlgorithm
from furusato_vc.core.jose.jwk import parse_public_jwk
from furusato_vc.core.registration.bodies import BodyKind, validate_body_code
from furusato_vc.core.trustlist.model import (
    BodyState,
    StatusListLocation,
    TrustedKey,
    TrustList,
    TrustListEntry,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from furusato_vc.core.jose.jwk import PublicJwk

__all__ = [
    "DEFAULT_TRUST_LIST_LIMITS",
    "TrustListLimits",
    "trust_list_entry_to_json",
    "trust_list_from_cbor",
    "trust_list_from_json",
    "trust_list_to_cbor",
    "trust_list_to_json",
]

_MAX_TIME = 2**53


@dataclass(frozen=True, slots=True, kw_only=True)
class TrustListLimits:
    max_bodies: int = 4096  # 1,788 bodies today
    max_keys_per_body: int = 16
    max_status_lists_per_body: int = 1024
    max_text: int = 512


DEFAULT_TRUST_LIST_LIMITS = TrustListLimits()


def _bad(detail: str) -> FormatError:
    return FormatError(ErrorCode.MALFORMED_TRUST_LIST, detail)


# ---------------------------------------------------------------------------- writing


def _cose_key(jwk: PublicJwk) -> dict[object, object]:
    # RFC 9052 §7 / RFC 9053 §7.1: EC2, P-256, the full point (no decompression at load)
    return {1: 2, -1: 1, -2: b64url_decode(jwk.x), -3: b64url_decode(jwk.y or "")}


def _plain_entry(
    entry: TrustListEntry, key_member: str, key_value: Callable[[PublicJwk], object]
) -> dict[str, object]:
    return {
        "code": entry.body_code,
        "name": {"ja": entry.name_ja, "en": entry.name_en},
        "kind": entry.kind.value,
        "issuer": entry.issuer,
        "issuer_url": entry.issuer_url,
        "state": entry.state.value,
        "state_since": entry.state_since,
        "keys": [
            {
                "kid": key.kid,
                key_member: key_value(key.jwk),
                "not_before": key.not_before,
                "not_after": key.not_after,
                "withdrawn_from": key.withdrawn_from,
            }
            for key in entry.keys
        ],
        "status_lists": [
            {"id": location.list_id, "uri": location.uri} for location in entry.status_lists
        ],
    }


def _plain(
    trust_list: TrustList, key_member: str, key_value: Callable[[PublicJwk], object]
) -> dict[str, object]:
    return {
        "iss": trust_list.operator,
        "seq": trust_list.sequence,
        "iat": trust_list.issued_at,
        "next_update": trust_list.next_update,
        "exp": trust_list.expires_at,
        "bodies": [_plain_entry(entry, key_member, key_value) for entry in trust_list.entries],
    }


def _jwk_value(jwk: PublicJwk) -> object:
    return jwk.to_json(include_kid=False)


def trust_list_entry_to_json(entry: TrustListEntry) -> dict[str, object]:
    """One body's entry in the JSON form (what an issuer hands the anchor operator)."""
    return _plain_entry(entry, "jwk", _jwk_value)


def trust_list_to_json(trust_list: TrustList) -> dict[str, object]:
    return _plain(trust_list, "jwk", _jwk_value)


def trust_list_to_cbor(trust_list: TrustList) -> dict[str, object]:
    return _plain(trust_list, "cose_key", _cose_key)


# ---------------------------------------------------------------------------- reading


def _members(
    value: object, required: frozenset[str], optional: frozenset[str], what: str
) -> Mapping[str, object]:
    if not isinstance(value, dict):
        raise _bad(f"{what} is not a map")
    keys = set(value)
    if not required <= keys:
        raise _bad(f"{what} lacks {sorted(str(k) for k in required - keys)}")
    if keys - required - optional:
        raise _bad(f"{what} has unknown members")
    return value


def _time(value: object, what: str, *, optional: bool = False) -> int | None:
    if value is None and optional:
        return None
    if type(value) is not int or not 0 <= value < _MAX_TIME:
        raise _bad(f"{what} is not a NumericDate")
    return value


def _required_time(value: object, what: str) -> int:
    moment = _time(value, what)
    assert moment is not None
    return moment


def _text(value: object, what: str, limits: TrustListLimits) -> str:
    if not isinstance(value, str) or not value or len(value) > limits.max_text:
        raise _bad(f"{what} is not a short text")
    return value


def _list(value: object, what: str, limit: int) -> list[object] | tuple[object, ...]:
    if not isinstance(value, list | tuple):
        raise _bad(f"{what} is not an array")
    if len(value) > limit:
        raise _bad(f"{what} has more than {limit} items")
    return value


_KEY_OPTIONAL = frozenset({"not_after", "withdrawn_from"})


def _key(value: object, *, key_member: str, parse_key: Callable[[object], PublicJwk]) -> TrustedKey:
    members = _members(
        value, frozenset({"kid", key_member, "not_before"}), _KEY_OPTIONAL, "key entry"
    )
    kid = members["kid"]
    if not isinstance(kid, str) or not kid or len(kid) > 128:
        raise _bad("kid is not a short text")
    try:
        jwk = parse_key(members[key_member])
    except FormatError as exc:
        raise _bad(f"key {kid}: {exc.detail}") from exc
    # K-6: an entry pins key type, curve and algorithm together; only ES256 keys are listed.
    if jwk.algorithm is not JwsAlgorithm.ES256:
        raise _bad(f"key {kid} is not an ES256 (P-256) key")
    not_before = _required_time(members["not_before"], "not_before")
    not_after = _time(members.get("not_after"), "not_after", optional=True)
    withdrawn_from = _time(members.get("withdrawn_from"), "withdrawn_from", optional=True)
    if not_after is not None and not_after <= not_before:
        raise _bad(f"key {kid}: not_after is not after not_before")
    try:
        named = jwk.with_kid(kid)
    except ValueError as exc:
        raise _bad("kid must be 1-128 printable ASCII characters") from exc
    return TrustedKey(
        jwk=named,
        not_before=not_before,
        not_after=not_after,
        withdrawn_from=withdrawn_from,
    )


_ENTRY_REQUIRED = frozenset(
    {"code", "name", "kind", "issuer", "issuer_url", "state", "keys", "status_lists"}
)


def _entry(
    value: object,
    *,
    limits: TrustListLimits,
    key_member: str,
    parse_key: Callable[[object], PublicJwk],
) -> TrustListEntry:
    members = _members(value, _ENTRY_REQUIRED, frozenset({"state_since"}), "body entry")
    code = members["code"]
    if not isinstance(code, str):
        raise _bad("body code is not a string")
    try:
        validate_body_code(code)
    except FormatError as exc:
        raise _bad(f"body code: {exc.detail}") from exc
    name = _members(members["name"], frozenset({"ja", "en"}), frozenset(), f"{code} name")
    kind_value = members["kind"]
    if kind_value not in {kind.value for kind in BodyKind}:
        raise _bad(f"{code}: unknown kind")
    state_value = members["state"]
    if state_value not in {state.value for state in BodyState}:
        raise _bad(f"{code}: unknown state")
    keys = tuple(
        _key(item, key_member=key_member, parse_key=parse_key)
        for item in _list(members["keys"], f"{code} keys", limits.max_keys_per_body)
    )
    if len({key.kid for key in keys}) != len(keys):
        raise _bad(f"{code}: two keys share a kid")
    locations: list[StatusListLocation] = []
    for item in _list(
        members["status_lists"], f"{code} status lists", limits.max_status_lists_per_body
    ):
        location = _members(item, frozenset({"id", "uri"}), frozenset(), "status list")
        list_id = location["id"]
        if type(list_id) is not int or not 0 <= list_id < 2**32:
            raise _bad(f"{code}: status list id is not a small unsigned integer")
        locations.append(
            StatusListLocation(list_id=list_id, uri=_text(location["uri"], "uri", limits))
        )
    if len({location.list_id for location in locations}) != len(locations):
        raise _bad(f"{code}: two status lists share an id")
    return TrustListEntry(
        body_code=code,
        name_ja=_text(name["ja"], "name ja", limits),
        name_en=_text(name["en"], "name en", limits),
        kind=BodyKind(str(kind_value)),
        issuer=_text(members["issuer"], "issuer", limits),
        issuer_url=_text(members["issuer_url"], "issuer_url", limits),
        state=BodyState(str(state_value)),
        state_since=_time(members.get("state_since"), "state_since", optional=True),
        keys=keys,
        status_lists=tuple(locations),
    )


_LIST_REQUIRED = frozenset({"iss", "seq", "iat", "next_update", "exp", "bodies"})


def _trust_list(
    value: object,
    *,
    limits: TrustListLimits,
    key_member: str,
    parse_key: Callable[[object], PublicJwk],
) -> TrustList:
    members = _members(value, _LIST_REQUIRED, frozenset(), "trust list")
    sequence = _required_time(members["seq"], "seq")
    issued_at = _required_time(members["iat"], "iat")
    next_update = _required_time(members["next_update"], "next_update")
    expires_at = _required_time(members["exp"], "exp")
    if not issued_at < next_update <= expires_at:
        raise _bad("times must satisfy iat < next_update <= exp")
    entries = tuple(
        _entry(item, limits=limits, key_member=key_member, parse_key=parse_key)
        for item in _list(members["bodies"], "bodies", limits.max_bodies)
    )
    for what, values in (
        ("body code", [entry.body_code for entry in entries]),
        ("issuer", [entry.issuer for entry in entries]),
        ("status list uri", [loc.uri for entry in entries for loc in entry.status_lists]),
    ):
        if len(set(values)) != len(values):
            raise _bad(f"a {what} appears twice")  # each must map to exactly one body
    return TrustList(
        operator=_text(members["iss"], "iss", limits),
        sequence=sequence,
        issued_at=issued_at,
        next_update=next_update,
        expires_at=expires_at,
        entries=entries,
    )


def _jwk_member(value: object) -> PublicJwk:
    if not isinstance(value, dict) or "kid" in value:
        raise _bad("jwk must be a JSON object without kid (the entry carries it)")
    return parse_public_jwk(value)


def _cose_key_member(value: object) -> PublicJwk:
    if not isinstance(value, dict) or not isinstance(value.get(-3), bytes):
        raise _bad("cose_key must be a COSE_Key map with the full point")
    return public_jwk_from_cose_key(value)


def trust_list_from_json(
    value: object, *, limits: TrustListLimits = DEFAULT_TRUST_LIST_LIMITS
) -> TrustList:
    """Raises:
    FormatError: ``malformed_trust_list``.
    """
    return _trust_list(value, limits=limits, key_member="jwk", parse_key=_jwk_member)


def trust_list_from_cbor(
    value: object, *, limits: TrustListLimits = DEFAULT_TRUST_LIST_LIMITS
) -> TrustList:
    """Raises:
    FormatError: ``malformed_trust_list``.
    """
    return _trust_list(value, limits=limits, key_member="cose_key", parse_key=_cose_key_member)
