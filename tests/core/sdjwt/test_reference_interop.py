"""Interoperability with the reference implementation, PyPI ``sd-jwt`` 0.10.4 (module ``sd_jwt``,
openwallet-foundation-labs/sd-jwt-python, pre-RFC; jwcrypto keys).

(i)   SD-JWTs issued (and presented with KB) by us verify with ``SDJWTVerifier`` with the same
      processed claims;
(ii)  SD-JWTs issued by ``SDJWTIssuer`` and presented by ``SDJWTHolder`` (with KB) verify with
      ``verify_sd_jwt`` with the same claims — its JSON uses ``", "`` separators and ``\\u``
      escapes, so this also checks that Disclosures are hashed as sent, never re-serialized;
(iii) known gaps of sd-jwt 0.10.4 (security catalogue §5.5; S-3, S-4, S-5, S-14, S-20): its
      verifier accepts unreferenced Disclosures, Disclosures named ``_sd``/``...``/``_sd_alg``,
      repeated ``{"...": digest}`` array digests, a KB-JWT of any age (``iat`` is not checked)
      and an expired ``exp`` (``# TODO: Check exp/nbf/iat``). We reject each with its code.
      The reference's acceptance is asserted too: 0.10.4 is pinned in pyproject.toml and those
      code paths are deterministic, so a failure there means the pin moved and the comment
      above must be revisited, not that we regressed.

Module-level state of the reference is left alone: salts come from ``secrets`` (we never set
``SDJWTCommon.unsafe_randomness``), ``typ`` is passed per call via ``extra_header_parameters``
instead of the ``SD_JWT_HEADER`` environment variable, and decoy counts use the global
``random`` module only when ``add_decoy_claims=True`` (the count does not matter here).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from jwcrypto.jwk import JWK
from sd_jwt.common import SDObj
from sd_jwt.holder import SDJWTHolder
from sd_jwt.issuer import SDJWTIssuer
from sd_jwt.verifier import SDJWTVerifier

from furusato_vc.core.encoding import b64url_decode
from furusato_vc.core.errors import ErrorCode, FurusatoError
from furusato_vc.core.sdjwt import (
    SD,
    ClaimInput,
    DecoyPolicy,
    SdAlg,
    create_kb_jwt,
    select_disclosures,
    verify_sd_jwt,
)
from furusato_vc.core.sdjwt.compact import CompactSdJwt
from tests.core.sdjwt.builders import (
    AUDIENCE,
    ISSUER,
    ISSUER_KID,
    NONCE,
    NOW,
    TYP,
    VCT,
    arr_disclosure,
    at_seconds,
    base_payload,
    craft,
    dig,
    holder_policy,
    holder_signer,
    issue_sample,
    issuer_keys,
    kb_request,
    obj_disclosure,
    present,
    registered_claims,
    sample_claims,
    verifier_policy,
)
from tests.helpers import fixed_p256_key

if TYPE_CHECKING:
    from furusato_vc.core.encoding import JSONObject
    from furusato_vc.core.sdjwt import SdJwtPolicy, VerifiedSdJwt

# A validity window that contains the wall clock the reference Holder puts in its KB-JWT.
_WIDE_IAT = 1_700_000_000  # 2023-11
_WIDE_EXP = 4_102_444_800  # 2100-01


# --------------------------------------------------------------------------- reference side


def _issuer_jwk() -> Any:
    return JWK.from_pyca(fixed_p256_key("sdjwt-test-issuer"))


def _holder_jwk() -> Any:
    return JWK.from_pyca(fixed_p256_key("sdjwt-test-holder"))


def _issuer_key_callback(issuer: str, header: dict[str, Any]) -> Any:
    # Like ours, trust is keyed on iss and kid; the reference only calls this.
    if issuer != ISSUER or header.get("kid") != ISSUER_KID:
        raise ValueError("untrusted issuer or key")
    return JWK.from_pyca(fixed_p256_key("sdjwt-test-issuer").public_key())


def _reference_verify(text: str, *, kb: bool) -> dict[str, Any]:
    verifier = (
        SDJWTVerifier(text, _issuer_key_callback, AUDIENCE, NONCE)
        if kb
        else SDJWTVerifier(text, _issuer_key_callback)
    )
    claims = verifier.get_verified_payload()
    assert isinstance(claims, dict)
    return claims


def _reference_issue(claims: dict[Any, Any], *, decoys: bool = True) -> str:
    issuer = SDJWTIssuer(
        claims,
        _issuer_jwk(),
        _holder_jwk(),
        add_decoy_claims=decoys,
        extra_header_parameters={"typ": TYP, "kid": ISSUER_KID},
    )
    issuance = issuer.sd_jwt_issuance
    assert isinstance(issuance, str)
    return issuance


def _reference_present(issuance: str, selection: dict[str, Any]) -> str:
    holder = SDJWTHolder(issuance)
    holder.create_presentation(selection, NONCE, AUDIENCE, _holder_jwk())
    presentation = holder.sd_jwt_presentation
    assert isinstance(presentation, str)
    return presentation


def _reference_claims() -> dict[Any, Any]:
    """SD-JWT VC-like claims in the reference's notation (SD keys wrapped in ``SDObj``)."""
    return {
        "iss": ISSUER,
        "iat": _WIDE_IAT,
        "exp": _WIDE_EXP,
        "vct": VCT,
        SDObj("given_name"): "太郎",
        SDObj("family_name"): "山田",
        SDObj("address"): {
            "country": "JP",
            SDObj("region"): "北海道",
            SDObj("locality"): "ニセコ町",
        },
        "nationalities": ["JP", SDObj("US"), SDObj("FR")],
        "registered_municipalities": [SDObj({"code": "013951", SDObj("since"): "2026-10-01"})],
    }


