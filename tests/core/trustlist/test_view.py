"""The verifier's view of a trust list (body states, key windows, status-list lookups) and
the operator's edits (rotation with overlap, withdrawal, leaving the scheme)."""

from __future__ import annotations

import pytest

from furusato_vc.core.compact.credential import compact_kid
from furusato_vc.core.errors import ErrorCode, VerificationError
from furusato_vc.core.registration.bodies import load_bodies
from furusato_vc.core.trustlist import BodyState, StatusListLocation, TrustedKey, TrustListTrust
from furusato_vc.core.trustlist.edit import (
    add_entry,
    add_key,
    add_status_list,
    entry_for_body,
    next_version,
    rotate_key,
    set_state,
    withdraw_key,
)
from tests.core.trustlist.builders import KEYS_FROM, NOW_S, draft, signed
from tests.helpers import fixed_signer
from tests.registration_fixtures import (
    ISSUER_BASE,
    KESENNUMA,
    MINAMIMINOWA,
    MIYAGI,
    SENDAI,
    issuing_body,
)

KSN = issuing_body(KESENNUMA)
KSN_KEY = KSN.signer.public_jwk
NEW_KEY = fixed_signer("issuer-042056-next", kid="042056-2028").public_jwk
DAY = 86_400


def _view(trust_list: object = None) -> TrustListTrust:
    return TrustListTrust(signed() if trust_list is None else trust_list)  # type: ignore[arg-type]


def _code(action: object) -> ErrorCode:
    with pytest.raises(VerificationError) as info:
        action()  # type: ignore[operator]
    return info.value.code


# --------------------------------------------------------------------------- lookups


def test_issuer_keys_and_compact_keys_resolve() -> None:
    view = _view()
    assert list(view.issuer_keys(issuer=KSN.issuer_id, kid="042056-2027")) == [KSN_KEY]
    assert list(view.issuer_keys(issuer=KSN.issuer_id, kid=None)) == [KSN_KEY]
    assert list(view.compact_keys(body_code=KESENNUMA, kid=compact_kid(KSN_KEY))) == [KSN_KEY]
    assert view.body_for_issuer(KSN.issuer_id) == KESENNUMA
    assert view.issuer_for_body(KESENNUMA) == KSN.issuer_id
    assert view.status_list_uri(body_code=KESENNUMA, list_id=1) == KSN.status_list_uri
    assert view.status_list_uri(body_code=KESENNUMA, list_id=2) is None
    assert view.body_for_status_list(KSN.status_list_uri) == KESENNUMA
    assert view.status_list_keys(KSN.status_list_uri) == (KESENNUMA, [KSN_KEY])


def test_unknown_issuer_body_kid_and_list_are_rejected() -> None:
    view = _view()
    assert _code(lambda: view.issuer_keys(issuer="https://x.example", kid=None)) is (
        ErrorCode.ISSUER_NOT_TRUSTED
    )
    assert _code(lambda: view.issuer_keys(issuer=KSN.issuer_id, kid="nope")) is (
        ErrorCode.ISSUER_KEY_UNKNOWN
    )
    assert _code(lambda: view.compact_keys(body_code=MIYAGI, kid=b"1234")) is (
        ErrorCode.ISSUER_NOT_TRUSTED
    )
    assert _code(lambda: view.compact_keys(body_code=KESENNUMA, kid=b"1234")) is (
        ErrorCode.ISSUER_KEY_UNKNOWN
    )
    assert _code(lambda: view.body_for_issuer("https://x.example")) is ErrorCode.ISSUER_NOT_TRUSTED
    assert _code(lambda: view.issuer_for_body(MIYAGI)) is ErrorCode.ISSUER_NOT_TRUSTED
    assert _code(lambda: view.status_list_keys("https://x.example/s")) is (
        ErrorCode.STATUS_LIST_MISMATCH
    )


# --------------------------------------------------------------------------- body states


def test_suspended_body_has_no_usable_keys() -> None:
    view = _view(set_state(signed(), KESENNUMA, BodyState.SUSPENDED, since=NOW_S))
    assert _code(lambda: view.issuer_keys(issuer=KSN.issuer_id, kid=None)) is (
        ErrorCode.ISSUER_SUSPENDED
    )
    assert _code(lambda: view.compact_keys(body_code=KESENNUMA, kid=compact_kid(KSN_KEY))) is (
        ErrorCode.ISSUER_SUSPENDED
    )
    assert (
        _code(lambda: view.check_key_use(body_code=KESENNUMA, key=KSN_KEY, signed_at=NOW_S))
        is ErrorCode.ISSUER_SUSPENDED
    )
    # its status lists are still read
    assert view.status_list_keys(KSN.status_list_uri)[0] == KESENNUMA


