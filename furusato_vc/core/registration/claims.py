"""The registration claims model: what a furusato registration card says.

One model feeds both credential formats (the SD-JWT VC here, the compact QR credential later),
so names and rules live in one place. Claim names and disclosure choices are documented in
``schemas/README.md``; the type metadata in ``schemas/type-metadata/`` is the wire contract.

Privacy by design:
- there is no field for the 12-digit 個人番号 (My Number), and every free-text field rejects a
  run of 12 or more digits (番号法 §20 forbids collecting it, even by accident);
- the holder's address is never carried: only the 2-digit JIS X 0401 home prefecture;
- everything that identifies the person is selectively disclosable; only the issuing body,
  the tier and the registration's validity dates are plaintext.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta, timezone
from enum import StrEnum
from typing import TYPE_CHECKING, Final

from furusato_vc.core.errors import ErrorCode, FormatError, IssuanceError
from furusato_vc.core.registration.bodies import (
    BodyRegistry,
    prefecture_code_of,
    validate_body_code,
)
from furusato_vc.core.registration.profile import check_text, is_jis_prefecture, refuse_my_number
from furusato_vc.core.sdjwt.issuance import SD

if TYPE_CHECKING:
    from furusato_vc.core.encoding import JSONObject, JSONValue
    from furusato_vc.core.sdjwt.issuance import ClaimInput
    from furusato_vc.core.sdjwt.processing import ClaimPath

__all__ = [
    "AGE_THRESHOLDS",
    "BASIC_VCT",
    "JST",
    "PREMIUM_VCT",
    "DisclosedRegistration",
    "IdentityAssurance",
    "IdentityMethod",
    "PersonName",
    "RegistrationClaims",
    "RelationshipType",
    "StayPeriod",
    "Tier",
    "age_on",
    "parse_registration_claims",
    "registration_claim_input",
    "validate_registration",
    "vct_for_tier",
]

# Registration dates are Japan dates (a registration valid until 2028-01-14 lasts until
# midnight JST at the end of that day).
JST: Final = timezone(timedelta(hours=9), "JST")
BASIC_VCT: Final = "urn:furusato-vc:registration:basic:1"
PREMIUM_VCT: Final = "urn:furusato-vc:registration:premium:1"
# Japanese legal ages: 18 (成年), 20 (alcohol and tobacco), 65 (senior discounts).
AGE_THRESHOLDS: Final = (18, 20, 65)


class Claim:
    """Wire names of the registration claims (see schemas/README.md)."""

    ISSUING_BODY: Final = "issuing_body"
    TIER: Final = "tier"
    VALID_FROM: Final = "valid_from"
    VALID_UNTIL: Final = "valid_until"
    REGISTRATION_ID: Final = "registration_id"
    RELATIONSHIP_TYPES: Final = "relationship_types"
    FAMILY_NAME: Final = "family_name"
    GIVEN_NAME: Final = "given_name"
    FAMILY_NAME_KANA: Final = "family_name#ja-Kana-JP"  # OpenID Connect Core §5.2 language tag
    GIVEN_NAME_KANA: Final = "given_name#ja-Kana-JP"
    BIRTHDATE: Final = "birthdate"
    AGE_EQUAL_OR_OVER: Final = "age_equal_or_over"
    HOME_PREFECTURE: Final = "home_prefecture"
    STAY: Final = "stay"
    MEMBER_NUMBER: Final = "member_number"
    IDENTITY_ASSURANCE: Final = "identity_assurance"


class Tier(StrEnum):
    BASIC = "basic"
    PREMIUM = "premium"

    @property
    def label_ja(self) -> str:
        return "ベーシック" if self is Tier.BASIC else "プレミアム"

    @property
    def label_en(self) -> str:
        return "Basic" if self is Tier.BASIC else "Premium"


def vct_for_tier(tier: Tier) -> str:
    return BASIC_VCT if tier is Tier.BASIC else PREMIUM_VCT


class RelationshipType(StrEnum):
    """The four kinds of connection a registrant declares (①–④)."""

    PURCHASE_OR_DONATION = "purchase_or_donation"
    VISITS = "visits"
    REGULAR_ACTIVITY = "regular_activity"
    DUAL_RESIDENCE = "dual_residence"

    @property
    def mark(self) -> str:
        return "①②③④"[list(RelationshipType).index(self)]

    @property
    def label_ja(self) -> str:
        return _RELATIONSHIP_LABELS[self][0]

    @property
    def label_en(self) -> str:
        return _RELATIONSHIP_LABELS[self][1]


_RELATIONSHIP_LABELS: Final = {
    RelationshipType.PURCHASE_OR_DONATION: (
        "ふるさと納税・特産品の購入（訪問なし）",
        "Furusato nozei donations or local purchases without visiting",
    ),
    RelationshipType.VISITS: ("年に数回の訪問", "Visits a few times a year"),
    RelationshipType.REGULAR_ACTIVITY: (
        "ボランティア・副業などの継続的な活動",
        "Regular activity such as volunteering or a side job",
    ),
    RelationshipType.DUAL_RESIDENCE: ("二地域居住", "Second home (dual residence)"),
}


class IdentityMethod(StrEnum):
    """How identity was proofed. Only the fact is kept, never the card data."""

    MY_NUMBER_CARD = "my_number_card"
    DIGITAL_AUTH_APP = "digital_auth_app"


@dataclass(frozen=True, slots=True, kw_only=True)
class PersonName:
    family: str
    given: str
    family_kana: str
    given_kana: str


@dataclass(frozen=True, slots=True, kw_only=True)
class StayPeriod:
    start: date
    end: date


@dataclass(frozen=True, slots=True, kw_only=True)
class IdentityAssurance:
    method: IdentityMethod
    verified_on: date


@dataclass(frozen=True, slots=True, kw_only=True)
class RegistrationClaims:
    """One registration with one issuing body. Optional personal fields are included in the
    credential only when set; all of them are selectively disclosable."""

    issuing_body: str
    tier: Tier
    registration_id: str
    valid_from: date
    valid_until: date | None = None
    relationship_types: tuple[RelationshipType, ...] = ()
    name: PersonName | None = None
    birthdate: date | None = None
    home_prefecture: str | None = None
    stay: StayPeriod | None = None
    member_number: str | None = None
    identity_assurance: IdentityAssurance | None = None

    @property
    def prefecture_code(self) -> str:
        """The 6-digit code of the issuing body's prefecture (a prefecture is its own)."""
        return prefecture_code_of(self.issuing_body)


