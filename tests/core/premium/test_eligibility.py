"""The premium eligibility engine: one negative test per rule, every default configurable,
and eligibility is exactly the AND of the checklist."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from furusato_vc.core.errors import ErrorCode, FormatError
from furusato_vc.core.premium import (
    DEFAULT_RULES,
    ActivityAttendance,
    Applicant,
    EligibilityResult,
    EligibilityRules,
    IdentityFacts,
    IdentityMethod,
    RuleId,
    evaluate_eligibility,
)
from furusato_vc.core.registration.bodies import load_bodies

BODIES = load_bodies()
TODAY = date(2027, 3, 15)

NAGANO_PREF = "200000"
NAGANO_CITY = "202011"
MATSUMOTO = "202029"
UEDA = "202037"
TOKYO_PREF = "130001"
CHIYODA = "131016"
CHUO = "131024"
MINATO = "131032"


def _identity(**changes: object) -> IdentityFacts:
    base = IdentityFacts(
        method=IdentityMethod.JPKI_SIGNING,
        verified_on=TODAY - timedelta(days=10),
        address_municipality_code=CHIYODA,
        birth_date=date(1990, 6, 1),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def _activities(
    n: int, *, body: str = NAGANO_CITY, on: date = TODAY
) -> tuple[ActivityAttendance, ...]:
    return tuple(
        ActivityAttendance(
            activity_id=f"act-{i}", body_code=body, attended_on=on - timedelta(days=i)
        )
        for i in range(n)
    )


def _applicant(**changes: object) -> Applicant:
    base = Applicant(
        applying_to=NAGANO_CITY,
        identity=_identity(),
        premium_registrations=(MATSUMOTO,),
        activities=_activities(3),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def _check(
    applicant: Applicant, rules: EligibilityRules = DEFAULT_RULES, today: date = TODAY
) -> EligibilityResult:
    return evaluate_eligibility(applicant, bodies=BODIES, today=today, rules=rules)


def test_a_typical_applicant_is_eligible_and_sees_every_rule() -> None:
    result = _check(_applicant())
    assert result.eligible
    assert [o.rule for o in result.outcomes] == list(RuleId)
    assert all(o.message_ja and o.message_en for o in result.outcomes)
    assert result.failed == ()


def test_the_defaults_are_the_national_rules() -> None:
    assert DEFAULT_RULES.min_activities == 3
    assert DEFAULT_RULES.activity_window_months == 12
    assert DEFAULT_RULES.max_premium_registrations == 3
    assert DEFAULT_RULES.prefecture_counts_toward_limit is False
    assert DEFAULT_RULES.exclude_own_prefecture is False
    assert DEFAULT_RULES.guardian_consent_below_age == 15
    assert DEFAULT_RULES.identity_max_age_days == 90
    assert DEFAULT_RULES.accepted_identity_methods == frozenset(IdentityMethod)


def test_every_rule_is_evaluated_after_a_failure() -> None:
    result = _check(_applicant(identity=None, activities=()))
    assert len(result.outcomes) == len(RuleId)
    assert set(result.failed) == {
        RuleId.IDENTITY_VERIFIED,
        RuleId.DESIGNATED_ACTIVITIES,
        RuleId.NOT_ADDRESS_MUNICIPALITY,
        RuleId.MINORS,
    }
    assert result.outcome(RuleId.PREMIUM_LIMIT).passed


# --------------------------------------------------------------------------- identity


def test_identity_missing_fails() -> None:
    result = _check(_applicant(identity=None))
    assert not result.eligible
    assert RuleId.IDENTITY_VERIFIED in result.failed


def test_identity_too_old_fails_after_the_limit() -> None:
    at_limit = _check(_applicant(identity=_identity(verified_on=TODAY - timedelta(days=90))))
    assert at_limit.outcome(RuleId.IDENTITY_VERIFIED).passed
    too_old = _check(_applicant(identity=_identity(verified_on=TODAY - timedelta(days=91))))
    outcome = too_old.outcome(RuleId.IDENTITY_VERIFIED)
    assert not outcome.passed
    assert (outcome.count, outcome.limit) == (91, 90)


def test_identity_verified_in_the_future_fails() -> None:
    result = _check(_applicant(identity=_identity(verified_on=TODAY + timedelta(days=1))))
    assert not result.outcome(RuleId.IDENTITY_VERIFIED).passed


def test_identity_max_age_is_configurable() -> None:
    rules = EligibilityRules(identity_max_age_days=365)
    applicant = _applicant(identity=_identity(verified_on=TODAY - timedelta(days=200)))
    assert _check(applicant, rules).outcome(RuleId.IDENTITY_VERIFIED).passed


def test_identity_method_not_accepted_fails() -> None:
    rules = EligibilityRules(accepted_identity_methods=frozenset({IdentityMethod.JPKI_SIGNING}))
    applicant = _applicant(identity=_identity(method=IdentityMethod.OIDC))
    assert RuleId.IDENTITY_VERIFIED in _check(applicant, rules).failed


# --------------------------------------------------------------------------- activities


def test_too_few_activities_fails_with_the_count() -> None:
    outcome = _check(_applicant(activities=_activities(2))).outcome(RuleId.DESIGNATED_ACTIVITIES)
    assert not outcome.passed
    assert (outcome.count, outcome.limit) == (2, 3)
    assert "2 of 3" in outcome.message_en


def test_duplicate_activities_count_once() -> None:
    same = tuple(
        ActivityAttendance(
            activity_id="act-0", body_code=NAGANO_CITY, attended_on=TODAY - timedelta(days=d)
        )
        for d in range(3)
    )
    outcome = _check(_applicant(activities=same)).outcome(RuleId.DESIGNATED_ACTIVITIES)
    assert not outcome.passed
    assert outcome.count == 1


def test_activities_older_than_twelve_months_do_not_count() -> None:
    window_edge = date(2026, 3, 15)  # 12 months before TODAY: outside (the window is (edge, today])
    old = ActivityAttendance(activity_id="old", body_code=NAGANO_CITY, attended_on=window_edge)
    inside = ActivityAttendance(
        activity_id="in", body_code=NAGANO_CITY, attended_on=window_edge + timedelta(days=1)
    )
    acts = (*_activities(2), old)
    assert not _check(_applicant(activities=acts)).outcome(RuleId.DESIGNATED_ACTIVITIES).passed
    acts = (*_activities(2), inside)
    assert _check(_applicant(activities=acts)).outcome(RuleId.DESIGNATED_ACTIVITIES).passed


def test_future_activities_do_not_count() -> None:
    acts = (
        *_activities(2),
        ActivityAttendance(
            activity_id="f", body_code=NAGANO_CITY, attended_on=TODAY + timedelta(days=1)
        ),
    )
    assert not _check(_applicant(activities=acts)).outcome(RuleId.DESIGNATED_ACTIVITIES).passed


def test_activities_of_another_body_do_not_count() -> None:
    acts = _activities(3, body=UEDA)
    assert not _check(_applicant(activities=acts)).outcome(RuleId.DESIGNATED_ACTIVITIES).passed


def test_window_on_29_february_is_clamped() -> None:
    today = date(2028, 2, 29)
    acts = (
        *_activities(2, on=today),
        ActivityAttendance(activity_id="x", body_code=NAGANO_CITY, attended_on=date(2027, 3, 1)),
    )
    applicant = _applicant(activities=acts, identity=_identity(verified_on=today))
    assert _check(applicant, today=today).outcome(RuleId.DESIGNATED_ACTIVITIES).passed
    late_feb = ActivityAttendance(
        activity_id="y", body_code=NAGANO_CITY, attended_on=date(2027, 2, 28)
    )
    applicant = _applicant(
        activities=(*_activities(2, on=today), late_feb), identity=_identity(verified_on=today)
    )
    assert not _check(applicant, today=today).outcome(RuleId.DESIGNATED_ACTIVITIES).passed


def test_activity_count_and_window_are_configurable() -> None:
    rules = EligibilityRules(min_activities=5, activity_window_months=24)
    old = _activities(5, on=TODAY - timedelta(days=400))
    outcome = _check(_applicant(activities=old), rules).outcome(RuleId.DESIGNATED_ACTIVITIES)
    assert outcome.passed
    assert (outcome.count, outcome.limit) == (5, 5)


# --------------------------------------------------------------------------- premium limit


def test_a_fourth_premium_application_fails() -> None:
    applicant = _applicant(premium_registrations=(MATSUMOTO, UEDA, CHUO))
    outcome = _check(applicant).outcome(RuleId.PREMIUM_LIMIT)
    assert not outcome.passed
    assert (outcome.count, outcome.limit) == (4, 3)


def test_a_third_premium_application_passes() -> None:
    assert (
        _check(_applicant(premium_registrations=(MATSUMOTO, UEDA)))
        .outcome(RuleId.PREMIUM_LIMIT)
        .passed
    )


def test_renewing_a_held_registration_is_not_counted_twice() -> None:
    applicant = _applicant(premium_registrations=(MATSUMOTO, UEDA, NAGANO_CITY))
    assert _check(applicant).outcome(RuleId.PREMIUM_LIMIT).passed


def test_prefecture_registrations_do_not_count_by_default() -> None:
    applicant = _applicant(premium_registrations=(MATSUMOTO, UEDA, NAGANO_PREF))
    assert _check(applicant).outcome(RuleId.PREMIUM_LIMIT).passed


def test_prefecture_registrations_count_when_configured() -> None:
    applicant = _applicant(premium_registrations=(MATSUMOTO, UEDA, NAGANO_PREF))
    rules = EligibilityRules(prefecture_counts_toward_limit=True)
    assert not _check(applicant, rules).outcome(RuleId.PREMIUM_LIMIT).passed


def test_the_limit_is_configurable() -> None:
    applicant = _applicant(premium_registrations=(MATSUMOTO, UEDA, CHUO))
    assert (
        _check(applicant, EligibilityRules(max_premium_registrations=4))
        .outcome(RuleId.PREMIUM_LIMIT)
        .passed
    )
    assert (
        not _check(_applicant(), EligibilityRules(max_premium_registrations=1))
        .outcome(RuleId.PREMIUM_LIMIT)
        .passed
    )


# --------------------------------------------------------------------------- address municipality


def test_application_at_the_address_municipality_fails() -> None:
    applicant = _applicant(identity=_identity(address_municipality_code=NAGANO_CITY))
    result = _check(applicant)
    assert not result.eligible
    assert result.failed == (RuleId.NOT_ADDRESS_MUNICIPALITY,)


def test_own_prefecture_is_allowed_by_default() -> None:
    applicant = _applicant(identity=_identity(address_municipality_code=MATSUMOTO))
    assert _check(applicant).outcome(RuleId.NOT_ADDRESS_MUNICIPALITY).passed
    to_pref = _applicant(
        applying_to=NAGANO_PREF,
        activities=_activities(3, body=NAGANO_PREF),
        identity=_identity(address_municipality_code=MATSUMOTO),
    )
    assert _check(to_pref).eligible


def test_own_prefecture_fails_when_configured() -> None:
    rules = EligibilityRules(exclude_own_prefecture=True)
    applicant = _applicant(identity=_identity(address_municipality_code=MATSUMOTO))
    assert not _check(applicant, rules).outcome(RuleId.NOT_ADDRESS_MUNICIPALITY).passed
    to_pref = _applicant(
        applying_to=NAGANO_PREF,
        activities=_activities(3, body=NAGANO_PREF),
        identity=_identity(address_municipality_code=MATSUMOTO),
    )
    assert not _check(to_pref, rules).outcome(RuleId.NOT_ADDRESS_MUNICIPALITY).passed
    other = _applicant(identity=_identity(address_municipality_code=CHIYODA))
    assert _check(other, rules).outcome(RuleId.NOT_ADDRESS_MUNICIPALITY).passed


def test_unknown_address_municipality_fails_closed() -> None:
    applicant = _applicant(identity=_identity(address_municipality_code=None))
    assert not _check(applicant).outcome(RuleId.NOT_ADDRESS_MUNICIPALITY).passed


def test_address_code_not_in_the_table_fails_closed() -> None:
    # 横浜市中区: a designated-city ward, valid check digit but not a body in the table
    applicant = _applicant(identity=_identity(address_municipality_code="141011"))
    assert not _check(applicant).outcome(RuleId.NOT_ADDRESS_MUNICIPALITY).passed


def test_applying_to_an_unknown_body_is_a_format_error() -> None:
    with pytest.raises(FormatError) as info:
        _check(_applicant(applying_to="141011"))
    assert info.value.code is ErrorCode.INVALID_BODY_CODE


# --------------------------------------------------------------------------- minors


def _child(**identity: object) -> Applicant:
    return _applicant(identity=_identity(method=IdentityMethod.OIDC, birth_date=None, **identity))


def test_under_15_without_guardian_consent_fails() -> None:
    applicant = _applicant(identity=_identity(birth_date=date(2013, 3, 16)))  # 13 on TODAY
    outcome = _check(applicant).outcome(RuleId.MINORS)
    assert not outcome.passed
    assert (outcome.count, outcome.limit) == (13, 15)


def test_under_15_with_guardian_consent_passes() -> None:
    applicant = _applicant(identity=_identity(birth_date=date(2013, 3, 16)), guardian_consent=True)
    assert _check(applicant).eligible


def test_the_15th_birthday_is_the_boundary() -> None:
    on_birthday = _applicant(identity=_identity(birth_date=date(2012, 3, 15)))
    assert _check(on_birthday).outcome(RuleId.MINORS).passed
    day_before = _applicant(identity=_identity(birth_date=date(2012, 3, 16)))
    assert not _check(day_before).outcome(RuleId.MINORS).passed


def test_birth_year_only_takes_the_younger_age() -> None:
    assert not _check(_child(birth_year=2012)).outcome(RuleId.MINORS).passed  # 14 or 15
    assert _check(_child(birth_year=2011)).outcome(RuleId.MINORS).passed  # 15 or 16


def test_unknown_age_needs_guardian_consent() -> None:
    assert not _check(_child()).outcome(RuleId.MINORS).passed
    assert _check(replace(_child(), guardian_consent=True)).outcome(RuleId.MINORS).passed


def test_minors_policy_is_configurable() -> None:
    applicant = _applicant(identity=_identity(birth_date=date(2010, 1, 1)))  # 17
    assert (
        not _check(applicant, EligibilityRules(guardian_consent_below_age=18))
        .outcome(RuleId.MINORS)
        .passed
    )
    child = _applicant(identity=_identity(birth_date=date(2020, 1, 1)))
    assert (
        _check(child, EligibilityRules(guardian_consent_below_age=None))
        .outcome(RuleId.MINORS)
        .passed
    )


# --------------------------------------------------------------------------- config validation


@pytest.mark.parametrize(
    "changes",
    [
        {"min_activities": -1},
        {"activity_window_months": 0},
        {"max_premium_registrations": 0},
        {"guardian_consent_below_age": -1},
        {"identity_max_age_days": -1},
        {"accepted_identity_methods": frozenset()},
    ],
)
def test_nonsense_configuration_is_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        EligibilityRules(**changes)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- property

_CODES = [NAGANO_PREF, NAGANO_CITY, MATSUMOTO, UEDA, TOKYO_PREF, CHIYODA, CHUO, MINATO]
_code = st.sampled_from(_CODES)
_day = st.dates(min_value=date(2024, 1, 1), max_value=date(2028, 12, 31))
_identities = st.none() | st.builds(
    IdentityFacts,
    method=st.sampled_from(list(IdentityMethod)),
    verified_on=_day,
    address_municipality_code=st.none() | _code,
    birth_date=st.none() | st.dates(min_value=date(1940, 1, 1), max_value=date(2027, 1, 1)),
)
_attendance = st.builds(
    ActivityAttendance,
    activity_id=st.sampled_from(["a", "b", "c", "d", "e"]),
    body_code=_code,
    attended_on=_day,
)
_applicants = st.builds(
    Applicant,
    applying_to=_code,
    identity=_identities,
    premium_registrations=st.lists(_code, max_size=5).map(tuple),
    activities=st.lists(_attendance, max_size=8).map(tuple),
    guardian_consent=st.booleans(),
)
_rules = st.builds(
    EligibilityRules,
    min_activities=st.integers(0, 5),
    activity_window_months=st.integers(1, 24),
    max_premium_registrations=st.integers(1, 5),
    prefecture_counts_toward_limit=st.booleans(),
    exclude_own_prefecture=st.booleans(),
    guardian_consent_below_age=st.none() | st.integers(0, 20),
    identity_max_age_days=st.integers(0, 400),
)


@settings(max_examples=300)
@given(applicant=_applicants, rules=_rules, today=_day)
def test_eligible_is_exactly_the_and_of_the_checklist(
    applicant: Applicant, rules: EligibilityRules, today: date
) -> None:
    result = evaluate_eligibility(applicant, bodies=BODIES, today=today, rules=rules)
    assert [o.rule for o in result.outcomes] == list(RuleId)
    assert result.eligible == all(o.passed for o in result.outcomes)
    assert all(o.message_ja and o.message_en for o in result.outcomes)


def test_jpki_proofing_result_becomes_the_facts_the_rules_read() -> None:
    from datetime import date as _date  # noqa: PLC0415

    from furusato_vc.core.identity.proofing import ProofedIdentity  # noqa: PLC0415
    from furusato_vc.core.premium.identity_facts import IdentityFacts  # noqa: PLC0415

    proofed = ProofedIdentity(
        method=IdentityMethod.JPKI_SIGNING,
        verified_at=_date(2027, 1, 10),
        address_municipality_code="131016",
        birth_year=1990,
        person_key="ab" * 32,
    )
    facts = IdentityFacts.from_proofed(proofed)
    assert (facts.method, facts.verified_on, facts.address_municipality_code) == (
        IdentityMethod.JPKI_SIGNING,
        _date(2027, 1, 10),
        "131016",
    )
    assert (facts.birth_year, facts.birth_date) == (1990, None)
    assert "ab" * 32 not in repr(facts)  # the person key stays with the service
