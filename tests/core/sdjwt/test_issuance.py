"""Issuing SD-JWTs: salts (RFC 9901 §9.3), digest embedding (§4.2.4), decoys (§4.2.5),
recursive disclosures (§4.2.6), `_sd_alg` (§4.1.1), explicit typing (§9.11).

Catalogue rows: S-18 (salt entropy and uniqueness, decoys), S-3 at issuance (reserved names).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from furusato_vc.core.encoding import b64url_decode
from furusato_vc.core.errors import ErrorCode, IssuanceError
from furusato_vc.core.sdjwt import (
    NO_DECOYS,
    SD,
    DecoyPolicy,
    SdAlg,
    build_sd_payload,
    issue_sd_jwt,
    parse_disclosure,
    verify_sd_jwt,
)
from furusato_vc.core.sdjwt.hashing import digest
from tests.core.sdjwt.builders import (
    ISSUER_KID,
    NOW,
    TYP,
    decode_segment_json,
    dig,
    holder_policy,
    issue_sample,
    issuer_keys,
    issuer_signer,
    registered_claims,
    sample_claims,
)
from tests.helpers import SeededRandom

if TYPE_CHECKING:
    from furusato_vc.core.encoding import JSONObject, JSONValue
    from furusato_vc.core.sdjwt import ClaimInput, Disclosure, IssuedSdJwt


def _payload(issued: IssuedSdJwt) -> JSONObject:
    return decode_segment_json(issued.issuer_jwt.split(".")[1])


def _sd_arrays(value: JSONValue) -> list[list[str]]:
    """Every `_sd` array in a payload or Disclosure value, depth first."""
    found: list[list[str]] = []
    if isinstance(value, dict):
        sd = value.get("_sd")
        if isinstance(sd, list):
            found.append([d for d in sd if isinstance(d, str)])
        for child in value.values():
            found.extend(_sd_arrays(child))
    elif isinstance(value, list):
        for child in value:
            found.extend(_sd_arrays(child))
    return found


def _array_digests(value: JSONValue) -> list[str]:
    found: list[str] = []
    if isinstance(value, list):
        for element in value:
            if isinstance(element, dict) and set(element) == {"..."}:
                d = element["..."]
                assert isinstance(d, str)
                found.append(d)
            else:
                found.extend(_array_digests(element))
    elif isinstance(value, dict):
        for child in value.values():
            found.extend(_array_digests(child))
    return found


def _all_digests(issued: IssuedSdJwt) -> list[str]:
    roots: list[JSONValue] = [_payload(issued), *(d.value for d in issued.disclosures)]
    out: list[str] = []
    for root in roots:
        for sd in _sd_arrays(root):
            out.extend(sd)
        out.extend(_array_digests(root))
    return out


def _by_digest(issued: IssuedSdJwt) -> dict[str, Disclosure]:
    return {dig(d): d for d in issued.disclosures}


# --------------------------------------------------------------------------- salts (§9.3, S-18)


def test_salts_are_16_random_bytes_in_22_base64url_chars() -> None:
    issued = issue_sample()
    assert issued.disclosures
    for disclosure in issued.disclosures:
        assert len(disclosure.salt) == 22
        assert len(b64url_decode(disclosure.salt)) == 16


def test_salts_are_distinct_within_a_credential() -> None:
    issued = issue_sample(decoys=DecoyPolicy())
    salts = [d.salt for d in issued.disclosures]
    assert len(set(salts)) == len(salts)


def test_salts_are_distinct_across_two_credentials_from_one_random_source() -> None:
    random = SeededRandom("batch")
    first = build_sd_payload(sample_claims(), random=random)
    second = build_sd_payload(sample_claims(), random=random)
    salts = [d.salt for d in (*first.disclosures, *second.disclosures)]
    assert len(set(salts)) == len(salts)
    assert not set(_digests_of(first.payload)) & set(_digests_of(second.payload))


def test_salts_are_distinct_across_two_credentials_with_different_seeds() -> None:
    first = issue_sample(seed="one")
    second = issue_sample(seed="two")
    assert not {d.salt for d in first.disclosures} & {d.salt for d in second.disclosures}


def test_salts_come_only_from_the_injected_random_source() -> None:
    first = build_sd_payload(sample_claims(), random=SeededRandom("same"))
    second = build_sd_payload(sample_claims(), random=SeededRandom("same"))
    assert first == second


def _digests_of(payload: JSONObject) -> list[str]:
    return [d for sd in _sd_arrays(payload) for d in sd] + _array_digests(payload)


# --------------------------------------------------------------------------- embedding (§4.2.4)


def test_sd_arrays_are_sorted_in_payload_and_disclosures() -> None:
    issued = issue_sample(decoys=DecoyPolicy(min_decoys=3))
    roots: list[JSONValue] = [_payload(issued), *(d.value for d in issued.disclosures)]
    arrays = [sd for root in roots for sd in _sd_arrays(root)]
    assert len(arrays) >= 3  # top level, address, a registered municipality
    for sd in arrays:
        assert sd == sorted(sd)


def test_every_digest_appears_exactly_once() -> None:
    digests = _all_digests(issue_sample(decoys=DecoyPolicy(min_decoys=2, array_decoys=2)))
    assert len(digests) == len(set(digests))


def test_object_disclosures_have_three_elements_and_array_disclosures_two() -> None:
    issued = issue_sample()
    names = {d.name for d in issued.disclosures}
    assert {"given_name", "family_name", "birthdate", "address", "region"} <= names
    assert None in names  # array elements
    for disclosure in issued.disclosures:
        assert parse_disclosure(disclosure.encoded) == disclosure
        array = json.loads(b64url_decode(disclosure.encoded))
        assert isinstance(array, list)
        assert len(array) == (2 if disclosure.is_array_element else 3)
        assert array[0] == disclosure.salt


def test_registered_claims_stay_plaintext() -> None:
    payload = _payload(issue_sample())
    for name in ("iss", "iat", "exp", "vct", "cnf"):
        assert name in payload


def test_top_level_sd_digests_reference_only_top_level_claims() -> None:
    issued = issue_sample()
    by_digest = _by_digest(issued)
    top = _payload(issued)["_sd"]
    assert isinstance(top, list)
    names = {by_digest[d].name for d in top if isinstance(d, str) and d in by_digest}
    assert names == {"given_name", "family_name", "birthdate", "address"}


def test_array_elements_become_ellipsis_objects_in_place() -> None:
    issued = issue_sample()
    nationalities = _payload(issued)["nationalities"]
    assert isinstance(nationalities, list)
    assert nationalities[0] == "JP"
    by_digest = _by_digest(issued)
    values = []
    for element in nationalities[1:]:
        assert isinstance(element, dict)
        assert set(element) == {"..."}
        d = element["..."]
        assert isinstance(d, str)
        values.append(by_digest[d].value)
    assert values == ["US", "FR"]


# --------------------------------------------------------------------------- recursion (§4.2.6)


def test_recursive_disclosure_produces_child_disclosures_referenced_from_the_parent() -> None:
    issued = issue_sample()
    by_name = {d.name: d for d in issued.disclosures if d.name is not None}
    address = by_name["address"]
    assert isinstance(address.value, dict)
    assert address.value["country"] == "JP"
    child_digests = address.value["_sd"]
    assert isinstance(child_digests, list)
    children = {"region", "locality", "street_address"}
    assert {dig(by_name[n]) for n in children} == set(child_digests)
    top = _payload(issued)["_sd"]
    assert isinstance(top, list)
    assert not {dig(by_name[n]) for n in children} & set(top)


def test_array_element_disclosure_can_contain_sd_members() -> None:
    issued = issue_sample()
    by_name = {d.name: d for d in issued.disclosures if d.name is not None}
    since = by_name["since"]
    parents = [d for d in issued.disclosures if d.is_array_element and isinstance(d.value, dict)]
    assert len(parents) == 1
    value = parents[0].value
    assert isinstance(value, dict)
    assert value["code"] == "013951"
    assert value["_sd"] == [dig(since)]


def test_sd_inside_sd_without_a_container_is_refused() -> None:
    with pytest.raises(IssuanceError) as info:
        build_sd_payload({"a": SD(SD(1))}, random=SeededRandom())
    assert info.value.code is ErrorCode.SD_REQUEST_INVALID


def test_sd_marker_as_the_whole_claims_set_is_refused() -> None:
    # build_sd_payload's docstring: "an SD marker that is not an object property or array
    # element (e.g. the top level itself)" raises sd_request_invalid.
    with pytest.raises(IssuanceError) as info:
        build_sd_payload(SD({"a": 1}), random=SeededRandom())  # type: ignore[arg-type]
    assert info.value.code is ErrorCode.SD_REQUEST_INVALID


# --------------------------------------------------------------------------- decoys (§4.2.5)


def _top_level_counts(issued: IssuedSdJwt) -> tuple[int, int]:
    by_digest = _by_digest(issued)
    top = _payload(issued)["_sd"]
    assert isinstance(top, list)
    real = sum(1 for d in top if d in by_digest)
    return real, len(top) - real


@pytest.mark.parametrize(
    ("policy", "expected_decoys"),
    [
        (DecoyPolicy(), 4),  # 4 real + min 1 → 5, padded to 8
        (DecoyPolicy(min_decoys=0, pad_to_multiple=1, array_decoys=0), 0),
        (DecoyPolicy(min_decoys=3, pad_to_multiple=1), 3),
        (DecoyPolicy(min_decoys=0, pad_to_multiple=4), 0),  # 4 is already a multiple
        (DecoyPolicy(min_decoys=0, pad_to_multiple=5), 1),
        (DecoyPolicy(min_decoys=2, pad_to_multiple=4), 4),  # 6, padded to 8
        (DecoyPolicy(min_decoys=5, pad_to_multiple=3), 5),
    ],
)
def test_top_level_sd_gets_decoys_per_policy(policy: DecoyPolicy, expected_decoys: int) -> None:
    real, decoys = _top_level_counts(issue_sample(decoys=policy))
    assert real == 4
    assert decoys == expected_decoys
    assert (real + decoys) % policy.pad_to_multiple == 0
    assert decoys >= policy.min_decoys


def test_every_sd_array_is_padded_with_at_least_min_decoys() -> None:
    policy = DecoyPolicy(min_decoys=2, pad_to_multiple=4)
    issued = issue_sample(decoys=policy)
    by_digest = _by_digest(issued)
    roots: list[JSONValue] = [_payload(issued), *(d.value for d in issued.disclosures)]
    for sd in (sd for root in roots for sd in _sd_arrays(root)):
        decoys = sum(1 for d in sd if d not in by_digest)
        assert decoys >= 2
        assert len(sd) % 4 == 0


def test_decoy_digests_match_no_disclosure_and_look_like_real_ones() -> None:
    issued = issue_sample(decoys=DecoyPolicy(min_decoys=3, array_decoys=2))
    by_digest = _by_digest(issued)
    digests = _all_digests(issued)
    decoys = [d for d in digests if d not in by_digest]
    assert len(decoys) >= 3
    assert len(set(decoys)) == len(decoys)
    for d in decoys:
        assert len(d) == 43  # base64url of a SHA-256 digest
        assert len(b64url_decode(d)) == 32


@pytest.mark.parametrize("array_decoys", [0, 1, 3])
def test_arrays_with_sd_elements_get_array_decoys(array_decoys: int) -> None:
    policy = DecoyPolicy(min_decoys=0, pad_to_multiple=1, array_decoys=array_decoys)
    issued = issue_sample(decoys=policy)
    by_digest = _by_digest(issued)
    nationalities = _payload(issued)["nationalities"]
    assert isinstance(nationalities, list)
    assert len(nationalities) == 3 + array_decoys
    assert "JP" in nationalities
    fake = [e for e in nationalities if isinstance(e, dict) and e.get("...") not in by_digest]
    assert len(fake) == array_decoys


def test_arrays_without_sd_elements_get_no_decoys() -> None:
    claims: dict[str, ClaimInput] = {
        **registered_claims(),
        "given_name": SD("太郎"),
        "languages": ["ja", "en"],
    }
    issued = issue_sample(claims, decoys=DecoyPolicy(array_decoys=3))
    assert _payload(issued)["languages"] == ["ja", "en"]


def test_objects_without_sd_members_get_no_sd_array() -> None:
    claims: dict[str, ClaimInput] = {
        **registered_claims(),
        "given_name": SD("太郎"),
        "household": {"size": 3},
    }
    issued = issue_sample(claims, decoys=DecoyPolicy(min_decoys=4))
    assert _payload(issued)["household"] == {"size": 3}


def test_no_decoys_policy_adds_nothing() -> None:
    issued = issue_sample(decoys=NO_DECOYS)
    by_digest = _by_digest(issued)
    assert all(d in by_digest for d in _all_digests(issued))
    assert len(_all_digests(issued)) == len(issued.disclosures)


@pytest.mark.parametrize(
    "kwargs",
    [{"min_decoys": -1}, {"pad_to_multiple": 0}, {"array_decoys": -1}],
)
def test_decoy_policy_rejects_negative_counts(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="decoy"):
        DecoyPolicy(**kwargs)


def test_decoys_do_not_change_the_processed_claims() -> None:
    plain = verify_sd_jwt(
        issue_sample(decoys=NO_DECOYS).serialize(),
        policy=holder_policy(),
        issuer_keys=issuer_keys(),
        now=NOW,
    )
    padded = verify_sd_jwt(
        issue_sample(decoys=DecoyPolicy(min_decoys=5, array_decoys=4)).serialize(),
        policy=holder_policy(),
        issuer_keys=issuer_keys(),
        now=NOW,
    )
    assert plain.claims == padded.claims


# --------------------------------------------------------------------------- _sd_alg (§4.1.1)


def test_sd_alg_is_written_when_something_is_selectively_disclosable() -> None:
    assert _payload(issue_sample())["_sd_alg"] == SdAlg.SHA_256.value


def test_sd_alg_is_absent_when_nothing_is_selectively_disclosable() -> None:
    issued = issue_sample(registered_claims(), decoys=DecoyPolicy())
    payload = _payload(issued)
    assert "_sd_alg" not in payload
    assert "_sd" not in payload
    assert issued.disclosures == ()


def test_digest_matches_the_rfc_9901_check_value() -> None:
    # RFC 9901 §5.1 / §4.2.3: the digest is over the base64url text, not the decoded bytes.
    disclosure = "WyJfMjZiYzRMVC1hYzZxMktJNmNCVzVlcyIsICJmYW1pbHlfbmFtZSIsICJNw7ZiaXVzIl0"
    assert digest(SdAlg.SHA_256, disclosure) == "X9yH0Ajrdm1Oij4tWso9UzzKJvPoDxwmuEcO3XAdRC0"


# --------------------------------------------------------------------------- reserved names


@pytest.mark.parametrize("name", ["_sd", "...", "_sd_alg"])
@pytest.mark.parametrize("selectively_disclosable", [False, True])
def test_reserved_name_at_top_level_is_refused(name: str, selectively_disclosable: bool) -> None:
    value: ClaimInput = SD("x") if selectively_disclosable else "x"
    with pytest.raises(IssuanceError) as info:
        build_sd_payload({**registered_claims(), name: value}, random=SeededRandom())
    assert info.value.code is ErrorCode.SD_REQUEST_INVALID


@pytest.mark.parametrize("name", ["_sd", "...", "_sd_alg"])
@pytest.mark.parametrize("selectively_disclosable", [False, True])
def test_reserved_name_in_nested_object_is_refused(
    name: str, selectively_disclosable: bool
) -> None:
    value: ClaimInput = SD("x") if selectively_disclosable else "x"
    claims: dict[str, ClaimInput] = {
        **registered_claims(),
        "address": SD({"country": "JP", name: value}),
    }
    with pytest.raises(IssuanceError) as info:
        build_sd_payload(claims, random=SeededRandom())
    assert info.value.code is ErrorCode.SD_REQUEST_INVALID


def test_reserved_name_inside_an_array_element_object_is_refused() -> None:
    claims: dict[str, ClaimInput] = {**registered_claims(), "list": [{"_sd": ["x"]}]}
    with pytest.raises(IssuanceError) as info:
        build_sd_payload(claims, random=SeededRandom())
    assert info.value.code is ErrorCode.SD_REQUEST_INVALID


# --------------------------------------------------------------------------- header (§9.11)


def test_issued_header_carries_typ_alg_and_kid() -> None:
    issued = issue_sample()
    header = decode_segment_json(issued.issuer_jwt.split(".")[0])
    assert header == {"alg": "ES256", "kid": ISSUER_KID, "typ": TYP}


def test_extra_header_parameters_are_added() -> None:
    issued = issue_sd_jwt(
        sample_claims(),
        signer=issuer_signer(),
        typ=TYP,
        random=SeededRandom(),
        extra_header={"x5t#S256": "abc"},
    )
    header = decode_segment_json(issued.issuer_jwt.split(".")[0])
    assert header["typ"] == TYP
    assert header["kid"] == ISSUER_KID
    assert header["x5t#S256"] == "abc"


def test_serialize_is_the_compact_sd_jwt_with_a_final_tilde() -> None:
    issued = issue_sample()
    text = issued.serialize()
    assert text.endswith("~")
    assert text.split("~") == [issued.issuer_jwt, *(d.encoded for d in issued.disclosures), ""]


def test_issued_credential_verifies_with_all_claims() -> None:
    issued = issue_sample(decoys=DecoyPolicy())
    verified = verify_sd_jwt(
        issued.serialize(), policy=holder_policy(), issuer_keys=issuer_keys(), now=NOW
    )
    claims = verified.claims
    assert claims["given_name"] == "太郎"
    assert claims["address"] == {
        "country": "JP",
        "region": "北海道",
        "locality": "ニセコ町",
        "street_address": "富士見1-2-3",
    }
    assert claims["nationalities"] == ["JP", "US", "FR"]
    assert claims["registered_municipalities"] == [{"code": "013951", "since": "2026-10-01"}]
    assert "_sd_alg" not in claims
    assert len(verified.disclosed) == len(issued.disclosures)