_REGISTRATION_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")
PREMIUM_MAX_DAYS: Final = 366  # premium registrations are renewed yearly


def _invalid(detail: str) -> IssuanceError:
    return IssuanceError(ErrorCode.REGISTRATION_CLAIMS_INVALID, detail)


# the text rules (and the 個人番号 refusal) live in furusato_vc.core.registration.profile,
# shared with the registration API and the member import


def age_on(birthdate: date, day: date) -> int:
    """Completed years on ``day`` (年齢計算ニ関スル法律: a birthday is reached the day before;
    for threshold checks the common reading — the anniversary date — is used)."""
    years = day.year - birthdate.year
    if (day.month, day.day) < (birthdate.month, birthdate.day):
        years -= 1
    return years


def validate_registration(claims: RegistrationClaims, *, bodies: BodyRegistry, today: date) -> None:
    """Check the model before anything is signed.

    Raises:
        FormatError: ``invalid_body_code`` for a malformed or unknown issuing body.
        IssuanceError: ``registration_claims_invalid`` for any broken rule (premium without
            identity assurance or end date, premium over a year, a home prefecture that is
            not a JIS X 0401 code, reversed periods, a future birthdate, bad text);
            ``forbidden_claim`` for anything that looks like a 個人番号.
    """
    bodies.get(claims.issuing_body)  # malformed or unknown → invalid_body_code
    refuse_my_number("registration_id", claims.registration_id)
    if not _REGISTRATION_ID.fullmatch(claims.registration_id):
        raise _invalid("registration_id must be 8-64 characters of [A-Za-z0-9_-]")
    if claims.valid_until is not None and claims.valid_until < claims.valid_from:
        raise _invalid("valid_until precedes valid_from")
    if len(set(claims.relationship_types)) != len(claims.relationship_types):
        raise _invalid("relationship types repeat")
    if claims.tier is Tier.PREMIUM:
        if claims.identity_assurance is None:
            raise _invalid("premium requires identity assurance (My Number Card)")
        if claims.valid_until is None:
            raise _invalid("premium requires valid_until")
        if (claims.valid_until - claims.valid_from).days > PREMIUM_MAX_DAYS:
            raise _invalid("premium registrations last at most one year")
    if claims.name is not None:
        check_text("family_name", claims.name.family)
        check_text("given_name", claims.name.given)
        check_text("family_name_kana", claims.name.family_kana, katakana=True)
        check_text("given_name_kana", claims.name.given_kana, katakana=True)
    if claims.birthdate is not None and claims.birthdate > today:
        raise _invalid("birthdate is in the future")
    if claims.home_prefecture is not None and not is_jis_prefecture(claims.home_prefecture):
        raise _invalid("home_prefecture must be a JIS X 0401 code 01-47")
    if claims.stay is not None and claims.stay.end < claims.stay.start:
        raise _invalid("stay ends before it starts")
    if claims.member_number is not None:
        check_text("member_number", claims.member_number)
    if claims.identity_assurance is not None and claims.identity_assurance.verified_on > today:
        raise _invalid("identity verified in the future")