def _kb_issued_at(presentation: str) -> int:
    kb = presentation.rsplit("~", 1)[1]
    payload = json.loads(b64url_decode(kb.split(".")[1]))
    iat = payload["iat"]
    assert isinstance(iat, int)
    return iat


# --------------------------------------------------------------------------- our side


def _ours(text: str, *, policy: SdJwtPolicy, now_s: int | None = None) -> VerifiedSdJwt:
    return verify_sd_jwt(
        text,
        policy=policy,
        issuer_keys=issuer_keys(),
        now=NOW if now_s is None else at_seconds(now_s),
    )


def _ours_rejects(text: str, code: ErrorCode, *, policy: SdJwtPolicy, now_s: int) -> None:
    with pytest.raises(FurusatoError) as info:
        _ours(text, policy=policy, now_s=now_s)
    assert info.value.code is code, info.value


# =========================================================================== (i) ours → theirs


def test_our_sd_jwt_verifies_with_the_reference_without_kb() -> None:
    issued = issue_sample(decoys=DecoyPolicy(min_decoys=3, array_decoys=2))
    ours = _ours(issued.serialize(), policy=holder_policy())
    assert _reference_verify(issued.serialize(), kb=False) == ours.claims
    assert ours.claims["address"] == {
        "country": "JP",
        "region": "北海道",
        "locality": "ニセコ町",
        "street_address": "富士見1-2-3",
    }


def test_our_full_presentation_with_kb_verifies_with_the_reference() -> None:
    issued = issue_sample(decoys=DecoyPolicy())
    text = present(issued, kb=kb_request())
    assert _reference_verify(text, kb=True) == _ours(text, policy=verifier_policy()).claims


def test_our_partial_presentation_with_kb_verifies_with_the_reference() -> None:
    issued = issue_sample(decoys=DecoyPolicy())
    holder = _ours(issued.serialize(), policy=holder_policy())
    chosen = select_disclosures(
        holder.disclosed,
        [
            ("given_name",),
            ("address", "region"),
            ("nationalities", 2),
            ("registered_municipalities",),
        ],
    )
    text = present(issued, chosen, kb=kb_request())
    ours = _ours(text, policy=verifier_policy()).claims
    assert _reference_verify(text, kb=True) == ours
    assert ours["address"] == {"country": "JP", "region": "北海道"}
    assert ours["nationalities"] == ["JP", "FR"]
    assert ours["registered_municipalities"] == [{"code": "013951", "since": "2026-10-01"}]
    assert "family_name" not in ours


