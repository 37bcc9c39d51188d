"""One test per rejection of ``verify_sd_jwt``, each asserting the exact error code.

Section headers name the RFC 9901 rule (§7.1 steps, §7.3 steps, §4 format) and the rows of the
standards reject table (standards.md §1.4, "T<n>") and the security catalogue (§2.C/§2.D,
"S-<n>", "P-<n>", "J-<n>"). Hand-crafted inputs are signed by the trusted issuer key so that
each one is rejected for exactly the defect it carries; the ``*_baseline_*`` tests show that
the undamaged input is accepted.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import TYPE_CHECKING

import pytest

from furusato_vc.core.encoding import b64url_decode, b64url_encode, dumps_compact
from furusato_vc.core.errors import (
    ErrorCode,
    ErrorFamily,
    FormatError,
    FurusatoError,
    VerificationError,
)
from furusato_vc.core.jose import private_jwk, sign_compact_jws
from furusato_vc.core.sdjwt import (
    SD,
    KeyBindingPolicy,
    SdJwtLimits,
    SdJwtPolicy,
    StaticIssuerKeys,
    VerifiedSdJwt,
    verify_sd_jwt,
)
from tests.core.sdjwt.builders import (
    AUDIENCE,
    EXP,
    IAT,
    ISSUER,
    ISSUER_KID,
    NONCE,
    NOW,
    NOW_S,
    TYP,
    arr_disclosure,
    at_seconds,
    base_payload,
    craft,
    dig,
    holder_policy,
    holder_signer,
    hs256_jws,
    issue_sample,
    issuer_keys,
    issuer_signer,
    kb_jwt,
    kb_request,
    obj_disclosure,
    other_signer,
    present,
    raw_disclosure,
    registered_claims,
    sd_hash_of,
    sign_payload,
    sign_raw,
    unsigned_jws,
    verifier_policy,
)
from tests.helpers import fixed_p256_key

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from furusato_vc.core.encoding import JSONObject, JSONValue
    from furusato_vc.core.jose import SoftwareSigner
    from furusato_vc.core.sdjwt import IssuedSdJwt
    from furusato_vc.core.sdjwt.disclosure import Disclosure


def _verify(
    text: str,
    *,
    policy: SdJwtPolicy | None = None,
    keys: StaticIssuerKeys | None = None,
    now: datetime = NOW,
) -> VerifiedSdJwt:
    return verify_sd_jwt(
        text,
        policy=holder_policy() if policy is None else policy,
        issuer_keys=issuer_keys() if keys is None else keys,
        now=now,
    )


def _reject(
    text: str,
    code: ErrorCode,
    *,
    policy: SdJwtPolicy | None = None,
    keys: StaticIssuerKeys | None = None,
    now: datetime = NOW,
) -> None:
    with pytest.raises(FurusatoError) as info:
        _verify(text, policy=policy, keys=keys, now=now)
    assert info.value.code is code, f"expected {code.value}, got {info.value!r}"
    family = FormatError if code.family is ErrorFamily.FORMAT else VerificationError
    assert isinstance(info.value, family)


def _kb_reject(text: str, code: ErrorCode, *, policy: SdJwtPolicy | None = None) -> None:
    _reject(text, code, policy=verifier_policy() if policy is None else policy)


def _with_kb(
    payload: JSONObject | None = None,
    disclosures: Sequence[Disclosure] = (),
    *,
    header: JSONObject | None = None,
    kb_payload: JSONObject | None = None,
    drop: Iterable[str] = (),
    signer: SoftwareSigner | None = None,
) -> str:
    """A correctly issued SD-JWT with a KB-JWT built from the given overrides."""
    jwt = sign_payload(base_payload() if payload is None else payload)
    encoded = [d.encoded for d in disclosures]
    kb = kb_jwt(
        issuer_jwt=jwt,
        disclosures=encoded,
        header=header,
        payload=kb_payload,
        drop=drop,
        signer=signer,
    )
    return "~".join((jwt, *encoded)) + "~" + kb


def _tamper_value(disclosure: Disclosure, value: JSONValue) -> str:
    """The same Disclosure with its value edited and re-encoded (salt and name kept)."""
    if disclosure.name is None:
        return raw_disclosure(dumps_compact([disclosure.salt, value]))
    return raw_disclosure(dumps_compact([disclosure.salt, disclosure.name, value]))


def _issued() -> IssuedSdJwt:
    return issue_sample()


def _by_name(issued: IssuedSdJwt, name: str) -> Disclosure:
    return next(d for d in issued.disclosures if d.name == name)


# =========================================================================== baselines


def test_crafted_baseline_is_accepted_without_and_with_key_binding() -> None:
    given = obj_disclosure("given_name", "太郎")
    element = arr_disclosure("US")
    payload = base_payload(_sd=[dig(given)], nationalities=["JP", {"...": dig(element)}])
    bare = _verify(craft(payload, [given, element]))
    assert bare.claims["given_name"] == "太郎"
    assert bare.claims["nationalities"] == ["JP", "US"]
    bound = _verify(craft(payload, [given, element], kb=True), policy=verifier_policy())
    assert bound.key_binding is not None
    assert bound.key_binding.nonce == NONCE


def test_sample_baseline_is_accepted_with_key_binding() -> None:
    issued = _issued()
    verified = _verify(present(issued, kb=kb_request()), policy=verifier_policy())
    assert verified.claims["address"] == {
        "country": "JP",
        "region": "北海道",
        "locality": "ニセコ町",
        "street_address": "富士見1-2-3",
    }
    assert verified.key_binding is not None
    assert verified.key_binding.holder_key == holder_signer().public_jwk


# =========================================================================== §4 compact form,
# §7.3 steps 1-2: KB required by policy, never by presence (T15, T20; S-10, S-17, S-19)


def test_kb_stripping_trailing_tilde_only_is_kb_required() -> None:
    _kb_reject(_issued().serialize(), ErrorCode.KB_REQUIRED)


def test_kb_stripped_from_a_valid_presentation_is_kb_required() -> None:
    full = present(_issued(), kb=kb_request())
    stripped = full[: full.rindex("~") + 1]
    assert _verify(full, policy=verifier_policy()).key_binding is not None
    _kb_reject(stripped, ErrorCode.KB_REQUIRED)


def test_kb_present_when_policy_expects_none_is_kb_not_expected() -> None:
    # §7.2: a Holder must reject an SD-JWT+KB received from an Issuer.
    _reject(present(_issued(), kb=kb_request()), ErrorCode.KB_NOT_EXPECTED)


def test_garbage_after_final_tilde_is_kb_not_expected_for_a_bare_sd_jwt() -> None:
    _reject(_issued().serialize() + "xyz", ErrorCode.KB_NOT_EXPECTED)


def test_empty_disclosure_between_tildes_is_malformed() -> None:
    issued = _issued()
    text = issued.issuer_jwt + "~" + issued.disclosures[0].encoded + "~~"
    _reject(text, ErrorCode.MALFORMED_SD_JWT)


def test_leading_empty_disclosure_is_malformed() -> None:
    _reject(_issued().issuer_jwt + "~~", ErrorCode.MALFORMED_SD_JWT)


@pytest.mark.parametrize("kb", [False, True])
def test_no_tilde_at_all_is_malformed(kb: bool) -> None:
    policy = verifier_policy() if kb else holder_policy()
    _reject(_issued().issuer_jwt, ErrorCode.MALFORMED_SD_JWT, policy=policy)


def test_empty_issuer_jwt_is_malformed() -> None:
    _reject("~" + _issued().disclosures[0].encoded + "~", ErrorCode.MALFORMED_SD_JWT)


def test_empty_input_is_malformed() -> None:
    _reject("", ErrorCode.MALFORMED_SD_JWT)


def test_more_than_max_disclosures_is_rejected() -> None:
    issued = _issued()
    count = len(issued.disclosures)
    at_limit = holder_policy(limits=SdJwtLimits(max_disclosures=count))
    assert _verify(issued.serialize(), policy=at_limit).claims
    below = holder_policy(limits=SdJwtLimits(max_disclosures=count - 1))
    _reject(issued.serialize(), ErrorCode.TOO_MANY_DISCLOSURES, policy=below)


def test_ten_thousand_disclosures_are_rejected_before_decoding() -> None:
    text = _issued().issuer_jwt + "~" + "A~" * 10_000
    _reject(
        text,
        ErrorCode.TOO_MANY_DISCLOSURES,
        policy=holder_policy(limits=SdJwtLimits(max_chars=10**6)),
    )


def test_oversize_input_is_rejected() -> None:
    text = _issued().serialize()
    assert _verify(text, policy=holder_policy(limits=SdJwtLimits(max_chars=len(text)))).claims
    small = holder_policy(limits=SdJwtLimits(max_chars=len(text) - 1))
    _reject(text, ErrorCode.INPUT_TOO_LARGE, policy=small)


def test_default_limit_rejects_a_huge_input() -> None:
    _reject(_issued().serialize() + "A" * (64 * 1024), ErrorCode.INPUT_TOO_LARGE)


@pytest.mark.parametrize("json_bytes", [1001, 1002, 1003, 4000])
def test_oversize_disclosure_is_input_too_large(json_bytes: int) -> None:
    # `["s","big","xx…x"]` is 14 bytes plus the value; the limit is on the decoded JSON.
    big = obj_disclosure("big", "x" * (json_bytes - 14), salt="s")
    assert len(b64url_decode(big.encoded)) == json_bytes
    policy = holder_policy(limits=SdJwtLimits(max_json_bytes=1000))
    _reject(craft(base_payload(_sd=[dig(big)]), [big]), ErrorCode.INPUT_TOO_LARGE, policy=policy)


def test_disclosure_at_the_json_size_limit_is_accepted() -> None:
    big = obj_disclosure("big", "x" * (1000 - 14), salt="s")
    policy = holder_policy(limits=SdJwtLimits(max_json_bytes=1000))
    assert _verify(craft(base_payload(_sd=[dig(big)]), [big]), policy=policy).claims["big"]


def test_oversize_kb_jwt_is_input_too_large() -> None:
    _kb_reject(_with_kb(kb_payload={"pad": "x" * 8192}), ErrorCode.INPUT_TOO_LARGE)


def test_kb_jwt_with_two_segments_is_malformed_jws() -> None:
    text = present(_issued(), kb=kb_request())
    kb = text[text.rindex("~") + 1 :]
    two = kb.rsplit(".", 1)[0]
    _kb_reject(text[: text.rindex("~") + 1] + two, ErrorCode.MALFORMED_JWS)


def test_kb_jwt_with_empty_signature_is_malformed_jws() -> None:
    text = present(_issued(), kb=kb_request())
    _kb_reject(text[: text.rindex(".") + 1], ErrorCode.MALFORMED_JWS)


def test_non_jwt_last_component_is_malformed_jws() -> None:
    _kb_reject(_issued().serialize() + "not-a-jwt", ErrorCode.MALFORMED_JWS)


# =========================================================================== §7.1 step 2:
# the Issuer-signed JWT (T1, T2, T21; J-1, J-2, J-4, J-8, J-9, J-10, J-11)


@pytest.mark.parametrize("typ", ["JWT", "vc+sd-jwt", "kb+jwt", "example+sd-jwt", "DC+SD-JWT"])
def test_wrong_typ_is_rejected(typ: str) -> None:
    _reject(issue_sample(typ=typ).serialize(), ErrorCode.TYP_MISMATCH)


def test_missing_typ_is_rejected() -> None:
    _reject(craft(base_payload(), header={}), ErrorCode.TYP_MISMATCH)


@pytest.mark.parametrize("typ", ["sd-jwt", "jwt", "+", "d"])
def test_accepted_typ_given_as_a_plain_string_never_matches_substrings(typ: str) -> None:
    # Catalogue J-19: membership must be tested on a set, never with `in` on a string. A
    # policy built from configuration with a bare string must fail closed: refuse to be
    # built (TypeError/ValueError) or reject every typ but the exact one.
    try:
        policy = SdJwtPolicy(key_binding=None, accepted_typ="dc+sd-jwt")  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return
    _reject(issue_sample(typ=typ).serialize(), ErrorCode.TYP_MISMATCH, policy=policy)


def test_kb_jwt_presented_as_credential_is_typ_mismatch() -> None:
    kb = kb_jwt(issuer_jwt="x", disclosures=())
    _reject(kb + "~", ErrorCode.TYP_MISMATCH)


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE", "HS256", "es256", "RS256"])
def test_disallowed_issuer_alg_is_rejected(alg: str) -> None:
    jws = unsigned_jws({"alg": alg, "typ": TYP}, base_payload(), signature=b"\x01" * 64)
    _reject(jws + "~", ErrorCode.ALGORITHM_NOT_ALLOWED)


def test_alg_none_with_empty_signature_is_malformed_jws() -> None:
    jws = unsigned_jws({"alg": "none", "typ": TYP}, base_payload())
    _reject(jws + "~", ErrorCode.MALFORMED_JWS)


def test_hs256_with_issuer_public_key_as_secret_is_rejected() -> None:
    public = issuer_signer().public_jwk.to_json()
    secrets = [
        dumps_compact(public).encode(),
        json.dumps(public).encode(),
        b64url_decode(str(public["x"])) + b64url_decode(str(public["y"])),
    ]
    for secret in secrets:
        jws = hs256_jws(
            {"alg": "HS256", "typ": TYP, "kid": ISSUER_KID}, base_payload(), secret=secret
        )
        _reject(jws + "~", ErrorCode.ALGORITHM_NOT_ALLOWED)


def test_issuer_jwt_signed_by_another_key_with_the_trusted_kid_is_signature_invalid() -> None:
    attacker = other_signer(kid=ISSUER_KID)
    _reject(craft(base_payload(), signer=attacker), ErrorCode.SIGNATURE_INVALID)


def test_issuer_jwt_with_flipped_signature_is_signature_invalid() -> None:
    jwt = sign_payload(base_payload())
    head, body, signature = jwt.split(".")
    raw = bytearray(b64url_decode(signature))
    raw[10] ^= 0x01
    _reject(f"{head}.{body}.{b64url_encode(bytes(raw))}~", ErrorCode.SIGNATURE_INVALID)


def test_issuer_jwt_with_edited_payload_is_signature_invalid() -> None:
    jwt = sign_payload(base_payload())
    head, _, signature = jwt.split(".")
    edited = b64url_encode(dumps_compact(base_payload(exp=EXP + 10**6)).encode())
    _reject(f"{head}.{edited}.{signature}~", ErrorCode.SIGNATURE_INVALID)


def test_unknown_iss_is_issuer_not_trusted() -> None:
    payload = base_payload(iss="https://evil.example")
    _reject(craft(payload), ErrorCode.ISSUER_NOT_TRUSTED)


def test_unknown_kid_is_issuer_key_unknown() -> None:
    _reject(
        craft(base_payload(), header={"typ": TYP, "kid": "city-2099"}),
        ErrorCode.ISSUER_KEY_UNKNOWN,
    )


def test_key_of_another_trusted_issuer_is_signature_invalid() -> None:
    # Key substitution (§7.1 step 2.c): B's key must not verify a credential that claims A.
    other_issuer = other_signer("sdjwt-test-other-issuer")
    keys = StaticIssuerKeys(
        {ISSUER: (issuer_signer().public_jwk,), "https://other.example": (other_issuer.public_jwk,)}
    )
    text = craft(base_payload(), header={"typ": TYP}, signer=other_issuer)
    _reject(text, ErrorCode.SIGNATURE_INVALID, keys=keys)


def test_key_of_another_trusted_issuer_by_kid_is_issuer_key_unknown() -> None:
    other_issuer = other_signer("sdjwt-test-other-issuer", kid="other-1")
    keys = StaticIssuerKeys(
        {ISSUER: (issuer_signer().public_jwk,), "https://other.example": (other_issuer.public_jwk,)}
    )
    _reject(craft(base_payload(), signer=other_issuer), ErrorCode.ISSUER_KEY_UNKNOWN, keys=keys)


def test_missing_iss_is_required_claim_missing() -> None:
    payload = base_payload()
    del payload["iss"]
    _reject(craft(payload), ErrorCode.REQUIRED_CLAIM_MISSING)


def test_iss_only_in_a_disclosure_is_required_claim_missing() -> None:
    iss = obj_disclosure("iss", ISSUER)
    payload = base_payload(_sd=[dig(iss)])
    del payload["iss"]
    _reject(craft(payload, [iss]), ErrorCode.REQUIRED_CLAIM_MISSING)


def test_crit_header_is_rejected() -> None:
    header: JSONObject = {"typ": TYP, "crit": ["exp"], "exp": 1}
    _reject(craft(base_payload(), header=header), ErrorCode.CRITICAL_HEADER_UNSUPPORTED)


def test_duplicate_member_in_issuer_payload_is_rejected() -> None:
    body = dumps_compact(base_payload())[:-1] + ',"exp":9999999999}'
    _reject(sign_raw(body.encode()) + "~", ErrorCode.JSON_DUPLICATE_KEY)


def test_duplicate_member_in_issuer_header_is_rejected() -> None:
    signer = issuer_signer()
    header = '{"alg":"ES256","typ":"dc+sd-jwt","typ":"kb+jwt","kid":"' + ISSUER_KID + '"}'
    signing_input = (
        b64url_encode(header.encode()) + "." + b64url_encode(dumps_compact(base_payload()).encode())
    )
    signature = b64url_encode(signer.sign(signing_input.encode()))
    _reject(f"{signing_input}.{signature}~", ErrorCode.JSON_DUPLICATE_KEY)


def test_issuer_payload_not_an_object_is_malformed_json() -> None:
    _reject(sign_raw(b"[1,2,3]") + "~", ErrorCode.MALFORMED_JSON)


# =========================================================================== §4.1.1, §7.1
# step 2.d, §9.4: `_sd_alg` (T3; S-8)


@pytest.mark.parametrize(
    "value", ["sha-256-32", "sha-256-64", "SHA-256", "sha256", "md5", "sha-512", "", 1, None, True]
)
def test_unsupported_sd_alg_is_rejected(value: JSONValue) -> None:
    given = obj_disclosure("given_name", "太郎")
    _reject(
        craft(base_payload(_sd=[dig(given)], _sd_alg=value), [given]), ErrorCode.SD_ALG_UNSUPPORTED
    )


def test_absent_sd_alg_defaults_to_sha_256() -> None:
    given = obj_disclosure("given_name", "太郎")
    payload = base_payload(_sd=[dig(given)])
    del payload["_sd_alg"]
    assert _verify(craft(payload, [given])).claims["given_name"] == "太郎"


def test_nested_sd_alg_in_plain_object_is_sd_structure_invalid() -> None:
    payload = base_payload(address={"_sd_alg": "sha-256", "country": "JP"})
    _reject(craft(payload), ErrorCode.SD_STRUCTURE_INVALID)


def test_nested_sd_alg_inside_a_disclosure_is_sd_structure_invalid() -> None:
    address = obj_disclosure("address", {"_sd_alg": "sha-256", "country": "JP"})
    _reject(craft(base_payload(_sd=[dig(address)]), [address]), ErrorCode.SD_STRUCTURE_INVALID)


def test_nested_sd_alg_in_array_element_is_sd_structure_invalid() -> None:
    payload = base_payload(items=[{"_sd_alg": "sha-256"}])
    _reject(craft(payload), ErrorCode.SD_STRUCTURE_INVALID)


# =========================================================================== §4.2.4, §7.1
# step 3.b: digest carriers (T12, T13; S-7)


@pytest.mark.parametrize("value", ["abc", {"a": "b"}, 1, None, True])
def test_sd_not_an_array_is_sd_structure_invalid(value: JSONValue) -> None:
    _reject(craft(base_payload(_sd=value)), ErrorCode.SD_STRUCTURE_INVALID)


@pytest.mark.parametrize("value", ["abc", {"a": "b"}, 1, None])
def test_nested_sd_not_an_array_is_sd_structure_invalid(value: JSONValue) -> None:
    _reject(craft(base_payload(address={"_sd": value})), ErrorCode.SD_STRUCTURE_INVALID)


@pytest.mark.parametrize("entry", [1, None, True, ["x"], {"...": "x"}, 1.5])
def test_sd_array_with_non_string_is_sd_structure_invalid(entry: JSONValue) -> None:
    given = obj_disclosure("given_name", "太郎")
    payload = base_payload(_sd=[dig(given), entry])
    _reject(craft(payload, [given]), ErrorCode.SD_STRUCTURE_INVALID)


def test_ellipsis_object_with_extra_key_is_sd_structure_invalid() -> None:
    element = arr_disclosure("US")
    payload = base_payload(nationalities=[{"...": dig(element), "x": 1}])
    _reject(craft(payload, [element]), ErrorCode.SD_STRUCTURE_INVALID)


def test_ellipsis_object_with_extra_key_and_undisclosed_digest_is_sd_structure_invalid() -> None:
    payload = base_payload(nationalities=[{"...": dig("decoy"), "x": 1}])
    _reject(craft(payload), ErrorCode.SD_STRUCTURE_INVALID)


@pytest.mark.parametrize("value", [1, None, ["x"], {"a": "b"}])
def test_ellipsis_with_non_string_digest_is_sd_structure_invalid(value: JSONValue) -> None:
    _reject(craft(base_payload(items=[{"...": value}])), ErrorCode.SD_STRUCTURE_INVALID)


def test_ellipsis_as_plain_top_level_key_is_sd_structure_invalid() -> None:
    _reject(craft(base_payload(**{"...": dig("x")})), ErrorCode.SD_STRUCTURE_INVALID)


def test_ellipsis_as_plain_nested_key_is_sd_structure_invalid() -> None:
    _reject(craft(base_payload(address={"...": dig("x")})), ErrorCode.SD_STRUCTURE_INVALID)


def test_ellipsis_as_key_inside_a_disclosed_object_is_sd_structure_invalid() -> None:
    address = obj_disclosure("address", {"...": dig("x")})
    _reject(craft(base_payload(_sd=[dig(address)]), [address]), ErrorCode.SD_STRUCTURE_INVALID)


# =========================================================================== §4.1, §7.1
# step 4: a digest at most once (T9; S-4)


def test_same_digest_twice_in_one_sd_is_digest_duplicate() -> None:
    given = obj_disclosure("given_name", "太郎")
    _reject(craft(base_payload(_sd=[dig(given), dig(given)]), [given]), ErrorCode.DIGEST_DUPLICATE)


def test_same_undisclosed_digest_twice_in_one_sd_is_digest_duplicate() -> None:
    decoy = dig("decoy")
    _reject(craft(base_payload(_sd=[decoy, decoy])), ErrorCode.DIGEST_DUPLICATE)


def test_same_digest_in_two_objects_is_digest_duplicate() -> None:
    given = obj_disclosure("given_name", "太郎")
    payload = base_payload(_sd=[dig(given)], address={"_sd": [dig(given)]})
    _reject(craft(payload, [given]), ErrorCode.DIGEST_DUPLICATE)


def test_same_digest_in_two_array_elements_is_digest_duplicate() -> None:
    element = arr_disclosure("US")
    payload = base_payload(nationalities=[{"...": dig(element)}, {"...": dig(element)}])
    _reject(craft(payload, [element]), ErrorCode.DIGEST_DUPLICATE)


def test_same_digest_in_two_arrays_is_digest_duplicate() -> None:
    element = arr_disclosure("US")
    payload = base_payload(a=[{"...": dig(element)}], b=[{"...": dig(element)}])
    _reject(craft(payload, [element]), ErrorCode.DIGEST_DUPLICATE)


def test_same_undisclosed_digest_in_sd_and_in_an_array_is_digest_duplicate() -> None:
    decoy = dig("decoy")
    _reject(craft(base_payload(_sd=[decoy], items=[{"...": decoy}])), ErrorCode.DIGEST_DUPLICATE)


@pytest.mark.parametrize("parent_first", [True, False])
def test_digest_in_sd_and_again_via_recursive_disclosure_is_digest_duplicate(
    parent_first: bool,
) -> None:
    child = obj_disclosure("street_address", "富士見1-2-3")
    parent = obj_disclosure("address", {"_sd": [dig(child)]})
    order: list[JSONValue] = (
        [dig(parent), dig(child)] if parent_first else [dig(child), dig(parent)]
    )
    _reject(craft(base_payload(_sd=order), [parent, child]), ErrorCode.DIGEST_DUPLICATE)


def test_digest_in_array_and_again_via_recursive_array_disclosure_is_digest_duplicate() -> None:
    child = arr_disclosure("FR")
    parent = arr_disclosure([{"...": dig(child)}])
    payload = base_payload(items=[{"...": dig(parent)}, {"...": dig(child)}])
    _reject(craft(payload, [parent, child]), ErrorCode.DIGEST_DUPLICATE)


def test_undisclosed_digest_repeated_inside_a_disclosure_is_digest_duplicate() -> None:
    decoy = dig("decoy")
    parent = obj_disclosure("address", {"_sd": [decoy]})
    _reject(craft(base_payload(_sd=[dig(parent), decoy]), [parent]), ErrorCode.DIGEST_DUPLICATE)


# =========================================================================== §4, §7.1 step 5,
# §9.2: every Disclosure referenced exactly once (T4, T5, T10, T11; S-1, S-5)


def test_same_disclosure_sent_twice_is_disclosure_duplicate() -> None:
    issued = _issued()
    given = _by_name(issued, "given_name")
    _reject(present(issued, [given, given]), ErrorCode.DISCLOSURE_DUPLICATE)


def test_disclosure_from_another_credential_is_unreferenced() -> None:
    mine = _issued()
    theirs = issue_sample(seed="another-credential")
    extra = _by_name(theirs, "given_name")
    _reject(present(mine, [*mine.disclosures, extra]), ErrorCode.DISCLOSURE_UNREFERENCED)


def test_extra_unreferenced_disclosure_is_rejected_even_under_key_binding() -> None:
    mine = _issued()
    extra = obj_disclosure("given_name", "花子")
    text = present(mine, [_by_name(mine, "family_name"), extra], kb=kb_request())
    _kb_reject(text, ErrorCode.DISCLOSURE_UNREFERENCED)


@pytest.mark.parametrize("name", ["given_name", "address", "region"])
def test_tampered_object_disclosure_is_unreferenced(name: str) -> None:
    issued = _issued()
    target = _by_name(issued, name)
    edited = _tamper_value(target, "次郎")
    disclosures = [d.encoded if d is not target else edited for d in issued.disclosures]
    _reject(
        issued.issuer_jwt + "~" + "~".join(disclosures) + "~", ErrorCode.DISCLOSURE_UNREFERENCED
    )


def test_tampered_array_disclosure_is_unreferenced() -> None:
    issued = _issued()
    target = next(d for d in issued.disclosures if d.value == "US")
    edited = _tamper_value(target, "JP")
    disclosures = [d.encoded if d is not target else edited for d in issued.disclosures]
    _reject(
        issued.issuer_jwt + "~" + "~".join(disclosures) + "~", ErrorCode.DISCLOSURE_UNREFERENCED
    )


def test_reencoded_disclosure_with_same_content_is_unreferenced() -> None:
    # No canonical form (§4.2.1): the digest covers the exact string as issued.
    issued = _issued()
    target = _by_name(issued, "given_name")
    spaced = raw_disclosure(json.dumps([target.salt, target.name, target.value]))
    assert spaced != target.encoded
    _reject(present(issued, []) + spaced + "~", ErrorCode.DISCLOSURE_UNREFERENCED)


@pytest.mark.parametrize("child", ["region", "since"])
def test_child_disclosure_without_its_parent_is_unreferenced(child: str) -> None:
    issued = _issued()
    _reject(present(issued, [_by_name(issued, child)]), ErrorCode.DISCLOSURE_UNREFERENCED)


def test_child_array_element_without_its_parent_is_unreferenced() -> None:
    child = arr_disclosure("FR")
    parent = obj_disclosure("list", [{"...": dig(child)}])
    payload = base_payload(_sd=[dig(parent)])
    assert _verify(craft(payload, [parent, child])).claims["list"] == ["FR"]
    _reject(craft(payload, [child]), ErrorCode.DISCLOSURE_UNREFERENCED)


# =========================================================================== §7.1 step 3.c:
# names and kinds of Disclosures (T6, T7, T8; S-2, S-3, S-6)


@pytest.mark.parametrize("name", ["_sd", "...", "_sd_alg"])
def test_forbidden_disclosure_name_at_top_level_is_rejected(name: str) -> None:
    bad = obj_disclosure(name, "x")
    _reject(craft(base_payload(_sd=[dig(bad)]), [bad]), ErrorCode.DISCLOSURE_CLAIM_NAME_FORBIDDEN)


@pytest.mark.parametrize("name", ["_sd", "...", "_sd_alg"])
def test_forbidden_disclosure_name_in_nested_object_is_rejected(name: str) -> None:
    bad = obj_disclosure(name, [dig("x")])
    payload = base_payload(address={"_sd": [dig(bad)], "country": "JP"})
    _reject(craft(payload, [bad]), ErrorCode.DISCLOSURE_CLAIM_NAME_FORBIDDEN)


@pytest.mark.parametrize("name", ["given_name", "iss", "exp", "cnf", "vct"])
def test_disclosure_colliding_with_a_plaintext_claim_is_rejected(name: str) -> None:
    payload = base_payload(given_name="太郎")
    bad = obj_disclosure(name, "override")
    payload["_sd"] = [dig(bad)]
    _reject(craft(payload, [bad]), ErrorCode.DISCLOSURE_CLAIM_COLLISION)


def test_two_disclosures_with_the_same_name_at_one_level_are_rejected() -> None:
    first = obj_disclosure("given_name", "太郎")
    second = obj_disclosure("given_name", "花子")
    payload = base_payload(_sd=[dig(first), dig(second)])
    _reject(craft(payload, [first, second]), ErrorCode.DISCLOSURE_CLAIM_COLLISION)


def test_collision_inside_a_nested_object_is_rejected() -> None:
    bad = obj_disclosure("country", "US")
    payload = base_payload(address={"country": "JP", "_sd": [dig(bad)]})
    _reject(craft(payload, [bad]), ErrorCode.DISCLOSURE_CLAIM_COLLISION)


def test_same_name_at_different_levels_is_accepted() -> None:
    top = obj_disclosure("name", "a")
    nested = obj_disclosure("name", "b")
    payload = base_payload(_sd=[dig(top)], child={"_sd": [dig(nested)]})
    claims = _verify(craft(payload, [top, nested])).claims
    assert claims["name"] == "a"
    assert claims["child"] == {"name": "b"}


def test_array_disclosure_referenced_from_sd_is_kind_mismatch() -> None:
    element = arr_disclosure("US")
    _reject(craft(base_payload(_sd=[dig(element)]), [element]), ErrorCode.DISCLOSURE_KIND_MISMATCH)


def test_object_disclosure_referenced_from_array_is_kind_mismatch() -> None:
    prop = obj_disclosure("nationality", "US")
    payload = base_payload(nationalities=[{"...": dig(prop)}])
    _reject(craft(payload, [prop]), ErrorCode.DISCLOSURE_KIND_MISMATCH)


@pytest.mark.parametrize(
    "encoded",
    [
        pytest.param("!!!!", id="not-base64url"),
        pytest.param(b64url_encode(b'["a","b","c"]') + "=", id="padded"),
        pytest.param(b64url_encode(b'["a","b","c"]').replace("W", "+"), id="plus-sign"),
        pytest.param(raw_disclosure('["salt","name",'), id="not-json"),
        pytest.param(b64url_encode(b'["salt","name","\xff"]'), id="not-utf8"),
        pytest.param(raw_disclosure('{"salt":"s","name":"n","value":1}'), id="json-object"),
        pytest.param(raw_disclosure('"string"'), id="json-string"),
        pytest.param(raw_disclosure("[]"), id="empty-array"),
        pytest.param(raw_disclosure('["salt"]'), id="one-element"),
        pytest.param(raw_disclosure('["salt","name","value","extra"]'), id="four-elements"),
        pytest.param(raw_disclosure('[1,"name","value"]'), id="salt-int-3"),
        pytest.param(raw_disclosure('[null,"value"]'), id="salt-null-2"),
        pytest.param(raw_disclosure('[["s"],"value"]'), id="salt-array-2"),
        pytest.param(raw_disclosure('["salt",1,"value"]'), id="name-int"),
        pytest.param(raw_disclosure('["salt",null,"value"]'), id="name-null"),
        pytest.param(raw_disclosure('["salt",{"a":1},"value"]'), id="name-object"),
    ],
)
def test_malformed_disclosure_is_rejected(encoded: str) -> None:
    _reject(craft(base_payload(_sd=[dig(encoded)]), [encoded]), ErrorCode.MALFORMED_DISCLOSURE)


def test_malformed_disclosure_is_rejected_even_if_unreferenced() -> None:
    encoded = raw_disclosure('["salt"]')
    _reject(craft(base_payload(), [encoded]), ErrorCode.MALFORMED_DISCLOSURE)


def test_duplicate_json_key_inside_disclosure_value_is_rejected() -> None:
    encoded = raw_disclosure('["salt","address",{"country":"JP","country":"US"}]')
    _reject(craft(base_payload(_sd=[dig(encoded)]), [encoded]), ErrorCode.JSON_DUPLICATE_KEY)


def test_lone_surrogate_in_disclosure_is_rejected() -> None:
    encoded = raw_disclosure('["salt","given_name","\\ud800"]')
    _reject(craft(base_payload(_sd=[dig(encoded)]), [encoded]), ErrorCode.JSON_INVALID_STRING)


@pytest.mark.parametrize("number", ["NaN", "Infinity", "1e400", "9007199254740993"])
def test_out_of_range_number_in_disclosure_is_rejected(number: str) -> None:
    encoded = raw_disclosure(f'["salt","age",{number}]')
    _reject(craft(base_payload(_sd=[dig(encoded)]), [encoded]), ErrorCode.JSON_NUMBER_OUT_OF_RANGE)


def test_deeply_nested_disclosure_json_is_too_deep() -> None:
    encoded = raw_disclosure('["salt","deep",' + "[" * 200 + "]" * 200 + "]")
    _reject(craft(base_payload(_sd=[dig(encoded)]), [encoded]), ErrorCode.JSON_TOO_DEEP)


def _recursive_chain(levels: int) -> tuple[JSONObject, list[Disclosure]]:
    """``levels`` Disclosures, each an object holding the digest of the next (§4.2.6)."""
    innermost = obj_disclosure("leaf", "value")
    chain = [innermost]
    for i in range(levels - 1):
        chain.append(obj_disclosure(f"level{i}", {"_sd": [dig(chain[-1])]}))
    return base_payload(_sd=[dig(chain[-1])]), chain


def test_recursive_disclosures_within_max_depth_are_accepted() -> None:
    payload, chain = _recursive_chain(3)
    policy = holder_policy(limits=SdJwtLimits(max_depth=4))
    claims = _verify(craft(payload, chain), policy=policy).claims
    assert claims["level1"] == {"level0": {"leaf": "value"}}


def test_recursive_disclosures_deeper_than_max_depth_are_too_deep() -> None:
    payload, chain = _recursive_chain(6)
    policy = holder_policy(limits=SdJwtLimits(max_depth=4))
    _reject(craft(payload, chain), ErrorCode.JSON_TOO_DEEP, policy=policy)


def test_recursive_disclosures_deeper_than_default_limit_are_too_deep() -> None:
    payload, chain = _recursive_chain(40)
    _reject(craft(payload, chain), ErrorCode.JSON_TOO_DEEP)


# =========================================================================== §7.1 step 6:
# validity of the processed payload at an injected clock (T14; S-9, S-20, J-18)

_SKEW = 60


@pytest.mark.parametrize("offset", [-1, 0, _SKEW - 1])
def test_exp_boundaries_accepted(offset: int) -> None:
    text = _issued().serialize()
    assert _verify(text, now=at_seconds(EXP + offset)).claims["exp"] == EXP


@pytest.mark.parametrize("offset", [_SKEW, _SKEW + 1, 10**6])
def test_exp_boundaries_rejected(offset: int) -> None:
    _reject(_issued().serialize(), ErrorCode.TOKEN_EXPIRED, now=at_seconds(EXP + offset))


def test_exp_with_zero_skew_rejects_at_exp() -> None:
    policy = SdJwtPolicy(key_binding=None, accepted_typ=frozenset({TYP}), clock_skew_seconds=0)
    text = _issued().serialize()
    assert _verify(text, policy=policy, now=at_seconds(EXP - 1)).claims
    _reject(text, ErrorCode.TOKEN_EXPIRED, policy=policy, now=at_seconds(EXP))


def test_nbf_within_skew_is_accepted() -> None:
    assert _verify(craft(base_payload(nbf=NOW_S + _SKEW))).claims["nbf"] == NOW_S + _SKEW


def test_nbf_in_the_future_beyond_skew_is_not_yet_valid() -> None:
    _reject(craft(base_payload(nbf=NOW_S + _SKEW + 1)), ErrorCode.TOKEN_NOT_YET_VALID)


def test_iat_within_skew_is_accepted() -> None:
    assert _verify(craft(base_payload(iat=NOW_S + _SKEW))).claims["iat"] == NOW_S + _SKEW


def test_iat_in_the_future_beyond_skew_is_rejected() -> None:
    _reject(craft(base_payload(iat=NOW_S + _SKEW + 1)), ErrorCode.TOKEN_ISSUED_IN_FUTURE)


def test_missing_exp_is_required_claim_missing() -> None:
    payload = base_payload()
    del payload["exp"]
    _reject(craft(payload), ErrorCode.REQUIRED_CLAIM_MISSING)


def test_expired_exp_is_rejected_even_when_expiry_is_optional() -> None:
    policy = holder_policy(require_expiry=False)
    _reject(_issued().serialize(), ErrorCode.TOKEN_EXPIRED, policy=policy, now=at_seconds(EXP + 61))


def test_missing_exp_is_accepted_when_expiry_is_not_required() -> None:
    payload = base_payload()
    del payload["exp"]
    assert "exp" not in _verify(craft(payload), policy=holder_policy(require_expiry=False)).claims


def test_withheld_selectively_disclosable_exp_is_required_claim_missing() -> None:
    claims = {**registered_claims(), "exp": SD(EXP)}
    _reject(
        present(issue_sample(claims), []),
        ErrorCode.REQUIRED_CLAIM_MISSING,
    )


def test_expired_exp_inside_a_disclosure_is_checked_after_processing() -> None:
    claims = {**registered_claims(), "exp": SD(NOW_S - 3600)}
    _reject(issue_sample(claims).serialize(), ErrorCode.TOKEN_EXPIRED)


@pytest.mark.parametrize("name", ["exp", "nbf", "iat"])
@pytest.mark.parametrize(
    "value", [EXP + 0.5, float(EXP), True, False, str(EXP), None, -1, [EXP], {"t": EXP}]
)
def test_non_integer_time_claim_is_malformed_claim(name: str, value: JSONValue) -> None:
    _reject(craft(base_payload(**{name: value})), ErrorCode.MALFORMED_CLAIM)


@pytest.mark.parametrize("literal", ["1e400", "9007199254740993", "NaN", "Infinity"])
def test_overflowing_exp_is_rejected_by_the_parser(literal: str) -> None:
    body = dumps_compact(base_payload()).replace(f'"exp":{EXP}', f'"exp":{literal}')
    _reject(sign_raw(body.encode()) + "~", ErrorCode.JSON_NUMBER_OUT_OF_RANGE)


# =========================================================================== §7.3 step 5:
# Key Binding (T15-T19; S-11 .. S-15, J-4)


def test_kb_jwt_signed_by_another_key_is_kb_signature_invalid() -> None:
    _kb_reject(_with_kb(signer=other_signer()), ErrorCode.KB_SIGNATURE_INVALID)


def test_kb_jwt_with_embedded_attacker_jwk_is_kb_signature_invalid() -> None:
    attacker = other_signer()
    header: JSONObject = {"typ": "kb+jwt", "jwk": attacker.public_jwk.to_json()}
    _kb_reject(_with_kb(header=header, signer=attacker), ErrorCode.KB_SIGNATURE_INVALID)


def test_kb_jwt_with_flipped_signature_is_kb_signature_invalid() -> None:
    text = _with_kb()
    head, _, signature = text.rpartition(".")
    raw = bytearray(b64url_decode(signature))
    raw[40] ^= 0x80
    _kb_reject(f"{head}.{b64url_encode(bytes(raw))}", ErrorCode.KB_SIGNATURE_INVALID)


@pytest.mark.parametrize("typ", ["JWT", "dc+sd-jwt", "KB+JWT", "kb+jwt "])
def test_kb_jwt_wrong_typ_is_typ_mismatch(typ: str) -> None:
    _kb_reject(_with_kb(header={"typ": typ}), ErrorCode.TYP_MISMATCH)


def test_kb_jwt_missing_typ_is_typ_mismatch() -> None:
    _kb_reject(_with_kb(header={}), ErrorCode.TYP_MISMATCH)


def _kb_body(issuer_jwt: str, disclosures: Sequence[str]) -> JSONObject:
    return {
        "iat": NOW_S,
        "aud": AUDIENCE,
        "nonce": NONCE,
        "sd_hash": sd_hash_of(issuer_jwt, disclosures),
    }


@pytest.mark.parametrize("alg", ["none", "NONE", "HS256", "ES384", "EdDSA"])
def test_kb_jwt_disallowed_alg_is_algorithm_not_allowed(alg: str) -> None:
    jwt = sign_payload(base_payload())
    kb = unsigned_jws({"alg": alg, "typ": "kb+jwt"}, _kb_body(jwt, []), signature=b"\x02" * 64)
    _kb_reject(f"{jwt}~{kb}", ErrorCode.ALGORITHM_NOT_ALLOWED)


def test_kb_jwt_alg_none_with_empty_signature_is_malformed_jws() -> None:
    jwt = sign_payload(base_payload())
    kb = unsigned_jws({"alg": "none", "typ": "kb+jwt"}, _kb_body(jwt, []))
    _kb_reject(f"{jwt}~{kb}", ErrorCode.MALFORMED_JWS)


def test_kb_jwt_hs256_with_holder_public_key_as_secret_is_rejected() -> None:
    jwt = sign_payload(base_payload())
    secret = dumps_compact(holder_signer().public_jwk.to_json()).encode()
    kb = hs256_jws({"alg": "HS256", "typ": "kb+jwt"}, _kb_body(jwt, []), secret=secret)
    _kb_reject(f"{jwt}~{kb}", ErrorCode.ALGORITHM_NOT_ALLOWED)


def test_kb_jwt_crit_header_is_rejected() -> None:
    header: JSONObject = {"typ": "kb+jwt", "crit": ["x"], "x": 1}
    _kb_reject(_with_kb(header=header), ErrorCode.CRITICAL_HEADER_UNSUPPORTED)


@pytest.mark.parametrize("name", ["iat", "aud", "nonce", "sd_hash"])
def test_kb_jwt_missing_claim_is_required_claim_missing(name: str) -> None:
    _kb_reject(_with_kb(drop=[name]), ErrorCode.REQUIRED_CLAIM_MISSING)


@pytest.mark.parametrize("name", ["aud", "nonce", "sd_hash"])
def test_kb_jwt_null_claim_is_required_claim_missing(name: str) -> None:
    _kb_reject(_with_kb(kb_payload={name: None}), ErrorCode.REQUIRED_CLAIM_MISSING)


def test_kb_jwt_aud_as_array_is_malformed_claim() -> None:
    _kb_reject(_with_kb(kb_payload={"aud": [AUDIENCE]}), ErrorCode.MALFORMED_CLAIM)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("nonce", 1234567890),
        ("nonce", [NONCE]),
        ("sd_hash", 1),
        ("aud", {"aud": AUDIENCE}),
        ("iat", float(NOW_S)),
        ("iat", str(NOW_S)),
        ("iat", True),
    ],
)
def test_kb_jwt_claim_of_wrong_type_is_malformed_claim(name: str, value: JSONValue) -> None:
    _kb_reject(_with_kb(kb_payload={name: value}), ErrorCode.MALFORMED_CLAIM)


@pytest.mark.parametrize(
    "aud", ["https://other-verifier.example.jp", AUDIENCE + "/", AUDIENCE[:-1], AUDIENCE.upper()]
)
def test_kb_jwt_wrong_aud_is_kb_audience_mismatch(aud: str) -> None:
    _kb_reject(_with_kb(kb_payload={"aud": aud}), ErrorCode.KB_AUDIENCE_MISMATCH)


@pytest.mark.parametrize("nonce", ["another-nonce", NONCE + "x", NONCE[:-1], ""])
def test_kb_jwt_wrong_nonce_is_kb_nonce_mismatch(nonce: str) -> None:
    _kb_reject(_with_kb(kb_payload={"nonce": nonce}), ErrorCode.KB_NONCE_MISMATCH)


@pytest.mark.parametrize("age", [0, 299, 300])
def test_kb_jwt_iat_within_max_age_is_accepted(age: int) -> None:
    verified = _verify(_with_kb(kb_payload={"iat": NOW_S - age}), policy=verifier_policy())
    assert verified.key_binding is not None
    assert verified.key_binding.issued_at == NOW_S - age


@pytest.mark.parametrize("age", [301, 3600, NOW_S])
def test_kb_jwt_iat_older_than_max_age_is_kb_too_old(age: int) -> None:
    _kb_reject(_with_kb(kb_payload={"iat": NOW_S - age}), ErrorCode.KB_TOO_OLD)


def test_kb_jwt_iat_at_max_future_is_accepted() -> None:
    assert _verify(_with_kb(kb_payload={"iat": NOW_S + 60}), policy=verifier_policy()).claims


@pytest.mark.parametrize("ahead", [61, 3600])
def test_kb_jwt_iat_beyond_max_future_is_kb_in_future(ahead: int) -> None:
    _kb_reject(_with_kb(kb_payload={"iat": NOW_S + ahead}), ErrorCode.KB_IN_FUTURE)


def test_kb_jwt_window_follows_the_policy() -> None:
    text = _with_kb(kb_payload={"iat": NOW_S - 30})
    assert _verify(text, policy=verifier_policy(max_age_seconds=30)).claims
    _kb_reject(text, ErrorCode.KB_TOO_OLD, policy=verifier_policy(max_age_seconds=29))


def _split_presentation(text: str) -> tuple[str, list[str], str]:
    parts = text.split("~")
    return parts[0], parts[1:-1], parts[-1]


def test_disclosure_added_after_kb_signing_is_sd_hash_mismatch() -> None:
    issued = _issued()
    given = _by_name(issued, "given_name")
    family = _by_name(issued, "family_name")
    jwt, _, kb = _split_presentation(present(issued, [given], kb=kb_request()))
    _kb_reject(f"{jwt}~{given.encoded}~{family.encoded}~{kb}", ErrorCode.KB_SD_HASH_MISMATCH)


def test_disclosure_removed_after_kb_signing_is_sd_hash_mismatch() -> None:
    issued = _issued()
    given = _by_name(issued, "given_name")
    family = _by_name(issued, "family_name")
    jwt, _, kb = _split_presentation(present(issued, [given, family], kb=kb_request()))
    _kb_reject(f"{jwt}~{given.encoded}~{kb}", ErrorCode.KB_SD_HASH_MISMATCH)


def test_all_disclosures_removed_after_kb_signing_is_sd_hash_mismatch() -> None:
    issued = _issued()
    jwt, _, kb = _split_presentation(
        present(issued, [_by_name(issued, "given_name")], kb=kb_request())
    )
    _kb_reject(f"{jwt}~{kb}", ErrorCode.KB_SD_HASH_MISMATCH)


def test_disclosures_reordered_after_kb_signing_is_sd_hash_mismatch() -> None:
    issued = _issued()
    given = _by_name(issued, "given_name")
    family = _by_name(issued, "family_name")
    jwt, _, kb = _split_presentation(present(issued, [given, family], kb=kb_request()))
    _kb_reject(f"{jwt}~{family.encoded}~{given.encoded}~{kb}", ErrorCode.KB_SD_HASH_MISMATCH)


def test_kb_jwt_moved_to_another_credential_is_sd_hash_mismatch() -> None:
    first = _issued()
    second = issue_sample(seed="second-credential")
    _, _, kb = _split_presentation(present(first, [], kb=kb_request()))
    _kb_reject(second.issuer_jwt + "~" + kb, ErrorCode.KB_SD_HASH_MISMATCH)


def test_sd_hash_without_the_final_tilde_is_sd_hash_mismatch() -> None:
    given = obj_disclosure("given_name", "太郎")
    jwt = sign_payload(base_payload(_sd=[dig(given)]))
    bad_hash = sd_hash_of(jwt, [given.encoded], final_tilde=False)
    kb = kb_jwt(issuer_jwt=jwt, disclosures=[given.encoded], payload={"sd_hash": bad_hash})
    _kb_reject(f"{jwt}~{given.encoded}~{kb}", ErrorCode.KB_SD_HASH_MISMATCH)


def test_sd_hash_over_the_issuer_jwt_only_is_sd_hash_mismatch() -> None:
    given = obj_disclosure("given_name", "太郎")
    jwt = sign_payload(base_payload(_sd=[dig(given)]))
    bad_hash = sd_hash_of(jwt, [])
    kb = kb_jwt(issuer_jwt=jwt, disclosures=[given.encoded], payload={"sd_hash": bad_hash})
    _kb_reject(f"{jwt}~{given.encoded}~{kb}", ErrorCode.KB_SD_HASH_MISMATCH)


def test_sd_hash_as_hex_is_sd_hash_mismatch() -> None:
    jwt = sign_payload(base_payload())
    hex_hash = hashlib.sha256(f"{jwt}~".encode()).hexdigest()
    _kb_reject(
        f"{jwt}~" + kb_jwt(issuer_jwt=jwt, disclosures=[], payload={"sd_hash": hex_hash}),
        ErrorCode.KB_SD_HASH_MISMATCH,
    )


def test_missing_cnf_is_holder_key_missing() -> None:
    payload = base_payload()
    del payload["cnf"]
    _kb_reject(_with_kb(payload), ErrorCode.HOLDER_KEY_MISSING)


@pytest.mark.parametrize(
    "cnf",
    [
        {"kid": "holder-key-1"},
        {"jku": "https://attacker.example/jwks.json", "kid": "k"},
        {"x5u": "https://attacker.example/cert.pem"},
        {"jkt": "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"},
        {"jwk": "not-an-object"},
        {"jwk": None},
        {},
        "jwk",
        None,
    ],
)
def test_unsupported_cnf_is_holder_key_missing(cnf: JSONValue) -> None:
    _kb_reject(_with_kb(base_payload(cnf=cnf)), ErrorCode.HOLDER_KEY_MISSING)


def test_withheld_selectively_disclosable_cnf_is_holder_key_missing() -> None:
    jwk = holder_signer().public_jwk.to_json(include_kid=False)
    cnf = obj_disclosure("cnf", {"jwk": jwk})
    payload = base_payload(_sd=[dig(cnf)])
    del payload["cnf"]
    _kb_reject(_with_kb(payload), ErrorCode.HOLDER_KEY_MISSING)


def test_cnf_jwk_with_private_d_is_malformed_jwk() -> None:
    jwk = private_jwk(fixed_p256_key("sdjwt-test-holder"))
    _kb_reject(_with_kb(base_payload(cnf={"jwk": jwk})), ErrorCode.MALFORMED_JWK)


def test_cnf_jwk_off_curve_is_malformed_jwk() -> None:
    jwk = holder_signer().public_jwk.to_json(include_kid=False)
    y = bytearray(b64url_decode(str(jwk["y"])))
    y[-1] ^= 0x01
    jwk["y"] = b64url_encode(bytes(y))
    _kb_reject(_with_kb(base_payload(cnf={"jwk": jwk})), ErrorCode.MALFORMED_JWK)


@pytest.mark.parametrize(
    "jwk",
    [
        {"kty": "RSA", "n": "AQAB", "e": "AQAB"},
        {"kty": "oct", "k": "c2VjcmV0"},
        {"kty": "EC", "crv": "P-384", "x": "AA", "y": "AA"},
        {"kty": "EC", "crv": "P-256", "x": "AA"},
    ],
)
def test_cnf_jwk_of_wrong_type_is_malformed_jwk(jwk: JSONValue) -> None:
    _kb_reject(_with_kb(base_payload(cnf={"jwk": jwk})), ErrorCode.MALFORMED_JWK)


def test_duplicate_member_in_cnf_jwk_is_rejected() -> None:
    jwk = holder_signer().public_jwk.to_json(include_kid=False)
    body = dumps_compact(base_payload())
    original = dumps_compact({"jwk": jwk})
    duplicated = original[:-2] + ',"x":"' + str(jwk["x"]) + '"}}'
    assert original in body
    jwt = sign_raw(body.replace(original, duplicated).encode())
    _kb_reject(f"{jwt}~" + kb_jwt(issuer_jwt=jwt, disclosures=[]), ErrorCode.JSON_DUPLICATE_KEY)


def test_kb_jwt_duplicate_member_in_payload_is_rejected() -> None:
    jwt = sign_payload(base_payload())
    body = dumps_compact(_kb_body(jwt, []))[:-1] + ',"nonce":"other"}'
    kb = sign_compact_jws(
        header={"typ": "kb+jwt"}, payload=body.encode(), signer=holder_signer(), include_kid=False
    )
    _kb_reject(f"{jwt}~{kb}", ErrorCode.JSON_DUPLICATE_KEY)


def test_kb_jwt_by_a_rotated_wallet_key_is_kb_signature_invalid() -> None:
    issued = _issued()
    text = present(issued, [], kb=kb_request(holder=other_signer("new-wallet-key")))
    _kb_reject(text, ErrorCode.KB_SIGNATURE_INVALID)


# --------------------------------------------------------------------------- one-way mode


@pytest.mark.parametrize("nonce", [NONCE, "any-other-nonce", "x", ""])
def test_one_way_mode_accepts_any_string_nonce(nonce: str) -> None:
    verified = _verify(_with_kb(kb_payload={"nonce": nonce}), policy=verifier_policy(nonce=None))
    assert verified.key_binding is not None
    assert verified.key_binding.nonce == nonce


def test_one_way_mode_still_rejects_a_missing_nonce() -> None:
    _kb_reject(
        _with_kb(drop=["nonce"]),
        ErrorCode.REQUIRED_CLAIM_MISSING,
        policy=verifier_policy(nonce=None),
    )


def test_one_way_mode_still_rejects_a_non_string_nonce() -> None:
    _kb_reject(
        _with_kb(kb_payload={"nonce": 42}),
        ErrorCode.MALFORMED_CLAIM,
        policy=verifier_policy(nonce=None),
    )


def test_one_way_mode_still_checks_audience_and_age() -> None:
    policy = verifier_policy(nonce=None)
    _kb_reject(
        _with_kb(kb_payload={"aud": "https://x.example"}),
        ErrorCode.KB_AUDIENCE_MISMATCH,
        policy=policy,
    )
    _kb_reject(_with_kb(kb_payload={"iat": NOW_S - 301}), ErrorCode.KB_TOO_OLD, policy=policy)


# --------------------------------------------------------------------------- policy guards


def test_key_binding_policy_rejects_empty_audience() -> None:
    with pytest.raises(ValueError, match="audience"):
        KeyBindingPolicy(audience="", nonce=NONCE)


def test_naive_datetime_is_a_programmer_error() -> None:
    with pytest.raises(ValueError, match="timezone"):
        _verify(_issued().serialize(), now=datetime(2027, 1, 15))  # noqa: DTZ001


def test_iat_claim_in_the_past_is_accepted() -> None:
    assert _verify(craft(base_payload(iat=IAT - 10**6))).claims["iat"] == IAT - 10**6
