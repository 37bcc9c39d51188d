"""SD-JWT VC credentials (draft-ietf-oauth-sd-jwt-vc-18): issuance and verification.

Issuance: ``typ`` (§2.2.1), ``vct`` / ``vct#integrity`` (§2.2.2.1), ``cnf`` and ``status``, and
the registered claims the issuer library writes itself. Verification: the §2.2.2.3 rule that
registered claims never arrive in a Disclosure, ``vct`` acceptance (also via ``aka_vcts``),
``status`` handling through the policy's checker, and Type Metadata processing (§4.7) with the
registration card documents. Hand-made payloads are signed by the trusted issuer key
(:func:`tests.core.sdjwt.builders.craft`), so every rejection is reached past the signature.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from furusato_vc.core.errors import ErrorCode, FurusatoError, VerificationError
from furusato_vc.core.jose.jwt import to_numeric_date
from furusato_vc.core.registration.claims import (
    BASIC_VCT,
    PREMIUM_VCT,
    Claim,
    IdentityAssurance,
    IdentityMethod,
    PersonName,
    RegistrationClaims,
    RelationshipType,
    StayPeriod,
    Tier,
    registration_claim_input,
    vct_for_tier,
)
from furusato_vc.core.registration.metadata import registration_type_metadata, vct_integrity
from furusato_vc.core.sdjwt import SD, IssuedSdJwt
from furusato_vc.core.sdjwtvc.credential import (
    DC_SD_JWT_TYP,
    LEGACY_VC_SD_JWT_TYP,
    NEVER_DISCLOSABLE_CLAIMS,
    SdJwtVcContent,
    SdJwtVcPolicy,
    VerifiedSdJwtVc,
    issue_sd_jwt_vc,
    verify_sd_jwt_vc,
)
from furusato_vc.core.sdjwtvc.type_metadata import integrity_of
from furusato_vc.core.statuslist.reference import StatusReference
from tests.core.sdjwt.builders import (
    EXP,
    IAT,
    ISSUER,
    ISSUER_KID,
    NOW,
    VCT,
    arr_disclosure,
    base_payload,
    craft,
    decode_segment_json,
    dig,
    holder_signer,
    issuer_keys,
    issuer_signer,
    obj_disclosure,
    present,
)
from tests.helpers import SeededRandom, fixed_signer

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from furusato_vc.core.encoding import JSONObject, JSONValue
    from furusato_vc.core.sdjwt import ClaimInput, ClaimPath, Disclosure

STATUS_URI = "https://city.furusato.example.jp/status/1"
STATUS = StatusReference(uri=STATUS_URI, idx=4021)
OTHER_VCT = "urn:furusato-vc:registration:gold:1"  # a type with no Type Metadata document
INTEGRITY = integrity_of(b"some type metadata document")
TODAY = date(2027, 1, 15)  # the Japan date of NOW


def _code_of(call: Callable[[], object]) -> ErrorCode:
    with pytest.raises(FurusatoError) as caught:
        call()
    return caught.value.code


# --------------------------------------------------------------------------- builders


def _content(
    *,
    claims: Mapping[str, ClaimInput] | None = None,
    vct: str = VCT,
    vct_integrity: str | None = None,
    status: StatusReference | None = None,
    not_before: int | None = None,
) -> SdJwtVcContent:
    return SdJwtVcContent(
        issuer=ISSUER,
        vct=vct,
        issued_at=IAT,
        expires_at=EXP,
        holder_key=holder_signer().public_jwk,
        claims={"given_name": SD("太郎"), "family_name": SD("山田")} if claims is None else claims,
        not_before=not_before,
        vct_integrity=vct_integrity,
        status=status,
    )


def _issue(content: SdJwtVcContent) -> IssuedSdJwt:
    return issue_sd_jwt_vc(content, signer=issuer_signer(), random=SeededRandom("sdjwtvc"))


def _policy(
    *,
    accepted_vcts: frozenset[str] = frozenset({VCT}),
    status_checker: _RecordingChecker | None = None,
    unsafe_skip_status_check: bool = False,
    type_metadata: Mapping[str, bytes] | None = None,
    accept_legacy_vc_sd_jwt_typ: bool = False,
) -> SdJwtVcPolicy:
    return SdJwtVcPolicy(
        accepted_vcts=accepted_vcts,
        key_binding=None,
        status_checker=status_checker,
        type_metadata=type_metadata,
        unsafe_skip_status_check=unsafe_skip_status_check,
        accept_legacy_vc_sd_jwt_typ=accept_legacy_vc_sd_jwt_typ,
    )


def _verify(
    presentation: str, *, policy: SdJwtVcPolicy | None = None, holder_view: bool = False
) -> VerifiedSdJwtVc:
    return verify_sd_jwt_vc(
        presentation,
        policy=_policy() if policy is None else policy,
        issuer_keys=issuer_keys(),
        now=NOW,
        holder_view=holder_view,
    )


def _header(issued: IssuedSdJwt) -> JSONObject:
    return decode_segment_json(issued.issuer_jwt.split(".")[0])


def _payload(issued: IssuedSdJwt) -> JSONObject:
    return decode_segment_json(issued.issuer_jwt.split(".")[1])


@dataclass
class _RecordingChecker:
    """A :class:`~furusato_vc.core.statuslist.reference.StatusChecker` that records its calls
    and raises ``error`` when one is set."""

    error: VerificationError | None = None
    calls: list[tuple[StatusReference, str, int]] = field(default_factory=list)
    max_ages: list[int] = field(default_factory=list)

    def check(self, reference: StatusReference, *, issuer: str, now: int, max_age: int) -> None:
        self.calls.append((reference, issuer, now))
        self.max_ages.append(max_age)
        if self.error is not None:
            raise self.error


def _registration(tier: Tier = Tier.BASIC) -> RegistrationClaims:
    premium = tier is Tier.PREMIUM
    return RegistrationClaims(
        issuing_body="011002",
        tier=tier,
        registration_id="R7kq2Z9xW3",
        valid_from=TODAY,
        valid_until=date(2028, 1, 14) if premium else None,
        relationship_types=(RelationshipType.VISITS, RelationshipType.DUAL_RESIDENCE),
        name=PersonName(family="山田", given="花子", family_kana="ヤマダ", given_kana="ハナコ"),
        birthdate=date(1990, 4, 1),
        home_prefecture="13",
        stay=StayPeriod(start=date(2027, 2, 1), end=date(2027, 3, 31)),
        member_number="M-0042",
        identity_assurance=(
            IdentityAssurance(method=IdentityMethod.MY_NUMBER_CARD, verified_on=date(2027, 1, 10))
            if premium
            else None
        ),
    )


def _registration_credential(
    tier: Tier = Tier.BASIC,
    *,
    claims: Mapping[str, ClaimInput] | None = None,
    vct: str | None = None,
    integrity: str | None = None,
) -> IssuedSdJwt:
    """A registration card as the issuer library would write it; ``vct`` and ``integrity``
    default to the tier's type and the integrity of its bundled document."""
    chosen_vct = vct_for_tier(tier) if vct is None else vct
    return _issue(
        _content(
            claims=(
                registration_claim_input(_registration(tier), today=TODAY)
                if claims is None
                else claims
            ),
            vct=chosen_vct,
            vct_integrity=vct_integrity(chosen_vct) if integrity is None else integrity,
        )
    )