def test_our_issuance_presented_by_the_reference_holder_verifies_with_us() -> None:
    claims: dict[str, ClaimInput] = {
        **sample_claims(),
        **registered_claims(iat=_WIDE_IAT, exp=_WIDE_EXP),
    }
    # No array decoys here: the reference Holder selects array elements by their position in
    # the *signed* array, so a decoy would shift the selection.
    issued = issue_sample(claims, decoys=DecoyPolicy(min_decoys=2, array_decoys=0))
    text = _reference_present(
        issued.serialize(),
        {"family_name": True, "address": {"locality": True}, "nationalities": [False, True]},
    )
    ours = _ours(text, policy=verifier_policy(), now_s=_kb_issued_at(text))
    assert ours.claims == _reference_verify(text, kb=True)
    assert ours.claims["family_name"] == "山田"
    assert ours.claims["address"] == {"country": "JP", "locality": "ニセコ町"}
    assert ours.claims["nationalities"] == ["JP", "US"]
    assert "given_name" not in ours.claims


# =========================================================================== (ii) theirs → ours


def test_reference_issuance_verifies_with_us() -> None:
    issuance = _reference_issue(_reference_claims())
    ours = _ours(issuance, policy=holder_policy(), now_s=_WIDE_IAT + 1)
    assert ours.claims == _reference_verify(issuance, kb=False)
    assert ours.claims["given_name"] == "太郎"
    assert ours.claims["address"] == {"country": "JP", "region": "北海道", "locality": "ニセコ町"}
    assert ours.claims["nationalities"] == ["JP", "US", "FR"]
    assert ours.claims["registered_municipalities"] == [{"code": "013951", "since": "2026-10-01"}]
    assert ours.claims["cnf"] == {"jwk": _holder_jwk().export_public(as_dict=True)}
    assert len(ours.disclosed) == 9


def test_reference_issuance_without_decoys_verifies_with_us() -> None:
    issuance = _reference_issue(_reference_claims(), decoys=False)
    ours = _ours(issuance, policy=holder_policy(), now_s=_WIDE_IAT + 1)
    assert ours.claims == _reference_verify(issuance, kb=False)


def test_reference_presentation_with_kb_verifies_with_us() -> None:
    issuance = _reference_issue(_reference_claims())
    text = _reference_present(
        issuance,
        {
            "given_name": True,
            "address": {"region": True},
            "nationalities": [False, False, True],
            "registered_municipalities": [{"since": True}],
        },
    )
    ours = _ours(text, policy=verifier_policy(), now_s=_kb_issued_at(text))
    assert ours.claims == _reference_verify(text, kb=True)
    assert ours.claims["given_name"] == "太郎"
    assert ours.claims["address"] == {"country": "JP", "region": "北海道"}
    assert ours.claims["nationalities"] == ["JP", "FR"]
    assert ours.claims["registered_municipalities"] == [{"code": "013951", "since": "2026-10-01"}]
    assert "family_name" not in ours.claims
    assert ours.key_binding is not None
    # jwcrypto adds its thumbprint as kid to cnf.jwk; the key material is the same.
    assert ours.key_binding.holder_key.thumbprint() == holder_signer().public_jwk.thumbprint()


def test_reference_presentation_with_nothing_disclosed_verifies_with_us() -> None:
    issuance = _reference_issue(_reference_claims())
    text = _reference_present(issuance, {})
    ours = _ours(text, policy=verifier_policy(), now_s=_kb_issued_at(text))
    assert ours.claims == _reference_verify(text, kb=True)
    assert ours.claims["nationalities"] == ["JP"]
    assert ours.claims["registered_municipalities"] == []
    assert ours.disclosed == ()


def test_reference_presentation_is_rejected_by_us_when_tampered() -> None:
    issuance = _reference_issue(_reference_claims())
    text = _reference_present(issuance, {"given_name": True})
    jwt, disclosure, kb = text.split("~")
    _ours_rejects(
        f"{jwt}~~{kb}", ErrorCode.MALFORMED_SD_JWT, policy=verifier_policy(), now_s=_WIDE_IAT
    )
    stripped = f"{jwt}~{disclosure}~"
    _ours_rejects(stripped, ErrorCode.KB_REQUIRED, policy=verifier_policy(), now_s=_WIDE_IAT)


