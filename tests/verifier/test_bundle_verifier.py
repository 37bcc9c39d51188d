"""A verifier over a synced bundle, end to end, for both card formats: revocation, suspension,
stale and expired status data, suspended and withdrawn bodies, key windows, an expired trust
list and a clock set back. Every case is checked for the QR code and the SD-JWT VC."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from furusato_vc.core.bundle import verify_bundle
from furusato_vc.core.errors import ErrorCode
from furusato_vc.core.jose.jwt import to_numeric_date
from furusato_vc.core.statuslist import StatusType
from furusato_vc.core.trustlist import BodyState
from furusato_vc.core.trustlist.edit import rotate_key, set_state, withdraw_key
from furusato_vc.verifier import Rejected, Verified
from furusato_vc.wallet import present_credential, present_qr
from tests.bundle_fixtures import ANCHOR_JWK, NOW, Card, Nation
from tests.core.trustlist.builders import KEYS_FROM, draft, signed
from tests.helpers import fixed_signer
from tests.registration_fixtures import KESENNUMA, basic_registration, holder

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from furusato_vc.verifier import RegistrationVerifier

NOW_S = to_numeric_date(NOW)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def _qr(card: Card, now: datetime) -> str:
    return present_qr(card.held, disclose=(), holder=holder(), audience="garbage-station", now=now)


def _sd_jwt(card: Card, now: datetime) -> str:
    return present_credential(
        card.held, disclose=(), holder=holder(), audience="garbage-station", nonce="n-1", now=now
    )


FORMATS: list[Callable[[Card, datetime], str]] = [_qr, _sd_jwt]
IDS = ["qr", "sd-jwt-vc"]


def _result(
    verifier: RegistrationVerifier,
    card: Card,
    present: Callable[[Card, datetime], str],
    now: datetime,
) -> Verified | Rejected:
    return verifier.verify(present(card, now), now=now)


def _code(result: Verified | Rejected) -> ErrorCode | None:
    return result.code if isinstance(result, Rejected) else None


@pytest.fixture
def nation() -> Nation:
    return Nation.of()


@pytest.mark.parametrize("present", FORMATS, ids=IDS)
def test_valid_card_verifies(nation: Nation, present: Callable[[Card, datetime], str]) -> None:
    card = nation.issue(basic_registration())
    result = _result(nation.verifier(), card, present, NOW)
    assert isinstance(result, Verified), result


@pytest.mark.parametrize("present", FORMATS, ids=IDS)
@pytest.mark.parametrize(
    ("status", "code"),
    [
        (StatusType.INVALID, ErrorCode.CREDENTIAL_REVOKED),
        (StatusType.SUSPENDED, ErrorCode.CREDENTIAL_SUSPENDED),
    ],
)
def test_revoked_and_suspended_cards_are_refused(
    nation: Nation,
    present: Callable[[Card, datetime], str],
    status: StatusType,
    code: ErrorCode,
) -> None:
    card = nation.issue(basic_registration())
    nation.set_status(card, status)
    assert _code(_result(nation.verifier(), card, present, NOW)) is code


@pytest.mark.parametrize("present", FORMATS, ids=IDS)
def test_reinstated_card_verifies_again(
    nation: Nation, present: Callable[[Card, datetime], str]
) -> None:
    card = nation.issue(basic_registration())
    nation.set_status(card, StatusType.SUSPENDED)
    nation.set_status(card, StatusType.VALID)
    assert isinstance(_result(nation.verifier(), card, present, NOW), Verified)


@pytest.mark.parametrize("present", FORMATS, ids=IDS)
def test_stale_status_fails_closed_and_the_garbage_station_allows_a_week(
    nation: Nation, present: Callable[[Card, datetime], str]
) -> None:
    card = nation.issue(basic_registration())
    bundle = nation.bundle()
    later = NOW + 2 * DAY + timedelta(seconds=1)
    strict = nation.verifier(bundle=bundle, max_staleness=2 * DAY)  # the policy default
    assert _code(_result(strict, card, present, later)) is ErrorCode.STATUS_STALE
    garbage_station = nation.verifier(bundle=bundle)  # the profile allows 7 days
    assert isinstance(_result(garbage_station, card, present, later), Verified)


@pytest.mark.parametrize("present", FORMATS, ids=IDS)
def test_expired_status_list_fails_even_for_a_lenient_policy(
    nation: Nation, present: Callable[[Card, datetime], str]
) -> None:
    card = nation.issue(basic_registration())
    verifier = nation.verifier(max_staleness=30 * DAY)
    assert _code(_result(verifier, card, present, NOW + 7 * DAY)) is ErrorCode.STATUS_LIST_EXPIRED


@pytest.mark.parametrize("present", FORMATS, ids=IDS)
@pytest.mark.parametrize(
    ("state", "code"),
    [
        (BodyState.SUSPENDED, ErrorCode.ISSUER_SUSPENDED),
        (BodyState.WITHDRAWN, ErrorCode.ISSUER_WITHDRAWN),
    ],
)
def test_cards_of_a_suspended_or_withdrawn_body_are_refused(
    nation: Nation,
    present: Callable[[Card, datetime], str],
    state: BodyState,
    code: ErrorCode,
) -> None:
    card = nation.issue(basic_registration())
    nation.trust_list = signed(
        set_state(nation.trust_list, KESENNUMA, state, since=NOW_S), now=NOW_S + 60
    )
    later = NOW + timedelta(minutes=2)
    assert (
        _code(_result(nation.verifier(bundle=nation.bundle(now=later)), card, present, later))
        is code
    )


@pytest.mark.parametrize("present", FORMATS, ids=IDS)
def test_card_signed_after_its_key_was_withdrawn_is_refused(
    nation: Nation, present: Callable[[Card, datetime], str]
) -> None:
    card = nation.issue(basic_registration())  # iat: NOW (rounded to the day: NOW itself)
    withdrawn = withdraw_key(nation.trust_list, KESENNUMA, "042056-2027", from_=NOW_S)
    nation.trust_list = signed(withdrawn, now=NOW_S + 60)
    later = NOW + timedelta(minutes=2)
    verifier = nation.verifier(bundle=nation.bundle(now=later, status_at=NOW))
    assert _code(_result(verifier, card, present, later)) is ErrorCode.ISSUER_KEY_WITHDRAWN


@pytest.mark.parametrize("present", FORMATS, ids=IDS)
def test_card_signed_before_a_withdrawal_stays_valid(
    nation: Nation, present: Callable[[Card, datetime], str]
) -> None:
    card = nation.issue(basic_registration())
    withdrawn = withdraw_key(nation.trust_list, KESENNUMA, "042056-2027", from_=NOW_S + 1)
    nation.trust_list = signed(withdrawn, now=NOW_S + 60)
    later = NOW + timedelta(minutes=2)
    # the status list was signed before the withdrawal too, so it is still trusted
    verifier = nation.verifier(bundle=nation.bundle(now=later, status_at=NOW))
    assert isinstance(_result(verifier, card, present, later), Verified)


@pytest.mark.parametrize("present", FORMATS, ids=IDS)
def test_card_signed_outside_its_key_window_is_refused(
    nation: Nation, present: Callable[[Card, datetime], str]
) -> None:
    card = nation.issue(basic_registration())
    # rotated a week before the card, with no overlap: the old key's window had closed
    new_key = fixed_signer("issuer-042056-next", kid="042056-2028").public_jwk
    rotated = rotate_key(draft(), KESENNUMA, new_key, at=NOW_S - 7 * 86_400, overlap=0)
    nation.trust_list = signed(rotated, now=NOW_S + 60)
    later = NOW + timedelta(minutes=2)
    verifier = nation.verifier(bundle=nation.bundle(now=later, status_at=NOW))
    assert _code(_result(verifier, card, present, later)) is ErrorCode.ISSUER_KEY_NOT_VALID
    assert KEYS_FROM < NOW_S - 7 * 86_400


@pytest.mark.parametrize("present", FORMATS, ids=IDS)
def test_expired_trust_list_fails_closed(
    nation: Nation, present: Callable[[Card, datetime], str]
) -> None:
    card = nation.issue(basic_registration())
    verifier = nation.verifier(max_staleness=60 * DAY)
    expiry = nation.trust_list.expires_at
    at_expiry = NOW + timedelta(seconds=expiry - NOW_S)
    assert _code(_result(verifier, card, present, at_expiry)) is ErrorCode.TRUST_LIST_EXPIRED


@pytest.mark.parametrize("present", FORMATS, ids=IDS)
def test_clock_set_back_behind_the_bundle_fails_closed(
    nation: Nation, present: Callable[[Card, datetime], str]
) -> None:
    card = nation.issue(basic_registration())
    bundle = nation.bundle(now=NOW + 3 * HOUR, status_at=NOW + 3 * HOUR)
    verifier = nation.verifier(bundle=bundle)
    assert _code(_result(verifier, card, present, NOW + HOUR)) is ErrorCode.CLOCK_BEHIND_TRUST_DATA
    assert isinstance(_result(verifier, card, present, NOW + 3 * HOUR), Verified)


@pytest.mark.parametrize("present", FORMATS, ids=IDS)
def test_missing_status_list_fails_closed(
    nation: Nation, present: Callable[[Card, datetime], str]
) -> None:
    card = nation.issue(basic_registration())
    bundle = verify_bundle(nation.trust_list_token(), {}, anchors=[ANCHOR_JWK], now=NOW_S)
    verifier = nation.verifier(bundle=bundle)
    assert _code(_result(verifier, card, present, NOW)) is ErrorCode.STATUS_NOT_CHECKED