def _metadata_policy() -> SdJwtVcPolicy:
    return _policy(
        accepted_vcts=frozenset({BASIC_VCT, PREMIUM_VCT, OTHER_VCT}),
        type_metadata=registration_type_metadata(),
    )


# --------------------------------------------------------------------------- issuance


def test_issued_header_is_typed_dc_sd_jwt() -> None:
    assert DC_SD_JWT_TYP == "dc+sd-jwt"
    assert _header(_issue(_content()))["typ"] == DC_SD_JWT_TYP


def test_issued_header_names_the_issuer_kid() -> None:
    assert _header(_issue(_content()))["kid"] == ISSUER_KID


def test_issued_payload_carries_vct() -> None:
    assert _payload(_issue(_content()))["vct"] == VCT


def test_issued_payload_carries_vct_integrity_when_given() -> None:
    assert _payload(_issue(_content(vct_integrity=INTEGRITY)))["vct#integrity"] == INTEGRITY


def test_issued_payload_has_no_vct_integrity_when_not_given() -> None:
    assert "vct#integrity" not in _payload(_issue(_content()))


def test_issued_payload_carries_iss_iat_and_exp() -> None:
    payload = _payload(_issue(_content()))
    assert (payload["iss"], payload["iat"], payload["exp"]) == (ISSUER, IAT, EXP)


