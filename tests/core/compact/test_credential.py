"""The compact QR credential (:mod:`furusato_vc.core.compact.credential`), an SD-CWT profile.

Issuance structure (module docstring there), holder acceptance (-07 §"Holder Validation"),
presentation (-07 §"Creating a Key Binding Token") and verification (-07 §"SD-KBT and SD-CWT
Verifier Validation", steps 1-9) with every rejection and its exact code. Malformed tokens are
built by hand in :mod:`tests.core.compact.builders` and properly signed, so each rejection is
reached past the signatures and exercises one rule.

Clock: :data:`NOW` is 2027-01-15 09:00 JST; the default policy has a 60 s key-binding window,
60 s of future tolerance and 60 s of clock skew. Properties at the end: round trips for random
registrations and group choices, and tampering (one changed byte of the SD-KBT, one changed
character of the QR text) never verifies to a different result.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, cast

import cbor2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from furusato_vc.core.base45 import BASE45_ALPHABET
from furusato_vc.core.cbor import decode_cbor, encode_cbor
from furusato_vc.core.compact.credential import (
    CompactPolicy,
    VerifiedCompact,
    compact_kid,
    verify_compact,
)
from furusato_vc.core.compact.profile import (
    CNF_COSE_KEY,
    FURUSATO_CLAIM,
    REDACTED_CLAIM_KEYS,
    SALT_BYTES,
    TYP_KB_CWT,
    TYP_SD_CWT,
    CwtClaim,
    FvKey,
    Group,
    PersonKey,
)
from furusato_vc.core.cose import CoseAlgorithm, CoseHeader, cose_key_from_public_jwk
from furusato_vc.core.errors import ErrorCode, FurusatoError, VerificationError
from furusato_vc.core.qrtext import QR_PREFIX, decode_qr_text, encode_qr_text
from furusato_vc.core.registration.claims import PersonName, StayPeriod, Tier
from furusato_vc.core.trust import StaticTrust
from tests.core.compact.builders import (
    AUDIENCE,
    EXP,
    HOLDER,
    ISSUED,
    ISSUER,
    NAME,
    NOW,
    NOW_S,
    OTHER_HOLDER,
    PREMIUM_BODY,
    STATUS_LIST_ID,
    TRUST,
    content,
    credential_payload,
    days,
    decoy,
    digest,
    forge_credential,
    forge_kbt,
    hold,
    issue,
    issued_disclosures,
    kb_payload,
    kbt_parts,
    malleate,
    payload_of,
    person_value,
    present,
    salted,
    trusted,
    verify,
    with_sd_claims,
)
from tests.helpers import fixed_signer
from tests.registration_fixtures import CHIYODA, KESENNUMA, STATUS_INDEX, TODAY, issuing_body

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from furusato_vc.core.compact.credential import CompactContent, HeldCompact, IssuedCompact
    from furusato_vc.core.jose.jwk import PublicJwk

ALL_GROUPS = (Group.PERSON, Group.MEMBERSHIP)
NONCE = b"verifier-nonce-0001"


def _at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _rejection(
    kbt: bytes,
    *,
    policy: CompactPolicy | None = None,
    now: datetime = NOW,
    trust: StaticTrust = TRUST,
) -> ErrorCode:
    with pytest.raises(FurusatoError) as info:
        verify(kbt, policy=policy, now=now, trust=trust)
    return info.value.code


def _holder_rejection(
    encoded: bytes,
    *,
    holder_key: PublicJwk | None = None,
    now: datetime = NOW,
    trust: StaticTrust = TRUST,
) -> ErrorCode:
    with pytest.raises(FurusatoError) as info:
        hold(encoded, holder_key=holder_key, now=now, trust=trust)
    return info.value.code


def _real_disclosures(issued: IssuedCompact) -> list[bytes]:
    """The issued Salted Disclosed Claims that are not decoys."""
    return [d for d in issued_disclosures(issued) if len(cast("list[object]", decode_cbor(d))) == 3]


def _fv(issued: IssuedCompact) -> dict[object, object]:
    fv = payload_of(issued.credential)[FURUSATO_CLAIM]
    assert isinstance(fv, dict)
    return fv


def _decoded(issued: IssuedCompact) -> list[list[object]]:
    out = []
    for item in issued_disclosures(issued):
        value = decode_cbor(item)
        assert isinstance(value, list)
        out.append(value)
    return out


def _groups_of(issued: IssuedCompact) -> list[object]:
    """The claim key of each issued disclosure; ``None`` for a decoy."""
    return [d[2] if len(d) == 3 else None for d in _decoded(issued)]


def _person() -> bytes:
    return salted(person_value(), Group.PERSON.value, seed="person")


def _member(number: object = "KSN-2027-000123") -> bytes:
    return salted(number, Group.MEMBERSHIP.value, seed="member")


def _kbt_over(
    disclosures: Sequence[bytes],
    *,
    presented: Sequence[bytes] | None = None,
    digests: Sequence[bytes] | None = None,
    change: Callable[[dict[object, object]], None] | None = None,
) -> bytes:
    """An SD-KBT over a hand-made credential whose digests reference ``disclosures`` (or
    ``digests``), presenting ``presented`` (default: all of ``disclosures``)."""
    payload = credential_payload([digest(d) for d in disclosures] if digests is None else digests)
    if change is not None:
        change(payload)
    credential = forge_credential(
        payload, list(disclosures) if presented is None else list(presented)
    )
    return forge_kbt(credential)


def _fv_of(payload: dict[object, object]) -> dict[object, object]:
    fv = payload[FURUSATO_CLAIM]
    assert isinstance(fv, dict)
    return fv


# =========================================================================== issuance


def test_protected_header_is_alg_kid_typ_in_that_order() -> None:
    protected = cbor2.loads(issue().credential.protected_bytes)
    assert list(protected.items()) == [
        (CoseHeader.ALG, CoseAlgorithm.ES256),
        (CoseHeader.KID, compact_kid(ISSUER.public_jwk)),
        (CoseHeader.TYP, TYP_SD_CWT),
    ]


def test_kid_is_four_bytes_of_the_rfc_7638_thumbprint() -> None:
    jwk = ISSUER.public_jwk
    members = {"crv": "P-256", "kty": "EC", "x": jwk.x, "y": jwk.y}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode()
    assert compact_kid(jwk) == hashlib.sha256(canonical).digest()[:4]


def test_payload_has_iss_exp_iat_cnf_and_the_furusato_claim() -> None:
    assert list(payload_of(issue().credential)) == [
        CwtClaim.ISS,
        CwtClaim.EXP,
        CwtClaim.IAT,
        CwtClaim.CNF,
        FURUSATO_CLAIM,
    ]
    assert payload_of(issue().credential)[CwtClaim.IAT] == ISSUED


def test_payload_has_no_nbf_when_the_registration_starts_later() -> None:
    # -07 requires nbf <= iat; the start is told by valid_from (plaintext, checked by policy)
    later = content(valid_from=TODAY + timedelta(days=30))
    payload = payload_of(issue(later).credential)
    assert CwtClaim.NBF not in payload
    furusato = payload[FURUSATO_CLAIM]
    assert isinstance(furusato, dict)
    assert furusato[FvKey.VALID_FROM] == days(TODAY + timedelta(days=30))


def test_payload_names_the_body_and_the_expiry() -> None:
    payload = payload_of(issue().credential)
    assert (payload[CwtClaim.ISS], payload[CwtClaim.EXP]) == (KESENNUMA, EXP)


def test_cnf_is_the_compressed_holder_key() -> None:
    assert payload_of(issue().credential)[CwtClaim.CNF] == {
        CNF_COSE_KEY: cose_key_from_public_jwk(HOLDER.public_jwk)
    }


def test_furusato_claim_carries_tier_status_and_valid_from() -> None:
    fv = _fv(issue(content(tier=Tier.PREMIUM)))
    assert (
        fv[FvKey.TIER],
        fv[FvKey.STATUS_LIST],
        fv[FvKey.STATUS_INDEX],
        fv[FvKey.VALID_FROM],
    ) == (1, STATUS_LIST_ID, STATUS_INDEX, days(TODAY))


def test_unprotected_header_holds_only_sd_claims() -> None:
    assert list(issue().credential.unprotected) == [CoseHeader.SD_CLAIMS]


@pytest.mark.parametrize(
    "changes",
    [{}, {"member_number": None}, {"name": None, "birthdate": None, "stay": None}],
    ids=["both-groups", "no-member-number", "no-personal-data"],
)
def test_there_are_always_exactly_two_digests(changes: dict[str, object]) -> None:
    digests = _fv(issue(content(**changes)))[REDACTED_CLAIM_KEYS]
    assert isinstance(digests, list)
    assert len(digests) == 2
    assert all(isinstance(d, bytes) and len(d) == 32 for d in digests)


@pytest.mark.parametrize("seed", ["a", "b", "c", "d", "e", "f"])
def test_digests_are_sorted(seed: str) -> None:
    digests = _fv(issue(seed=seed))[REDACTED_CLAIM_KEYS]
    assert isinstance(digests, list)
    assert digests == sorted(digests)


def test_every_disclosure_is_referenced_by_the_sha256_of_its_bstr_encoding() -> None:
    issued = issue()
    assert sorted(digest(d) for d in issued_disclosures(issued)) == _fv(issued)[REDACTED_CLAIM_KEYS]


def test_person_group_disclosure_is_salt_value_key() -> None:
    person = next(d for d in _decoded(issue()) if d[2:] == [Group.PERSON])
    assert person[1] == {
        PersonKey.FAMILY: NAME.family,
        PersonKey.GIVEN: NAME.given,
        PersonKey.FAMILY_KANA: NAME.family_kana,
        PersonKey.GIVEN_KANA: NAME.given_kana,
        PersonKey.BIRTHDATE: days(date(1988, 4, 2)),
        PersonKey.STAY: [days(TODAY), days(TODAY + timedelta(days=180))],
    }


def test_membership_disclosure_is_salt_value_key() -> None:
    member = next(d for d in _decoded(issue()) if d[2:] == [Group.MEMBERSHIP])
    assert member[1] == "KSN-2027-000123"


def test_person_group_carries_only_the_fields_the_registration_has() -> None:
    issued = issue(content(name=None, stay=None))
    person = next(d for d in _decoded(issued) if d[2:] == [Group.PERSON])
    assert person[1] == {PersonKey.BIRTHDATE: days(date(1988, 4, 2))}


def test_registration_without_names_stay_or_birthdate_has_a_decoy_person_group() -> None:
    issued = issue(content(name=None, birthdate=None, stay=None))
    assert sorted(_groups_of(issued), key=str) == sorted([None, Group.MEMBERSHIP], key=str)


def test_registration_without_member_number_has_a_decoy_membership() -> None:
    issued = issue(content(member_number=None))
    assert sorted(_groups_of(issued), key=str) == sorted([None, Group.PERSON], key=str)


def test_registration_with_no_personal_data_has_two_decoys() -> None:
    issued = issue(content(name=None, birthdate=None, stay=None, member_number=None))
    assert _groups_of(issued) == [None, None]


def test_decoy_is_a_single_salt() -> None:
    decoys = [d for d in _decoded(issue(content(member_number=None))) if len(d) == 1]
    assert len(decoys) == 1
    assert isinstance(decoys[0][0], bytes)
    assert len(decoys[0][0]) == SALT_BYTES


def test_salts_are_16_bytes_and_distinct() -> None:
    salts = [d[0] for seed in "abcdefgh" for d in _decoded(issue(seed=seed))]
    assert all(isinstance(s, bytes) and len(s) == SALT_BYTES for s in salts)
    assert len(set(salts)) == len(salts)


# =========================================================================== holder


def test_holder_keeps_one_disclosure_per_real_group() -> None:
    held = hold()
    assert [group for group, _ in held.disclosures] == list(ALL_GROUPS)


def test_holder_keeps_the_credential_facts() -> None:
    held = hold(issue(content(tier=Tier.PREMIUM)))
    assert (held.body_code, held.tier, held.expires_at) == (KESENNUMA, Tier.PREMIUM, EXP)


def test_holder_keeps_no_decoy() -> None:
    held = hold(issue(content(member_number=None)))
    assert [group for group, _ in held.disclosures] == [Group.PERSON]


def test_holder_rejects_a_credential_bound_to_another_key() -> None:
    code = _holder_rejection(issue().encode(), holder_key=OTHER_HOLDER.public_jwk)
    assert code is ErrorCode.HOLDER_KEY_MISMATCH


def test_holder_rejects_a_tampered_disclosure() -> None:
    issued = issue()
    disclosures = issued_disclosures(issued)
    disclosures[0] = disclosures[0][:-1] + bytes((disclosures[0][-1] ^ 1,))
    encoded = with_sd_claims(issued.credential, disclosures).encode()
    assert _holder_rejection(encoded) is ErrorCode.DISCLOSURE_UNREFERENCED


def test_holder_rejects_a_missing_disclosure() -> None:
    issued = issue()
    encoded = with_sd_claims(issued.credential, issued_disclosures(issued)[:1]).encode()
    assert _holder_rejection(encoded) is ErrorCode.DISCLOSURE_UNREFERENCED


def test_holder_rejects_a_missing_decoy() -> None:
    # -07 §"Disclosure of Decoys": the holder needs every decoy's disclosure.
    issued = issue(content(member_number=None))
    real = _real_disclosures(issued)
    encoded = with_sd_claims(issued.credential, real).encode()
    assert _holder_rejection(encoded) is ErrorCode.DISCLOSURE_UNREFERENCED


def test_holder_rejects_a_credential_without_sd_claims() -> None:
    encoded = with_sd_claims(issue().credential, None).encode()
    assert _holder_rejection(encoded) is ErrorCode.DISCLOSURE_UNREFERENCED


def test_holder_rejects_an_expired_credential() -> None:
    assert _holder_rejection(issue().encode(), now=_at(EXP)) is ErrorCode.TOKEN_EXPIRED


def test_holder_accepts_a_credential_one_second_before_expiry() -> None:
    assert hold(now=_at(EXP - 1)).expires_at == EXP


def test_holder_rejects_a_credential_of_an_untrusted_body() -> None:
    trust = StaticTrust.of([trusted(PREMIUM_BODY)])
    assert _holder_rejection(issue().encode(), trust=trust) is ErrorCode.ISSUER_NOT_TRUSTED


def test_holder_rejects_trailing_bytes_after_the_credential() -> None:
    assert _holder_rejection(issue().encode() + b"\x00") is ErrorCode.CBOR_TRAILING_BYTES


# =========================================================================== presentation


SUBSETS = [
    frozenset(c) for n in range(len(ALL_GROUPS) + 1) for c in itertools.combinations(ALL_GROUPS, n)
]


@pytest.mark.parametrize(
    "groups", SUBSETS, ids=lambda g: "+".join(sorted(x.name for x in g)) or "nothing"
)
def test_presentation_of_every_subset_of_groups_verifies(groups: frozenset[Group]) -> None:
    verified = verify(present(hold(), groups))
    assert verified.disclosed_groups == groups
    assert (verified.name is not None) is (Group.PERSON in groups)
    assert (verified.birthdate is not None) is (Group.PERSON in groups)
    assert (verified.stay is not None) is (Group.PERSON in groups)
    assert (verified.member_number is not None) is (Group.MEMBERSHIP in groups)


def test_verified_presentation_carries_the_disclosed_values() -> None:
    verified = verify(present(hold(), ALL_GROUPS))
    assert (verified.name, verified.birthdate, verified.stay, verified.member_number) == (
        NAME,
        date(1988, 4, 2),
        StayPeriod(start=TODAY, end=TODAY + timedelta(days=180)),
        "KSN-2027-000123",
    )


def test_verified_presentation_carries_the_always_visible_facts() -> None:
    verified = verify(present())
    assert (
        verified.body_code,
        verified.tier,
        verified.valid_from,
        verified.expires_at,
        verified.not_before,
        verified.status_list,
        verified.status_index,
        dict(verified.holder_cose_key),
        verified.kb_issued_at,
        verified.kb_audience,
    ) == (
        KESENNUMA,
        Tier.BASIC,
        TODAY,
        EXP,
        None,
        STATUS_LIST_ID,
        STATUS_INDEX,
        cose_key_from_public_jwk(HOLDER.public_jwk),
        NOW_S,
        AUDIENCE,
    )


def test_presentation_without_disclosures_omits_sd_claims() -> None:
    # -07 §"Holder prepares an SD-CWT for a Verifier": MUST omit sd_claims when empty.
    _protected, presented, _payload = kbt_parts(present())
    assert presented.unprotected == {}


def test_presentation_carries_only_the_chosen_disclosure() -> None:
    held = hold()
    _protected, presented, _payload = kbt_parts(present(held, [Group.MEMBERSHIP]))
    assert presented.unprotected == {
        CoseHeader.SD_CLAIMS: [dict(held.disclosures)[Group.MEMBERSHIP]]
    }


def test_presentation_never_carries_a_decoy() -> None:
    held = hold(issue(content(member_number=None)))
    _protected, presented, _payload = kbt_parts(present(held, ALL_GROUPS))
    assert presented.unprotected == {CoseHeader.SD_CLAIMS: [dict(held.disclosures)[Group.PERSON]]}


def test_kbt_protected_header_is_alg_typ_and_the_issued_token() -> None:
    held = hold()
    protected, presented, _payload = kbt_parts(present(held))
    assert (protected[CoseHeader.ALG], protected[CoseHeader.TYP]) == (-7, TYP_KB_CWT)
    assert set(protected) == {CoseHeader.ALG, CoseHeader.TYP, CoseHeader.KCWT}
    assert (presented.protected_bytes, presented.payload, presented.signature) == (
        held.credential.protected_bytes,
        held.credential.payload,
        held.credential.signature,
    )


def test_kbt_unprotected_header_is_empty() -> None:
    assert cbor2.loads(present()).value[1] == {}


def test_kbt_payload_is_aud_and_iat() -> None:
    assert kbt_parts(present())[2] == {CwtClaim.AUD: AUDIENCE, CwtClaim.IAT: NOW_S}


def test_kbt_payload_carries_the_nonce_in_challenge_mode() -> None:
    assert kbt_parts(present(nonce=NONCE))[2][CwtClaim.CNONCE] == NONCE


def test_challenge_mode_presentation_with_the_right_nonce_verifies() -> None:
    verified = verify(present(nonce=NONCE), policy=CompactPolicy(audience=AUDIENCE, nonce=NONCE))
    assert verified.kb_issued_at == NOW_S


def test_one_way_verifier_ignores_a_cnonce() -> None:
    assert verify(present(nonce=NONCE)).kb_audience == AUDIENCE


def test_hand_made_credential_verifies() -> None:
    # The control for every hand-made rejection below.
    verified = verify(_kbt_over([_person(), _member()]))
    assert verified.disclosed_groups == frozenset(ALL_GROUPS)


# =========================================================================== KBT envelope


def test_wrong_kbt_typ_is_rejected() -> None:
    credential = with_sd_claims(issue().credential, None)
    kbt = forge_kbt(
        None,
        protected={
            CoseHeader.TYP.value: TYP_SD_CWT,
            CoseHeader.KCWT.value: credential.to_cbor_value(),
        },
    )
    assert _rejection(kbt) is ErrorCode.TYP_MISMATCH


def test_kbt_without_typ_is_rejected() -> None:
    credential = with_sd_claims(issue().credential, None)
    kbt = forge_kbt(None, protected={CoseHeader.KCWT.value: credential.to_cbor_value()})
    assert _rejection(kbt) is ErrorCode.TYP_MISMATCH


def test_kbt_without_kcwt_is_rejected() -> None:
    kbt = forge_kbt(None, protected={CoseHeader.TYP.value: TYP_KB_CWT})
    assert _rejection(kbt) is ErrorCode.MALFORMED_COSE


def test_kcwt_that_is_not_a_cose_sign1_is_rejected() -> None:
    kbt = forge_kbt(
        None, protected={CoseHeader.TYP.value: TYP_KB_CWT, CoseHeader.KCWT.value: b"cwt"}
    )
    assert _rejection(kbt) is ErrorCode.MALFORMED_COSE


def test_kbt_with_non_empty_unprotected_header_is_rejected() -> None:
    kbt = forge_kbt(issue().credential, unprotected={CoseHeader.KID.value: b"k"})
    assert _rejection(kbt) is ErrorCode.MALFORMED_COSE


def test_kbt_with_crit_is_rejected() -> None:
    credential = with_sd_claims(issue().credential, None)
    kbt = forge_kbt(
        None,
        protected={
            CoseHeader.TYP.value: TYP_KB_CWT,
            CoseHeader.KCWT.value: credential.to_cbor_value(),
            CoseHeader.CRIT.value: [99],
            99: 1,
        },
    )
    assert _rejection(kbt) is ErrorCode.CRITICAL_HEADER_UNSUPPORTED


def test_kbt_signed_by_another_key_is_rejected() -> None:
    assert _rejection(present(signer=OTHER_HOLDER)) is ErrorCode.KB_SIGNATURE_INVALID


def test_kbt_with_a_disclosure_added_after_signing_is_rejected() -> None:
    held = hold()
    kbt = cbor2.loads(present(held))
    protected = cbor2.loads(kbt.value[0])
    issuer = protected[CoseHeader.KCWT]
    p, _u, pl, sg = issuer.value
    protected[CoseHeader.KCWT] = cbor2.CBORTag(
        18, [p, {CoseHeader.SD_CLAIMS.value: [held.disclosures[0][1]]}, pl, sg]
    )
    changed = encode_cbor(
        cbor2.CBORTag(18, [encode_cbor(dict(protected)), {}, kbt.value[2], kbt.value[3]])
    )
    assert _rejection(changed) is ErrorCode.KB_SIGNATURE_INVALID


# =========================================================================== issuer token


def test_issuer_token_with_the_kbt_typ_is_rejected() -> None:
    protected: dict[object, object] = {
        CoseHeader.KID.value: compact_kid(ISSUER.public_jwk),
        CoseHeader.TYP.value: 294,
    }
    kbt = forge_kbt(forge_credential(credential_payload([]), protected=protected))
    assert _rejection(kbt) is ErrorCode.TYP_MISMATCH


def test_issuer_token_with_a_text_typ_is_rejected() -> None:
    protected: dict[object, object] = {
        CoseHeader.KID.value: compact_kid(ISSUER.public_jwk),
        CoseHeader.TYP.value: "application/sd-cwt",
    }
    kbt = forge_kbt(forge_credential(credential_payload([]), protected=protected))
    assert _rejection(kbt) is ErrorCode.TYP_MISMATCH


def test_issuer_of_an_untrusted_body_is_rejected() -> None:
    # The holder's own trust list knows 千代田区 (with the same key); the verifier's does not.
    holder_trust = StaticTrust.of([trusted(issuing_body(CHIYODA, key_label="issuer-042056"))])
    kbt = present(hold(issue(content(body_code=CHIYODA)), trust=holder_trust))
    assert _rejection(kbt) is ErrorCode.ISSUER_NOT_TRUSTED


def test_unknown_issuer_kid_is_rejected() -> None:
    protected: dict[object, object] = {
        CoseHeader.KID.value: b"\x00\x00\x00\x00",
        CoseHeader.TYP.value: TYP_SD_CWT,
    }
    kbt = forge_kbt(forge_credential(credential_payload([]), protected=protected))
    assert _rejection(kbt) is ErrorCode.ISSUER_KEY_UNKNOWN


def test_key_of_another_body_cannot_sign_for_this_body() -> None:
    kbt = forge_kbt(forge_credential(credential_payload([]), signer=PREMIUM_BODY.signer))
    assert _rejection(kbt) is ErrorCode.ISSUER_KEY_UNKNOWN


@pytest.mark.parametrize(
    "kid",
    ["abcd", 1234, b"", bytes(17), None],
    ids=["text", "int", "empty", "17-bytes", "missing"],
)
def test_issuer_kid_that_is_not_a_short_byte_string_is_rejected(kid: object) -> None:
    protected: dict[object, object] = {CoseHeader.TYP.value: TYP_SD_CWT}
    if kid is not None:
        protected[CoseHeader.KID.value] = kid
    kbt = forge_kbt(forge_credential(credential_payload([]), protected=protected))
    assert _rejection(kbt) is ErrorCode.MALFORMED_COSE


def test_bad_issuer_signature_is_rejected() -> None:
    impostor = fixed_signer("impostor")
    protected: dict[object, object] = {
        CoseHeader.KID.value: compact_kid(ISSUER.public_jwk),
        CoseHeader.TYP.value: 293,
    }
    kbt = forge_kbt(forge_credential(credential_payload([]), protected=protected, signer=impostor))
    assert _rejection(kbt) is ErrorCode.SIGNATURE_INVALID


def test_issuer_payload_changed_after_signing_is_rejected() -> None:
    credential = with_sd_claims(issue().credential, None)
    payload = payload_of(credential)
    payload[CwtClaim.EXP.value] = EXP + 86_400
    changed = dataclasses.replace(credential, payload=encode_cbor(payload))
    assert _rejection(forge_kbt(changed)) is ErrorCode.SIGNATURE_INVALID


def test_issuer_alg_outside_the_policy_is_rejected() -> None:
    policy = CompactPolicy(audience=AUDIENCE, algorithms=frozenset({CoseAlgorithm.EDDSA}))
    assert _rejection(present(), policy=policy) is ErrorCode.ALGORITHM_NOT_ALLOWED


# =========================================================================== issuer claims


def test_unknown_claim_in_the_payload_is_rejected() -> None:
    def add_sub(payload: dict[object, object]) -> None:
        payload[CwtClaim.SUB.value] = "subject"

    assert _rejection(_kbt_over([_person()], change=add_sub)) is ErrorCode.MALFORMED_CLAIM


def test_aud_in_the_issuer_payload_is_rejected() -> None:
    def add_aud(payload: dict[object, object]) -> None:
        payload[CwtClaim.AUD.value] = AUDIENCE

    assert _rejection(_kbt_over([_person()], change=add_aud)) is ErrorCode.MALFORMED_CLAIM


def test_redacted_claim_keys_at_the_payload_root_are_rejected() -> None:
    def add_root_digests(payload: dict[object, object]) -> None:
        payload[REDACTED_CLAIM_KEYS] = [bytes(32)]

    assert _rejection(_kbt_over([_person()], change=add_root_digests)) is (
        ErrorCode.MALFORMED_CLAIM
    )


def test_missing_iss_is_rejected() -> None:
    def drop_iss(payload: dict[object, object]) -> None:
        del payload[CwtClaim.ISS.value]

    assert _rejection(_kbt_over([_person()], change=drop_iss)) is ErrorCode.REQUIRED_CLAIM_MISSING


def test_iss_that_is_not_a_body_code_is_rejected() -> None:
    def url_iss(payload: dict[object, object]) -> None:
        payload[CwtClaim.ISS.value] = "042055"  # wrong check digit

    assert _rejection(_kbt_over([_person()], change=url_iss)) is ErrorCode.INVALID_BODY_CODE


def test_missing_exp_is_rejected() -> None:
    def drop_exp(payload: dict[object, object]) -> None:
        del payload[CwtClaim.EXP.value]

    assert _rejection(_kbt_over([_person()], change=drop_exp)) is ErrorCode.REQUIRED_CLAIM_MISSING


@pytest.mark.parametrize("exp", [float(EXP), True, str(EXP), -1, 2**53], ids=repr)
def test_exp_that_is_not_an_unsigned_integer_is_rejected(exp: object) -> None:
    def set_exp(payload: dict[object, object]) -> None:
        payload[CwtClaim.EXP.value] = exp

    assert _rejection(_kbt_over([_person()], change=set_exp)) is ErrorCode.MALFORMED_CLAIM


def test_cnf_missing_is_rejected() -> None:
    def drop_cnf(payload: dict[object, object]) -> None:
        del payload[CwtClaim.CNF.value]

    assert _rejection(_kbt_over([_person()], change=drop_cnf)) is ErrorCode.HOLDER_KEY_MISSING


def test_cnf_with_another_confirmation_method_is_rejected() -> None:
    def jwk_cnf(payload: dict[object, object]) -> None:
        payload[CwtClaim.CNF.value] = {3: b"kid"}  # RFC 8747 kid instead of COSE_Key

    assert _rejection(_kbt_over([_person()], change=jwk_cnf)) is ErrorCode.HOLDER_KEY_MISSING


def test_cnf_with_a_malformed_cose_key_is_rejected() -> None:
    def bad_key(payload: dict[object, object]) -> None:
        payload[CwtClaim.CNF.value] = {CNF_COSE_KEY: {1: 2, -1: 2, -2: bytes(48), -3: True}}

    assert _rejection(_kbt_over([_person()], change=bad_key)) is ErrorCode.MALFORMED_JWK


def test_furusato_claim_missing_is_rejected() -> None:
    def drop_fv(payload: dict[object, object]) -> None:
        del payload[FURUSATO_CLAIM]

    assert _rejection(_kbt_over([_person()], change=drop_fv)) is ErrorCode.MALFORMED_CLAIM


def test_unknown_key_in_the_furusato_claim_is_rejected() -> None:
    def add_key(payload: dict[object, object]) -> None:
        _fv_of(payload)[9] = 1

    assert _rejection(_kbt_over([_person()], change=add_key)) is ErrorCode.MALFORMED_CLAIM


@pytest.mark.parametrize("tier", [2, -1, True, "basic", None], ids=repr)
def test_unknown_tier_is_rejected(tier: object) -> None:
    def set_tier(payload: dict[object, object]) -> None:
        _fv_of(payload)[FvKey.TIER.value] = tier

    assert _rejection(_kbt_over([_person()], change=set_tier)) is ErrorCode.MALFORMED_CLAIM


def test_missing_status_index_is_rejected() -> None:
    def drop(payload: dict[object, object]) -> None:
        del _fv_of(payload)[FvKey.STATUS_INDEX.value]

    assert _rejection(_kbt_over([_person()], change=drop)) is ErrorCode.REQUIRED_CLAIM_MISSING


def test_missing_valid_from_is_rejected() -> None:
    def drop(payload: dict[object, object]) -> None:
        del _fv_of(payload)[FvKey.VALID_FROM.value]

    assert _rejection(_kbt_over([_person()], change=drop)) is ErrorCode.MALFORMED_CLAIM


# =========================================================================== disclosures


def test_unknown_group_is_rejected() -> None:
    unknown = salted("x", 12, seed="unknown")
    assert _rejection(_kbt_over([unknown])) is ErrorCode.MALFORMED_DISCLOSURE


def test_text_group_key_is_rejected() -> None:
    text_key = salted("KSN-1", "11", seed="text-key")
    assert _rejection(_kbt_over([text_key])) is ErrorCode.MALFORMED_DISCLOSURE


def test_array_element_disclosure_is_rejected() -> None:
    element = encode_cbor([bytes(16), "KSN-1"])  # [salt, value]: a redacted array element
    assert _rejection(_kbt_over([element])) is ErrorCode.MALFORMED_DISCLOSURE


def test_disclosure_with_a_short_salt_is_rejected() -> None:
    short = encode_cbor([bytes(15), "KSN-1", Group.MEMBERSHIP.value])
    assert _rejection(_kbt_over([short])) is ErrorCode.MALFORMED_DISCLOSURE


def test_disclosure_that_is_not_an_array_is_rejected() -> None:
    not_array = encode_cbor({1: bytes(16)})
    assert _rejection(_kbt_over([not_array])) is ErrorCode.MALFORMED_DISCLOSURE


def test_disclosure_that_is_not_a_byte_string_is_rejected() -> None:
    credential = forge_credential(credential_payload([digest(_person())]))
    with_int = dataclasses.replace(credential, unprotected={CoseHeader.SD_CLAIMS.value: [7]})
    assert _rejection(forge_kbt(with_int)) is ErrorCode.MALFORMED_DISCLOSURE


def test_decoy_presented_is_rejected() -> None:
    assert _rejection(_kbt_over([_person(), decoy()])) is ErrorCode.SD_STRUCTURE_INVALID


def test_duplicate_disclosure_is_rejected() -> None:
    person = _person()
    kbt = _kbt_over([person], presented=[person, person])
    assert _rejection(kbt) is ErrorCode.DISCLOSURE_DUPLICATE


def test_same_group_disclosed_twice_is_rejected() -> None:
    first = _member("KSN-1")
    second = salted("KSN-2", Group.MEMBERSHIP.value, seed="second-member")
    assert _rejection(_kbt_over([first, second])) is ErrorCode.DISCLOSURE_CLAIM_COLLISION


def test_empty_sd_claims_array_is_rejected() -> None:
    # -07 verifier step 2.
    assert _rejection(_kbt_over([_person()], presented=[])) is ErrorCode.MALFORMED_COSE


def test_sd_claims_that_is_not_an_array_is_rejected() -> None:
    credential = forge_credential(credential_payload([digest(_person())]))
    bare = dataclasses.replace(credential, unprotected={CoseHeader.SD_CLAIMS.value: _person()})
    assert _rejection(forge_kbt(bare)) is ErrorCode.MALFORMED_COSE


def test_disclosure_without_digest_is_rejected() -> None:
    kbt = _kbt_over([_person()], presented=[_person(), _member()])
    assert _rejection(kbt) is ErrorCode.DISCLOSURE_UNREFERENCED


def test_disclosure_of_another_credential_is_rejected() -> None:
    other = issue(seed="another-card")
    stolen = _real_disclosures(other)
    credential = with_sd_claims(issue().credential, stolen[:1])
    assert _rejection(forge_kbt(credential)) is ErrorCode.DISCLOSURE_UNREFERENCED


def test_duplicate_digest_in_the_payload_is_rejected() -> None:
    person = _person()
    kbt = _kbt_over([person], digests=[digest(person), digest(person)])
    assert _rejection(kbt) is ErrorCode.DIGEST_DUPLICATE


@pytest.mark.parametrize(
    "digests",
    [[bytes(31)], [bytes(33)], ["00" * 32], bytes(32), {1: bytes(32)}],
    ids=["31-bytes", "33-bytes", "text", "bstr-not-array", "map"],
)
def test_redacted_claim_keys_that_are_not_32_byte_digests_are_rejected(digests: object) -> None:
    def set_digests(payload: dict[object, object]) -> None:
        _fv_of(payload)[REDACTED_CLAIM_KEYS] = digests

    kbt = forge_kbt(forge_credential(_changed(credential_payload([]), set_digests)))
    assert _rejection(kbt) is ErrorCode.SD_STRUCTURE_INVALID


def _changed(
    payload: dict[object, object], change: Callable[[dict[object, object]], None]
) -> dict[object, object]:
    change(payload)
    return payload


def test_credential_without_digests_verifies_with_nothing_disclosed() -> None:
    def drop(payload: dict[object, object]) -> None:
        del _fv_of(payload)[REDACTED_CLAIM_KEYS]

    kbt = forge_kbt(forge_credential(_changed(credential_payload([]), drop)))
    assert verify(kbt).disclosed_groups == frozenset()


# --------------------------------------------------------------------------- person group


@pytest.mark.parametrize(
    "value",
    [
        {PersonKey.FAMILY.value: "山田"},
        "山田 花子",
        {},
        {**person_value(), 7: "x"},
        {**person_value(), PersonKey.STAY.value: [days(TODAY)]},
        {**person_value(), PersonKey.STAY.value: "2027-01-15"},
        {**person_value(), PersonKey.BIRTHDATE.value: -719_163},
        {**person_value(), PersonKey.BIRTHDATE.value: "1988-04-02"},
        {**person_value(), PersonKey.BIRTHDATE.value: 2_932_897},
        {**person_value(), PersonKey.FAMILY.value: ""},
        {**person_value(), PersonKey.FAMILY.value: "山" * 65},
        {**person_value(), PersonKey.GIVEN_KANA.value: 1},
    ],
    ids=[
        "family-name-alone",
        "text",
        "empty-map",
        "unknown-key",
        "stay-one-day",
        "stay-text",
        "birthdate-before-year-1",
        "birthdate-text",
        "birthdate-after-9999",
        "family-name-empty",
        "family-name-65-chars",
        "kana-int",
    ],
)
def test_malformed_person_group_is_rejected(value: object) -> None:
    person = salted(value, Group.PERSON.value, seed="bad-person")
    assert _rejection(_kbt_over([person])) is ErrorCode.MALFORMED_CLAIM


def test_member_number_of_64_characters_is_accepted() -> None:
    assert verify(_kbt_over([_member("M" * 64)])).member_number == "M" * 64


def test_over_long_member_number_is_rejected() -> None:
    assert _rejection(_kbt_over([_member("M" * 65)])) is ErrorCode.MALFORMED_CLAIM


@pytest.mark.parametrize("number", ["", 123, b"KSN", None], ids=repr)
def test_member_number_that_is_not_a_short_text_is_rejected(number: object) -> None:
    assert _rejection(_kbt_over([_member(number)])) is ErrorCode.MALFORMED_CLAIM


def test_holder_rejects_an_issued_over_long_member_number() -> None:
    issued = issue(content(member_number="M" * 65))
    assert _holder_rejection(issued.encode()) is ErrorCode.MALFORMED_CLAIM


@pytest.mark.parametrize(
    "birthdate", [date(1969, 12, 31), date(1950, 6, 1), date(1926, 12, 25)], ids=str
)
def test_birthdate_before_1970_round_trips(birthdate: date) -> None:
    # Day numbers count from 1970-01-01, so earlier dates are negative numbers.
    held = hold(issue(content(birthdate=birthdate)))
    assert verify(present(held, [Group.PERSON])).birthdate == birthdate


# =========================================================================== time


SHORT_EXP = NOW_S + 3_600


def _short_lived(**changes: object) -> bytes:
    """A credential expiring an hour after NOW (or as ``changes`` say), as issued and held."""
    return issue(content(**{"expires_at": SHORT_EXP, **changes})).encode()


def test_credential_within_clock_skew_after_exp_is_accepted() -> None:
    kbt = present(hold(_short_lived()), issued_at=SHORT_EXP - 1)
    assert verify(kbt, now=_at(SHORT_EXP + 59)).expires_at == SHORT_EXP


def test_credential_at_exp_plus_skew_is_rejected() -> None:
    kbt = present(hold(_short_lived()), issued_at=SHORT_EXP - 1)
    assert _rejection(kbt, now=_at(SHORT_EXP + 60)) is ErrorCode.TOKEN_EXPIRED


def _with_times(*, not_before: int | None, issued_at: int | None) -> HeldCompact:
    """A held credential with the given nbf and iat (we never issue nbf; others may)."""
    payload = credential_payload(
        [digest(_person())], expires_at=SHORT_EXP, issued_at=issued_at, not_before=not_before
    )
    return hold(forge_credential(payload, [_person()]).encode())


def test_nbf_more_than_the_skew_in_the_future_is_rejected() -> None:
    held = _with_times(not_before=NOW_S + 61, issued_at=NOW_S + 61)
    assert _rejection(present(held)) is ErrorCode.TOKEN_NOT_YET_VALID


def test_nbf_within_the_skew_is_accepted_for_a_kbt_not_older_than_nbf() -> None:
    held = _with_times(not_before=NOW_S + 60, issued_at=NOW_S + 60)
    assert verify(present(held, issued_at=NOW_S + 60)).not_before == NOW_S + 60


def test_nbf_not_before_exp_is_rejected() -> None:
    # -07 verifier step 3: nbf < exp; inconsistent time claims are a malformed credential.
    held = _with_times(not_before=SHORT_EXP, issued_at=SHORT_EXP)
    assert _rejection(present(held), now=_at(SHORT_EXP)) is ErrorCode.MALFORMED_CLAIM


def test_nbf_after_iat_is_rejected() -> None:
    # -07 verifier step 3: nbf <= iat in the SD-CWT.
    held = _with_times(not_before=NOW_S, issued_at=NOW_S - 1)
    assert _rejection(present(held)) is ErrorCode.MALFORMED_CLAIM


def test_iat_not_before_exp_is_rejected() -> None:
    held = _with_times(not_before=None, issued_at=SHORT_EXP)
    assert _rejection(present(held), now=_at(SHORT_EXP)) is ErrorCode.MALFORMED_CLAIM


def test_credential_without_iat_is_rejected() -> None:
    # the profile requires iat: trust lists check it against the issuer key's window
    with pytest.raises(VerificationError) as info:
        _with_times(not_before=None, issued_at=None)
    assert info.value.code is ErrorCode.REQUIRED_CLAIM_MISSING


def test_credential_iat_in_the_future_is_rejected() -> None:
    held = _with_times(not_before=None, issued_at=NOW_S + 61)
    assert _rejection(present(held, issued_at=NOW_S + 61)) is ErrorCode.TOKEN_ISSUED_IN_FUTURE


def test_kbt_issued_at_the_credential_expiry_is_rejected() -> None:
    # -07 verifier step 6: iat in the SD-KBT < exp in the SD-CWT.
    kbt = present(hold(_short_lived()), issued_at=SHORT_EXP)
    assert _rejection(kbt, now=_at(SHORT_EXP)) is ErrorCode.TOKEN_EXPIRED


def test_kbt_issued_before_the_credential_nbf_is_rejected() -> None:
    # -07 verifier step 6: iat in the SD-KBT >= nbf in the SD-CWT.
    held = _with_times(not_before=NOW_S + 30, issued_at=NOW_S + 30)
    assert _rejection(present(held, issued_at=NOW_S)) is ErrorCode.TOKEN_NOT_YET_VALID


def test_kbt_issued_before_the_credential_iat_is_rejected() -> None:
    # -07 verifier step 6: iat in the SD-KBT >= iat in the SD-CWT (if both exist).
    def issued_later(payload: dict[object, object]) -> None:
        payload[CwtClaim.IAT.value] = NOW_S + 30

    assert _rejection(_kbt_over([_person()], change=issued_later)) is ErrorCode.TOKEN_NOT_YET_VALID


def test_kbt_exactly_at_the_age_window_is_accepted() -> None:
    assert verify(present(issued_at=NOW_S - 60)).kb_issued_at == NOW_S - 60


def test_kbt_one_second_past_the_age_window_is_rejected() -> None:
    assert _rejection(present(issued_at=NOW_S - 61)) is ErrorCode.KB_TOO_OLD


def test_kbt_exactly_at_the_future_tolerance_is_accepted() -> None:
    assert verify(present(issued_at=NOW_S + 60)).kb_issued_at == NOW_S + 60


def test_kbt_one_second_past_the_future_tolerance_is_rejected() -> None:
    assert _rejection(present(issued_at=NOW_S + 61)) is ErrorCode.KB_IN_FUTURE


# =========================================================================== KBT claims


def test_kbt_for_another_audience_is_rejected() -> None:
    assert _rejection(present(audience="garbage-station")) is ErrorCode.KB_AUDIENCE_MISMATCH


def test_kbt_without_aud_is_rejected() -> None:
    payload = kb_payload()
    del payload[CwtClaim.AUD.value]
    kbt = forge_kbt(issue().credential, payload=payload)
    assert _rejection(kbt) is ErrorCode.REQUIRED_CLAIM_MISSING


def test_kbt_with_an_array_aud_is_rejected() -> None:
    payload = kb_payload()
    payload[CwtClaim.AUD.value] = [AUDIENCE]
    kbt = forge_kbt(with_sd_claims(issue().credential, None), payload=payload)
    assert _rejection(kbt) is ErrorCode.REQUIRED_CLAIM_MISSING


def test_kbt_without_iat_is_rejected() -> None:
    payload = kb_payload()
    del payload[CwtClaim.IAT.value]
    kbt = forge_kbt(with_sd_claims(issue().credential, None), payload=payload)
    assert _rejection(kbt) is ErrorCode.REQUIRED_CLAIM_MISSING


@pytest.mark.parametrize("iat", [str(NOW_S), float(NOW_S), True, -1, None], ids=repr)
def test_kbt_iat_that_is_not_an_integer_is_rejected(iat: object) -> None:
    payload = kb_payload()
    payload[CwtClaim.IAT.value] = iat
    kbt = forge_kbt(with_sd_claims(issue().credential, None), payload=payload)
    assert _rejection(kbt) is ErrorCode.MALFORMED_CLAIM


@pytest.mark.parametrize(
    "claim", [CwtClaim.ISS, CwtClaim.SUB, CwtClaim.EXP, CwtClaim.NBF, CwtClaim.CNF]
)
def test_kbt_with_another_claim_is_rejected(claim: CwtClaim) -> None:
    # -07 §"Creating a Key Binding Token": iss and sub MUST NOT be present; the profile
    # allows only aud, iat and cnonce.
    payload = kb_payload()
    payload[claim.value] = NOW_S
    kbt = forge_kbt(with_sd_claims(issue().credential, None), payload=payload)
    assert _rejection(kbt) is ErrorCode.MALFORMED_CLAIM


def test_kbt_payload_that_is_not_a_map_is_rejected() -> None:
    payload = encode_cbor([AUDIENCE, NOW_S])
    kbt = forge_kbt(with_sd_claims(issue().credential, None), payload=payload)
    assert _rejection(kbt) is ErrorCode.MALFORMED_CLAIM


def test_empty_kbt_payload_is_rejected() -> None:
    kbt = forge_kbt(with_sd_claims(issue().credential, None), payload={})
    assert _rejection(kbt) is ErrorCode.REQUIRED_CLAIM_MISSING


def test_cnonce_mismatch_is_rejected() -> None:
    policy = CompactPolicy(audience=AUDIENCE, nonce=NONCE)
    assert _rejection(present(nonce=b"another-nonce"), policy=policy) is (
        ErrorCode.KB_NONCE_MISMATCH
    )


def test_cnonce_required_but_absent_is_rejected() -> None:
    policy = CompactPolicy(audience=AUDIENCE, nonce=NONCE)
    assert _rejection(present(), policy=policy) is ErrorCode.KB_NONCE_MISMATCH


def test_cnonce_that_is_not_a_byte_string_is_rejected() -> None:
    payload = kb_payload()
    payload[CwtClaim.CNONCE.value] = NONCE.decode()
    kbt = forge_kbt(with_sd_claims(issue().credential, None), payload=payload)
    policy = CompactPolicy(audience=AUDIENCE, nonce=NONCE)
    assert _rejection(kbt, policy=policy) is ErrorCode.MALFORMED_CLAIM


# =========================================================================== replay key


def test_replay_key_is_the_same_for_a_malleated_signature() -> None:
    kbt = present()
    malleated = malleate(kbt)
    assert malleated != kbt
    assert verify(malleated).replay_key == verify(kbt).replay_key


def test_replay_key_is_the_same_for_the_same_content_signed_again() -> None:
    held = hold()
    first, second = present(held), present(held)
    assert first != second  # ECDSA signatures are randomized
    assert verify(first).replay_key == verify(second).replay_key


def test_replay_key_differs_between_two_presentations() -> None:
    held = hold()
    first = verify(present(held, issued_at=NOW_S))
    second = verify(present(held, issued_at=NOW_S + 1))
    assert first.replay_key != second.replay_key


def test_replay_key_differs_between_disclosure_choices() -> None:
    held = hold()
    assert (
        verify(present(held, [Group.PERSON])).replay_key
        != verify(present(held, [Group.MEMBERSHIP])).replay_key
    )


def test_replay_key_is_a_sha256_digest() -> None:
    assert len(verify(present()).replay_key) == 32


# =========================================================================== properties

_KANJI = st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), min_size=1, max_size=12)
_KANA = st.text(st.characters(min_codepoint=0x30A1, max_codepoint=0x30F6), min_size=1, max_size=12)
_NAMES = st.builds(PersonName, family=_KANJI, given=_KANJI, family_kana=_KANA, given_kana=_KANA)
_DATES = st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31))
_STAYS = st.builds(
    lambda start, length: StayPeriod(start=start, end=start + timedelta(days=length)),
    st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)),
    st.integers(min_value=0, max_value=400),
)
_MEMBER_NUMBERS = st.text(st.characters(codec="utf-8"), min_size=1, max_size=64)


@st.composite
def _contents(draw: st.DrawFn) -> CompactContent:
    return content(
        tier=draw(st.sampled_from(Tier)),
        valid_from=draw(st.dates(min_value=date(2026, 1, 1), max_value=date(2040, 12, 31))),
        expires_at=draw(st.integers(min_value=NOW_S + 61, max_value=NOW_S + 5 * 365 * 86_400)),
        issued_at=draw(st.integers(NOW_S - 86_400 * 400, NOW_S)),
        status_list=draw(st.integers(min_value=0, max_value=2**16)),
        status_index=draw(st.integers(min_value=0, max_value=2**32 - 1)),
        name=draw(st.one_of(st.none(), _NAMES)),
        birthdate=draw(st.one_of(st.none(), _DATES)),
        stay=draw(st.one_of(st.none(), _STAYS)),
        member_number=draw(st.one_of(st.none(), _MEMBER_NUMBERS)),
    )


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_contents(), st.sets(st.sampled_from(ALL_GROUPS)), st.text(min_size=1, max_size=30))
def test_random_registrations_round_trip(
    what: CompactContent, groups: set[Group], audience: str
) -> None:
    held = hold(issue(what))
    verified = verify(
        present(held, groups, audience=audience), policy=CompactPolicy(audience=audience)
    )
    person_shown = Group.PERSON in groups
    has_person = what.name is not None or what.birthdate is not None or what.stay is not None
    assert verified.name == (what.name if person_shown else None)
    assert verified.birthdate == (what.birthdate if person_shown else None)
    assert verified.stay == (what.stay if person_shown else None)
    assert verified.member_number == (what.member_number if Group.MEMBERSHIP in groups else None)
    expected_groups: set[Group] = {
        g for g in groups if g is Group.MEMBERSHIP and what.member_number
    }
    if person_shown and has_person:
        expected_groups.add(Group.PERSON)
    assert verified.disclosed_groups == expected_groups
    assert (verified.body_code, verified.tier, verified.valid_from) == (
        what.body_code,
        what.tier,
        what.valid_from,
    )
    assert (verified.expires_at, verified.issued_at) == (what.expires_at, what.issued_at)
    assert verified.not_before is None
    assert (verified.status_list, verified.status_index) == (what.status_list, what.status_index)


_TAMPER_HELD = hold()
_TAMPER_KBT = present(_TAMPER_HELD, ALL_GROUPS)
_TAMPER_VERIFIED = verify(_TAMPER_KBT)
_TAMPER_TEXT = encode_qr_text(_TAMPER_KBT)


def _same_or_rejected(kbt: bytes) -> None:
    try:
        result: VerifiedCompact = verify(kbt)
    except FurusatoError:
        return
    assert result == _TAMPER_VERIFIED


@settings(max_examples=600, deadline=None)
@given(st.integers(min_value=0, max_value=len(_TAMPER_KBT) - 1), st.integers(1, 255))
def test_changing_one_byte_of_the_kbt_never_verifies_to_another_result(
    position: int, delta: int
) -> None:
    data = bytearray(_TAMPER_KBT)
    data[position] = (data[position] + delta) % 256
    _same_or_rejected(bytes(data))


@settings(max_examples=600, deadline=None)
@given(
    st.integers(min_value=len(QR_PREFIX), max_value=len(_TAMPER_TEXT) - 1),
    st.sampled_from(BASE45_ALPHABET + "abc\n\x00ÿ"),
)
def test_changing_one_character_of_the_qr_text_never_verifies_to_another_result(
    position: int, replacement: str
) -> None:
    text = _TAMPER_TEXT[:position] + replacement + _TAMPER_TEXT[position + 1 :]
    try:
        kbt = decode_qr_text(text)
    except FurusatoError:
        return
    _same_or_rejected(kbt)


def test_every_single_bit_flip_of_the_kbt_is_rejected() -> None:
    # Exhaustive companion of the property above: every byte of the SD-KBT is covered by
    # the holder's or the issuer's signature or by the strict envelope parser.
    accepted = []
    for position in range(len(_TAMPER_KBT)):
        for bit in (0x01, 0x80):
            data = bytearray(_TAMPER_KBT)
            data[position] ^= bit
            try:
                verify_compact(
                    bytes(data),
                    policy=CompactPolicy(audience=AUDIENCE),
                    keys=TRUST,
                    now=NOW,
                )
            except FurusatoError:
                continue
            accepted.append((position, bit))
    assert not accepted
