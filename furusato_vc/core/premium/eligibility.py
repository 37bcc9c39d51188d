"""Premium registration eligibility, evaluated rule by rule (issue 8, item 3).

The rules come from the MIC briefing to municipalities of 2026-01-08 (総務省地域力創造審議官資料
「ふるさと住民登録制度について」), as summarised in ``reference/domain-rules.md`` §1.2 "Core rules"
and §5 item 3-4 [OFFICIAL-2ND]:

- My Number Card identity verification is mandatory (§1.2 "Identity verification", §1.3);
- at least 3 activities a year designated by the municipality (§1.2 "Requirements", §1.4);
- at most 3 premium registrations per person (§1.2 "Number of bodies");
- not at the person's own address municipality, 住所地 (§1.2 "Your own address municipality");
- minors are allowed (§1.2 "Minors"); under-15s cannot hold a signing certificate (§2.1), so
  the guardian-consent policy is a deployment decision [SPECULATION in the reference].

Whether a prefecture registration counts toward the cap, and whether the own prefecture is also
barred, are unclear in the source (§1.2 notes): both are configuration, default "no".

Every rule is evaluated even after one fails, so the checklist shown to the applicant and to
staff is always complete; ``eligible`` is exactly the AND of the outcomes. Failures are results,
not exceptions. Pure: ``today`` and every fact come in as arguments.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING

from furusato_vc.core.premium.identity_facts import IdentityFacts, IdentityMethod
from furusato_vc.core.registration.bodies import prefecture_code_of, validate_body_code

if TYPE_CHECKING:
    from furusato_vc.core.registration.bodies import BodyRegistry

__all__ = [
    "DEFAULT_RULES",
    "ActivityAttendance",
    "Applicant",
    "EligibilityResult",
    "EligibilityRules",
    "RuleId",
    "RuleOutcome",
    "add_months",
    "evaluate_eligibility",
]


class RuleId(StrEnum):
    """The premium rules, in checklist order. Wire-stable values (shown in APIs and logs)."""

    IDENTITY_VERIFIED = "identity_verified"
    DESIGNATED_ACTIVITIES = "designated_activities"
    PREMIUM_LIMIT = "premium_limit"
    NOT_ADDRESS_MUNICIPALITY = "not_address_municipality"
    MINORS = "minors"


@dataclass(frozen=True, slots=True, kw_only=True)
class EligibilityRules:
    """Per-deployment configuration; the defaults are the national rules (see module docstring).

    ``identity_max_age_days`` (default 90) bounds how old the identity proofing may be at
    application time. The national rules say only "verified"; the address municipality it
    established feeds the 住所地 rule, and a person who moved since then would pass wrongly, so
    a stale proofing is treated as missing. 90 days is our choice: long enough to apply after
    attending activities, short enough that a move is likely to show up (moving triggers
    revocation of the JPKI signing certificate). Renewal re-proofs anyway.
    """

    min_activities: int = 3
    activity_window_months: int = 12
    max_premium_registrations: int = 3
    prefecture_counts_toward_limit: bool = False
    exclude_own_prefecture: bool = False
    guardian_consent_below_age: int | None = 15
    identity_max_age_days: int = 90
    accepted_identity_methods: frozenset[IdentityMethod] = frozenset(IdentityMethod)

    def __post_init__(self) -> None:
        if self.min_activities < 0:
            raise ValueError("min_activities must be >= 0")
        if not 1 <= self.activity_window_months <= 120:
            raise ValueError("activity_window_months must be 1-120")
        if self.max_premium_registrations < 1:
            raise ValueError("max_premium_registrations must be >= 1")
        if self.guardian_consent_below_age is not None and not (
            0 <= self.guardian_consent_below_age <= 30
        ):
            raise ValueError("guardian_consent_below_age must be 0-30 or None")
        if self.identity_max_age_days < 0:
            raise ValueError("identity_max_age_days must be >= 0")
        if not self.accepted_identity_methods:
            raise ValueError("accepted_identity_methods must not be empty")


DEFAULT_RULES = EligibilityRules()


@dataclass(frozen=True, slots=True, kw_only=True)
class ActivityAttendance:
    """One accepted attendance at a designated activity (check-in or reviewed evidence)."""

    activity_id: str
    body_code: str  # the body that designated the activity
    attended_on: date

    def __post_init__(self) -> None:
        if not self.activity_id:
            raise ValueError("activity_id must not be empty")
        validate_body_code(self.body_code)


@dataclass(frozen=True, slots=True, kw_only=True)
class Applicant:
    """The facts about one premium application; nothing here is sensitive beyond need.

    ``premium_registrations`` are the body codes of the person's current premium registrations
    across the platform (a renewal may include ``applying_to`` itself). ``identity`` is ``None``
    when the person has not been proofed.
    """

    applying_to: str
    identity: IdentityFacts | None
    premium_registrations: tuple[str, ...] = ()
    activities: tuple[ActivityAttendance, ...] = ()
    guardian_consent: bool = False

    def __post_init__(self) -> None:
        validate_body_code(self.applying_to)
        for code in self.premium_registrations:
            validate_body_code(code)


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleOutcome:
    """One line of the checklist. ``count``/``limit`` carry the numbers behind the message
    (e.g. 2 of 3 activities) for screens that lay them out themselves."""

    rule: RuleId
    passed: bool
    message_ja: str
    message_en: str
    count: int | None = None
    limit: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class EligibilityResult:
    eligible: bool
    outcomes: tuple[RuleOutcome, ...]

    def outcome(self, rule: RuleId) -> RuleOutcome:
        for outcome in self.outcomes:
            if outcome.rule is rule:
                return outcome
        raise KeyError(rule)  # pragma: no cover - every rule is always evaluated

    @property
    def failed(self) -> tuple[RuleId, ...]:
        return tuple(o.rule for o in self.outcomes if not o.passed)


def evaluate_eligibility(
    applicant: Applicant,
    *,
    bodies: BodyRegistry,
    today: date,
    rules: EligibilityRules = DEFAULT_RULES,
) -> EligibilityResult:
    """Evaluate every premium rule for ``applicant`` on ``today`` (the JST calendar date).

    Raises:
        FormatError: ``invalid_body_code`` if ``applying_to`` is not a body in ``bodies``
            (an application to an unknown body is a caller bug, not an ineligible person).
    """
    bodies.get(applicant.applying_to)
    outcomes = (
        _identity(applicant, today, rules),
        _activities(applicant, today, rules),
        _premium_limit(applicant, bodies, rules),
        _not_address_municipality(applicant, bodies, rules),
        _minors(applicant, today, rules),
    )
    return EligibilityResult(eligible=all(o.passed for o in outcomes), outcomes=outcomes)


# --------------------------------------------------------------------------- the rules


def _identity(applicant: Applicant, today: date, rules: EligibilityRules) -> RuleOutcome:
    rule = RuleId.IDENTITY_VERIFIED
    limit = rules.identity_max_age_days
    identity = applicant.identity
    if identity is None:
        return _fail(
            rule,
            "マイナンバーカードによる本人確認がされていません。",
            "Identity has not been verified with the My Number Card.",
            limit=limit,
        )
    if identity.method not in rules.accepted_identity_methods:
        return _fail(
            rule,
            "この方法による本人確認は受け付けていません。",
            "This identity verification method is not accepted.",
            limit=limit,
        )
    age_days = (today - identity.verified_on).days
    if age_days < 0:
        return _fail(
            rule,
            "本人確認の日付が未来になっています。",
            "The identity verification date is in the future.",
            limit=limit,
        )
    if age_days > limit:
        return _fail(
            rule,
            f"本人確認から{age_days}日経っています（{limit}日以内が必要）。",
            f"Identity was verified {age_days} days ago (must be within {limit} days).",
            count=age_days,
            limit=limit,
        )
    return _pass(
        rule,
        "マイナンバーカードで本人確認済みです。",
        "Identity verified with the My Number Card.",
        count=age_days,
        limit=limit,
    )


def add_months(day: date, months: int) -> date:
    """The same calendar day ``months`` later (earlier when negative), clamped to the month's
    end (31 Jan + 1 → 28/29 Feb; 29 Feb − 12 → 28 Feb). The activity window and the premium
    year are both counted this way."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _activities(applicant: Applicant, today: date, rules: EligibilityRules) -> RuleOutcome:
    # Distinct activities designated by the body applied to, attended in (today - N months,
    # today]. The same activity twice counts once; future dates never count.
    start = add_months(today, -rules.activity_window_months)
    distinct = {
        a.activity_id
        for a in applicant.activities
        if a.body_code == applicant.applying_to and start < a.attended_on <= today
    }
    count, need = len(distinct), rules.min_activities
    months = rules.activity_window_months
    ja = f"過去{months}か月の指定活動への参加: {count}件（{need}件以上が必要）。"
    en = f"{count} of {need} designated activities in the last {months} months."
    if count >= need:
        return _pass(RuleId.DESIGNATED_ACTIVITIES, ja, en, count=count, limit=need)
    return _fail(RuleId.DESIGNATED_ACTIVITIES, ja, en, count=count, limit=need)