def registration_claim_input(claims: RegistrationClaims, *, today: date) -> dict[str, ClaimInput]:
    """The non-registered claims of the SD-JWT VC, with selective-disclosure markers.

    ``age_equal_or_over`` flags are computed for ``today`` (the issue date); a flag that is
    ``false`` at issuance may become true before expiry, never the reverse.
    """
    out: dict[str, ClaimInput] = {
        Claim.ISSUING_BODY: claims.issuing_body,
        Claim.TIER: claims.tier.value,
        Claim.VALID_FROM: claims.valid_from.isoformat(),
        Claim.REGISTRATION_ID: SD(claims.registration_id),
    }
    if claims.valid_until is not None:
        out[Claim.VALID_UNTIL] = claims.valid_until.isoformat()
    if claims.relationship_types:
        out[Claim.RELATIONSHIP_TYPES] = SD([t.value for t in claims.relationship_types])
    if claims.name is not None:
        out[Claim.FAMILY_NAME] = SD(claims.name.family)
        out[Claim.GIVEN_NAME] = SD(claims.name.given)
        out[Claim.FAMILY_NAME_KANA] = SD(claims.name.family_kana)
        out[Claim.GIVEN_NAME_KANA] = SD(claims.name.given_kana)
    if claims.birthdate is not None:
        out[Claim.BIRTHDATE] = SD(claims.birthdate.isoformat())
        age = age_on(claims.birthdate, today)
        flags: dict[str, ClaimInput] = {str(n): SD(age >= n) for n in AGE_THRESHOLDS}
        out[Claim.AGE_EQUAL_OR_OVER] = SD(flags)
    if claims.home_prefecture is not None:
        out[Claim.HOME_PREFECTURE] = SD(claims.home_prefecture)
    if claims.stay is not None:
        out[Claim.STAY] = SD(
            {"from": claims.stay.start.isoformat(), "until": claims.stay.end.isoformat()}
        )
    if claims.member_number is not None:
        out[Claim.MEMBER_NUMBER] = SD(claims.member_number)
    if claims.identity_assurance is not None:
        out[Claim.IDENTITY_ASSURANCE] = SD(
            {
                "method": claims.identity_assurance.method.value,
                "verified_on": claims.identity_assurance.verified_on.isoformat(),
            }
        )
    return out


# ---------------------------------------------------------------- reading verified claims


@dataclass(frozen=True, slots=True, kw_only=True)
class DisclosedRegistration:
    """What a verifier learned: the plaintext facts plus whatever the holder disclosed.
    Undisclosed fields are ``None`` (or empty); absence proves nothing."""

    issuing_body: str
    tier: Tier
    valid_from: date
    valid_until: date | None
    registration_id: str | None = None
    relationship_types: tuple[RelationshipType, ...] = ()
    family_name: str | None = None
    given_name: str | None = None
    family_name_kana: str | None = None
    given_name_kana: str | None = None
    birthdate: date | None = None
    age_equal_or_over: tuple[tuple[int, bool], ...] = ()
    home_prefecture: str | None = None
    stay: StayPeriod | None = None
    member_number: str | None = None
    identity_assurance: IdentityAssurance | None = None
    disclosed_claims: frozenset[str] = field(default_factory=frozenset)

    def in_force_on(self, day: date) -> bool:
        """Whether the registration covers ``day`` (a Japan date), both ends inclusive."""
        if day < self.valid_from:
            return False
        return self.valid_until is None or day <= self.valid_until