def test_issued_cnf_jwk_is_the_holder_key_without_its_kid() -> None:
    holder = fixed_signer("sdjwtvc-holder-with-kid", kid="holder-device-1").public_jwk
    content = dataclasses.replace(_content(), holder_key=holder)
    cnf = _payload(_issue(content))["cnf"]
    assert cnf == {"jwk": holder.to_json(include_kid=False)}
    assert isinstance(cnf, dict)
    assert isinstance(cnf["jwk"], dict)
    assert "kid" not in cnf["jwk"]


def test_issued_payload_carries_the_status_reference() -> None:
    payload = _payload(_issue(_content(status=STATUS)))
    assert payload["status"] == {"status_list": {"idx": 4021, "uri": STATUS_URI}}


def test_issued_payload_has_no_status_when_not_given() -> None:
    assert "status" not in _payload(_issue(_content()))


def test_issued_payload_carries_nbf_when_given() -> None:
    assert _payload(_issue(_content(not_before=IAT + 60)))["nbf"] == IAT + 60


def test_issued_payload_has_no_nbf_when_not_given() -> None:
    assert "nbf" not in _payload(_issue(_content()))


def test_issued_registered_claims_are_plaintext() -> None:
    issued = _issue(_content(vct_integrity=INTEGRITY, status=STATUS, not_before=IAT))
    payload = _payload(issued)
    assert {"iss", "iat", "nbf", "exp", "vct", "vct#integrity", "cnf", "status"} <= payload.keys()
    assert not {d.name for d in issued.disclosures} & NEVER_DISCLOSABLE_CLAIMS


def test_issued_content_claims_are_selectively_disclosable() -> None:
    issued = _issue(_content())
    assert {(d.name, d.value) for d in issued.disclosures} == {
        ("given_name", "太郎"),
        ("family_name", "山田"),
    }


@pytest.mark.parametrize(
    "name", ["iss", "iat", "nbf", "exp", "cnf", "vct", "vct#integrity", "aka_vcts", "status"]
)
def test_registered_claim_in_content_claims_is_refused(name: str) -> None:
    content = _content(claims={name: "set by the caller", "given_name": SD("太郎")})
    assert _code_of(lambda: _issue(content)) is ErrorCode.SD_REQUEST_INVALID


@pytest.mark.parametrize("name", ["iss", "exp", "vct", "status"])
def test_registered_claim_as_disclosure_in_content_claims_is_refused(name: str) -> None:
    content = _content(claims={name: SD("set by the caller")})
    assert _code_of(lambda: _issue(content)) is ErrorCode.SD_REQUEST_INVALID


def test_content_without_issuer_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="required"):
        dataclasses.replace(_content(), issuer="")


def test_content_without_vct_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="required"):
        dataclasses.replace(_content(), vct="")


@pytest.mark.parametrize("expires_at", [IAT, IAT - 1], ids=["at-iat", "before-iat"])
def test_content_expiring_at_or_before_issuance_is_a_value_error(expires_at: int) -> None:
    with pytest.raises(ValueError, match="expires_at"):
        dataclasses.replace(_content(), expires_at=expires_at)


def test_content_expiring_one_second_after_issuance_is_allowed() -> None:
    assert dataclasses.replace(_content(), expires_at=IAT + 1).expires_at == IAT + 1


# --------------------------------------------------------------------------- verification