def _is_prefecture(code: str, bodies: BodyRegistry) -> bool:
    body = bodies.find(code)
    return body.is_prefecture if body is not None else prefecture_code_of(code) == code


def _premium_limit(
    applicant: Applicant, bodies: BodyRegistry, rules: EligibilityRules
) -> RuleOutcome:
    held = set(applicant.premium_registrations) | {applicant.applying_to}
    if not rules.prefecture_counts_toward_limit:
        held = {code for code in held if not _is_prefecture(code, bodies)}
    count, limit = len(held), rules.max_premium_registrations
    ja = f"プレミアム登録の数: この申請を含めて{count}件（上限{limit}件）。"
    en = f"{count} premium registrations including this one (at most {limit})."
    if count <= limit:
        return _pass(RuleId.PREMIUM_LIMIT, ja, en, count=count, limit=limit)
    return _fail(RuleId.PREMIUM_LIMIT, ja, en, count=count, limit=limit)


def _not_address_municipality(
    applicant: Applicant, bodies: BodyRegistry, rules: EligibilityRules
) -> RuleOutcome:
    rule = RuleId.NOT_ADDRESS_MUNICIPALITY
    identity = applicant.identity
    address = identity.address_municipality_code if identity is not None else None
    if address is None or bodies.find(address) is None:
        # Fail closed: without a known address municipality the rule cannot be shown to hold.
        return _fail(
            rule,
            "住所地の市区町村が確認できません。",
            "The address municipality could not be established.",
        )
    target = applicant.applying_to
    if target == address:
        return _fail(
            rule,
            "住所地の市区町村にはプレミアム登録できません。",
            "Premium registration is not possible at your address municipality.",
        )
    if rules.exclude_own_prefecture and prefecture_code_of(target) == prefecture_code_of(address):
        return _fail(
            rule,
            "住所地のある都道府県（またはその市区町村）にはプレミアム登録できません。",
            "Premium registration is not possible in your own prefecture.",
        )
    return _pass(
        rule, "住所地以外の団体への申請です。", "The body is not your address municipality."
    )


