"""The trust bundle (:mod:`furusato_vc.core.bundle`): verifying and merging a sync, and the
status answers it gives at verification time (security catalogue L-1 … L-7, K-2 … K-5)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import TYPE_CHECKING

import cbor2
import pytest

from furusato_vc.core.bundle import (
    ListOutcome,
    decode_status_aggregate,
    encode_status_aggregate,
    verify_bundle,
)
from furusato_vc.core.errors import ErrorCode, FormatError, VerificationError
from furusato_vc.core.jose.jwt import to_numeric_date
from furusato_vc.core.statuslist import StatusReference, StatusType
from furusato_vc.core.trustlist import BodyState
from furusato_vc.core.trustlist.edit import set_state, withdraw_key
from tests.bundle_fixtures import ANCHOR_JWK, NOW, Nation, at_seconds
from tests.core.trustlist.builders import draft, signed
from tests.helpers import fixed_signer
from tests.registration_fixtures import (
    ISSUER_BASE,
    KESENNUMA,
    MINAMIMINOWA,
    SENDAI,
    basic_registration,
)

if TYPE_CHECKING:
    from furusato_vc.core.statuslist.allocation import StatusSlot

NOW_S = to_numeric_date(NOW)
LATER = NOW + timedelta(hours=1)
HOUR = 3600
DAY = 86_400
MAX_AGE = 48 * HOUR
KSN_ISSUER = ISSUER_BASE + KESENNUMA
KSN_LIST = ISSUER_BASE + KESENNUMA + "/status/1"


def _check_code(
    bundle: object,
    reference: StatusReference,
    *,
    issuer: str = KSN_ISSUER,
    now: int = NOW_S,
    max_age: int = MAX_AGE,
) -> ErrorCode:
    with pytest.raises(VerificationError) as info:
        bundle.check(reference, issuer=issuer, now=now, max_age=max_age)  # type: ignore[attr-defined]
    return info.value.code


def _allocate(nation: Nation, code: str = KESENNUMA) -> tuple[StatusSlot, StatusReference]:
    slot = nation.lists[code].allocate(random=nation.random)
    return slot, StatusReference(uri=slot.uri, idx=slot.idx)


# --------------------------------------------------------------------------- a clean sync


def test_every_listed_status_list_is_taken() -> None:
    nation = Nation.of()
    bundle = nation.bundle()
    assert dict(bundle.outcomes) == {
        ISSUER_BASE + code + "/status/1": ListOutcome.UPDATED
        for code in (KESENNUMA, MINAMIMINOWA, SENDAI)
    }
    assert bundle.problems == ()
    assert set(bundle.tokens) == set(bundle.outcomes)
    assert bundle.trust_list == nation.trust_list


def test_valid_entry_passes_and_every_other_value_fails_closed() -> None:
    nation = Nation.of()
    slots = {status: _allocate(nation) for status in (0, 1, 2, 3)}
    lists = nation.lists[KESENNUMA]
    lists.set_status(slots[1][0], StatusType.INVALID)
    lists.set_status(slots[2][0], StatusType.SUSPENDED)
    lists.set_status(slots[3][0], 3)  # type: ignore[arg-type]  # application-specific value
    references = {status: reference for status, (_slot, reference) in slots.items()}
    bundle = nation.bundle()
    bundle.check(references[0], issuer=KSN_ISSUER, now=NOW_S, max_age=MAX_AGE)
    assert _check_code(bundle, references[1]) is ErrorCode.CREDENTIAL_REVOKED
    assert _check_code(bundle, references[2]) is ErrorCode.CREDENTIAL_SUSPENDED
    assert _check_code(bundle, references[3]) is ErrorCode.STATUS_VALUE_UNKNOWN


def test_index_outside_the_list_is_rejected() -> None:
    bundle = Nation.of().bundle()
    reference = StatusReference(uri=KSN_LIST, idx=8192)
    assert _check_code(bundle, reference) is ErrorCode.STATUS_INDEX_OUT_OF_RANGE


def test_unknown_list_is_not_checked() -> None:
    bundle = Nation.of().bundle()
    reference = StatusReference(uri=ISSUER_BASE + KESENNUMA + "/status/9", idx=1)
    assert _check_code(bundle, reference) is ErrorCode.STATUS_NOT_CHECKED


def test_a_body_cannot_use_another_body_s_list() -> None:
    bundle = Nation.of().bundle()
    reference = StatusReference(uri=ISSUER_BASE + MINAMIMINOWA + "/status/1", idx=1)
    assert _check_code(bundle, reference) is ErrorCode.STATUS_LIST_MISMATCH


def test_staleness_is_measured_from_the_list_iat() -> None:
    bundle = Nation.of().bundle()
    reference = StatusReference(uri=KSN_LIST, idx=1)
    bundle.check(reference, issuer=KSN_ISSUER, now=NOW_S + MAX_AGE, max_age=MAX_AGE)
    assert _check_code(bundle, reference, now=NOW_S + MAX_AGE + 1) is ErrorCode.STATUS_STALE
    # a garbage-station policy may allow longer
    bundle.check(reference, issuer=KSN_ISSUER, now=NOW_S + 5 * DAY, max_age=6 * DAY)


def test_expired_list_fails_whatever_the_staleness() -> None:
    bundle = Nation.of().bundle()
    reference = StatusReference(uri=KSN_LIST, idx=1)
    assert _check_code(bundle, reference, now=NOW_S + 7 * DAY, max_age=30 * DAY) is (
        ErrorCode.STATUS_LIST_EXPIRED
    )


def test_jwt_tokens_are_accepted_too() -> None:
    nation = Nation.of()
    bundle = verify_bundle(
        nation.trust_list_token(form="jwt"),
        nation.tokens(form="jwt"),
        anchors=[ANCHOR_JWK],
        now=NOW_S,
    )
    assert set(bundle.outcomes.values()) == {ListOutcome.UPDATED}
    bundle.check(StatusReference(uri=KSN_LIST, idx=1), issuer=KSN_ISSUER, now=NOW_S, max_age=1)


# --------------------------------------------------------------------------- merging


def test_the_same_tokens_again_are_unchanged() -> None:
    nation = Nation.of()
    held = nation.bundle()
    again = verify_bundle(
        nation.trust_list_token(), dict(held.tokens), anchors=[ANCHOR_JWK], now=NOW_S, held=held
    )
    assert set(again.outcomes.values()) == {ListOutcome.UNCHANGED}


def test_an_older_status_list_is_refused_and_the_held_one_kept() -> None:
    nation = Nation.of()
    older = nation.tokens(now=NOW)
    held = nation.bundle(now=LATER, status_at=LATER)
    again = verify_bundle(
        nation.trust_list_token(), older, anchors=[ANCHOR_JWK], now=NOW_S + 2 * HOUR, held=held
    )
    assert set(again.outcomes.values()) == {ListOutcome.KEPT}
    assert {problem.code for problem in again.problems} == {ErrorCode.STATUS_LIST_ROLLBACK}
    kept = again.status_list(KSN_LIST)
    assert kept is not None
    assert kept.issued_at == NOW_S + HOUR  # the newer, held list is still the one in force


def test_a_revocation_cannot_be_undone_by_replaying_an_old_list() -> None:
    nation = Nation.of()
    slot, reference = _allocate(nation)
    before = nation.tokens(now=NOW)  # VALID
    nation.lists[KESENNUMA].set_status(slot, StatusType.INVALID)
    held = nation.bundle(now=LATER, status_at=LATER)
    replayed = verify_bundle(
        nation.trust_list_token(), before, anchors=[ANCHOR_JWK], now=NOW_S + 2 * HOUR, held=held
    )
    assert _check_code(replayed, reference, now=NOW_S + 2 * HOUR) is ErrorCode.CREDENTIAL_REVOKED


def test_missing_and_broken_lists_are_reported_per_list() -> None:
    nation = Nation.of()
    tokens = nation.tokens()
    del tokens[ISSUER_BASE + SENDAI + "/status/1"]
    forged = fixed_signer("not-mmw", kid="203858-2027")
    mmw_uri = ISSUER_BASE + MINAMIMINOWA + "/status/1"
    tokens[mmw_uri] = nation.lists[MINAMIMINOWA].publish(1, signer=forged, issuer=None, now=NOW).cwt
    bundle = verify_bundle(nation.trust_list_token(), tokens, anchors=[ANCHOR_JWK], now=NOW_S)
    assert bundle.outcomes[ISSUER_BASE + SENDAI + "/status/1"] is ListOutcome.MISSING
    assert bundle.outcomes[mmw_uri] is ListOutcome.MISSING
    assert bundle.outcomes[KSN_LIST] is ListOutcome.UPDATED
    assert {(p.uri, p.code) for p in bundle.problems} == {
        (ISSUER_BASE + SENDAI + "/status/1", ErrorCode.STATUS_NOT_CHECKED),
        (mmw_uri, ErrorCode.SIGNATURE_INVALID),
    }


def test_a_token_filed_under_another_uri_is_refused() -> None:
    nation = Nation.of()
    tokens = nation.tokens()
    mmw_uri = ISSUER_BASE + MINAMIMINOWA + "/status/1"
    tokens[mmw_uri] = tokens[KSN_LIST]  # 気仙沼市's list offered as 南箕輪村's
    bundle = verify_bundle(nation.trust_list_token(), tokens, anchors=[ANCHOR_JWK], now=NOW_S)
    assert {(p.uri, p.code) for p in bundle.problems} == {(mmw_uri, ErrorCode.ISSUER_KEY_UNKNOWN)}


def test_a_status_list_signed_after_its_key_was_withdrawn_is_refused() -> None:
    trust_list = signed(withdraw_key(draft(), KESENNUMA, "042056-2027", from_=NOW_S - HOUR))
    nation = Nation.of(trust_list)
    bundle = nation.bundle()
    assert {(p.uri, p.code) for p in bundle.problems} == {
        (KSN_LIST, ErrorCode.ISSUER_KEY_WITHDRAWN)
    }


def test_a_held_list_is_dropped_when_its_key_is_withdrawn() -> None:
    nation = Nation.of()
    held = nation.bundle()
    nation.trust_list = signed(
        withdraw_key(nation.trust_list, KESENNUMA, "042056-2027", from_=NOW_S - HOUR),
        now=NOW_S + 60,
    )
    tokens = nation.tokens()
    del tokens[KSN_LIST]
    again = verify_bundle(
        nation.trust_list_token(), tokens, anchors=[ANCHOR_JWK], now=NOW_S + 120, held=held
    )
    assert again.outcomes[KSN_LIST] is ListOutcome.MISSING


def test_an_older_trust_list_fails_the_whole_sync() -> None:
    nation = Nation.of(signed(signed()))  # sequence 2
    held = nation.bundle()
    older = dataclasses.replace(nation, trust_list=signed())  # sequence 1
    with pytest.raises(VerificationError) as info:
        verify_bundle(
            older.trust_list_token(), older.tokens(), anchors=[ANCHOR_JWK], now=NOW_S, held=held
        )
    assert info.value.code is ErrorCode.TRUST_LIST_ROLLBACK


# --------------------------------------------------------------------------- time of use


def test_trust_is_refused_after_the_list_expires_or_with_a_clock_set_back() -> None:
    bundle = Nation.of().bundle(status_at=LATER, now=LATER)
    trust = bundle.trust
    assert bundle.trusted_time == NOW_S + HOUR
    trust.check_current(now=NOW_S + HOUR)
    trust.check_current(now=NOW_S + HOUR - 15 * 60)  # within the tolerance
    with pytest.raises(VerificationError) as info:
        trust.check_current(now=NOW_S + HOUR - 15 * 60 - 1)
    assert info.value.code is ErrorCode.CLOCK_BEHIND_TRUST_DATA
    with pytest.raises(VerificationError) as info:
        trust.check_current(now=bundle.trust_list.expires_at)
    assert info.value.code is ErrorCode.TRUST_LIST_EXPIRED


def test_suspended_body_is_in_the_bundle_but_not_trusted() -> None:
    nation = Nation.of(signed(set_state(draft(), KESENNUMA, BodyState.SUSPENDED, since=NOW_S)))
    bundle = nation.bundle()
    assert bundle.outcomes[KSN_LIST] is ListOutcome.UPDATED
    with pytest.raises(VerificationError) as info:
        bundle.trust.issuer_keys(issuer=KSN_ISSUER, kid=None)
    assert info.value.code is ErrorCode.ISSUER_SUSPENDED


# --------------------------------------------------------------------------- the aggregate file


def test_aggregate_round_trips() -> None:
    tokens: dict[str, bytes | str] = {
        "https://a.example/1": b"\xd2\x84",
        "https://b.example/1": "e.y.z",
    }
    assert decode_status_aggregate(encode_status_aggregate(tokens)) == tokens


@pytest.mark.parametrize("value", [[b"token"], {1: b"token"}, {"https://a.example/1": 5}, "text"])
def test_malformed_aggregates_are_rejected(value: object) -> None:
    with pytest.raises(FormatError) as info:
        decode_status_aggregate(cbor2.dumps(value))
    assert info.value.code is ErrorCode.MALFORMED_STATUS_LIST


def test_issue_into_a_slot_and_revoke() -> None:
    nation = Nation.of()
    card = nation.issue(basic_registration())
    nation.set_status(card, StatusType.INVALID)
    bundle = nation.bundle()
    reference = StatusReference(uri=card.slot.uri, idx=card.slot.idx)
    assert _check_code(bundle, reference) is ErrorCode.CREDENTIAL_REVOKED
    assert at_seconds(NOW_S) == NOW