def test_round_trip_returns_the_issued_claims() -> None:
    issued = _issue(_content(vct_integrity=INTEGRITY))
    claims = _verify(issued.serialize()).claims
    assert claims == {
        "iss": ISSUER,
        "iat": IAT,
        "exp": EXP,
        "vct": VCT,
        "vct#integrity": INTEGRITY,
        "cnf": {"jwk": holder_signer().public_jwk.to_json(include_kid=False)},
        "given_name": "太郎",
        "family_name": "山田",
    }


def test_verified_result_names_issuer_vct_and_times() -> None:
    issued = _issue(_content(not_before=IAT + 10))
    verified = _verify(issued.serialize())
    assert (verified.issuer, verified.vct) == (ISSUER, VCT)
    assert (verified.issued_at, verified.not_before, verified.expires_at) == (IAT, IAT + 10, EXP)


def test_verified_holder_key_is_the_cnf_jwk() -> None:
    verified = _verify(_issue(_content()).serialize())
    assert verified.holder_key == holder_signer().public_jwk


def test_verified_status_is_the_parsed_reference() -> None:
    issued = _issue(_content(status=STATUS))
    verified = _verify(issued.serialize(), policy=_policy(unsafe_skip_status_check=True))
    assert verified.status == STATUS


def test_verified_status_is_none_without_a_status_claim() -> None:
    assert _verify(_issue(_content()).serialize()).status is None


def test_disclosed_paths_are_the_paths_of_the_presented_disclosures() -> None:
    issued = _issue(_content())
    given = [d for d in issued.disclosures if d.name == "given_name"]
    verified = _verify(present(issued, given))
    assert verified.disclosed_paths == frozenset({("given_name",)})
    assert "family_name" not in verified.claims


def test_never_disclosable_claims_are_the_registered_claims_of_section_2_2_2_3() -> None:
    expected = {"iss", "nbf", "exp", "cnf", "vct", "vct#integrity", "aka_vcts", "status"}
    assert expected == NEVER_DISCLOSABLE_CLAIMS


_HOLDER_JWK: JSONValue = {"jwk": holder_signer().public_jwk.to_json(include_kid=False)}
_DISCLOSED_REGISTERED_VALUES: dict[str, JSONValue] = {
    "nbf": IAT,
    "exp": EXP,
    "cnf": _HOLDER_JWK,
    "vct": VCT,
    "vct#integrity": INTEGRITY,
    "aka_vcts": ["urn:furusato-vc:registration:card:0"],
    "status": {"status_list": {"idx": 4021, "uri": STATUS_URI}},
}


@pytest.mark.parametrize("name", sorted(_DISCLOSED_REGISTERED_VALUES))
def test_registered_claim_in_a_disclosure_is_rejected(name: str) -> None:
    disclosure = obj_disclosure(name, _DISCLOSED_REGISTERED_VALUES[name])
    payload = base_payload(_sd=[dig(disclosure)])
    payload.pop(name, None)
    presentation = craft(payload, [disclosure])
    policy = _policy(unsafe_skip_status_check=True)
    assert _code_of(lambda: _verify(presentation, policy=policy)) is ErrorCode.CLAIM_NOT_DISCLOSABLE


def test_iss_in_a_disclosure_is_rejected_before_key_lookup() -> None:
    # The issuer key is chosen by the plaintext `iss` (RFC 9901 §7.1 step 2.c), so a hidden
    # `iss` is rejected by the SD-JWT layer before the SD-JWT VC rule can name it.
    disclosure = obj_disclosure("iss", ISSUER)
    payload = base_payload(_sd=[dig(disclosure)])
    del payload["iss"]
    presentation = craft(payload, [disclosure])
    assert _code_of(lambda: _verify(presentation)) is ErrorCode.REQUIRED_CLAIM_MISSING


def _sub_claim_disclosed(name: str) -> tuple[JSONObject, list[Disclosure]]:
    if name == "cnf.jwk":
        jwk = obj_disclosure("jwk", holder_signer().public_jwk.to_json(include_kid=False))
        return base_payload(cnf={"_sd": [dig(jwk)]}), [jwk]
    if name == "status.status_list":
        status_list = obj_disclosure("status_list", {"idx": 4021, "uri": STATUS_URI})
        return base_payload(status={"_sd": [dig(status_list)]}), [status_list]
    element = arr_disclosure("urn:furusato-vc:registration:card:0")
    return base_payload(aka_vcts=[{"...": dig(element)}]), [element]