def _age_lower_bound(identity: IdentityFacts | None, today: date) -> int | None:
    if identity is None:
        return None
    if identity.birth_date is not None:
        born = identity.birth_date
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    if identity.birth_year is not None:
        # Only the year is known: assume the birthday has not come yet (the younger age).
        return today.year - identity.birth_year - 1
    return None


def _minors(applicant: Applicant, today: date, rules: EligibilityRules) -> RuleOutcome:
    rule = RuleId.MINORS
    threshold = rules.guardian_consent_below_age
    if threshold is None:
        return _pass(rule, "年齢による条件はありません。", "No age condition applies.")
    age = _age_lower_bound(applicant.identity, today)
    if age is not None and age >= threshold:
        return _pass(
            rule,
            f"{threshold}歳以上です。",
            f"Aged {threshold} or over.",
            count=age,
            limit=threshold,
        )
    if applicant.guardian_consent:
        return _pass(
            rule,
            f"{threshold}歳未満のため、保護者の同意を確認済みです。",
            f"Under {threshold}: guardian consent given.",
            count=age,
            limit=threshold,
        )
    if age is None:
        return _fail(
            rule,
            f"年齢が確認できません（{threshold}歳未満は保護者の同意が必要）。",
            f"Age unknown (under {threshold} needs guardian consent).",
            limit=threshold,
        )
    return _fail(
        rule,
        f"{threshold}歳未満のため、保護者の同意が必要です。",
        f"Under {threshold}: guardian consent is required.",
        count=age,
        limit=threshold,
    )


def _pass(
    rule: RuleId, ja: str, en: str, *, count: int | None = None, limit: int | None = None
) -> RuleOutcome:
    return RuleOutcome(
        rule=rule, passed=True, message_ja=ja, message_en=en, count=count, limit=limit
    )


def _fail(
    rule: RuleId, ja: str, en: str, *, count: int | None = None, limit: int | None = None
) -> RuleOutcome:
    return RuleOutcome(
        rule=rule, passed=False, message_ja=ja, message_en=en, count=count, limit=limit
    )
