"""The profile a registrant gives (names, birthdate, home prefecture, member number, stay),
checked by one set of rules for every way in: the app's registration API and the member
import (CSV). :func:`~furusato_vc.core.registration.claims.validate_registration` applies
the same text and prefecture rules again to the claims before anything is signed.

:func:`profile_issues` reports every broken rule with the field it belongs to (the member
import lists them per row and column); :func:`check_profile` raises the first one (the API
rejects the request).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from furusato_vc.core.errors import ErrorCode, IssuanceError

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import date

    from furusato_vc.core.encoding import JSONObject

__all__ = [
    "MAX_INTERESTS",
    "MAX_INTEREST_LENGTH",
    "MAX_TEXT_LENGTH",
    "ProfileInput",
    "ProfileIssue",
    "check_profile",
    "check_text",
    "interest_issues",
    "is_jis_prefecture",
    "profile_issues",
    "refuse_my_number",
]

MAX_TEXT_LENGTH: Final = 64  # names, kana, member number
MAX_INTERESTS: Final = 20
MAX_INTEREST_LENGTH: Final = 32

_TWELVE_DIGITS: Final = re.compile(r"\d{12}")
_JIS_PREFECTURE: Final = re.compile(r"0[1-9]|[1-3][0-9]|4[0-7]")
# Separators someone might type between the groups of a 個人番号: spaces, dashes of every
# kind (incl. U+2212 minus, 長音符 and full-width forms after NFKC), underscores, dots.
_NUMBER_SEPARATORS: Final = re.compile(r"[\s\-_.\u2010-\u2015\u2212\u30fc\uff0d]+")


def _invalid(detail: str) -> IssuanceError:
    return IssuanceError(ErrorCode.REGISTRATION_CLAIMS_INVALID, detail)


def refuse_my_number(name: str, value: str) -> None:
    """Refuse anything that could be a 個人番号 in any field (番号法 §20 forbids collecting it).

    Raises:
        IssuanceError: ``forbidden_claim``.
    """
    digits_only = _NUMBER_SEPARATORS.sub("", unicodedata.normalize("NFKC", value))
    if _TWELVE_DIGITS.search(digits_only):
        raise IssuanceError(ErrorCode.FORBIDDEN_CLAIM, f"{name} contains a 12-digit number")


def check_text(
    name: str, value: str, *, katakana: bool = False, limit: int = MAX_TEXT_LENGTH
) -> None:
    """One free-text field: 1-``limit`` characters, no control characters, full-width
    katakana where asked, and never anything that could be a 個人番号 (番号法 §20 forbids
    collecting it, even by accident).

    Raises:
        IssuanceError: ``forbidden_claim`` (a run of 12 digits, separators ignored),
            ``registration_claims_invalid`` (length, control characters, not katakana).
    """
    refuse_my_number(name, value)
    if not value.strip() or len(value) > limit:
        raise _invalid(f"{name} must be 1-{limit} characters")
    if any(unicodedata.category(c).startswith("C") for c in value):
        raise _invalid(f"{name} contains control characters")
    if katakana and not all("\u30a0" <= c <= "\u30ff" or c in " \u3000" for c in value):
        raise _invalid(f"{name} must be full-width katakana")


def is_jis_prefecture(code: str) -> bool:
    """A 2-digit JIS X 0401 prefecture code, ``"01"`` 北海道 … ``"47"`` 沖縄県."""
    return _JIS_PREFECTURE.fullmatch(code) is not None


@dataclass(frozen=True, slots=True, kw_only=True)
class ProfileIssue:
    """One broken rule: the field (the API's and the CSV's name for it), a stable code
    and developer-facing detail that never repeats the value."""

    field: str
    code: ErrorCode
    detail: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ProfileInput:
    """The optional personal fields of a basic registration, as typed by the registrant
    or exported by a fan club."""

    family_name: str | None = None
    given_name: str | None = None
    family_name_kana: str | None = None
    given_name_kana: str | None = None
    birthdate: date | None = None
    home_prefecture: str | None = None
    member_number: str | None = None
    stay_from: date | None = None
    stay_until: date | None = None

    def to_json(self) -> JSONObject:
        """The stored profile (``registrations.profile``): only the fields that are set.
        Call :func:`check_profile` (or :func:`profile_issues`) first."""
        out: JSONObject = {}
        if self.family_name is not None:
            out["name"] = {
                "family": self.family_name,
                "given": self.given_name,
                "family_kana": self.family_name_kana,
                "given_kana": self.given_name_kana,
            }
        if self.birthdate is not None:
            out["birthdate"] = self.birthdate.isoformat()
        if self.home_prefecture is not None:
            out["home_prefecture"] = self.home_prefecture
        if self.member_number is not None:
            out["member_number"] = self.member_number
        if self.stay_from is not None and self.stay_until is not None:
            out["stay"] = [self.stay_from.isoformat(), self.stay_until.isoformat()]
        return out


def _issue(field: str, error: IssuanceError) -> ProfileIssue:
    return ProfileIssue(field=field, code=error.code, detail=error.detail)


def profile_issues(profile: ProfileInput, *, today: date) -> tuple[ProfileIssue, ...]:
    """Every broken rule of ``profile``, in field order (empty when it is valid)."""
    issues: list[ProfileIssue] = []
    names = {
        "family_name": (profile.family_name, False),
        "given_name": (profile.given_name, False),
        "family_name_kana": (profile.family_name_kana, True),
        "given_name_kana": (profile.given_name_kana, True),
    }
    if any(value is not None for value, _kana in names.values()):
        for field, (value, kana) in names.items():
            if value is None:
                issues.append(
                    ProfileIssue(
                        field=field,
                        code=ErrorCode.REGISTRATION_CLAIMS_INVALID,
                        detail="names need all four parts",
                    )
                )
                continue
            try:
                check_text(field, value, katakana=kana)
            except IssuanceError as error:
                issues.append(_issue(field, error))
    if profile.birthdate is not None and profile.birthdate > today:
        issues.append(_issue("birthdate", _invalid("birthdate is in the future")))
    if profile.home_prefecture is not None and not is_jis_prefecture(profile.home_prefecture):
        issues.append(
            _issue("home_prefecture", _invalid("home_prefecture must be a JIS X 0401 code 01-47"))
        )
    if profile.member_number is not None:
        try:
            check_text("member_number", profile.member_number)
        except IssuanceError as error:
            issues.append(_issue("member_number", error))
    if (profile.stay_from is None) != (profile.stay_until is None):
        field = "stay_until" if profile.stay_until is None else "stay_from"
        issues.append(_issue(field, _invalid("stay needs both dates")))
    elif (
        profile.stay_from is not None
        and profile.stay_until is not None
        and profile.stay_until < profile.stay_from
    ):
        issues.append(_issue("stay_until", _invalid("stay ends before it starts")))
    return tuple(issues)


def check_profile(profile: ProfileInput, *, today: date) -> None:
    """Raises:
    IssuanceError: the first of :func:`profile_issues` (``registration_claims_invalid``
        or ``forbidden_claim``).
    """
    issues = profile_issues(profile, today=today)
    if issues:
        first = issues[0]
        raise IssuanceError(first.code, first.detail)


def interest_issues(interests: Sequence[str]) -> tuple[ProfileIssue, ...]:
    """The interest tags: at most :data:`MAX_INTERESTS`, each 1-:data:`MAX_INTEREST_LENGTH`
    characters of text (the API's limits)."""
    issues: list[ProfileIssue] = []
    if len(interests) > MAX_INTERESTS:
        issues.append(_issue("interests", _invalid(f"at most {MAX_INTERESTS} interests")))
    for value in interests:
        try:
            check_text("interests", value, limit=MAX_INTEREST_LENGTH)
        except IssuanceError as error:
            issues.append(_issue("interests", error))
            break
    return tuple(issues)