@pytest.mark.parametrize("name", ["cnf.jwk", "status.status_list", "aka_vcts[0]"])
def test_sub_claim_of_a_registered_claim_in_a_disclosure_is_rejected(name: str) -> None:
    payload, disclosures = _sub_claim_disclosed(name)
    presentation = craft(payload, disclosures)
    policy = _policy(unsafe_skip_status_check=True)
    assert _code_of(lambda: _verify(presentation, policy=policy)) is ErrorCode.CLAIM_NOT_DISCLOSABLE


def test_disclosed_claim_named_like_a_registered_claim_inside_another_claim_is_accepted() -> None:
    # §2.2.2.3 is about the top-level registered claims, not members of other objects.
    inner = obj_disclosure("status", "active")
    outer = obj_disclosure("membership", {"_sd": [dig(inner)]})
    presentation = craft(base_payload(_sd=[dig(outer)]), [outer, inner])
    assert _verify(presentation).claims["membership"] == {"status": "active"}


@pytest.mark.parametrize(
    "header",
    [{"typ": "jwt"}, {"typ": "JWT"}, {"typ": "kb+jwt"}, {"typ": "sd-jwt"}, {}],
    ids=["jwt", "JWT", "kb+jwt", "sd-jwt", "absent"],
)
def test_wrong_typ_is_rejected(header: JSONObject) -> None:
    presentation = craft(base_payload(), header=header)
    assert _code_of(lambda: _verify(presentation)) is ErrorCode.TYP_MISMATCH


def test_legacy_vc_sd_jwt_typ_is_rejected_by_default() -> None:
    presentation = craft(base_payload(), header={"typ": LEGACY_VC_SD_JWT_TYP})
    assert _code_of(lambda: _verify(presentation)) is ErrorCode.TYP_MISMATCH


def test_legacy_vc_sd_jwt_typ_is_accepted_when_the_policy_allows_it() -> None:
    presentation = craft(base_payload(), header={"typ": LEGACY_VC_SD_JWT_TYP})
    policy = _policy(accept_legacy_vc_sd_jwt_typ=True)
    assert _verify(presentation, policy=policy).vct == VCT


def test_dc_sd_jwt_typ_is_still_accepted_with_the_legacy_flag() -> None:
    policy = _policy(accept_legacy_vc_sd_jwt_typ=True)
    assert _verify(craft(base_payload()), policy=policy).vct == VCT


def test_vct_not_accepted_by_the_policy_is_rejected() -> None:
    presentation = craft(base_payload(vct=OTHER_VCT))
    assert _code_of(lambda: _verify(presentation)) is ErrorCode.VCT_NOT_ACCEPTED


def test_vct_is_accepted_through_aka_vcts() -> None:
    presentation = craft(base_payload(vct=OTHER_VCT, aka_vcts=["urn:example:older", VCT]))
    assert _verify(presentation).vct == OTHER_VCT


def test_aka_vcts_naming_no_accepted_type_is_rejected() -> None:
    presentation = craft(base_payload(vct=OTHER_VCT, aka_vcts=["urn:example:older"]))
    assert _code_of(lambda: _verify(presentation)) is ErrorCode.VCT_NOT_ACCEPTED


_MALFORMED_AKA_VCTS: list[JSONValue] = [
    [],
    [1],
    [VCT, None],
    [""],
    "urn:example:older",
    {"0": VCT},
]
_MALFORMED_AKA_VCTS_IDS = ["empty", "number", "null-element", "empty-string", "string", "object"]


@pytest.mark.parametrize("aka_vcts", _MALFORMED_AKA_VCTS, ids=_MALFORMED_AKA_VCTS_IDS)
def test_malformed_aka_vcts_is_rejected(aka_vcts: JSONValue) -> None:
    presentation = craft(base_payload(vct=OTHER_VCT, aka_vcts=aka_vcts))
    assert _code_of(lambda: _verify(presentation)) is ErrorCode.MALFORMED_CLAIM