def test_withdrawn_body_has_no_usable_keys_and_cannot_come_back_by_state() -> None:
    left = set_state(signed(), KESENNUMA, BodyState.WITHDRAWN, since=NOW_S)
    view = _view(left)
    assert _code(lambda: view.issuer_keys(issuer=KSN.issuer_id, kid=None)) is (
        ErrorCode.ISSUER_WITHDRAWN
    )
    entry = left.entry(KESENNUMA)
    assert entry is not None
    assert (entry.state, entry.state_since) == (BodyState.WITHDRAWN, NOW_S)
    with pytest.raises(ValueError, match="left the scheme"):
        set_state(left, KESENNUMA, BodyState.ACTIVE, since=NOW_S)


def test_reinstated_body_is_active_again() -> None:
    suspended = set_state(signed(), KESENNUMA, BodyState.SUSPENDED, since=NOW_S)
    active = set_state(suspended, KESENNUMA, BodyState.ACTIVE, since=NOW_S + 10)
    entry = active.entry(KESENNUMA)
    assert entry is not None
    assert (entry.state, entry.state_since) == (BodyState.ACTIVE, None)
    assert list(_view(active).issuer_keys(issuer=KSN.issuer_id, kid=None)) == [KSN_KEY]


def test_state_labels_are_bilingual() -> None:
    assert (BodyState.SUSPENDED.label_ja, BodyState.SUSPENDED.label_en) == ("停止中", "suspended")
    assert BodyState.WITHDRAWN.label_ja == "脱退"
    assert BodyState.ACTIVE.label_en == "active"


# --------------------------------------------------------------------------- key windows


def test_key_covers_signatures_inside_its_window_only() -> None:
    view = _view()

    def use(moment: int) -> None:
        view.check_key_use(body_code=KESENNUMA, key=KSN_KEY, signed_at=moment)

    use(KEYS_FROM)
    use(NOW_S)
    assert _code(lambda: use(KEYS_FROM - 1)) is ErrorCode.ISSUER_KEY_NOT_VALID


def test_rotation_with_overlap() -> None:
    at, overlap = NOW_S, 7 * DAY
    rotated = rotate_key(signed(), KESENNUMA, NEW_KEY, at=at, overlap=overlap)
    view = _view(rotated)

    def old(moment: int) -> None:
        view.check_key_use(body_code=KESENNUMA, key=KSN_KEY, signed_at=moment)

    def new(moment: int) -> None:
        view.check_key_use(body_code=KESENNUMA, key=NEW_KEY, signed_at=moment)

    # during the overlap both keys are good; afterwards only the new one
    old(at + overlap - 1)
    new(at)
    new(at + overlap + DAY)
    assert _code(lambda: old(at + overlap)) is ErrorCode.ISSUER_KEY_NOT_VALID
    assert _code(lambda: new(at - 1)) is ErrorCode.ISSUER_KEY_NOT_VALID
    # what the old key signed before stays valid
    old(KEYS_FROM + DAY)
    assert list(view.issuer_keys(issuer=KSN.issuer_id, kid="042056-2028")) == [NEW_KEY]


def test_rotation_does_not_reopen_closed_or_withdrawn_keys() -> None:
    once = rotate_key(signed(), KESENNUMA, NEW_KEY, at=NOW_S, overlap=DAY)
    third = fixed_signer("issuer-042056-third", kid="042056-2029").public_jwk
    twice = rotate_key(once, KESENNUMA, third, at=NOW_S + 10 * DAY, overlap=0)
    entry = twice.entry(KESENNUMA)
    assert entry is not None
    windows = {key.kid: (key.not_before, key.not_after) for key in entry.keys}
    assert windows == {
        "042056-2027": (KEYS_FROM, NOW_S + DAY),
        "042056-2028": (NOW_S, NOW_S + 10 * DAY),
        "042056-2029": (NOW_S + 10 * DAY, None),
    }
    with pytest.raises(ValueError, match="overlap"):
        rotate_key(signed(), KESENNUMA, third, at=NOW_S, overlap=-1)


def test_withdrawn_key_rejects_what_it_signed_after_the_withdrawal() -> None:
    withdrawn_from = NOW_S - DAY
    view = _view(withdraw_key(signed(), KESENNUMA, "042056-2027", from_=withdrawn_from))

    def use(moment: int) -> None:
        view.check_key_use(body_code=KESENNUMA, key=KSN_KEY, signed_at=moment)

    use(withdrawn_from - 1)  # signed before: still valid unless its own status says otherwise
    assert _code(lambda: use(withdrawn_from)) is ErrorCode.ISSUER_KEY_WITHDRAWN
    assert _code(lambda: use(NOW_S)) is ErrorCode.ISSUER_KEY_WITHDRAWN


