"""The verifier's QR path (:meth:`RegistrationVerifier.verify` with ``FJ1:`` text) and the
replay cache (:class:`ReplayCache`).

A QR kiosk is one-way: no verifier nonce, so freshness comes from the SD-KBT's ``iat`` (60 s
window, 60 s clock skew) and the replay cache, which accepts each SD-KBT once. Status goes
through the :class:`StatusChecker` with the list URI the trust data gives for the card's short
status-list id. The business policy (tier, body scope, required disclosures) must give the same
answer as for the SD-JWT VC presentation of the same card. ``verify`` never raises on bad input
(properties at the end).

Cards are issued in both formats at ``NOW`` (2027-01-15 09:00 JST) by
:func:`tests.core.compact.builders.hold_both`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import cbor2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from furusato_vc.core.base45 import BASE45_ALPHABET
from furusato_vc.core.cbor import encode_cbor
from furusato_vc.core.errors import ErrorCode, VerificationError
from furusato_vc.core.jose.jwt import to_numeric_date
from furusato_vc.core.profiles import builtin_profile
from furusato_vc.core.qrtext import QR_PREFIX, decode_qr_text, encode_qr_text
from furusato_vc.core.registration.claims import Claim, Tier
from furusato_vc.core.statuslist.reference import StatusReference
from furusato_vc.core.trust import StaticTrust
from furusato_vc.verifier import Rejected, ReplayCache, Verified
from furusato_vc.wallet import RotatingQr, present_qr
from tests.core.compact.builders import (
    BASIC_BODY,
    HOLDER,
    NOW,
    OTHER_HOLDER,
    PREMIUM_BODY,
    hold_both,
    malleate,
    qr_verifier,
    trusted,
)
from tests.registration_fixtures import (
    ISSUER_BASE,
    KESENNUMA,
    MINAMIMINOWA,
    MIYAGI,
    NONCE,
    SENDAI,
    STATUS_INDEX,
    basic_registration,
    premium_registration,
    present,
)

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime

    from furusato_vc.core.jose import SoftwareSigner
    from furusato_vc.core.sdjwt import ClaimPath
    from furusato_vc.wallet import HeldCredential

BASIC = hold_both(basic_registration())
PREMIUM = hold_both(premium_registration())
WINDOW = timedelta(seconds=60)


def _qr(
    held: HeldCredential,
    profile_id: str,
    *,
    audience: str | None = None,
    now: datetime = NOW,
    nonce: str | None = None,
    disclose: Iterable[ClaimPath] | None = None,
    signer: SoftwareSigner = HOLDER,
) -> str:
    return present_qr(
        held,
        disclose=builtin_profile(profile_id).requested if disclose is None else disclose,
        holder=signer,
        audience=audience or profile_id,
        now=now,
        nonce=nonce,
    )


def _code(result: Verified | Rejected) -> ErrorCode | None:
    return result.code if isinstance(result, Rejected) else None


class _RecordingChecker:
    """A StatusChecker that records its calls and optionally refuses."""

    def __init__(self, refusal: VerificationError | None = None) -> None:
        self.refusal = refusal
        self.calls: list[tuple[StatusReference, str, int]] = []
        self.max_ages: list[int] = []

    def check(self, reference: StatusReference, *, issuer: str, now: int, max_age: int) -> None:
        self.calls.append((reference, issuer, now))
        self.max_ages.append(max_age)
        if self.refusal is not None:
            raise self.refusal


# =========================================================================== acceptance


def test_garbage_station_accepts_its_qr() -> None:
    result = qr_verifier("garbage-station").verify(_qr(PREMIUM, "garbage-station"), now=NOW)
    assert isinstance(result, Verified)
    assert (result.profile_id, result.body.code) == ("garbage-station", MINAMIMINOWA)
    assert result.registration.disclosed_claims == frozenset()


def test_shop_accepts_its_qr_with_the_member_number() -> None:
    result = qr_verifier("shop").verify(_qr(BASIC, "shop"), now=NOW)
    assert isinstance(result, Verified)
    assert result.registration.member_number == "KSN-2027-000123"
    assert result.registration.disclosed_claims == {Claim.MEMBER_NUMBER}


def test_nursery_accepts_its_qr_with_names_birthdate_and_stay() -> None:
    result = qr_verifier("nursery").verify(_qr(PREMIUM, "nursery"), now=NOW)
    assert isinstance(result, Verified)
    registration = result.registration
    assert (registration.family_name, registration.given_name_kana, registration.tier) == (
        "山田",
        "ハナコ",
        Tier.PREMIUM,
    )
    assert registration.disclosed_claims == {
        Claim.FAMILY_NAME,
        Claim.GIVEN_NAME,
        Claim.FAMILY_NAME_KANA,
        Claim.GIVEN_NAME_KANA,
        Claim.BIRTHDATE,
        Claim.STAY,
    }


def test_verified_qr_expires_with_the_credential() -> None:
    result = qr_verifier("garbage-station").verify(_qr(PREMIUM, "garbage-station"), now=NOW)
    assert isinstance(result, Verified)
    assert to_numeric_date(result.expires_at) == PREMIUM.verified.expires_at


def test_qr_and_sd_jwt_presentations_describe_the_same_registration() -> None:
    policy_nonce = NONCE
    qr = qr_verifier("nursery", nonce=policy_nonce).verify(
        _qr(PREMIUM, "nursery", nonce=policy_nonce), now=NOW
    )
    online = qr_verifier("nursery", nonce=policy_nonce).verify(
        present(PREMIUM, builtin_profile("nursery").requested, audience="nursery"), now=NOW
    )
    assert isinstance(qr, Verified)
    assert isinstance(online, Verified)
    fields = ("issuing_body", "tier", "valid_from", "family_name", "birthdate", "stay")
    assert [getattr(qr.registration, f) for f in fields] == [
        getattr(online.registration, f) for f in fields
    ]


# =========================================================================== replay and freshness


def test_replay_of_the_same_qr_is_rejected() -> None:
    verifier = qr_verifier("garbage-station")
    text = _qr(PREMIUM, "garbage-station")
    assert isinstance(verifier.verify(text, now=NOW), Verified)
    assert _code(verifier.verify(text, now=NOW + timedelta(seconds=5))) is ErrorCode.KB_REPLAYED


def test_replay_with_a_malleated_signature_is_rejected() -> None:
    verifier = qr_verifier("garbage-station")
    text = _qr(PREMIUM, "garbage-station")
    assert isinstance(verifier.verify(text, now=NOW), Verified)
    twin = encode_qr_text(malleate(decode_qr_text(text)))
    assert twin != text
    assert _code(verifier.verify(twin, now=NOW)) is ErrorCode.KB_REPLAYED


def test_rotating_qr_gives_a_new_code_the_verifier_accepts() -> None:
    verifier = qr_verifier("garbage-station")
    qr = RotatingQr(PREMIUM, disclose=(), holder=HOLDER, audience="garbage-station")
    assert isinstance(verifier.verify(qr.text(now=NOW), now=NOW), Verified)
    later = NOW + timedelta(seconds=30)
    assert isinstance(verifier.verify(qr.text(now=later), now=later), Verified)


def test_rotating_qr_shown_twice_within_its_period_is_a_replay() -> None:
    verifier = qr_verifier("garbage-station")
    qr = RotatingQr(PREMIUM, disclose=(), holder=HOLDER, audience="garbage-station")
    assert isinstance(verifier.verify(qr.text(now=NOW), now=NOW), Verified)
    later = NOW + timedelta(seconds=29)
    assert _code(verifier.verify(qr.text(now=later), now=later)) is ErrorCode.KB_REPLAYED


def test_replay_is_rejected_at_the_edge_of_the_window_after_a_future_dated_qr() -> None:
    # At T, QR A is exactly 60 s old (still fresh); QR B is dated 60 s ahead (within the
    # skew). (Both are dated after the cards' iat, NOW: a key binding never predates them.)
    verifier = qr_verifier("garbage-station")
    then = NOW + WINDOW
    shown_a = _qr(PREMIUM, "garbage-station", now=NOW)
    shown_b = _qr(BASIC, "garbage-station", now=then + WINDOW)
    assert isinstance(verifier.verify(shown_a, now=then), Verified)
    assert isinstance(verifier.verify(shown_b, now=then), Verified)
    assert _code(verifier.verify(shown_a, now=then)) is ErrorCode.KB_REPLAYED


def test_qr_shown_to_another_verifier_is_rejected() -> None:
    text = _qr(BASIC, "shop")
    result = qr_verifier("garbage-station").verify(text, now=NOW)
    assert _code(result) is ErrorCode.KB_AUDIENCE_MISMATCH


def test_qr_older_than_the_window_is_rejected() -> None:
    text = _qr(PREMIUM, "garbage-station")
    result = qr_verifier("garbage-station").verify(text, now=NOW + timedelta(seconds=61))
    assert _code(result) is ErrorCode.KB_TOO_OLD


def test_qr_exactly_at_the_window_is_accepted() -> None:
    text = _qr(PREMIUM, "garbage-station")
    result = qr_verifier("garbage-station").verify(text, now=NOW + WINDOW)
    assert isinstance(result, Verified)


def test_qr_from_a_holder_clock_too_far_ahead_is_rejected() -> None:
    text = _qr(PREMIUM, "garbage-station", now=NOW + timedelta(seconds=61))
    assert _code(qr_verifier("garbage-station").verify(text, now=NOW)) is ErrorCode.KB_IN_FUTURE


def test_challenge_mode_accepts_the_right_nonce() -> None:
    verifier = qr_verifier("shop", nonce=NONCE)
    assert isinstance(verifier.verify(_qr(BASIC, "shop", nonce=NONCE), now=NOW), Verified)


def test_challenge_mode_rejects_a_wrong_nonce() -> None:
    verifier = qr_verifier("shop", nonce=NONCE)
    result = verifier.verify(_qr(BASIC, "shop", nonce="another-nonce"), now=NOW)
    assert _code(result) is ErrorCode.KB_NONCE_MISMATCH


def test_challenge_mode_rejects_a_one_way_qr() -> None:
    result = qr_verifier("shop", nonce=NONCE).verify(_qr(BASIC, "shop"), now=NOW)
    assert _code(result) is ErrorCode.KB_NONCE_MISMATCH


def test_qr_signed_by_another_holder_is_rejected() -> None:
    text = _qr(BASIC, "shop", signer=OTHER_HOLDER)
    assert _code(qr_verifier("shop").verify(text, now=NOW)) is ErrorCode.KB_SIGNATURE_INVALID


def test_rejected_qr_is_not_remembered_as_used() -> None:
    verifier = qr_verifier("shop", nonce=NONCE)
    text = _qr(BASIC, "shop", nonce=NONCE)
    assert _code(qr_verifier("garbage-station").verify(text, now=NOW)) is not None
    assert isinstance(verifier.verify(text, now=NOW), Verified)


# =========================================================================== status


def test_status_without_a_checker_is_not_checked() -> None:
    verifier = qr_verifier("garbage-station", unsafe_skip_status_check=False)
    result = verifier.verify(_qr(PREMIUM, "garbage-station"), now=NOW)
    assert _code(result) is ErrorCode.STATUS_NOT_CHECKED


def test_status_checker_is_asked_about_the_cards_status_list_entry() -> None:
    checker = _RecordingChecker()
    verifier = qr_verifier("garbage-station", status_checker=checker)
    assert isinstance(verifier.verify(_qr(BASIC, "garbage-station"), now=NOW), Verified)
    assert [(ref, now) for ref, _issuer, now in checker.calls] == [
        (
            StatusReference(uri=f"{ISSUER_BASE}{KESENNUMA}/status/1", idx=STATUS_INDEX),
            to_numeric_date(NOW),
        )
    ]


def test_status_checker_is_asked_the_same_question_for_both_formats() -> None:
    qr_checker, online_checker = _RecordingChecker(), _RecordingChecker()
    qr_result = qr_verifier("garbage-station", status_checker=qr_checker).verify(
        _qr(BASIC, "garbage-station"), now=NOW
    )
    online_result = qr_verifier(
        "garbage-station", nonce=NONCE, status_checker=online_checker
    ).verify(present(BASIC, audience="garbage-station"), now=NOW)
    assert isinstance(qr_result, Verified)
    assert isinstance(online_result, Verified)
    assert qr_checker.calls == online_checker.calls


@pytest.mark.parametrize(
    "code",
    [ErrorCode.STATUS_NOT_CHECKED, ErrorCode.REGISTRATION_NOT_VALID, ErrorCode.TOKEN_EXPIRED],
)
def test_status_checker_refusal_propagates_its_code(code: ErrorCode) -> None:
    checker = _RecordingChecker(VerificationError(code, "refused by status"))
    verifier = qr_verifier("garbage-station", status_checker=checker)
    assert _code(verifier.verify(_qr(BASIC, "garbage-station"), now=NOW)) is code


def test_status_list_id_unknown_to_the_trust_data_is_not_checked() -> None:
    trust = StaticTrust.of(
        [trusted(BASIC_BODY, status_lists=False), trusted(PREMIUM_BODY, status_lists=False)]
    )
    checker = _RecordingChecker()
    verifier = qr_verifier("garbage-station", trust=trust, status_checker=checker)
    result = verifier.verify(_qr(BASIC, "garbage-station"), now=NOW)
    assert _code(result) is ErrorCode.STATUS_NOT_CHECKED
    assert checker.calls == []


def test_status_list_of_another_body_is_not_used() -> None:
    # Only 南箕輪村 publishes list 1 here; a 気仙沼市 card must not be checked against it.
    trust = StaticTrust.of([trusted(BASIC_BODY, status_lists=False), trusted(PREMIUM_BODY)])
    verifier = qr_verifier("garbage-station", trust=trust, status_checker=_RecordingChecker())
    result = verifier.verify(_qr(BASIC, "garbage-station"), now=NOW)
    assert _code(result) is ErrorCode.STATUS_NOT_CHECKED


def test_status_refusal_does_not_burn_the_qr() -> None:
    refusing = _RecordingChecker(VerificationError(ErrorCode.STATUS_NOT_CHECKED, "stale"))
    cache = ReplayCache()
    text = _qr(BASIC, "garbage-station")
    first = qr_verifier("garbage-station", status_checker=refusing, replay_cache=cache)
    assert _code(first.verify(text, now=NOW)) is ErrorCode.STATUS_NOT_CHECKED
    second = qr_verifier("garbage-station", status_checker=_RecordingChecker(), replay_cache=cache)
    assert isinstance(second.verify(text, now=NOW), Verified)


# =========================================================================== business policy


def _both_codes(
    profile_id: str,
    held: HeldCredential,
    *,
    accept: Iterable[str] = (KESENNUMA, MINAMIMINOWA),
    disclose: Iterable[ClaimPath] | None = None,
) -> tuple[ErrorCode | None, ErrorCode | None]:
    """The outcome of the same showing as QR text and as an SD-JWT VC presentation."""
    requested = builtin_profile(profile_id).requested if disclose is None else tuple(disclose)
    qr = qr_verifier(profile_id, accept=accept, nonce=NONCE).verify(
        _qr(held, profile_id, nonce=NONCE, disclose=requested), now=NOW
    )
    online = qr_verifier(profile_id, accept=accept, nonce=NONCE).verify(
        present(held, requested, audience=profile_id), now=NOW
    )
    return _code(qr), _code(online)


def test_tier_policy_is_the_same_for_both_formats() -> None:
    assert _both_codes("nursery", BASIC) == (ErrorCode.VCT_NOT_ACCEPTED,) * 2


def test_body_scope_policy_is_the_same_for_both_formats() -> None:
    assert _both_codes("shop", BASIC, accept=[SENDAI]) == (ErrorCode.ISSUER_NOT_TRUSTED,) * 2


@pytest.mark.parametrize(
    ("prefecture", "expected"),
    [(MIYAGI, None), ("200000", ErrorCode.ISSUER_NOT_TRUSTED)],
    ids=["miyagi-accepts-kesennuma", "nagano-refuses-kesennuma"],
)
def test_prefecture_scope_policy_is_the_same_for_both_formats(
    prefecture: str, expected: ErrorCode | None
) -> None:
    qr = qr_verifier("garbage-station", prefecture=prefecture, nonce=NONCE).verify(
        _qr(BASIC, "garbage-station", nonce=NONCE), now=NOW
    )
    online = qr_verifier("garbage-station", prefecture=prefecture, nonce=NONCE).verify(
        present(BASIC, audience="garbage-station"), now=NOW
    )
    assert (_code(qr), _code(online)) == (expected, expected)


def test_required_disclosure_policy_is_the_same_for_both_formats() -> None:
    assert _both_codes("shop", BASIC, disclose=()) == (ErrorCode.REQUIRED_DISCLOSURE_MISSING,) * 2


def test_accepted_showing_is_the_same_for_both_formats() -> None:
    assert _both_codes("nursery", PREMIUM) == (None, None)


def test_card_without_a_member_number_cannot_satisfy_the_shop() -> None:
    held = hold_both(basic_registration(member_number=None))
    assert _both_codes("shop", held) == (ErrorCode.REQUIRED_DISCLOSURE_MISSING,) * 2


# =========================================================================== ReplayCache


def test_replay_cache_accepts_a_key_once() -> None:
    cache = ReplayCache()
    assert cache.first_use(b"k", now=0, keep_until=100)
    assert not cache.first_use(b"k", now=50, keep_until=150)


def test_replay_cache_remembers_a_key_until_just_before_keep_until() -> None:
    cache = ReplayCache()
    cache.first_use(b"k", now=0, keep_until=100)
    assert not cache.first_use(b"k", now=99, keep_until=199)


def test_replay_cache_forgets_a_key_at_keep_until() -> None:
    cache = ReplayCache()
    cache.first_use(b"k", now=0, keep_until=100)
    assert cache.first_use(b"k", now=100, keep_until=200)


def test_replay_cache_evicts_expired_keys_when_used() -> None:
    cache = ReplayCache()
    for i in range(5):
        cache.first_use(bytes([i]), now=0, keep_until=10 + i)
    cache.first_use(b"new", now=12, keep_until=100)
    assert len(cache) == 3  # keys 3, 4 and "new"


def test_full_replay_cache_forgets_the_key_closest_to_expiring() -> None:
    cache = ReplayCache(max_entries=2)
    cache.first_use(b"a", now=0, keep_until=100)
    cache.first_use(b"b", now=0, keep_until=200)
    assert cache.first_use(b"c", now=0, keep_until=300)
    assert len(cache) == 2
    assert not cache.first_use(b"b", now=1, keep_until=201)
    assert not cache.first_use(b"c", now=1, keep_until=301)
    assert cache.first_use(b"a", now=1, keep_until=101)


def test_full_replay_cache_never_grows_past_its_bound() -> None:
    cache = ReplayCache(max_entries=3)
    for i in range(20):
        cache.first_use(bytes([i]), now=0, keep_until=1_000 + i)
    assert len(cache) == 3


@pytest.mark.parametrize("size", [0, -1])
def test_replay_cache_needs_a_positive_size(size: int) -> None:
    with pytest.raises(ValueError, match="positive"):
        ReplayCache(max_entries=size)


def test_replay_in_the_last_second_of_the_window_is_rejected() -> None:
    verifier = qr_verifier("garbage-station")
    text = _qr(PREMIUM, "garbage-station")
    assert isinstance(verifier.verify(text, now=NOW), Verified)
    assert _code(verifier.verify(text, now=NOW + WINDOW)) is ErrorCode.KB_REPLAYED


def test_replay_after_the_window_is_too_old() -> None:
    verifier = qr_verifier("garbage-station")
    text = _qr(PREMIUM, "garbage-station")
    assert isinstance(verifier.verify(text, now=NOW), Verified)
    later = NOW + WINDOW + timedelta(seconds=1)
    assert _code(verifier.verify(text, now=later)) is ErrorCode.KB_TOO_OLD


def test_replay_of_a_future_dated_qr_is_rejected_until_it_leaves_the_window() -> None:
    verifier = qr_verifier("garbage-station")
    text = _qr(PREMIUM, "garbage-station", now=NOW + WINDOW)  # holder clock 60 s ahead
    assert isinstance(verifier.verify(text, now=NOW), Verified)
    last_fresh = NOW + 2 * WINDOW
    assert _code(verifier.verify(text, now=last_fresh)) is ErrorCode.KB_REPLAYED


# =========================================================================== never raises


_VALID = _qr(BASIC, "shop")
_TEXT = st.text(alphabet=BASE45_ALPHABET + "abc\n\t~", max_size=200)


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_verify_never_raises_for_arbitrary_fj1_text(body: str) -> None:
    result = qr_verifier("shop").verify(QR_PREFIX + body, now=NOW)
    assert isinstance(result, Rejected)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_verify_never_raises_for_any_deflated_bytes(payload: bytes) -> None:
    result = qr_verifier("shop").verify(encode_qr_text(payload), now=NOW)
    assert isinstance(result, Rejected)


_CBOR_LEAVES = st.one_of(
    st.integers(min_value=-(2**64), max_value=2**64 - 1),
    st.binary(max_size=40),
    st.text(max_size=10),
    st.booleans(),
    st.none(),
)
_CBOR = st.recursive(
    _CBOR_LEAVES,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.integers(min_value=-70_000, max_value=300), children, max_size=4),
    ),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(st.sampled_from([1, 2, 4, 13, 16, 17]), _CBOR, max_size=4),
    _CBOR,
    st.binary(max_size=70),
)
def test_verify_never_raises_for_cose_shaped_garbage(
    protected: dict[int, object], payload: object, signature: bytes
) -> None:
    kbt = encode_cbor(
        cbor2.CBORTag(18, [encode_cbor(protected), {}, encode_cbor(payload), signature])
    )
    result = qr_verifier("shop").verify(encode_qr_text(kbt), now=NOW)
    assert isinstance(result, Rejected)


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=len(QR_PREFIX), max_value=len(_VALID) - 1), st.data())
def test_verify_never_raises_for_a_valid_qr_with_one_changed_character(
    position: int, data: st.DataObject
) -> None:
    replacement = data.draw(st.sampled_from(BASE45_ALPHABET + "a "))
    text = _VALID[:position] + replacement + _VALID[position + 1 :]
    result = qr_verifier("shop").verify(text, now=NOW)
    assert isinstance(result, Verified | Rejected)
    if isinstance(result, Verified):
        assert result.registration.member_number == "KSN-2027-000123"
