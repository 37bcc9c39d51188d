"""Hypothesis properties of SD-JWT issuance, presentation and verification.

(a) round trip (RFC 9901 §7.1 steps 3-5, §7.2, §7.3): issue → Holder verify gives the unmarked
    claims; a selection presented with a KB-JWT gives exactly the selected claims and their
    ancestors, nothing else (data minimisation);
(b) tamper (§9.2, §9.10; catalogue S-1, S-19, J-16): any one-character change, insertion or
    deletion anywhere in an SD-JWT+KB is rejected with a ``FurusatoError`` and nothing else;
(c) decoys (§4.2.5) never change the processed payload;
(d) ``select_disclosures`` never returns a Disclosure unrelated to the requested paths, and
    returns every Disclosure a requested claim needs (§4.2.6);
(e) hostile digest structures (§7.1 steps 3-5; catalogue S-7, P-2) never crash the verifier
    and an accepted result never contains ``_sd``, ``...`` or ``_sd_alg``.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from furusato_vc.core.errors import FurusatoError
from furusato_vc.core.sdjwt import (
    NO_DECOYS,
    SD,
    ClaimInput,
    ClaimPath,
    DecoyPolicy,
    SdJwtLimits,
    create_presentation,
    issue_sd_jwt,
    select_disclosures,
    verify_sd_jwt,
)
from tests.core.sdjwt.builders import (
    NOW,
    TYP,
    arr_disclosure,
    base_payload,
    craft,
    dig,
    holder_policy,
    issue_sample,
    issuer_keys,
    issuer_signer,
    kb_request,
    obj_disclosure,
    registered_claims,
    verifier_policy,
)
from tests.helpers import SeededRandom

if TYPE_CHECKING:
    from furusato_vc.core.encoding import JSONValue
    from furusato_vc.core.sdjwt import IssuedSdJwt, VerifiedSdJwt
    from furusato_vc.core.sdjwt.disclosure import Disclosure

# Room for the largest generated trees; the limits themselves are tested elsewhere.
_BIG = SdJwtLimits(max_chars=4 * 1024 * 1024, max_disclosures=1000, max_json_bytes=1024 * 1024)
_HOLDER = holder_policy(limits=_BIG)
_VERIFIER = verifier_policy(limits=_BIG)
_KEYS = issuer_keys()

_RESERVED = frozenset({"_sd", "...", "_sd_alg", *registered_claims()})
_B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

_names = st.text(alphabet="abcxyz_.-名前住所", min_size=1, max_size=5).filter(
    lambda name: name not in _RESERVED
)
_scalars: st.SearchStrategy[ClaimInput] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=8),
)


def _maybe_sd(value: st.SearchStrategy[ClaimInput]) -> st.SearchStrategy[ClaimInput]:
    return st.tuples(st.booleans(), value).map(lambda pair: SD(pair[1]) if pair[0] else pair[1])


def _values(depth: int) -> st.SearchStrategy[ClaimInput]:
    """Claim values nesting at most ``depth`` more containers, with random SD markers."""
    if depth == 0:
        return _scalars
    child = _maybe_sd(_values(depth - 1))
    containers: st.SearchStrategy[ClaimInput] = st.one_of(
        st.lists(child, max_size=4),
        st.dictionaries(_names, child, max_size=4),
    )
    return st.one_of(_scalars, containers)


# The top-level object is depth 1; members add at most 4 more levels (depth ≤ 5).
_trees: st.SearchStrategy[dict[str, ClaimInput]] = st.dictionaries(
    _names, _maybe_sd(_values(4)), max_size=6
)


def _with_registered(tree: dict[str, ClaimInput]) -> dict[str, ClaimInput]:
    return {**registered_claims(), **tree}


def _unmarked(node: ClaimInput) -> JSONValue:
    if isinstance(node, SD):
        return _unmarked(node.value)
    if isinstance(node, dict):
        return {k: _unmarked(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_unmarked(v) for v in node]
    return node


def _paths(node: ClaimInput, path: ClaimPath = ()) -> list[tuple[ClaimPath, bool]]:
    """Every claim path below ``node`` with whether it is selectively disclosable. Array
    indices are those of the fully disclosed array (as the Holder sees it)."""
    out: list[tuple[ClaimPath, bool]] = []
    if isinstance(node, SD):
        out.append((path, True))
        node = node.value
    elif path:
        out.append((path, False))
    if isinstance(node, dict):
        for key, child in node.items():
            out.extend(_paths(child, (*path, key)))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            out.extend(_paths(child, (*path, index)))
    return out


class _Absent:
    pass


_ABSENT = _Absent()


def _pruned(
    node: ClaimInput, selected: set[ClaimPath], path: ClaimPath = ()
) -> JSONValue | _Absent:
    """What a Verifier must see when exactly the SD claims at ``selected`` are disclosed."""
    if isinstance(node, SD):
        if path not in selected:
            return _ABSENT
        node = node.value
    if isinstance(node, dict):
        obj: dict[str, JSONValue] = {}
        for key, child in node.items():
            value = _pruned(child, selected, (*path, key))
            if not isinstance(value, _Absent):
                obj[key] = value
        return obj
    if isinstance(node, list):
        arr: list[JSONValue] = []
        for index, child in enumerate(node):
            value = _pruned(child, selected, (*path, index))
            if not isinstance(value, _Absent):
                arr.append(value)
        return arr
    assert not isinstance(node, SD)
    return node


def _related(requested: ClaimPath, path: ClaimPath) -> bool:
    """One path is a prefix of the other; ``None`` in ``requested`` matches any index."""
    for want, have in zip(requested, path, strict=False):
        if want is None and isinstance(have, int):
            continue
        if want != have:
            return False
    return True


def _issue(claims: dict[str, ClaimInput], *, decoys: DecoyPolicy, seed: bytes) -> IssuedSdJwt:
    return issue_sd_jwt(
        claims, signer=issuer_signer(), typ=TYP, random=SeededRandom(seed), decoys=decoys
    )


def _holder_view(issued: IssuedSdJwt) -> VerifiedSdJwt:
    return verify_sd_jwt(issued.serialize(), policy=_HOLDER, issuer_keys=_KEYS, now=NOW)


def _requested_paths(data: st.DataObject, candidates: list[ClaimPath]) -> list[ClaimPath]:
    if not candidates:
        return []
    chosen = data.draw(st.lists(st.sampled_from(candidates), max_size=4), label="paths")
    wildcard = data.draw(st.booleans(), label="wildcard")
    if wildcard:
        chosen = [tuple(None if isinstance(p, int) else p for p in path) for path in chosen]
    return chosen


# --------------------------------------------------------------------------- (a) round trip


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=_trees, seed=st.binary(min_size=1, max_size=8), data=st.data())
def test_round_trip_holder_sees_everything_verifier_sees_exactly_the_selection(
    tree: dict[str, ClaimInput], seed: bytes, data: st.DataObject
) -> None:
    claims = _with_registered(tree)
    issued = _issue(claims, decoys=DecoyPolicy(), seed=seed)
    holder = _holder_view(issued)
    assert holder.claims == _unmarked(claims)

    all_paths = _paths(claims)
    sd_paths = {path for path, sd in all_paths if sd}
    assert {item.path for item in holder.disclosed} == sd_paths
    assert len(holder.disclosed) == len(issued.disclosures)

    requested = _requested_paths(data, [path for path, _ in all_paths])
    chosen = select_disclosures(holder.disclosed, requested)
    selected = {item.path for item in holder.disclosed if item.disclosure in chosen}
    presentation = create_presentation(
        issuer_jwt=issued.issuer_jwt, disclosures=chosen, key_binding=kb_request()
    )
    verified = verify_sd_jwt(presentation, policy=_VERIFIER, issuer_keys=_KEYS, now=NOW)
    assert verified.claims == _pruned(claims, selected)
    assert len(verified.disclosed) == len(chosen)
    for item in holder.disclosed:
        if item.path not in selected:
            assert item.disclosure.encoded not in presentation


# --------------------------------------------------------------------------- (b) tamper


@cache
def _valid_presentation() -> str:
    issued = issue_sample(decoys=DecoyPolicy())
    wanted = {"given_name", "address", "region", "since", "registered_municipalities"}
    holder = _holder_view(issued)
    chosen = select_disclosures(
        holder.disclosed,
        [
            ("given_name",),
            ("address", "region"),
            ("nationalities", 2),
            ("registered_municipalities",),
        ],
    )
    assert {d.name for d in chosen if d.name} <= wanted
    text = create_presentation(
        issuer_jwt=issued.issuer_jwt, disclosures=chosen, key_binding=kb_request()
    )
    verify_sd_jwt(text, policy=_VERIFIER, issuer_keys=_KEYS, now=NOW)  # the baseline is valid
    return text


def _assert_rejected(text: str) -> None:
    # Any other exception type propagates and fails the test.
    with pytest.raises(FurusatoError):
        verify_sd_jwt(text, policy=_VERIFIER, issuer_keys=_KEYS, now=NOW)


@settings(max_examples=100, deadline=None)
@given(position=st.integers(min_value=0), replacement=st.sampled_from(_B64URL))
def test_any_single_character_substitution_is_rejected(position: int, replacement: str) -> None:
    text = _valid_presentation()
    position %= len(text)
    assume(text[position] != replacement)
    _assert_rejected(text[:position] + replacement + text[position + 1 :])


@settings(max_examples=100, deadline=None)
@given(
    position=st.integers(min_value=0),
    inserted=st.sampled_from([*_B64URL, "~", ".", "=", " ", "+", "/", "é", "\x00"]),
)
def test_any_single_character_insertion_is_rejected(position: int, inserted: str) -> None:
    text = _valid_presentation()
    position %= len(text) + 1
    _assert_rejected(text[:position] + inserted + text[position:])


@settings(max_examples=100, deadline=None)
@given(position=st.integers(min_value=0))
def test_any_single_character_deletion_is_rejected(position: int) -> None:
    text = _valid_presentation()
    position %= len(text)
    _assert_rejected(text[:position] + text[position + 1 :])


@pytest.mark.parametrize("segment", ["issuer_jwt", "disclosure", "kb_jwt"])
def test_substitution_in_every_segment_is_rejected(segment: str) -> None:
    # A deterministic sweep over every position of one segment of each kind.
    text = _valid_presentation()
    parts = text.split("~")
    start = {
        "issuer_jwt": 0,
        "disclosure": len(parts[0]) + 1,
        "kb_jwt": text.rindex("~") + 1,
    }[segment]
    length = {"issuer_jwt": len(parts[0]), "disclosure": len(parts[1]), "kb_jwt": len(parts[-1])}[
        segment
    ]
    step = max(1, length // 60)
    for position in range(start, start + length, step):
        replacement = "A" if text[position] != "A" else "B"
        _assert_rejected(text[:position] + replacement + text[position + 1 :])


# --------------------------------------------------------------------------- (c) decoys


_decoy_policies = st.builds(
    DecoyPolicy,
    min_decoys=st.integers(min_value=0, max_value=5),
    pad_to_multiple=st.integers(min_value=1, max_value=8),
    array_decoys=st.integers(min_value=0, max_value=3),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=_trees, policy=_decoy_policies, seed=st.binary(min_size=1, max_size=8))
def test_decoys_never_change_the_processed_payload(
    tree: dict[str, ClaimInput], policy: DecoyPolicy, seed: bytes
) -> None:
    claims = _with_registered(tree)
    plain = _holder_view(_issue(claims, decoys=NO_DECOYS, seed=seed))
    padded = _holder_view(_issue(claims, decoys=policy, seed=seed))
    assert padded.claims == plain.claims == _unmarked(claims)
    # The order of `disclosed` follows the sorted digests, which depend on the salts.
    assert {item.path for item in padded.disclosed} == {item.path for item in plain.disclosed}


# --------------------------------------------------------------------------- (d) selection


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=_trees, data=st.data())
def test_select_disclosures_is_sound_and_complete(
    tree: dict[str, ClaimInput], data: st.DataObject
) -> None:
    claims = _with_registered(tree)
    holder = _holder_view(_issue(claims, decoys=NO_DECOYS, seed=b"select"))
    candidates = [path for path, _ in _paths(claims)]
    requested = _requested_paths(data, candidates)
    if data.draw(st.booleans(), label="add-unknown-path"):
        requested.append(("no-such-claim", 0))
    chosen = select_disclosures(holder.disclosed, requested)
    chosen_paths = [item.path for item in holder.disclosed if item.disclosure in chosen]
    # Sound: nothing unrelated to a requested path (data minimisation).
    for path in chosen_paths:
        assert any(_related(p, path) for p in requested), (path, requested)
    # Complete: every related Disclosure (ancestors, the claim itself, its contents).
    for item in holder.disclosed:
        if any(_related(p, item.path) for p in requested):
            assert item.disclosure in chosen
    # Issuance order is kept and nothing is repeated.
    positions = [
        next(i for i, item in enumerate(holder.disclosed) if item.disclosure == d) for d in chosen
    ]
    assert positions == sorted(set(positions))


# --------------------------------------------------------------------------- (e) hostile structure

_hostile_names = st.sampled_from(["a", "b", "c", "_sd", "...", "_sd_alg"])


def _ellipsis(digest_value: JSONValue) -> JSONValue:
    return {"...": digest_value}


def _ellipsis_with_extra(digest_value: JSONValue) -> JSONValue:
    return {"...": digest_value, "x": 1}


def _with_sd(pair: tuple[dict[str, JSONValue], list[JSONValue] | None]) -> JSONValue:
    members, sd = pair
    out: dict[str, JSONValue] = dict(members)
    if sd is not None:
        out["_sd"] = sd
    return out


def _hostile(refs: list[str], depth: int) -> st.SearchStrategy[JSONValue]:
    """JSON with digest carriers in right and wrong places, referencing ``refs``."""
    ref = st.sampled_from(refs)
    leaf: st.SearchStrategy[JSONValue] = st.one_of(st.none(), st.integers(-2, 2), ref)
    if depth == 0:
        return leaf
    child = _hostile(refs, depth - 1)
    element: st.SearchStrategy[JSONValue] = st.one_of(
        child, ref.map(_ellipsis), ref.map(_ellipsis_with_extra), st.just(_ellipsis(1))
    )
    sd_entries: st.SearchStrategy[list[JSONValue]] = st.lists(
        st.one_of(ref, ref, st.integers(0, 1)), max_size=3
    )
    obj = st.tuples(
        st.dictionaries(_hostile_names, child, max_size=3), st.one_of(st.none(), sd_entries)
    ).map(_with_sd)
    return st.one_of(leaf, st.lists(element, max_size=3), obj)


def _carrier_keys(value: JSONValue) -> set[str]:
    if isinstance(value, dict):
        found = {k for k in value if k in {"_sd", "...", "_sd_alg"}}
        for child in value.values():
            found |= _carrier_keys(child)
        return found
    if isinstance(value, list):
        return set().union(*(_carrier_keys(v) for v in value)) if value else set()
    return set()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_hostile_digest_structures_never_crash_and_never_leave_carriers(
    data: st.DataObject,
) -> None:
    # Catalogue S-7 / P-2: any arrangement of `_sd`, `...`, reserved names, repeated,
    # misplaced and unreferenced digests is either processed cleanly or rejected with a
    # FurusatoError; an accepted result never contains a digest carrier.
    pool: list[Disclosure] = []
    for _ in range(data.draw(st.integers(0, 5), label="pool size")):
        refs = [dig(d) for d in pool] + [dig("decoy")]
        value = data.draw(_hostile(refs, 2), label="disclosure value")
        if data.draw(st.booleans(), label="object disclosure"):
            pool.append(obj_disclosure(data.draw(_hostile_names, label="name"), value))
        else:
            pool.append(arr_disclosure(value))
    refs = [dig(d) for d in pool] + [dig("decoy")]
    members = data.draw(st.dictionaries(_hostile_names, _hostile(refs, 3), max_size=4))
    sd = data.draw(st.lists(st.sampled_from(refs), max_size=4), label="top-level _sd")
    payload = base_payload(**members)
    payload["_sd_alg"] = "sha-256"
    if sd:
        sd_values: list[JSONValue] = list(sd)
        payload["_sd"] = sd_values
    sent = data.draw(st.lists(st.sampled_from(pool), max_size=6), label="sent") if pool else []
    try:
        verified = verify_sd_jwt(craft(payload, sent), policy=_HOLDER, issuer_keys=_KEYS, now=NOW)
    except FurusatoError as exc:
        event(exc.code.value)
        return
    event("accepted")
    assert not _carrier_keys(verified.claims)
    assert len(verified.disclosed) == len(sent) == len({d.encoded for d in sent})
