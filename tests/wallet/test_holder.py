"""Holding and presenting registration credentials (:mod:`furusato_vc.wallet.holder`).

Receipt runs RFC 9901 §7.2 (every Disclosure, no KB-JWT), checks ``cnf`` is this wallet's key
and that the issuer may issue for the body the card names. Presentation reveals exactly the
requested claims plus the Disclosures that connect them (§4.2.6), and nothing else (§10).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from furusato_vc.core.encoding import b64url_decode, b64url_encode, dumps_compact, parse_json_object
from furusato_vc.core.errors import ErrorCode, FurusatoError
from furusato_vc.core.jose.jwt import to_numeric_date
from furusato_vc.core.profiles import builtin_profile
from furusato_vc.core.registration.claims import (
    BASIC_VCT,
    IdentityAssurance,
    IdentityMethod,
    RelationshipType,
    StayPeriod,
    Tier,
)
from furusato_vc.core.sdjwt import SdAlg, split_compact
from furusato_vc.core.sdjwt.disclosure import parse_disclosure
from furusato_vc.core.sdjwt.hashing import digest
from furusato_vc.core.trust import StaticTrust, TrustedIssuer
from furusato_vc.verifier import Verified
from furusato_vc.wallet import accept_credential, present_credential
from tests.registration_fixtures import (
    ISSUER_BASE,
    KESENNUMA,
    MINAMIMINOWA,
    NONCE,
    NOW,
    SENDAI,
    TODAY,
    basic_registration,
    hold,
    holder,
    issue,
    issuer_payload,
    issuing_body,
    jst_midnight,
    policy_for,
    premium_registration,
    present,
    trust_for,
    verifier_for,
)

if TYPE_CHECKING:
    from furusato_vc.core.jose.jwk import PublicJwk
    from furusato_vc.core.sdjwt import ClaimPath
    from furusato_vc.wallet import HeldCredential

SHOP = builtin_profile("shop")
NURSERY = builtin_profile("nursery")
AUDIENCE = "urn:furusato-vc:verifier:test-kiosk-7"
TRUST = trust_for(KESENNUMA, MINAMIMINOWA)


def _rejection(
    serialized: str,
    *,
    trust: StaticTrust = TRUST,
    holder_key: PublicJwk | None = None,
    now: datetime = NOW,
) -> ErrorCode:
    with pytest.raises(FurusatoError) as info:
        accept_credential(
            serialized, holder_key=holder_key or holder().public_jwk, trust=trust, now=now
        )
    return info.value.code


def _disclosed(presentation: str) -> list[tuple[str | None, object]]:
    """(name, value) of every Disclosure in a presentation, in order."""
    return [
        (d.name, d.value) for d in map(parse_disclosure, split_compact(presentation).disclosures)
    ]


def _names(presentation: str) -> set[str | None]:
    return {name for name, _ in _disclosed(presentation)}


def _kb_payload(presentation: str) -> dict[str, object]:
    kb = split_compact(presentation).kb_jwt
    assert kb is not None
    return dict(parse_json_object(b64url_decode(kb.split(".")[1])))


def _kb_header(presentation: str) -> dict[str, object]:
    kb = split_compact(presentation).kb_jwt
    assert kb is not None
    return dict(parse_json_object(b64url_decode(kb.split(".")[0])))


def _shown(held: HeldCredential, paths: tuple[ClaimPath, ...]) -> str:
    return present(held, paths, audience=AUDIENCE)


# --------------------------------------------------------------------------- accept


def test_accept_keeps_the_exact_issued_string() -> None:
    issued = issue(basic_registration()).serialize()
    held = accept_credential(issued, holder_key=holder().public_jwk, trust=TRUST, now=NOW)
    assert held.serialized == issued


def test_accept_reports_issuer_vct_and_holder_key() -> None:
    held = hold(basic_registration())
    assert held.verified.issuer == ISSUER_BASE + KESENNUMA
    assert held.verified.vct == BASIC_VCT
    assert held.verified.holder_key is not None
    assert held.verified.holder_key.thumbprint() == holder().public_jwk.thumbprint()


def test_accept_round_trips_basic_registration_fields() -> None:
    registration = hold(basic_registration()).registration
    assert registration.issuing_body == KESENNUMA
    assert registration.tier is Tier.BASIC
    assert registration.registration_id == "KSN-basic-0001"
    assert registration.valid_from == TODAY
    assert registration.valid_until is None
    assert registration.relationship_types == (
        RelationshipType.PURCHASE_OR_DONATION,
        RelationshipType.VISITS,
    )
    assert (registration.family_name, registration.given_name) == ("山田", "花子")
    assert (registration.family_name_kana, registration.given_name_kana) == ("ヤマダ", "ハナコ")
    assert registration.birthdate == date(1988, 4, 2)
    assert registration.age_equal_or_over == ((18, True), (20, True), (65, False))
    assert registration.home_prefecture == "13"
    assert registration.member_number == "KSN-2027-000123"


def test_accept_round_trips_premium_registration_fields() -> None:
    registration = hold(premium_registration()).registration
    assert registration.tier is Tier.PREMIUM
    assert registration.valid_until == date(2028, 1, 14)
    assert registration.stay == StayPeriod(start=TODAY, end=TODAY + timedelta(days=180))
    assert registration.identity_assurance == IdentityAssurance(
        method=IdentityMethod.MY_NUMBER_CARD, verified_on=TODAY
    )


def test_accept_sees_every_disclosure() -> None:
    held = hold(premium_registration())
    assert len(held.verified.disclosed_paths) == len(held.verified.sd_jwt.disclosed) == 15
    assert "identity_assurance" in held.registration.disclosed_claims


# --------------------------------------------------------------------------- accept: rejections


def test_sd_jwt_with_kb_jwt_is_kb_not_expected() -> None:
    presentation = _shown(hold(basic_registration()), ())
    assert _rejection(presentation) is ErrorCode.KB_NOT_EXPECTED


def test_credential_bound_to_another_key_is_holder_key_mismatch() -> None:
    issued = issue(basic_registration()).serialize()
    other = holder("someone-else").public_jwk
    assert _rejection(issued, holder_key=other) is ErrorCode.HOLDER_KEY_MISMATCH


def test_card_naming_another_body_is_issuer_not_trusted() -> None:
    # 気仙沼市's issuer, with its own key and iss, signs a card that names 南箕輪村.
    impostor = issuing_body(
        MINAMIMINOWA,
        key_label=f"issuer-{KESENNUMA}",
        kid=f"{KESENNUMA}-2027",
        issuer_id=ISSUER_BASE + KESENNUMA,
    )
    issued = issue(premium_registration(), body=impostor).serialize()
    assert _rejection(issued) is ErrorCode.ISSUER_NOT_TRUSTED


def test_issuer_missing_from_trust_is_issuer_not_trusted() -> None:
    issued = issue(basic_registration()).serialize()
    assert _rejection(issued, trust=trust_for(SENDAI)) is ErrorCode.ISSUER_NOT_TRUSTED


def test_issuer_key_not_in_trust_is_issuer_key_unknown() -> None:
    rotated = issuing_body(KESENNUMA, key_label="kesennuma-2028", kid=f"{KESENNUMA}-2028")
    issued = issue(basic_registration(), body=rotated).serialize()
    assert _rejection(issued) is ErrorCode.ISSUER_KEY_UNKNOWN


def test_foreign_key_under_a_trusted_kid_is_signature_invalid() -> None:
    forged = issuing_body(KESENNUMA, key_label="attacker")  # same kid as the real key
    issued = issue(basic_registration(), body=forged).serialize()
    assert _rejection(issued) is ErrorCode.SIGNATURE_INVALID


def test_rotated_key_is_accepted_when_trust_lists_both_keys() -> None:
    current, rotated = (
        issuing_body(KESENNUMA),
        issuing_body(KESENNUMA, key_label="kesennuma-2028", kid=f"{KESENNUMA}-2028"),
    )
    trust = StaticTrust.of(
        [
            TrustedIssuer(
                body_code=KESENNUMA,
                issuer_id=current.issuer_id,
                keys=(current.signer.public_jwk, rotated.signer.public_jwk),
            )
        ]
    )
    issued = issue(basic_registration(), body=rotated).serialize()
    held = accept_credential(issued, holder_key=holder().public_jwk, trust=trust, now=NOW)
    assert held.registration.issuing_body == KESENNUMA


def test_tampered_disclosure_is_rejected_as_unreferenced() -> None:
    issued = issue(basic_registration())
    target = next(d for d in issued.disclosures if d.name == "member_number")
    forged = b64url_encode(
        dumps_compact([target.salt, "member_number", "KSN-2027-999999"]).encode("utf-8")
    )
    tampered = issued.serialize().replace(target.encoded, forged)
    assert _rejection(tampered) is ErrorCode.DISCLOSURE_UNREFERENCED


def test_disclosure_that_is_not_base64url_is_malformed_disclosure() -> None:
    issued = issue(basic_registration())
    target = issued.disclosures[0].encoded
    tampered = issued.serialize().replace(target, target[:-1] + "*")
    assert _rejection(tampered) is ErrorCode.MALFORMED_DISCLOSURE


def test_missing_mandatory_disclosure_is_rejected() -> None:
    issued = issue(basic_registration())
    target = next(d for d in issued.disclosures if d.name == "registration_id")
    stripped = issued.serialize().replace(target.encoded + "~", "")
    assert _rejection(stripped) is ErrorCode.CLAIM_METADATA_VIOLATION


def test_tampered_issuer_payload_is_signature_invalid() -> None:
    issued = issue(basic_registration())
    header, _, signature = issued.issuer_jwt.split(".")
    claims = issuer_payload(issued.serialize())
    claims["issuing_body"] = SENDAI
    forged = ".".join((header, b64url_encode(dumps_compact(claims).encode()), signature))
    tampered = issued.serialize().replace(issued.issuer_jwt, forged)
    assert _rejection(tampered) is ErrorCode.SIGNATURE_INVALID


def test_expired_credential_is_token_expired() -> None:
    issued = issue(basic_registration()).serialize()
    exp = issuer_payload(issued)["exp"]
    assert isinstance(exp, int)
    later = datetime.fromtimestamp(exp + 60, UTC)
    assert _rejection(issued, now=later) is ErrorCode.TOKEN_EXPIRED


# --------------------------------------------------------------------------- present


def test_present_discloses_only_the_member_number_for_a_shop() -> None:
    presentation = _shown(hold(basic_registration()), SHOP.requested)
    assert _disclosed(presentation) == [("member_number", "KSN-2027-000123")]


def test_present_discloses_exactly_the_nursery_claims() -> None:
    presentation = _shown(hold(premium_registration()), NURSERY.requested)
    assert _names(presentation) == {
        "family_name",
        "given_name",
        "family_name#ja-Kana-JP",
        "given_name#ja-Kana-JP",
        "birthdate",
        "stay",
    }


def test_present_nothing_has_no_disclosures() -> None:
    presentation = _shown(hold(premium_registration()), ())
    parts = split_compact(presentation)
    assert parts.disclosures == ()
    assert parts.kb_jwt is not None


def test_age_18_pulls_in_its_container_and_nothing_else() -> None:
    presentation = _shown(hold(basic_registration()), (("age_equal_or_over", "18"),))
    disclosed = _disclosed(presentation)
    assert [name for name, _ in disclosed] == ["age_equal_or_over", "18"]
    assert ("18", True) in disclosed


def test_age_container_alone_reveals_every_flag_but_not_the_birthdate() -> None:
    presentation = _shown(hold(basic_registration()), (("age_equal_or_over",),))
    assert _names(presentation) == {"age_equal_or_over", "18", "20", "65"}


def test_claim_the_card_lacks_discloses_nothing() -> None:
    presentation = _shown(hold(basic_registration()), (("stay",),))
    assert split_compact(presentation).disclosures == ()


def test_presented_disclosures_are_the_issued_strings() -> None:
    held = hold(premium_registration())
    presentation = _shown(held, NURSERY.requested)
    issued = {d.disclosure.encoded for d in held.verified.sd_jwt.disclosed}
    assert set(split_compact(presentation).disclosures) <= issued


def test_presentation_keeps_the_issuer_signed_jwt() -> None:
    held = hold(basic_registration())
    presentation = _shown(held, SHOP.requested)
    assert split_compact(presentation).issuer_jwt == held.verified.sd_jwt.issuer_jwt


def test_kb_jwt_binds_audience_nonce_and_time() -> None:
    now = NOW + timedelta(minutes=5, seconds=7)
    presentation = present(hold(basic_registration()), audience=AUDIENCE, nonce=NONCE, now=now)
    payload = _kb_payload(presentation)
    assert payload["aud"] == AUDIENCE
    assert payload["nonce"] == NONCE
    assert payload["iat"] == to_numeric_date(now)


def test_kb_jwt_sd_hash_covers_the_presented_sd_jwt() -> None:
    presentation = _shown(hold(basic_registration()), SHOP.requested)
    covered = split_compact(presentation).sd_hash_input()
    assert _kb_payload(presentation)["sd_hash"] == digest(SdAlg.SHA_256, covered)


def test_kb_jwt_is_typed_and_carries_no_kid() -> None:
    header = _kb_header(_shown(hold(basic_registration()), ()))
    assert header == {"alg": "ES256", "typ": "kb+jwt"}


def test_kb_jwt_is_signed_by_the_given_holder_key() -> None:
    held = hold(basic_registration())
    presentation = present_credential(
        held, disclose=(), holder=holder(), audience=AUDIENCE, nonce=NONCE, now=NOW
    )
    kb = split_compact(presentation).kb_jwt
    assert kb is not None
    header_b64, payload_b64, signature_b64 = kb.split(".")
    assert holder().public_jwk.verify(
        b64url_decode(signature_b64), f"{header_b64}.{payload_b64}".encode("ascii")
    )


def test_presentation_verifies_with_exactly_the_requested_claims() -> None:
    verifier = verifier_for(policy_for("shop", accept=[KESENNUMA], audience=AUDIENCE), trust=TRUST)
    presentation = _shown(hold(basic_registration()), SHOP.requested)
    result = verifier.verify(presentation, now=NOW)
    assert isinstance(result, Verified)
    assert result.registration.disclosed_claims == {"member_number"}
    assert result.registration.member_number == "KSN-2027-000123"
    assert result.registration.family_name is None
    assert result.registration.registration_id is None


# --------------------------------------------------------------------------- future start


def test_a_card_whose_registration_starts_later_is_stored_before_its_start() -> None:
    starts = TODAY + timedelta(days=30)
    held = hold(basic_registration(valid_from=starts))
    assert held.verified.not_before == jst_midnight(starts)
    assert held.registration.valid_from == starts


def test_a_card_whose_registration_starts_later_is_not_yet_valid_at_a_verifier() -> None:
    starts = TODAY + timedelta(days=30)
    held = hold(basic_registration(valid_from=starts))
    profile = builtin_profile("garbage-station")
    presentation = present(held, profile.requested, audience=profile.default_audience)
    verifier = verifier_for(
        policy_for("garbage-station", accept=[KESENNUMA]), trust=trust_for(KESENNUMA)
    )
    result = verifier.verify(presentation, now=NOW)
    assert not isinstance(result, Verified)
    assert result.code is ErrorCode.TOKEN_NOT_YET_VALID