def test_aka_vcts_containing_the_vct_itself_is_rejected() -> None:
    presentation = craft(base_payload(vct=OTHER_VCT, aka_vcts=[VCT, OTHER_VCT]))
    assert _code_of(lambda: _verify(presentation)) is ErrorCode.MALFORMED_CLAIM


@pytest.mark.parametrize(
    "aka_vcts",
    [*_MALFORMED_AKA_VCTS, [VCT]],
    ids=[*_MALFORMED_AKA_VCTS_IDS, "contains-vct"],
)
def test_malformed_aka_vcts_is_rejected_when_the_vct_itself_is_accepted(
    aka_vcts: JSONValue,
) -> None:
    presentation = craft(base_payload(aka_vcts=aka_vcts))
    assert _code_of(lambda: _verify(presentation)) is ErrorCode.MALFORMED_CLAIM


def test_missing_vct_is_rejected() -> None:
    payload = base_payload()
    del payload["vct"]
    presentation = craft(payload)
    assert _code_of(lambda: _verify(presentation)) is ErrorCode.REQUIRED_CLAIM_MISSING


@pytest.mark.parametrize("vct", [1, None, True, [VCT], {"id": VCT}])
def test_vct_that_is_not_a_string_is_rejected(vct: JSONValue) -> None:
    presentation = craft(base_payload(vct=vct))
    assert _code_of(lambda: _verify(presentation)) is ErrorCode.MALFORMED_CLAIM


@pytest.mark.parametrize("integrity", [42, True, [INTEGRITY], {"sha256": INTEGRITY}])
def test_vct_integrity_that_is_not_a_string_is_rejected(integrity: JSONValue) -> None:
    presentation = craft(base_payload(**{"vct#integrity": integrity}))
    assert _code_of(lambda: _verify(presentation)) is ErrorCode.MALFORMED_CLAIM


def test_vct_integrity_null_is_rejected() -> None:
    presentation = craft(base_payload(**{"vct#integrity": None}))
    assert _code_of(lambda: _verify(presentation)) is ErrorCode.MALFORMED_CLAIM


@pytest.mark.parametrize(
    "status",
    [
        {},
        {"status_list": None},
        {"status_list": "https://city.furusato.example.jp/status/1#4021"},
        {"status_list": {"idx": -1, "uri": STATUS_URI}},
        {"status_list": {"idx": True, "uri": STATUS_URI}},
        {"status_list": {"idx": 1.0, "uri": STATUS_URI}},
        {"status_list": {"idx": 4021.5, "uri": STATUS_URI}},
        {"status_list": {"idx": "4021", "uri": STATUS_URI}},
        {"status_list": {"idx": 2**32, "uri": STATUS_URI}},
        {"status_list": {"uri": STATUS_URI}},
        {"status_list": {"idx": 4021}},
        {"status_list": {"idx": 4021, "uri": ""}},
        {"status_list": {"idx": 4021, "uri": 7}},
        "https://city.furusato.example.jp/status/1",
        None,
    ],
    ids=[
        "status_list-missing",
        "status_list-null",
        "status_list-string",
        "idx-negative",
        "idx-bool",
        "idx-float",
        "idx-fraction",
        "idx-string",
        "idx-2**32",
        "idx-missing",
        "uri-missing",
        "uri-empty",
        "uri-number",
        "status-string",
        "status-null",
    ],
)
def test_malformed_status_claim_is_rejected(status: JSONValue) -> None:
    presentation = craft(base_payload(status=status))
    policy = _policy(unsafe_skip_status_check=True)
    assert _code_of(lambda: _verify(presentation, policy=policy)) is ErrorCode.MALFORMED_CLAIM