_TIERS = frozenset(t.value for t in Tier)
_RELATIONSHIPS = frozenset(t.value for t in RelationshipType)
_IDENTITY_METHODS = frozenset(m.value for m in IdentityMethod)
_AGE_KEY = re.compile(r"[0-9]{1,3}")


def _bad(name: str) -> FormatError:
    return FormatError(ErrorCode.MALFORMED_CLAIM, f"{name} has the wrong form")


def _date(claims: JSONObject, name: str) -> date | None:
    value = claims.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _bad(name)
    return _parse_date(value, name)


def _parse_date(value: JSONValue, name: str) -> date:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise _bad(name)
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise _bad(name) from exc


def _text(claims: JSONObject, name: str) -> str | None:
    value = claims.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _bad(name)
    return value


def parse_registration_claims(
    claims: JSONObject, *, disclosed_paths: frozenset[ClaimPath]
) -> DisclosedRegistration:
    """Read verified, processed claims into the model.

    Raises:
        FormatError: ``invalid_body_code``; ``malformed_claim`` for a claim of the wrong form.
    """
    body = claims.get(Claim.ISSUING_BODY)
    if not isinstance(body, str):
        raise _bad(Claim.ISSUING_BODY)
    validate_body_code(body)
    tier_text = claims.get(Claim.TIER)
    if not isinstance(tier_text, str) or tier_text not in _TIERS:
        raise _bad(Claim.TIER)
    valid_from = _date(claims, Claim.VALID_FROM)
    if valid_from is None:
        raise _bad(Claim.VALID_FROM)
    relationship_raw = claims.get(Claim.RELATIONSHIP_TYPES, [])
    if not isinstance(relationship_raw, list) or not all(
        isinstance(r, str) and r in _RELATIONSHIPS for r in relationship_raw
    ):
        raise _bad(Claim.RELATIONSHIP_TYPES)
    ages_raw = claims.get(Claim.AGE_EQUAL_OR_OVER, {})
    if not isinstance(ages_raw, dict) or not all(
        _AGE_KEY.fullmatch(k) and isinstance(v, bool) for k, v in ages_raw.items()
    ):
        raise _bad(Claim.AGE_EQUAL_OR_OVER)
    stay = None
    if (stay_raw := claims.get(Claim.STAY)) is not None:
        if not isinstance(stay_raw, dict):
            raise _bad(Claim.STAY)
        stay = StayPeriod(
            start=_parse_date(stay_raw.get("from"), "stay.from"),
            end=_parse_date(stay_raw.get("until"), "stay.until"),
        )
    identity = None
    if (identity_raw := claims.get(Claim.IDENTITY_ASSURANCE)) is not None:
        if not isinstance(identity_raw, dict):
            raise _bad(Claim.IDENTITY_ASSURANCE)
        method = identity_raw.get("method")
        if not isinstance(method, str) or method not in _IDENTITY_METHODS:
            raise _bad(Claim.IDENTITY_ASSURANCE)
        identity = IdentityAssurance(
            method=IdentityMethod(method),
            verified_on=_parse_date(identity_raw.get("verified_on"), "identity.verified_on"),
        )
    return DisclosedRegistration(
        issuing_body=body,
        tier=Tier(tier_text),
        valid_from=valid_from,
        valid_until=_date(claims, Claim.VALID_UNTIL),
        registration_id=_text(claims, Claim.REGISTRATION_ID),
        relationship_types=tuple(RelationshipType(str(r)) for r in relationship_raw),
        family_name=_text(claims, Claim.FAMILY_NAME),
        given_name=_text(claims, Claim.GIVEN_NAME),
        family_name_kana=_text(claims, Claim.FAMILY_NAME_KANA),
        given_name_kana=_text(claims, Claim.GIVEN_NAME_KANA),
        birthdate=_date(claims, Claim.BIRTHDATE),
        age_equal_or_over=tuple(sorted((int(k), bool(v)) for k, v in ages_raw.items())),
        home_prefecture=_text(claims, Claim.HOME_PREFECTURE),
        stay=stay,
        member_number=_text(claims, Claim.MEMBER_NUMBER),
        identity_assurance=identity,
        disclosed_claims=frozenset("/".join(str(p) for p in path) for path in disclosed_paths),
    )