def test_withdrawal_can_only_move_earlier() -> None:
    once = withdraw_key(signed(), KESENNUMA, "042056-2027", from_=NOW_S)
    earlier = withdraw_key(once, KESENNUMA, "042056-2027", from_=NOW_S - DAY)
    entry = earlier.entry(KESENNUMA)
    assert entry is not None
    assert entry.keys[0].withdrawn_from == NOW_S - DAY
    with pytest.raises(ValueError, match="already withdrawn"):
        withdraw_key(earlier, KESENNUMA, "042056-2027", from_=NOW_S)
    with pytest.raises(ValueError, match="no key"):
        withdraw_key(earlier, KESENNUMA, "missing", from_=NOW_S)


def test_key_of_another_body_is_unknown_here() -> None:
    mmw_key = issuing_body(MINAMIMINOWA).signer.public_jwk
    view = _view()
    assert (
        _code(lambda: view.check_key_use(body_code=KESENNUMA, key=mmw_key, signed_at=NOW_S))
        is ErrorCode.ISSUER_KEY_UNKNOWN
    )
    assert (
        _code(lambda: view.status_list_key_use(body_code=KESENNUMA, key=mmw_key, signed_at=NOW_S))
        is ErrorCode.ISSUER_KEY_UNKNOWN
    )


def test_usable_at_reports_the_window() -> None:
    key = TrustedKey(jwk=KSN_KEY, not_before=10, not_after=20, withdrawn_from=15)
    assert [key.usable_at(t) for t in (9, 10, 14, 15, 20)] == [False, True, True, False, False]
    with pytest.raises(ValueError, match="not_after"):
        TrustedKey(jwk=KSN_KEY, not_before=10, not_after=10)
    with pytest.raises(ValueError, match="kid"):
        TrustedKey(jwk=KSN_KEY.with_kid(None), not_before=10)


# --------------------------------------------------------------------------- other edits


def test_adding_bodies_keys_and_lists_refuses_duplicates() -> None:
    trust_list = draft()
    registry = load_bodies()
    miyagi = entry_for_body(
        registry.get(MIYAGI), issuer=ISSUER_BASE + MIYAGI, issuer_url=ISSUER_BASE + MIYAGI
    )
    grown = add_entry(trust_list, miyagi)
    assert [entry.body_code for entry in grown.entries] == sorted(
        [KESENNUMA, MINAMIMINOWA, SENDAI, MIYAGI]
    )
    with pytest.raises(ValueError, match="already in"):
        add_entry(grown, miyagi)
    impostor = entry_for_body(
        registry.get("010006"), issuer=ISSUER_BASE + MIYAGI, issuer_url=ISSUER_BASE + MIYAGI
    )
    with pytest.raises(ValueError, match="issuer"):
        add_entry(grown, impostor)
    with pytest.raises(ValueError, match="already has a key"):
        add_key(grown, KESENNUMA, TrustedKey(jwk=NEW_KEY.with_kid("042056-2027"), not_before=0))
    with pytest.raises(ValueError, match="another kid"):
        add_key(grown, KESENNUMA, TrustedKey(jwk=KSN_KEY.with_kid("again"), not_before=0))
    with pytest.raises(ValueError, match="not in the trust list"):
        add_key(grown, "010006", TrustedKey(jwk=NEW_KEY, not_before=0))
    second = StatusListLocation(list_id=2, uri=ISSUER_BASE + KESENNUMA + "/status/2")
    with_list = add_status_list(grown, KESENNUMA, second)
    assert TrustListTrust(with_list).status_list_uri(body_code=KESENNUMA, list_id=2) == second.uri
    with pytest.raises(ValueError, match="already listed"):
        add_status_list(with_list, MIYAGI, second)
    with pytest.raises(ValueError, match="already has status list"):
        add_status_list(
            with_list, KESENNUMA, StatusListLocation(list_id=2, uri="https://x.example/2")
        )


def test_next_version_numbers_and_dates_the_list() -> None:
    first = next_version(draft(), now=NOW_S, next_update_in=DAY, valid_for=7 * DAY)
    second = next_version(first, now=NOW_S + 60, next_update_in=DAY, valid_for=7 * DAY)
    assert (first.sequence, second.sequence) == (1, 2)
    assert (second.issued_at, second.next_update, second.expires_at) == (
        NOW_S + 60,
        NOW_S + 60 + DAY,
        NOW_S + 60 + 7 * DAY,
    )
    with pytest.raises(ValueError, match="next_update_in"):
        next_version(draft(), now=NOW_S, next_update_in=8 * DAY, valid_for=7 * DAY)