@pytest.mark.parametrize("idx", [0, 2**32 - 1])
def test_status_index_bounds_are_accepted(idx: int) -> None:
    presentation = craft(base_payload(status={"status_list": {"idx": idx, "uri": STATUS_URI}}))
    policy = _policy(unsafe_skip_status_check=True)
    assert _verify(presentation, policy=policy).status == StatusReference(uri=STATUS_URI, idx=idx)


def test_status_without_a_checker_is_rejected() -> None:
    presentation = _issue(_content(status=STATUS)).serialize()
    assert _code_of(lambda: _verify(presentation)) is ErrorCode.STATUS_NOT_CHECKED


def test_status_is_accepted_unchecked_when_the_policy_opts_out() -> None:
    presentation = _issue(_content(status=STATUS)).serialize()
    policy = _policy(unsafe_skip_status_check=True)
    assert _verify(presentation, policy=policy).status == STATUS


def test_credential_without_status_needs_no_checker() -> None:
    assert _verify(_issue(_content()).serialize()).status is None


def test_status_checker_gets_the_reference_the_issuer_and_now_in_seconds() -> None:
    checker = _RecordingChecker()
    _verify(_issue(_content(status=STATUS)).serialize(), policy=_policy(status_checker=checker))
    assert checker.calls == [(STATUS, ISSUER, to_numeric_date(NOW))]
    assert type(checker.calls[0][2]) is int


def test_status_checker_error_propagates() -> None:
    stale = VerificationError(ErrorCode.STATUS_NOT_CHECKED, "status list is stale")
    policy = _policy(status_checker=_RecordingChecker(error=stale))
    presentation = _issue(_content(status=STATUS)).serialize()
    with pytest.raises(VerificationError) as caught:
        _verify(presentation, policy=policy)
    assert caught.value is stale


def test_status_checker_is_not_called_without_a_status_claim() -> None:
    checker = _RecordingChecker()
    _verify(_issue(_content()).serialize(), policy=_policy(status_checker=checker))
    assert checker.calls == []


def test_policy_with_a_checker_and_unsafe_skip_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="not both"):
        _policy(status_checker=_RecordingChecker(), unsafe_skip_status_check=True)


def test_policy_without_accepted_vcts_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="accepted_vcts"):
        _policy(accepted_vcts=frozenset())


def test_policy_derives_the_accepted_typ_of_the_sd_jwt_layer() -> None:
    assert _policy().sd_jwt_policy.accepted_typ == frozenset({DC_SD_JWT_TYP})
    assert _policy(accept_legacy_vc_sd_jwt_typ=True).sd_jwt_policy.accepted_typ == frozenset(
        {DC_SD_JWT_TYP, LEGACY_VC_SD_JWT_TYP}
    )


# --------------------------------------------------------------------------- type metadata


@pytest.mark.parametrize("tier", list(Tier))
def test_registration_credential_passes_type_metadata(tier: Tier) -> None:
    issued = _registration_credential(tier)
    verified = _verify(issued.serialize(), policy=_metadata_policy(), holder_view=True)
    assert verified.type_metadata is not None
    assert verified.type_metadata.vct == vct_for_tier(tier)


def test_type_metadata_is_none_when_the_policy_has_no_documents() -> None:
    issued = _registration_credential()
    policy = _policy(accepted_vcts=frozenset({BASIC_VCT}))
    assert _verify(issued.serialize(), policy=policy).type_metadata is None


def test_wrong_vct_integrity_is_rejected() -> None:
    issued = _registration_credential(integrity=vct_integrity(PREMIUM_VCT))
    presentation = issued.serialize()
    policy = _metadata_policy()
    assert (
        _code_of(lambda: _verify(presentation, policy=policy)) is ErrorCode.TYPE_METADATA_INTEGRITY
    )


def test_unknown_vct_with_documents_is_unavailable() -> None:
    presentation = _registration_credential(vct=OTHER_VCT, integrity=INTEGRITY).serialize()
    policy = _metadata_policy()
    assert (
        _code_of(lambda: _verify(presentation, policy=policy))
        is ErrorCode.TYPE_METADATA_UNAVAILABLE
    )