# =========================================================================== (iii) known gaps
# of sd-jwt 0.10.4 — rejected by us (see the module docstring).


def test_gap_unreferenced_disclosure() -> None:
    issuance = _reference_issue(_reference_claims())
    foreign = _reference_issue(_reference_claims()).split("~")[1]
    text = issuance + foreign + "~"
    _ours_rejects(
        text, ErrorCode.DISCLOSURE_UNREFERENCED, policy=holder_policy(), now_s=_WIDE_IAT + 1
    )
    # Known gap of sd-jwt 0.10.4: no §7.1 step 5 check.
    _reference_verify(text, kb=False)


@pytest.mark.parametrize("name", ["_sd", "...", "_sd_alg"])
def test_gap_forbidden_disclosure_name(name: str) -> None:
    bad = obj_disclosure(name, ["x"])
    text = craft(base_payload(_sd=[dig(bad)]), [bad])
    _ours_rejects(
        text,
        ErrorCode.DISCLOSURE_CLAIM_NAME_FORBIDDEN,
        policy=holder_policy(),
        now_s=int(NOW.timestamp()),
    )
    # Known gap of sd-jwt 0.10.4: the disclosed name is inserted as an ordinary claim.
    assert _reference_verify(text, kb=False)[name] == ["x"]


def test_gap_duplicate_array_element_digest() -> None:
    element = arr_disclosure("US")
    text = craft(
        base_payload(nationalities=[{"...": dig(element)}, {"...": dig(element)}]), [element]
    )
    _ours_rejects(
        text, ErrorCode.DIGEST_DUPLICATE, policy=holder_policy(), now_s=int(NOW.timestamp())
    )
    # Known gap of sd-jwt 0.10.4: `...` digests are not part of its duplicate check.
    assert _reference_verify(text, kb=False)["nationalities"] == ["US", "US"]


def test_gap_kb_jwt_iat_not_checked() -> None:
    issuance = _reference_issue(_reference_claims())
    compact = CompactSdJwt(
        issuer_jwt=issuance.split("~")[0], disclosures=tuple(issuance.split("~")[1:-1]), kb_jwt=None
    )
    stale = _WIDE_IAT + 10  # far older than any KB window at verification time
    kb = create_kb_jwt(
        sd_hash_input=compact.sd_hash_input(),
        request=kb_request(issued_at=stale),
        sd_alg=SdAlg.SHA_256,
    )
    text = compact.sd_hash_input() + kb
    assert _ours(text, policy=verifier_policy(), now_s=stale).key_binding is not None
    _ours_rejects(text, ErrorCode.KB_TOO_OLD, policy=verifier_policy(), now_s=stale + 86400)
    # Known gap of sd-jwt 0.10.4: the KB-JWT iat is never compared with a clock.
    assert _reference_verify(text, kb=True)["given_name"] == "太郎"


def test_gap_expired_credential() -> None:
    claims: dict[str, ClaimInput] = {
        **registered_claims(iat=_WIDE_IAT, exp=_WIDE_IAT + 60),
        "given_name": SD("太郎"),
    }
    issued = issue_sample(claims)
    _ours_rejects(
        issued.serialize(), ErrorCode.TOKEN_EXPIRED, policy=holder_policy(), now_s=_WIDE_IAT + 3600
    )
    # Known gap of sd-jwt 0.10.4: "# TODO: Check exp/nbf/iat".
    assert _reference_verify(issued.serialize(), kb=False)["exp"] == _WIDE_IAT + 60


def _payload_of(text: str) -> JSONObject:
    value = json.loads(b64url_decode(text.split("~", maxsplit=1)[0].split(".")[1]))
    assert isinstance(value, dict)
    return value


def test_reference_payload_uses_its_own_json_spacing() -> None:
    # Guards the premise of (ii): the reference's JSON differs from ours byte for byte.
    issuance = _reference_issue(_reference_claims())
    disclosure = issuance.split("~")[1]
    assert b'", "' in b64url_decode(disclosure)
    assert _payload_of(issuance)["_sd_alg"] == "sha-256"
