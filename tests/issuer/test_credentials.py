"""Issuing registration credentials (:mod:`furusato_vc.issuer.credentials`).

Times (docs/decisions.md; RFC 9901 §10.1): ``iat`` is ``now`` rounded down to the granularity
(a UTC day by default); ``exp`` is the earlier of ``iat + lifetime`` and 00:00 JST after
``valid_until``; ``nbf`` is set only when the registration starts after the issue day.
Registration dates are Japan dates, so the clocks below include one where the JST date is a
day ahead of the UTC date (20:00 UTC = 05:00 JST the next day).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from furusato_vc.core.errors import ErrorCode, FormatError, IssuanceError
from furusato_vc.core.jose.jwt import to_numeric_date
from furusato_vc.core.registration.claims import (
    BASIC_VCT,
    JST,
    PREMIUM_VCT,
    IdentityAssurance,
    IdentityMethod,
    PersonName,
)
from furusato_vc.core.registration.metadata import vct_integrity
from furusato_vc.core.sdjwt import NO_DECOYS, DecoyPolicy, SdAlg
from furusato_vc.core.sdjwt.hashing import digest
from furusato_vc.issuer import IssuancePolicy, IssuingBody, issue_registration_credential
from tests.helpers import SeededRandom, fixed_signer
from tests.registration_fixtures import (
    ISSUER_BASE,
    KESENNUMA,
    MINAMIMINOWA,
    NOW,
    STATUS_INDEX,
    TODAY,
    at,
    basic_registration,
    bodies,
    holder,
    issue,
    issuer_header,
    issuer_payload,
    issuing_body,
    jst_midnight,
    premium_registration,
)

if TYPE_CHECKING:
    from furusato_vc.core.encoding import JSONObject
    from furusato_vc.core.registration.claims import RegistrationClaims
    from furusato_vc.core.sdjwt import IssuedSdJwt

DAY = 86_400
# 2027-01-15 20:00 UTC is 2027-01-16 05:00 JST: the Japan date is one day ahead.
LATE = at(2027, 1, 15, 20)
LATE_JST_DAY = date(2027, 1, 16)
UTC_DAY_OF_LATE = to_numeric_date(at(2027, 1, 15))


def _payload(
    registration: RegistrationClaims,
    *,
    now: datetime = NOW,
    policy: IssuancePolicy | None = None,
) -> JSONObject:
    return issuer_payload(issue(registration, now=now, policy=policy).serialize())


def _issuance_error(registration: RegistrationClaims, **kwargs: object) -> ErrorCode:
    with pytest.raises(IssuanceError) as info:
        issue(registration, **kwargs)  # type: ignore[arg-type]
    return info.value.code


def _top_level_sd(issued: IssuedSdJwt) -> tuple[list[str], set[str]]:
    """The top-level ``_sd`` array and the digests of the issued Disclosures."""
    sd = issuer_payload(issued.serialize())["_sd"]
    assert isinstance(sd, list)
    digests = {digest(SdAlg.SHA_256, d.encoded) for d in issued.disclosures}
    return [str(entry) for entry in sd], digests


# --------------------------------------------------------------------------- iat


def test_iat_is_now_rounded_down_to_the_utc_day() -> None:
    payload = _payload(basic_registration(), now=at(2027, 1, 15, 13, 45, 12))
    assert payload["iat"] == to_numeric_date(at(2027, 1, 15))


def test_iat_at_utc_midnight_is_unchanged() -> None:
    assert _payload(basic_registration(), now=NOW)["iat"] == to_numeric_date(NOW)


def test_iat_when_jst_date_is_ahead_is_still_the_utc_day() -> None:
    payload = _payload(basic_registration(), now=LATE)
    assert payload["iat"] == UTC_DAY_OF_LATE


def test_hourly_granularity_rounds_iat_down_to_the_hour() -> None:
    policy = IssuancePolicy(time_granularity=timedelta(hours=1))
    payload = _payload(basic_registration(), now=at(2027, 1, 15, 13, 45, 12), policy=policy)
    assert payload["iat"] == to_numeric_date(at(2027, 1, 15, 13))


def test_one_second_granularity_keeps_the_exact_second() -> None:
    policy = IssuancePolicy(time_granularity=timedelta(seconds=1))
    now = at(2027, 1, 15, 13, 45, 12)
    assert _payload(basic_registration(), now=now, policy=policy)["iat"] == to_numeric_date(now)


def test_exp_follows_the_rounded_iat_not_now() -> None:
    policy = IssuancePolicy(time_granularity=timedelta(hours=1))
    payload = _payload(basic_registration(), now=at(2027, 1, 15, 13, 45, 12), policy=policy)
    assert payload["exp"] == to_numeric_date(at(2027, 1, 15, 13)) + 365 * DAY


@pytest.mark.parametrize(
    ("lifetime", "granularity"),
    [
        (timedelta(0), timedelta(days=1)),
        (timedelta(days=-1), timedelta(days=1)),
        (timedelta(days=365), timedelta(0)),
        (timedelta(days=365), timedelta(seconds=-1)),
    ],
    ids=["zero-lifetime", "negative-lifetime", "zero-granularity", "negative-granularity"],
)
def test_policy_refuses_non_positive_durations(lifetime: timedelta, granularity: timedelta) -> None:
    with pytest.raises(ValueError, match="positive"):
        IssuancePolicy(credential_lifetime=lifetime, time_granularity=granularity)


# --------------------------------------------------------------------------- exp


def test_open_ended_registration_expires_one_lifetime_after_iat() -> None:
    payload = _payload(basic_registration())
    assert payload["exp"] == to_numeric_date(NOW) + 365 * DAY


def test_premium_expires_at_jst_midnight_after_valid_until() -> None:
    registration = premium_registration()  # valid until 2028-01-14
    payload = _payload(registration)
    assert registration.valid_until == date(2028, 1, 14)
    assert payload["exp"] == to_numeric_date(datetime(2028, 1, 15, 0, 0, tzinfo=JST))
    assert payload["exp"] == to_numeric_date(at(2028, 1, 14, 15))


def test_lifetime_shorter_than_registration_wins() -> None:
    policy = IssuancePolicy(credential_lifetime=timedelta(days=30))
    payload = _payload(premium_registration(), policy=policy)
    assert payload["exp"] == to_numeric_date(NOW) + 30 * DAY


def test_lifetime_shorter_than_granularity_never_reports_a_live_registration_as_ended() -> None:
    # A 12-hour credential rounded down to the UTC day would already be expired at 20:00 UTC.
    # Refusing that configuration (ValueError) is acceptable; blaming the registration
    # (registration_claims_invalid "has ended") for an open-ended registration is not.
    try:
        policy = IssuancePolicy(credential_lifetime=timedelta(hours=12))
    except ValueError:
        return
    exp = _payload(basic_registration(), now=LATE, policy=policy)["exp"]
    assert isinstance(exp, int)
    assert exp > to_numeric_date(LATE)


def test_basic_with_end_date_expires_at_that_jst_day_end() -> None:
    registration = basic_registration(valid_until=TODAY + timedelta(days=10))
    payload = _payload(registration)
    assert payload["exp"] == jst_midnight(TODAY + timedelta(days=11))


@pytest.mark.parametrize(
    "valid_until", [date(9999, 12, 30), date(9999, 12, 31)], ids=["9999-12-30", "9999-12-31"]
)
def test_far_future_end_date_is_capped_by_the_lifetime(valid_until: date) -> None:
    # 9999-12-31 is a common "no end" sentinel in municipal systems. The documented outcomes
    # are a credential of one lifetime or an IssuanceError, never a bare OverflowError.
    try:
        payload = _payload(basic_registration(valid_until=valid_until))
    except IssuanceError:
        return
    assert payload["exp"] == to_numeric_date(NOW) + 365 * DAY


def test_registration_ending_today_is_issued_until_jst_midnight() -> None:
    payload = _payload(basic_registration(valid_until=TODAY))
    assert payload["exp"] == jst_midnight(TODAY + timedelta(days=1))


def test_late_clock_registration_ending_on_jst_today_expires_at_next_jst_midnight() -> None:
    payload = _payload(basic_registration(valid_until=LATE_JST_DAY), now=LATE)
    assert payload["exp"] == jst_midnight(LATE_JST_DAY + timedelta(days=1))
    assert payload["exp"] == to_numeric_date(at(2027, 1, 16, 15))


def test_late_clock_premium_exp_is_end_of_valid_until_as_jst_day() -> None:
    registration = premium_registration(
        valid_from=LATE_JST_DAY, valid_until=LATE_JST_DAY + timedelta(days=29)
    )
    payload = _payload(registration, now=LATE)
    assert payload["exp"] == jst_midnight(LATE_JST_DAY + timedelta(days=30))


def test_late_clock_lifetime_counts_from_the_rounded_utc_day() -> None:
    # A year-long premium registration starting on the JST issue day: iat + 365 days
    # (2028-01-15 00:00 UTC) comes before the end of 2028-01-15 JST, so the lifetime wins.
    registration = premium_registration(
        valid_from=LATE_JST_DAY, valid_until=LATE_JST_DAY + timedelta(days=364)
    )
    payload = _payload(registration, now=LATE)
    assert payload["exp"] == UTC_DAY_OF_LATE + 365 * DAY


def test_registration_that_ended_yesterday_is_refused() -> None:
    registration = basic_registration(
        valid_from=TODAY - timedelta(days=30), valid_until=TODAY - timedelta(days=1)
    )
    assert _issuance_error(registration) is ErrorCode.REGISTRATION_CLAIMS_INVALID


def test_late_clock_registration_ended_on_the_utc_date_is_refused() -> None:
    # valid_until is the UTC date at LATE, but in Japan that day is already over.
    registration = basic_registration(valid_until=date(2027, 1, 15))
    assert _issuance_error(registration, now=LATE) is ErrorCode.REGISTRATION_CLAIMS_INVALID


# --------------------------------------------------------------------------- nbf


def test_no_nbf_when_registration_started_before_the_issue_day() -> None:
    payload = _payload(basic_registration(valid_from=TODAY - timedelta(days=10)))
    assert "nbf" not in payload


def test_no_nbf_when_registration_starts_on_the_issue_day() -> None:
    assert "nbf" not in _payload(basic_registration(valid_from=TODAY))


def test_nbf_is_jst_midnight_of_a_later_start_day() -> None:
    start = TODAY + timedelta(days=10)
    payload = _payload(basic_registration(valid_from=start))
    assert payload["nbf"] == jst_midnight(start)


def test_premium_starting_later_has_nbf_and_exp_from_its_own_dates() -> None:
    start = TODAY + timedelta(days=10)
    registration = premium_registration(valid_from=start, valid_until=start + timedelta(days=99))
    payload = _payload(registration)
    assert payload["nbf"] == jst_midnight(start)
    assert payload["exp"] == jst_midnight(start + timedelta(days=100))


@pytest.mark.parametrize(
    "registration",
    [
        basic_registration(valid_from=TODAY + timedelta(days=400)),
        premium_registration(
            valid_from=TODAY + timedelta(days=400), valid_until=TODAY + timedelta(days=500)
        ),
    ],
    ids=["basic", "premium"],
)
def test_never_issues_a_credential_that_can_never_be_valid(
    registration: RegistrationClaims,
) -> None:
    # Starting 400 days out, the registration begins after iat + the 365-day lifetime. Such a
    # card (nbf >= exp) would be refused by every wallet and verifier at every instant, so the
    # issuer must refuse it (IssuanceError) rather than sign it.
    try:
        payload = _payload(registration)
    except IssuanceError:
        return
    nbf, exp = payload.get("nbf"), payload["exp"]
    assert isinstance(nbf, int)
    assert isinstance(exp, int)
    assert nbf < exp


def test_late_clock_no_nbf_when_registration_starts_on_the_jst_issue_day() -> None:
    # At 05:00 JST on 2027-01-16 a registration starting 2027-01-16 starts on the issue day
    # (registration dates are Japan dates), so no nbf is written.
    payload = _payload(basic_registration(valid_from=LATE_JST_DAY), now=LATE)
    assert "nbf" not in payload


def test_late_clock_nbf_when_registration_starts_the_next_jst_day() -> None:
    start = LATE_JST_DAY + timedelta(days=1)
    payload = _payload(basic_registration(valid_from=start), now=LATE)
    assert payload["nbf"] == jst_midnight(start)


# --------------------------------------------------------------------------- header and claims


def test_header_carries_the_signers_kid_and_dc_sd_jwt_typ() -> None:
    header = issuer_header(issue(basic_registration()).serialize())
    assert header == {"alg": "ES256", "kid": f"{KESENNUMA}-2027", "typ": "dc+sd-jwt"}


def test_header_has_no_kid_when_the_signer_has_none() -> None:
    body = IssuingBody(
        code=KESENNUMA,
        issuer_id=ISSUER_BASE + KESENNUMA,
        signer=fixed_signer(f"issuer-{KESENNUMA}"),
        status_list_uri=f"{ISSUER_BASE}{KESENNUMA}/status/1",
    )
    assert "kid" not in issuer_header(issue(basic_registration(), body=body).serialize())


def test_iss_is_the_bodys_issuer_id() -> None:
    assert _payload(basic_registration())["iss"] == ISSUER_BASE + KESENNUMA


def test_status_reference_points_into_the_bodys_status_list() -> None:
    payload = _payload(basic_registration())
    assert payload["status"] == {
        "status_list": {"idx": STATUS_INDEX, "uri": f"{ISSUER_BASE}{KESENNUMA}/status/1"}
    }


def test_status_index_zero_is_carried() -> None:
    serialized = issue(basic_registration(), status_index=0).serialize()
    status = issuer_payload(serialized)["status"]
    assert status == {"status_list": {"idx": 0, "uri": f"{ISSUER_BASE}{KESENNUMA}/status/1"}}


@pytest.mark.parametrize(
    ("registration", "vct"),
    [(basic_registration(), BASIC_VCT), (premium_registration(), PREMIUM_VCT)],
    ids=["basic", "premium"],
)
def test_vct_and_integrity_follow_the_tier(registration: RegistrationClaims, vct: str) -> None:
    payload = _payload(registration)
    assert payload["vct"] == vct
    assert payload["vct#integrity"] == vct_integrity(vct)


def test_cnf_is_the_holders_key() -> None:
    payload = _payload(basic_registration())
    assert payload["cnf"] == {"jwk": holder().public_jwk.to_json(include_kid=False)}


def test_plaintext_claims_are_body_tier_and_dates_only() -> None:
    payload = _payload(premium_registration())
    registered = {"iss", "iat", "exp", "vct", "vct#integrity", "cnf", "status", "_sd", "_sd_alg"}
    assert set(payload) - registered == {"issuing_body", "tier", "valid_from", "valid_until"}
    assert payload["issuing_body"] == MINAMIMINOWA
    assert payload["tier"] == "premium"
    assert payload["valid_from"] == "2027-01-15"
    assert payload["valid_until"] == "2028-01-14"


def test_every_personal_claim_is_a_disclosure() -> None:
    issued = issue(premium_registration())
    names = {d.name for d in issued.disclosures}
    assert {
        "registration_id",
        "relationship_types",
        "family_name",
        "given_name",
        "family_name#ja-Kana-JP",
        "given_name#ja-Kana-JP",
        "birthdate",
        "age_equal_or_over",
        "18",
        "20",
        "65",
        "home_prefecture",
        "stay",
        "member_number",
        "identity_assurance",
    } == names


def test_age_flags_are_computed_on_the_jst_issue_date() -> None:
    # Born 2009-01-16: 18 on 2027-01-16 — the JST date at LATE, but not yet the UTC date.
    issued = issue(basic_registration(birthdate=date(2009, 1, 16)), now=LATE)
    flags = {d.name: d.value for d in issued.disclosures if d.name in {"18", "20", "65"}}
    assert flags == {"18": True, "20": False, "65": False}


# --------------------------------------------------------------------------- validation errors


@pytest.mark.parametrize(
    "code",
    ["042057", "04205", "011011"],
    ids=["bad-check-digit", "five-digits", "designated-city-ward"],
)
def test_invalid_or_unknown_body_code_is_invalid_body_code(code: str) -> None:
    registration = basic_registration(issuing_body=code)
    with pytest.raises(FormatError) as info:
        issue(registration, body=issuing_body(KESENNUMA))
    assert info.value.code is ErrorCode.INVALID_BODY_CODE


@pytest.mark.parametrize(
    "registration",
    [
        basic_registration(member_number="123456789012"),
        basic_registration(member_number="1234-5678-9012"),
        basic_registration(registration_id="R123456789012"),
        basic_registration(
            name=PersonName(
                family="１２３４５６７８９０１２", given="花子", family_kana="ヤ", given_kana="ハ"
            )
        ),
    ],
    ids=["member-number", "hyphenated", "registration-id", "full-width-name"],
)
def test_my_number_lookalike_is_forbidden_claim(registration: RegistrationClaims) -> None:
    assert _issuance_error(registration) is ErrorCode.FORBIDDEN_CLAIM


def test_premium_without_identity_assurance_is_registration_claims_invalid() -> None:
    registration = premium_registration(identity_assurance=None)
    assert _issuance_error(registration) is ErrorCode.REGISTRATION_CLAIMS_INVALID


def test_identity_verified_in_the_future_is_registration_claims_invalid() -> None:
    assurance = IdentityAssurance(
        method=IdentityMethod.DIGITAL_AUTH_APP, verified_on=TODAY + timedelta(days=1)
    )
    registration = premium_registration(identity_assurance=assurance)
    assert _issuance_error(registration) is ErrorCode.REGISTRATION_CLAIMS_INVALID


def test_body_not_matching_the_registration_is_registration_claims_invalid() -> None:
    registration = basic_registration()  # 気仙沼市
    error = _issuance_error(registration, body=issuing_body(MINAMIMINOWA))
    assert error is ErrorCode.REGISTRATION_CLAIMS_INVALID


# --------------------------------------------------------------------------- decoys and salts


def test_top_level_digests_include_decoys_and_are_padded_to_four() -> None:
    sd, real = _top_level_sd(issue(premium_registration()))
    decoys = [entry for entry in sd if entry not in real]
    assert len(decoys) >= 1
    assert len(sd) % 4 == 0


def test_age_container_gets_decoys_too() -> None:
    issued = issue(basic_registration())
    container = next(d for d in issued.disclosures if d.name == "age_equal_or_over")
    assert isinstance(container.value, dict)
    nested = container.value["_sd"]
    assert isinstance(nested, list)
    assert len(nested) > 3  # 18, 20, 65 and at least one decoy


def test_without_decoys_every_digest_is_a_disclosure() -> None:
    policy = IssuancePolicy(decoys=NO_DECOYS)
    sd, real = _top_level_sd(issue(basic_registration(), policy=policy))
    assert set(sd) <= real


def test_decoy_policy_is_applied() -> None:
    policy = IssuancePolicy(decoys=DecoyPolicy(min_decoys=5, pad_to_multiple=1))
    sd, real = _top_level_sd(issue(basic_registration(), policy=policy))
    assert len([entry for entry in sd if entry not in real]) == 5


def test_salts_within_one_credential_are_distinct() -> None:
    issued = issue(premium_registration())
    salts = [d.salt for d in issued.disclosures]
    assert len(set(salts)) == len(salts)


def test_two_issuances_from_one_random_source_share_no_salt() -> None:
    random = SeededRandom("two-issuances")
    first, second = (
        issue_registration_credential(
            basic_registration(),
            body=issuing_body(KESENNUMA),
            holder_key=holder().public_jwk,
            status_index=STATUS_INDEX,
            now=NOW,
            random=random,
            bodies=bodies(),
        )
        for _ in range(2)
    )
    assert not {d.salt for d in first.disclosures} & {d.salt for d in second.disclosures}
    assert not {d.encoded for d in first.disclosures} & {d.encoded for d in second.disclosures}


def test_salts_are_128_bits() -> None:
    issued = issue(basic_registration())
    assert all(len(d.salt) == 22 for d in issued.disclosures)  # 16 bytes, base64url


def test_same_randomness_gives_the_same_disclosures() -> None:
    first = issue(basic_registration(), seed="repeat")
    second = issue(basic_registration(), seed="repeat")
    assert [d.encoded for d in first.disclosures] == [d.encoded for d in second.disclosures]


# --------------------------------------------------------------------------- property


@settings(max_examples=60, deadline=None)
@given(
    elapsed=st.integers(min_value=0, max_value=3 * DAY),
    length_days=st.integers(min_value=0, max_value=366),
    lifetime_days=st.integers(min_value=1, max_value=800),
    granularity=st.sampled_from([timedelta(seconds=1), timedelta(hours=1), timedelta(days=1)]),
)
def test_premium_exp_never_beyond_valid_until(
    elapsed: int, length_days: int, lifetime_days: int, granularity: timedelta
) -> None:
    now = NOW + timedelta(seconds=elapsed)
    valid_until = TODAY + timedelta(days=length_days)
    registration = premium_registration(valid_until=valid_until)
    policy = IssuancePolicy(
        credential_lifetime=timedelta(days=lifetime_days), time_granularity=granularity
    )
    if valid_until < now.astimezone(JST).date():
        assert _issuance_error(registration, now=now, policy=policy) is (
            ErrorCode.REGISTRATION_CLAIMS_INVALID
        )
        return
    payload = _payload(registration, now=now, policy=policy)
    exp, iat = payload["exp"], payload["iat"]
    assert isinstance(exp, int)
    assert isinstance(iat, int)
    assert exp <= jst_midnight(valid_until + timedelta(days=1))
    assert iat <= to_numeric_date(now) < exp
