"""JWT claim helpers: NumericDate (RFC 7519 §2) and required string claims (RFC 7519 §4.1).

Catalogue row J-18: ``exp: true`` (a Python ``bool`` is an ``int``), floats, negative numbers,
strings and out-of-range integers must never become a time, so nothing "never expires".
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING

import pytest

from furusato_vc.core.errors import ErrorCode, FormatError, VerificationError
from furusato_vc.core.jose.jwt import (
    numeric_date,
    optional_numeric_date,
    require_string,
    to_numeric_date,
)
from tests.helpers import FIXED_NOW

if TYPE_CHECKING:
    from furusato_vc.core.encoding import JSONValue

# 2027-01-15T00:00:00Z, as computed by calendar.timegm((2027, 1, 15, 0, 0, 0)).
FIXED_NOW_S = 1_799_971_200

NOT_A_NUMERIC_DATE: list[JSONValue] = [True, False, 1.0, 1.5e9, -1, "1800000000", None, [1], {}]
NOT_A_NUMERIC_DATE_IDS = [
    "true",
    "false",
    "float",
    "float-exp",
    "negative",
    "str",
    "null",
    "list",
    "obj",
]


# ---------------------------------------------------------------- to_numeric_date


def test_to_numeric_date_counts_seconds_since_the_epoch() -> None:
    assert datetime(2027, 1, 15, tzinfo=UTC) == FIXED_NOW
    assert to_numeric_date(FIXED_NOW) == FIXED_NOW_S


def test_to_numeric_date_of_the_epoch_is_zero() -> None:
    assert to_numeric_date(datetime(1970, 1, 1, tzinfo=UTC)) == 0


def test_to_numeric_date_truncates_fractions() -> None:
    assert to_numeric_date(FIXED_NOW + timedelta(milliseconds=999)) == FIXED_NOW_S


def test_to_numeric_date_honours_the_utc_offset() -> None:
    jst = timezone(timedelta(hours=9))
    assert to_numeric_date(FIXED_NOW.astimezone(jst)) == FIXED_NOW_S


def test_to_numeric_date_returns_an_int() -> None:
    assert type(to_numeric_date(FIXED_NOW)) is int


def test_to_numeric_date_refuses_a_naive_datetime() -> None:
    with pytest.raises(ValueError):
        to_numeric_date(datetime(2027, 1, 15, 9, 0, 0))  # noqa: DTZ001 - naive on purpose


# ---------------------------------------------------------------- optional_numeric_date


def test_optional_numeric_date_returns_the_integer() -> None:
    assert optional_numeric_date({"exp": FIXED_NOW_S}, "exp") == FIXED_NOW_S


def test_optional_numeric_date_accepts_zero() -> None:
    assert optional_numeric_date({"nbf": 0}, "nbf") == 0


def test_optional_numeric_date_accepts_2_pow_53_minus_1() -> None:
    assert optional_numeric_date({"exp": 2**53 - 1}, "exp") == 2**53 - 1


def test_optional_numeric_date_is_none_when_absent() -> None:
    assert optional_numeric_date({"iat": FIXED_NOW_S}, "exp") is None


@pytest.mark.parametrize("value", NOT_A_NUMERIC_DATE, ids=NOT_A_NUMERIC_DATE_IDS)
def test_optional_numeric_date_rejects_a_non_integer(value: JSONValue) -> None:
    with pytest.raises(FormatError) as info:
        optional_numeric_date({"exp": value}, "exp")
    assert info.value.code is ErrorCode.MALFORMED_CLAIM


def test_optional_numeric_date_rejects_2_pow_53() -> None:
    # The docstring promises "Only JSON integers in [0, 2**53) are accepted"; a claims dict
    # built in code (not parsed by parse_json) can carry any Python int.
    with pytest.raises(FormatError) as info:
        optional_numeric_date({"exp": 2**53}, "exp")
    assert info.value.code is ErrorCode.MALFORMED_CLAIM


# ---------------------------------------------------------------- numeric_date


def test_numeric_date_returns_the_integer() -> None:
    assert numeric_date({"iat": FIXED_NOW_S}, "iat") == FIXED_NOW_S


def test_numeric_date_missing_is_required_claim_missing() -> None:
    with pytest.raises(VerificationError) as info:
        numeric_date({"exp": FIXED_NOW_S}, "iat")
    assert info.value.code is ErrorCode.REQUIRED_CLAIM_MISSING


@pytest.mark.parametrize("value", NOT_A_NUMERIC_DATE, ids=NOT_A_NUMERIC_DATE_IDS)
def test_numeric_date_rejects_a_non_integer(value: JSONValue) -> None:
    with pytest.raises(FormatError) as info:
        numeric_date({"iat": value}, "iat")
    assert info.value.code is ErrorCode.MALFORMED_CLAIM


# ---------------------------------------------------------------- require_string


def test_require_string_returns_the_string() -> None:
    assert require_string({"iss": "https://city.example.jp"}, "iss") == "https://city.example.jp"


def test_require_string_accepts_an_empty_string() -> None:
    assert require_string({"sub": ""}, "sub") == ""


def test_require_string_missing_is_required_claim_missing() -> None:
    with pytest.raises(VerificationError) as info:
        require_string({"sub": "x"}, "iss")
    assert info.value.code is ErrorCode.REQUIRED_CLAIM_MISSING


@pytest.mark.parametrize(
    "value",
    [None, 1, True, 1.5, ["x"], {"v": "x"}],
    ids=["null", "int", "bool", "float", "list", "obj"],
)
def test_require_string_rejects_a_non_string(value: JSONValue) -> None:
    with pytest.raises(FormatError) as info:
        require_string({"iss": value}, "iss")
    assert info.value.code is ErrorCode.MALFORMED_CLAIM