def test_sd_always_claim_issued_in_plaintext_is_a_violation() -> None:
    claims = registration_claim_input(_registration(), today=TODAY)
    claims[Claim.REGISTRATION_ID] = "R7kq2Z9xW3"  # sd: always in the Type Metadata
    presentation = _registration_credential(claims=claims).serialize()
    policy = _metadata_policy()
    assert (
        _code_of(lambda: _verify(presentation, policy=policy)) is ErrorCode.CLAIM_METADATA_VIOLATION
    )


def _without_registration_id() -> IssuedSdJwt:
    claims = registration_claim_input(_registration(), today=TODAY)
    del claims[Claim.REGISTRATION_ID]  # mandatory and sd: always
    return _registration_credential(claims=claims)


def test_holder_view_rejects_a_missing_mandatory_claim() -> None:
    presentation = _without_registration_id().serialize()
    policy = _metadata_policy()
    assert (
        _code_of(lambda: _verify(presentation, policy=policy, holder_view=True))
        is ErrorCode.CLAIM_METADATA_VIOLATION
    )


def test_verifier_view_accepts_a_missing_selectively_disclosable_mandatory_claim() -> None:
    presentation = _without_registration_id().serialize()
    verified = _verify(presentation, policy=_metadata_policy(), holder_view=False)
    assert Claim.REGISTRATION_ID not in verified.claims


def test_verifier_view_rejects_a_missing_plaintext_mandatory_claim() -> None:
    claims = registration_claim_input(_registration(Tier.PREMIUM), today=TODAY)
    del claims[Claim.VALID_UNTIL]  # mandatory for premium and sd: never
    presentation = _registration_credential(Tier.PREMIUM, claims=claims).serialize()
    policy = _metadata_policy()
    assert (
        _code_of(lambda: _verify(presentation, policy=policy, holder_view=False))
        is ErrorCode.CLAIM_METADATA_VIOLATION
    )


# --------------------------------------------------------------------------- property

_TOP_LEVEL_DISCLOSABLE = (
    Claim.REGISTRATION_ID,
    Claim.RELATIONSHIP_TYPES,
    Claim.FAMILY_NAME,
    Claim.GIVEN_NAME,
    Claim.FAMILY_NAME_KANA,
    Claim.GIVEN_NAME_KANA,
    Claim.BIRTHDATE,
    Claim.AGE_EQUAL_OR_OVER,
    Claim.HOME_PREFECTURE,
    Claim.STAY,
    Claim.MEMBER_NUMBER,
    Claim.IDENTITY_ASSURANCE,
)
_AGE_FLAGS = ("18", "20", "65")
_PREMIUM_CARD = _registration_credential(Tier.PREMIUM)
_PREMIUM_HELD = _verify(_PREMIUM_CARD.serialize(), policy=_metadata_policy(), holder_view=True)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    names=st.sets(st.sampled_from(_TOP_LEVEL_DISCLOSABLE)),
    ages=st.sets(st.sampled_from(_AGE_FLAGS)),
)
def test_any_disclosed_subset_yields_the_plaintext_claims_plus_exactly_those(
    names: set[str], ages: set[str]
) -> None:
    paths: set[ClaimPath] = {(name,) for name in names}
    if Claim.AGE_EQUAL_OR_OVER in names:
        paths |= {(Claim.AGE_EQUAL_OR_OVER, age) for age in ages}
    chosen = [item.disclosure for item in _PREMIUM_HELD.sd_jwt.disclosed if item.path in paths]

    verified = _verify(present(_PREMIUM_CARD, chosen), policy=_metadata_policy())

    full = _PREMIUM_HELD.claims
    expected: JSONObject = {
        name: value
        for name, value in _payload(_PREMIUM_CARD).items()
        if name not in {"_sd", "_sd_alg"}
    }
    for name in names:
        expected[name] = full[name]
    all_flags = full[Claim.AGE_EQUAL_OR_OVER]
    assert isinstance(all_flags, dict)
    if Claim.AGE_EQUAL_OR_OVER in names:
        expected[Claim.AGE_EQUAL_OR_OVER] = {age: all_flags[age] for age in ages}
    assert verified.claims == expected
