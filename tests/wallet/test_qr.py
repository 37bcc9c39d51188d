"""The wallet's QR side: accepting the compact credential next to the SD-JWT VC
(:func:`accept_credential` with ``compact=``), showing it as QR text (:func:`present_qr`,
:func:`qr_groups`) and renewing it (:class:`RotatingQr`, every 30 s).

Cards are issued in both formats by :func:`tests.core.compact.builders.hold_both` at ``NOW``
(2027-01-15 09:00 JST) to the wallet of :data:`HOLDER`.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

import pytest

from furusato_vc.core.base45 import BASE45_ALPHABET
from furusato_vc.core.compact.credential import CompactPolicy, verify_compact
from furusato_vc.core.compact.profile import CwtClaim, Group
from furusato_vc.core.errors import ErrorCode, FurusatoError, VerificationError
from furusato_vc.core.jose.jwt import to_numeric_date
from furusato_vc.core.profiles import builtin_profile
from furusato_vc.core.qrtext import QR_PREFIX, decode_qr_text
from furusato_vc.core.registration.claims import Claim, Tier
from furusato_vc.wallet import (
    DEFAULT_ROTATION,
    RotatingQr,
    accept_credential,
    present_qr,
    qr_groups,
)
from tests.core.compact.builders import (
    HOLDER,
    NOW,
    OTHER_HOLDER,
    TRUST,
    hold_both,
    issue_both,
    kbt_parts,
)
from tests.registration_fixtures import (
    KESENNUMA,
    MINAMIMINOWA,
    basic_registration,
    premium_registration,
)

if TYPE_CHECKING:
    from datetime import datetime

    from furusato_vc.core.compact.credential import VerifiedCompact
    from furusato_vc.core.registration.claims import RegistrationClaims
    from furusato_vc.core.sdjwt import ClaimPath
    from furusato_vc.wallet import HeldCredential

NONCE = "kiosk-challenge-7"
BASIC = hold_both(basic_registration())
PREMIUM = hold_both(premium_registration())


def _read(text: str, *, audience: str, now: datetime = NOW) -> VerifiedCompact:
    return verify_compact(
        decode_qr_text(text), policy=CompactPolicy(audience=audience), keys=TRUST, now=now
    )


def _accept_code(
    registration: RegistrationClaims,
    *,
    compact: bytes,
    now: datetime = NOW,
) -> ErrorCode:
    issued = issue_both(registration, now=now)
    with pytest.raises(FurusatoError) as info:
        accept_credential(
            issued.sd_jwt_vc.serialize(),
            holder_key=HOLDER.public_jwk,
            trust=TRUST,
            now=now,
            compact=compact,
        )
    return info.value.code


# =========================================================================== accepting


def test_wallet_accepts_both_formats() -> None:
    assert BASIC.compact is not None
    assert (BASIC.compact.body_code, BASIC.compact.tier) == (KESENNUMA, Tier.BASIC)


def test_both_formats_expire_together() -> None:
    assert PREMIUM.compact is not None
    assert PREMIUM.compact.expires_at == PREMIUM.verified.expires_at


def test_wallet_holds_no_qr_credential_when_none_is_sent() -> None:
    issued = issue_both(basic_registration())
    held = accept_credential(
        issued.sd_jwt_vc.serialize(), holder_key=HOLDER.public_jwk, trust=TRUST, now=NOW
    )
    assert held.compact is None


def test_wallet_rejects_a_qr_credential_of_another_body() -> None:
    other = issue_both(premium_registration()).compact.encode()
    code = _accept_code(basic_registration(), compact=other)
    assert code is ErrorCode.CREDENTIAL_MISMATCH


def test_wallet_rejects_a_qr_credential_of_another_tier() -> None:
    premium_here = premium_registration(issuing_body=KESENNUMA, registration_id="KSN-prem-0001")
    other = issue_both(premium_here).compact.encode()
    code = _accept_code(basic_registration(), compact=other)
    assert code is ErrorCode.CREDENTIAL_MISMATCH


def test_wallet_rejects_a_qr_credential_with_another_expiry() -> None:
    yesterday = NOW - timedelta(days=1)
    other = issue_both(basic_registration(valid_from=date(2027, 1, 14)), now=yesterday)
    code = _accept_code(basic_registration(), compact=other.compact.encode())
    assert code is ErrorCode.CREDENTIAL_MISMATCH


def test_wallet_rejects_a_qr_credential_bound_to_another_key() -> None:
    other = issue_both(basic_registration(), holder_key=OTHER_HOLDER.public_jwk)
    code = _accept_code(basic_registration(), compact=other.compact.encode())
    assert code is ErrorCode.HOLDER_KEY_MISMATCH


def test_wallet_rejects_a_malformed_qr_credential() -> None:
    compact = issue_both(basic_registration()).compact.encode()
    code = _accept_code(basic_registration(), compact=compact[:-1])
    assert code is ErrorCode.MALFORMED_CBOR


@pytest.mark.parametrize(
    "birthdate", [date(1969, 12, 31), date(1948, 7, 20)], ids=lambda d: d.isoformat()
)
def test_wallet_accepts_both_formats_for_a_holder_born_before_1970(birthdate: date) -> None:
    held = hold_both(basic_registration(birthdate=birthdate))
    assert held.compact is not None


# =========================================================================== presenting


@pytest.mark.parametrize(
    ("profile_id", "held", "groups"),
    [
        ("garbage-station", PREMIUM, frozenset()),
        ("shop", BASIC, frozenset({Group.MEMBERSHIP})),
        ("nursery", PREMIUM, frozenset({Group.PERSON})),
        ("school", PREMIUM, frozenset({Group.PERSON})),
        ("public-facility", PREMIUM, frozenset()),
    ],
    ids=["garbage-station", "shop", "nursery", "school", "public-facility"],
)
def test_present_qr_discloses_exactly_the_groups_the_profile_asks_for(
    profile_id: str, held: HeldCredential, groups: frozenset[Group]
) -> None:
    profile = builtin_profile(profile_id)
    text = present_qr(held, disclose=profile.requested, holder=HOLDER, audience=profile_id, now=NOW)
    assert _read(text, audience=profile_id).disclosed_groups == groups


def test_qr_text_is_prefixed_alphanumeric_text() -> None:
    text = present_qr(BASIC, disclose=(), holder=HOLDER, audience="shop", now=NOW)
    assert text.startswith(QR_PREFIX)
    assert set(text[len(QR_PREFIX) :]) <= set(BASE45_ALPHABET)


def test_qr_shows_the_member_number_to_the_shop() -> None:
    profile = builtin_profile("shop")
    text = present_qr(BASIC, disclose=profile.requested, holder=HOLDER, audience="shop", now=NOW)
    assert _read(text, audience="shop").member_number == "KSN-2027-000123"


def test_qr_key_binding_names_the_audience_and_time() -> None:
    text = present_qr(PREMIUM, disclose=(), holder=HOLDER, audience="garbage-station", now=NOW)
    payload = kbt_parts(decode_qr_text(text))[2]
    assert payload == {CwtClaim.AUD: "garbage-station", CwtClaim.IAT: to_numeric_date(NOW)}


def test_qr_in_challenge_mode_carries_the_nonce_as_bytes() -> None:
    text = present_qr(BASIC, disclose=(), holder=HOLDER, audience="shop", now=NOW, nonce=NONCE)
    assert kbt_parts(decode_qr_text(text))[2][CwtClaim.CNONCE] == NONCE.encode()


def test_qr_of_a_claim_the_qr_credential_does_not_carry_is_refused() -> None:
    with pytest.raises(VerificationError) as info:
        present_qr(
            PREMIUM, disclose=[(Claim.HOME_PREFECTURE,)], holder=HOLDER, audience="x", now=NOW
        )
    assert info.value.code is ErrorCode.REQUIRED_DISCLOSURE_MISSING


def test_qr_of_a_card_without_a_qr_credential_is_a_programming_error() -> None:
    issued = issue_both(basic_registration())
    held = accept_credential(
        issued.sd_jwt_vc.serialize(), holder_key=HOLDER.public_jwk, trust=TRUST, now=NOW
    )
    with pytest.raises(ValueError, match="no QR credential"):
        present_qr(held, disclose=(), holder=HOLDER, audience="shop", now=NOW)


def test_qr_signed_with_another_key_fails_key_binding() -> None:
    text = present_qr(BASIC, disclose=(), holder=OTHER_HOLDER, audience="shop", now=NOW)
    with pytest.raises(VerificationError) as info:
        _read(text, audience="shop")
    assert info.value.code is ErrorCode.KB_SIGNATURE_INVALID


# =========================================================================== qr_groups


@pytest.mark.parametrize(
    ("path", "group"),
    [
        ((Claim.FAMILY_NAME,), Group.PERSON),
        ((Claim.GIVEN_NAME,), Group.PERSON),
        ((Claim.FAMILY_NAME_KANA,), Group.PERSON),
        ((Claim.GIVEN_NAME_KANA,), Group.PERSON),
        ((Claim.BIRTHDATE,), Group.PERSON),
        ((Claim.STAY,), Group.PERSON),
        ((Claim.STAY, "from"), Group.PERSON),
        ((Claim.MEMBER_NUMBER,), Group.MEMBERSHIP),
    ],
    ids=lambda v: "/".join(map(str, v)) if isinstance(v, tuple) else v.name,
)
def test_qr_groups_maps_each_carried_claim_to_its_group(path: ClaimPath, group: Group) -> None:
    assert qr_groups([path]) == frozenset({group})


def test_qr_groups_of_nothing_is_nothing() -> None:
    assert qr_groups([]) == frozenset()


def test_qr_groups_of_the_nursery_request_is_the_person_group() -> None:
    assert qr_groups(builtin_profile("nursery").requested) == frozenset({Group.PERSON})


def test_qr_groups_of_names_and_member_number_is_both_groups() -> None:
    paths = [(Claim.FAMILY_NAME,), (Claim.MEMBER_NUMBER,)]
    assert qr_groups(paths) == frozenset({Group.PERSON, Group.MEMBERSHIP})


@pytest.mark.parametrize(
    "path",
    [
        (Claim.HOME_PREFECTURE,),
        (Claim.RELATIONSHIP_TYPES,),
        (Claim.AGE_EQUAL_OR_OVER, "18"),
        (Claim.IDENTITY_ASSURANCE,),
        (Claim.REGISTRATION_ID,),
        (),
        (0,),
    ],
    ids=lambda p: "/".join(map(str, p)) or "empty-path",
)
def test_qr_groups_refuses_a_claim_not_carried(path: ClaimPath) -> None:
    with pytest.raises(VerificationError) as info:
        qr_groups([(Claim.MEMBER_NUMBER,), path])
    assert info.value.code is ErrorCode.REQUIRED_DISCLOSURE_MISSING


# =========================================================================== RotatingQr


def _rotating(held: HeldCredential = BASIC, **kwargs: timedelta) -> RotatingQr:
    return RotatingQr(held, disclose=(), holder=HOLDER, audience="shop", **kwargs)


def test_rotation_period_defaults_to_30_seconds() -> None:
    assert timedelta(seconds=30) == DEFAULT_ROTATION


def test_rotating_qr_keeps_its_text_before_30_seconds() -> None:
    qr = _rotating()
    first = qr.text(now=NOW)
    assert qr.text(now=NOW + timedelta(seconds=29, microseconds=999_999)) == first


def test_rotating_qr_keeps_its_text_at_the_same_instant() -> None:
    qr = _rotating()
    assert qr.text(now=NOW) == qr.text(now=NOW)


def test_rotating_qr_regenerates_at_exactly_30_seconds() -> None:
    qr = _rotating()
    first = qr.text(now=NOW)
    assert qr.text(now=NOW + timedelta(seconds=30)) != first


def test_rotating_qr_regenerated_text_carries_the_new_time() -> None:
    qr = _rotating()
    qr.text(now=NOW)
    later = NOW + timedelta(seconds=30)
    assert _read(qr.text(now=later), audience="shop", now=later).kb_issued_at == (
        to_numeric_date(later)
    )


def test_rotating_qr_counts_30_seconds_from_the_last_regeneration() -> None:
    qr = _rotating()
    qr.text(now=NOW)
    second = qr.text(now=NOW + timedelta(seconds=45))
    assert qr.text(now=NOW + timedelta(seconds=74)) == second
    assert qr.text(now=NOW + timedelta(seconds=75)) != second


def test_rotating_qr_regenerates_when_the_clock_goes_backwards() -> None:
    qr = _rotating()
    first = qr.text(now=NOW)
    assert qr.text(now=NOW - timedelta(seconds=1)) != first


def test_rotating_qr_honours_a_custom_period() -> None:
    qr = _rotating(period=timedelta(seconds=10))
    first = qr.text(now=NOW)
    assert qr.text(now=NOW + timedelta(seconds=9)) == first
    assert qr.text(now=NOW + timedelta(seconds=10)) != first


@pytest.mark.parametrize("period", [timedelta(0), timedelta(seconds=-30)], ids=["zero", "negative"])
def test_rotating_qr_refuses_a_non_positive_period(period: timedelta) -> None:
    with pytest.raises(ValueError, match="period"):
        _rotating(period=period)


def test_rotating_qr_discloses_what_it_was_built_with() -> None:
    qr = RotatingQr(
        PREMIUM,
        disclose=builtin_profile("nursery").requested,
        holder=HOLDER,
        audience="nursery",
    )
    assert _read(qr.text(now=NOW), audience="nursery").disclosed_groups == {Group.PERSON}


def test_rotating_qr_body_is_the_card_it_was_built_for() -> None:
    qr = _rotating(PREMIUM)
    assert _read(qr.text(now=NOW), audience="shop").body_code == MINAMIMINOWA
