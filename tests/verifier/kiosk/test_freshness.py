"""Bundle freshness for the kiosk's banner and blocking screen, on a fixed clock."""

from __future__ import annotations

import pytest

from furusato_vc.core.bundle import TrustBundle, verify_bundle
from furusato_vc.core.errors import ErrorCode
from furusato_vc.core.jose.jwt import to_numeric_date
from furusato_vc.core.policy import BodyScope
from furusato_vc.verifier.kiosk import Freshness, assess_freshness
from tests.bundle_fixtures import ANCHOR_JWK, NOW, Nation
from tests.registration_fixtures import KESENNUMA, MINAMIMINOWA, SENDAI

NOW_S = to_numeric_date(NOW)
HOUR = 3600
DAY = 86_400
ANY = BodyScope(any_body=True)


@pytest.fixture(scope="module")
def bundle() -> TrustBundle:
    return Nation.of().bundle()


def test_new_bundle_is_fresh(bundle: TrustBundle) -> None:
    result = assess_freshness(bundle, scope=ANY, now=NOW_S, max_age=48 * HOUR)
    assert result.state is Freshness.FRESH
    assert result.code is None
    assert result.usable_until == NOW_S + 48 * HOUR + 1
    assert result.unusable_bodies == ()


def test_trust_list_update_due_shows_the_banner(bundle: TrustBundle) -> None:
    next_update = bundle.trust_list.next_update
    before = assess_freshness(bundle, scope=ANY, now=next_update - 1, max_age=48 * HOUR)
    assert before.state is Freshness.FRESH
    due = assess_freshness(bundle, scope=ANY, now=next_update, max_age=48 * HOUR)
    assert due.state is Freshness.AGING
    assert due.update_due
    assert due.code is None


def test_banner_appears_when_a_quarter_of_the_allowed_staleness_is_left(
    bundle: TrustBundle,
) -> None:
    max_age = 8 * HOUR  # usable until NOW + 8 h + 1 s; the banner from 2 h before
    usable_until = NOW_S + max_age + 1
    early = assess_freshness(bundle, scope=ANY, now=usable_until - 2 * HOUR - 1, max_age=max_age)
    assert early.state is Freshness.FRESH
    late = assess_freshness(bundle, scope=ANY, now=usable_until - 2 * HOUR, max_age=max_age)
    assert late.state is Freshness.AGING
    assert late.usable_until == usable_until


def test_warn_fraction_zero_never_warns_before_the_end(bundle: TrustBundle) -> None:
    max_age = 8 * HOUR
    result = assess_freshness(
        bundle, scope=ANY, now=NOW_S + max_age - 1, max_age=max_age, warn_fraction=0.0
    )
    assert result.state is Freshness.FRESH


def test_status_data_past_the_allowed_staleness_blocks(bundle: TrustBundle) -> None:
    max_age = 8 * HOUR
    last_usable = assess_freshness(bundle, scope=ANY, now=NOW_S + max_age, max_age=max_age)
    assert last_usable.state is Freshness.AGING
    result = assess_freshness(bundle, scope=ANY, now=NOW_S + max_age + 1, max_age=max_age)
    assert result.state is Freshness.STALE
    assert result.code is ErrorCode.STATUS_STALE
    assert set(result.unusable_bodies) == {KESENNUMA, MINAMIMINOWA, SENDAI}
    assert result.usable_until is None


def test_expired_status_lists_block_even_a_lenient_policy(bundle: TrustBundle) -> None:
    lenient = 29 * DAY
    expires_at = NOW_S + 7 * DAY  # the lists' lifetime
    before = assess_freshness(bundle, scope=ANY, now=expires_at - 1, max_age=lenient)
    assert before.state is Freshness.AGING  # one second left
    assert before.usable_until == expires_at
    result = assess_freshness(bundle, scope=ANY, now=expires_at, max_age=lenient)
    assert result.state is Freshness.STALE
    assert result.code is ErrorCode.STATUS_LIST_EXPIRED


def test_expired_trust_list_blocks(bundle: TrustBundle) -> None:
    result = assess_freshness(bundle, scope=ANY, now=bundle.trust_list.expires_at, max_age=60 * DAY)
    assert result.state is Freshness.STALE
    assert result.code is ErrorCode.TRUST_LIST_EXPIRED


def test_clock_set_back_behind_the_bundle_blocks(bundle: TrustBundle) -> None:
    result = assess_freshness(bundle, scope=ANY, now=NOW_S - HOUR, max_age=48 * HOUR)
    assert result.state is Freshness.STALE
    assert result.code is ErrorCode.CLOCK_BEHIND_TRUST_DATA


def _without_sendai() -> TrustBundle:
    nation = Nation.of()
    tokens = nation.tokens(codes=(KESENNUMA, MINAMIMINOWA))
    return verify_bundle(nation.trust_list_token(), tokens, anchors=[ANCHOR_JWK], now=NOW_S)


def test_a_body_without_status_data_shows_the_banner_and_names_it() -> None:
    result = assess_freshness(_without_sendai(), scope=ANY, now=NOW_S, max_age=48 * HOUR)
    assert result.state is Freshness.AGING
    assert result.code is ErrorCode.STATUS_NOT_CHECKED
    assert result.unusable_bodies == (SENDAI,)


def test_only_the_accepted_bodies_count() -> None:
    bundle = _without_sendai()
    healthy = BodyScope(bodies=frozenset({KESENNUMA}))
    assert assess_freshness(bundle, scope=healthy, now=NOW_S, max_age=DAY).state is Freshness.FRESH
    only_sendai = BodyScope(bodies=frozenset({SENDAI}))
    result = assess_freshness(bundle, scope=only_sendai, now=NOW_S, max_age=DAY)
    assert result.state is Freshness.STALE
    assert result.code is ErrorCode.STATUS_NOT_CHECKED


@pytest.mark.parametrize(("fraction", "max_age"), [(-0.1, DAY), (1.5, DAY), (0.25, -1)])
def test_bad_arguments_are_programming_errors(
    bundle: TrustBundle, fraction: float, max_age: int
) -> None:
    with pytest.raises(ValueError, match="warn_fraction"):
        assess_freshness(bundle, scope=ANY, now=NOW_S, max_age=max_age, warn_fraction=fraction)
