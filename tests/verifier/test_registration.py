"""Verifying presentations of registration cards (:mod:`furusato_vc.verifier.registration`).

``RegistrationVerifier.verify`` runs RFC 9901 §7.3 and the SD-JWT VC rules, then the
registration rules: the issuer may issue for the body the card names, the body is in the
policy's scope, the tier and required Disclosures match the profile, and today (JST) lies within
the registration's dates. Every failure is a :class:`Rejected` with a stable code and ja/en
text; ``verify`` never raises on bad input (properties at the end).

Clock: cards are issued at ``NOW`` (2027-01-15 09:00 JST); the KB-JWT window is 60 s and the
clock skew 60 s unless a test says otherwise.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from furusato_vc.core.encoding import b64url_encode
from furusato_vc.core.errors import ErrorCode, VerificationError
from furusato_vc.core.jose.jwt import to_numeric_date
from furusato_vc.core.messages import message_for
from furusato_vc.core.policy import VerificationPolicyBuilder
from furusato_vc.core.profiles import BUILTIN_PROFILES, builtin_profile
from furusato_vc.core.registration.claims import Tier
from furusato_vc.core.sdjwt import KeyBindingRequest, create_presentation, split_compact
from furusato_vc.core.statuslist.reference import StatusReference
from furusato_vc.verifier import RegistrationVerifier, Rejected, Verified
from tests.registration_fixtures import (
    ISSUER_BASE,
    KESENNUMA,
    MINAMIMINOWA,
    MIYAGI,
    NONCE,
    NOW,
    SENDAI,
    STATUS_INDEX,
    TODAY,
    basic_registration,
    bodies,
    hold,
    holder,
    issue,
    issuer_payload,
    issuing_body,
    jst_midnight,
    policy_for,
    premium_registration,
    present,
    strip_kb,
    trust_for,
    verifier_for,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

    from furusato_vc.core.registration.claims import RegistrationClaims
    from furusato_vc.core.sdjwt import ClaimPath, IssuedSdJwt
    from furusato_vc.wallet import HeldCredential

TRUST = trust_for(KESENNUMA, MINAMIMINOWA, SENDAI, MIYAGI)
GARBAGE = builtin_profile("garbage-station")
NURSERY = builtin_profile("nursery")
ALL_TEST_BODIES = (KESENNUMA, MINAMIMINOWA, SENDAI, MIYAGI)


def _verifier(
    profile_id: str = "garbage-station",
    *,
    accept: Iterable[str] = ALL_TEST_BODIES,
    nonce: str | None = NONCE,
) -> RegistrationVerifier:
    """A verifier of a built-in profile that skips status (cards carry a status reference)."""
    return verifier_for(policy_for(profile_id, accept=accept, nonce=nonce), trust=TRUST)


def _at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _exp(held: HeldCredential) -> int:
    exp = issuer_payload(held.serialized)["exp"]
    assert isinstance(exp, int)
    return exp


def _code(result: Verified | Rejected) -> ErrorCode | None:
    return result.code if isinstance(result, Rejected) else None


def _show(
    held: HeldCredential,
    profile_id: str = "garbage-station",
    *,
    at: datetime = NOW,
    disclose: tuple[ClaimPath, ...] | None = None,
    nonce: str = NONCE,
    audience: str | None = None,
) -> str:
    profile = builtin_profile(profile_id)
    return present(
        held,
        profile.requested if disclose is None else disclose,
        audience=audience or profile.default_audience,
        nonce=nonce,
        now=at,
    )


def _present_unchecked(issued: IssuedSdJwt, *, audience: str = GARBAGE.default_audience) -> str:
    """An SD-JWT+KB built without the wallet's receipt checks (which would refuse it)."""
    return create_presentation(
        issuer_jwt=issued.issuer_jwt,
        disclosures=(),
        key_binding=KeyBindingRequest(
            holder=holder(), audience=audience, nonce=NONCE, issued_at=to_numeric_date(NOW)
        ),
    )


def _card_for(profile_id: str) -> RegistrationClaims:
    premium = builtin_profile(profile_id).required_tier is Tier.PREMIUM
    return premium_registration() if premium else basic_registration()


# --------------------------------------------------------------------------- accepted


@pytest.mark.parametrize("profile_id", sorted(BUILTIN_PROFILES))
def test_builtin_profile_presentation_verifies(profile_id: str) -> None:
    registration = _card_for(profile_id)
    result = _verifier(profile_id).verify(_show(hold(registration), profile_id), now=NOW)
    assert isinstance(result, Verified)
    assert result.body.code == registration.issuing_body
    assert result.registration.tier is registration.tier
    assert result.profile_id == profile_id


@pytest.mark.parametrize("profile_id", sorted(BUILTIN_PROFILES))
def test_builtin_profile_learns_exactly_its_requested_claims(profile_id: str) -> None:
    result = _verifier(profile_id).verify(_show(hold(_card_for(profile_id)), profile_id), now=NOW)
    assert isinstance(result, Verified)
    requested = {"/".join(map(str, p)) for p in builtin_profile(profile_id).requested}
    assert result.registration.disclosed_claims == requested


def test_shop_learns_the_member_number_and_not_the_name() -> None:
    result = _verifier("shop").verify(_show(hold(basic_registration()), "shop"), now=NOW)
    assert isinstance(result, Verified)
    assert result.registration.member_number == "KSN-2027-000123"
    assert result.registration.family_name is None
    assert result.registration.birthdate is None


def test_nursery_learns_names_birthdate_and_stay() -> None:
    result = _verifier("nursery").verify(_show(hold(premium_registration()), "nursery"), now=NOW)
    assert isinstance(result, Verified)
    registration = result.registration
    assert (registration.family_name, registration.given_name) == ("山田", "花子")
    assert (registration.family_name_kana, registration.given_name_kana) == ("ヤマダ", "ハナコ")
    assert registration.birthdate is not None
    assert registration.stay is not None
    assert registration.member_number is None


def test_garbage_station_learns_body_tier_and_dates_only() -> None:
    result = _verifier().verify(_show(hold(premium_registration())), now=NOW)
    assert isinstance(result, Verified)
    assert result.body.name_ja == "南箕輪村"
    assert result.registration.valid_from == TODAY
    assert result.registration.disclosed_claims == frozenset()
    assert result.registration.registration_id is None


def test_verified_expiry_is_the_cards_exp() -> None:
    held = hold(premium_registration())
    result = _verifier().verify(_show(held), now=NOW)
    assert isinstance(result, Verified)
    assert result.expires_at == _at(_exp(held))


def test_policy_without_nonce_accepts_any_nonce() -> None:
    verifier = _verifier(nonce=None)
    result = verifier.verify(_show(hold(basic_registration()), nonce="wallet-chosen"), now=NOW)
    assert isinstance(result, Verified)


# --------------------------------------------------------------------------- issuer and body


def test_body_outside_the_scope_is_issuer_not_trusted() -> None:
    verifier = _verifier(accept=[KESENNUMA])
    result = verifier.verify(_show(hold(premium_registration())), now=NOW)
    assert _code(result) is ErrorCode.ISSUER_NOT_TRUSTED


def _impostor_card(**overrides: str) -> IssuedSdJwt:
    """気仙沼市's key signs a card naming 南箕輪村 (``iss``/``kid`` per ``overrides``)."""
    body = issuing_body(
        MINAMIMINOWA,
        key_label=f"issuer-{KESENNUMA}",
        kid=overrides.get("kid", f"{KESENNUMA}-2027"),
        issuer_id=overrides.get("issuer_id", ISSUER_BASE + KESENNUMA),
    )
    return issue(premium_registration(), body=body)


def test_a_bodys_key_cannot_issue_for_another_body() -> None:
    presentation = _present_unchecked(_impostor_card())
    assert _code(_verifier().verify(presentation, now=NOW)) is ErrorCode.ISSUER_NOT_TRUSTED


def test_a_bodys_key_cannot_issue_for_another_body_even_for_any_body_scope() -> None:
    policy = (
        VerificationPolicyBuilder()
        .profile("garbage-station")
        .audience(GARBAGE.default_audience)
        .nonce(NONCE)
        .accept_any_body()
        .build()
    )
    verifier = verifier_for(policy, trust=TRUST)
    presentation = _present_unchecked(_impostor_card())
    assert _code(verifier.verify(presentation, now=NOW)) is ErrorCode.ISSUER_NOT_TRUSTED


def test_a_bodys_key_under_the_other_bodys_iss_is_issuer_key_unknown() -> None:
    card = _impostor_card(issuer_id=ISSUER_BASE + MINAMIMINOWA)
    result = _verifier().verify(_present_unchecked(card), now=NOW)
    assert _code(result) is ErrorCode.ISSUER_KEY_UNKNOWN


def test_a_bodys_key_under_the_other_bodys_iss_and_kid_is_signature_invalid() -> None:
    card = _impostor_card(issuer_id=ISSUER_BASE + MINAMIMINOWA, kid=f"{MINAMIMINOWA}-2027")
    result = _verifier().verify(_present_unchecked(card), now=NOW)
    assert _code(result) is ErrorCode.SIGNATURE_INVALID


def test_untrusted_issuer_is_issuer_not_trusted() -> None:
    verifier = verifier_for(policy_for("garbage-station", accept=[KESENNUMA]), trust=trust_for())
    result = verifier.verify(_show(hold(basic_registration())), now=NOW)
    assert _code(result) is ErrorCode.ISSUER_NOT_TRUSTED


def test_prefecture_scope_accepts_a_municipality_of_that_prefecture() -> None:
    verifier = verifier_for(policy_for("garbage-station", prefecture=MIYAGI), trust=TRUST)
    result = verifier.verify(_show(hold(basic_registration())), now=NOW)  # 気仙沼市, 宮城県
    assert isinstance(result, Verified)
    assert result.body.code == KESENNUMA


def test_prefecture_scope_accepts_the_prefectures_own_card() -> None:
    verifier = verifier_for(policy_for("garbage-station", prefecture=MIYAGI), trust=TRUST)
    card = hold(basic_registration(issuing_body=MIYAGI, registration_id="MYG-basic-0001"))
    result = verifier.verify(_show(card), now=NOW)
    assert isinstance(result, Verified)
    assert result.body.code == MIYAGI


def test_prefecture_scope_rejects_a_municipality_of_another_prefecture() -> None:
    verifier = verifier_for(policy_for("garbage-station", prefecture=MIYAGI), trust=TRUST)
    result = verifier.verify(_show(hold(premium_registration())), now=NOW)  # 南箕輪村, 長野県
    assert _code(result) is ErrorCode.ISSUER_NOT_TRUSTED


# --------------------------------------------------------------------------- profile rules


def test_basic_card_at_a_premium_checkpoint_is_vct_not_accepted() -> None:
    result = _verifier("public-facility").verify(
        _show(hold(basic_registration()), "public-facility"), now=NOW
    )
    assert _code(result) is ErrorCode.VCT_NOT_ACCEPTED


def test_basic_card_at_a_nursery_is_vct_not_accepted() -> None:
    result = _verifier("nursery").verify(_show(hold(basic_registration()), "nursery"), now=NOW)
    assert _code(result) is ErrorCode.VCT_NOT_ACCEPTED


def test_shop_without_member_number_is_required_disclosure_missing() -> None:
    presentation = _show(hold(basic_registration()), "shop", disclose=())
    result = _verifier("shop").verify(presentation, now=NOW)
    assert _code(result) is ErrorCode.REQUIRED_DISCLOSURE_MISSING


def test_nursery_without_stay_is_required_disclosure_missing() -> None:
    partial = tuple(p for p in NURSERY.requested if p != ("stay",))
    presentation = _show(hold(premium_registration()), "nursery", disclose=partial)
    result = _verifier("nursery").verify(presentation, now=NOW)
    assert _code(result) is ErrorCode.REQUIRED_DISCLOSURE_MISSING


def test_card_lacking_a_required_claim_is_required_disclosure_missing() -> None:
    card = hold(basic_registration(member_number=None))
    result = _verifier("shop").verify(_show(card, "shop"), now=NOW)
    assert _code(result) is ErrorCode.REQUIRED_DISCLOSURE_MISSING


# --------------------------------------------------------------------------- registration dates


def test_premium_is_valid_one_second_before_its_last_jst_day_ends() -> None:
    held = hold(premium_registration())
    moment = _at(_exp(held) - 1)
    assert isinstance(_verifier().verify(_show(held, at=moment), now=moment), Verified)


def test_premium_after_its_last_jst_day_is_registration_not_valid() -> None:
    # exp is 00:00 JST after valid_until; within the skew the token is still fine, but the
    # Japan date is past the registration.
    held = hold(premium_registration())
    moment = _at(_exp(held))
    result = _verifier().verify(_show(held, at=moment), now=moment)
    assert _code(result) is ErrorCode.REGISTRATION_NOT_VALID


def test_registration_before_its_first_jst_day_is_registration_not_valid() -> None:
    start = TODAY + timedelta(days=10)
    moment = _at(jst_midnight(start) - 1)  # within the skew of nbf
    held = hold(premium_registration(valid_from=start), now=moment)
    result = _verifier().verify(_show(held, at=moment), now=moment)
    assert _code(result) is ErrorCode.REGISTRATION_NOT_VALID


def test_registration_is_valid_from_jst_midnight_of_its_first_day() -> None:
    start = TODAY + timedelta(days=10)
    moment = _at(jst_midnight(start))
    held = hold(premium_registration(valid_from=start), now=moment)
    assert isinstance(_verifier().verify(_show(held, at=moment), now=moment), Verified)


def test_card_well_before_its_nbf_is_token_not_yet_valid() -> None:
    start = TODAY + timedelta(days=10)
    moment = _at(jst_midnight(start) - 1)
    held = hold(premium_registration(valid_from=start), now=moment)
    early = _at(jst_midnight(start) - 61)
    result = _verifier().verify(_show(held, at=early), now=early)
    assert _code(result) is ErrorCode.TOKEN_NOT_YET_VALID


@pytest.mark.parametrize("offset", [-1, 0, 59], ids=["exp-1s", "exp", "exp+skew-1s"])
def test_open_ended_card_is_accepted_until_exp_plus_skew(offset: int) -> None:
    held = hold(basic_registration())
    moment = _at(_exp(held) + offset)
    assert isinstance(_verifier().verify(_show(held, at=moment), now=moment), Verified)


@pytest.mark.parametrize("offset", [60, 61], ids=["exp+skew", "exp+skew+1s"])
def test_card_from_exp_plus_skew_is_token_expired(offset: int) -> None:
    held = hold(basic_registration())
    moment = _at(_exp(held) + offset)
    result = _verifier().verify(_show(held, at=moment), now=moment)
    assert _code(result) is ErrorCode.TOKEN_EXPIRED


# --------------------------------------------------------------------------- key binding


def test_wrong_audience_is_kb_audience_mismatch() -> None:
    presentation = _show(hold(basic_registration()), audience="urn:furusato-vc:verifier:other")
    assert _code(_verifier().verify(presentation, now=NOW)) is ErrorCode.KB_AUDIENCE_MISMATCH


def test_shop_presentation_replayed_at_a_nursery_is_rejected() -> None:
    presentation = _show(hold(premium_registration()), "shop")
    result = _verifier("nursery").verify(presentation, now=NOW)
    assert _code(result) is ErrorCode.KB_AUDIENCE_MISMATCH


def test_wrong_nonce_is_kb_nonce_mismatch() -> None:
    presentation = _show(hold(basic_registration()), nonce="stale-nonce")
    assert _code(_verifier().verify(presentation, now=NOW)) is ErrorCode.KB_NONCE_MISMATCH


def test_kb_exactly_at_the_window_is_accepted() -> None:
    held = hold(basic_registration())
    now = NOW + timedelta(hours=1)
    presentation = _show(held, at=now - timedelta(seconds=60))
    assert isinstance(_verifier().verify(presentation, now=now), Verified)


def test_kb_one_second_past_the_window_is_kb_too_old() -> None:
    held = hold(basic_registration())
    now = NOW + timedelta(hours=1)
    presentation = _show(held, at=now - timedelta(seconds=61))
    assert _code(_verifier().verify(presentation, now=now)) is ErrorCode.KB_TOO_OLD


def test_configured_window_replaces_the_default() -> None:
    policy = (
        VerificationPolicyBuilder()
        .profile("garbage-station")
        .audience(GARBAGE.default_audience)
        .nonce(NONCE)
        .accept_bodies([KESENNUMA])
        .holder_binding_window(timedelta(seconds=10))
        .build()
    )
    now = NOW + timedelta(hours=1)
    presentation = _show(hold(basic_registration()), at=now - timedelta(seconds=11))
    result = verifier_for(policy, trust=TRUST).verify(presentation, now=now)
    assert _code(result) is ErrorCode.KB_TOO_OLD


def test_kb_at_the_future_skew_is_accepted() -> None:
    presentation = _show(hold(basic_registration()), at=NOW + timedelta(seconds=60))
    assert isinstance(_verifier().verify(presentation, now=NOW), Verified)


def test_kb_beyond_the_future_skew_is_kb_in_future() -> None:
    presentation = _show(hold(basic_registration()), at=NOW + timedelta(seconds=61))
    assert _code(_verifier().verify(presentation, now=NOW)) is ErrorCode.KB_IN_FUTURE


def test_stripped_kb_jwt_is_kb_required() -> None:
    presentation = strip_kb(_show(hold(basic_registration())))
    assert _code(_verifier().verify(presentation, now=NOW)) is ErrorCode.KB_REQUIRED


def test_kb_jwt_by_another_key_is_kb_signature_invalid() -> None:
    held = hold(basic_registration())
    presentation = present(
        held,
        audience=GARBAGE.default_audience,
        holder_signer=holder("phone-thief"),
    )
    assert _code(_verifier().verify(presentation, now=NOW)) is ErrorCode.KB_SIGNATURE_INVALID


def test_disclosure_added_after_signing_is_kb_sd_hash_mismatch() -> None:
    held = hold(basic_registration())
    presentation = _show(held, "shop")
    extra = next(d for d in held.verified.sd_jwt.disclosed if d.path == ("birthdate",))
    issuer_jwt, rest = presentation.split("~", 1)
    tampered = f"{issuer_jwt}~{extra.disclosure.encoded}~{rest}"
    result = _verifier("shop").verify(tampered, now=NOW)
    assert _code(result) is ErrorCode.KB_SD_HASH_MISMATCH


# --------------------------------------------------------------------------- status


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


def test_status_without_checker_or_unsafe_flag_is_status_not_checked() -> None:
    verifier = RegistrationVerifier(
        policy=policy_for("garbage-station", accept=[KESENNUMA]),
        trust=TRUST,
        bodies=bodies(),
        status_checker=None,
    )
    result = verifier.verify(_show(hold(basic_registration())), now=NOW)
    assert _code(result) is ErrorCode.STATUS_NOT_CHECKED


def test_status_checker_is_asked_about_the_cards_reference() -> None:
    checker = _RecordingChecker()
    verifier = verifier_for(
        policy_for("garbage-station", accept=[KESENNUMA]), trust=TRUST, status_checker=checker
    )
    result = verifier.verify(_show(hold(basic_registration())), now=NOW)
    assert isinstance(result, Verified)
    assert checker.calls == [
        (
            StatusReference(uri=f"{ISSUER_BASE}{KESENNUMA}/status/1", idx=STATUS_INDEX),
            ISSUER_BASE + KESENNUMA,
            to_numeric_date(NOW),
        )
    ]


def test_status_checker_refusal_becomes_rejected() -> None:
    checker = _RecordingChecker(VerificationError(ErrorCode.STATUS_NOT_CHECKED, "stale list"))
    verifier = verifier_for(
        policy_for("garbage-station", accept=[KESENNUMA]), trust=TRUST, status_checker=checker
    )
    result = verifier.verify(_show(hold(basic_registration())), now=NOW)
    assert _code(result) is ErrorCode.STATUS_NOT_CHECKED


def test_checker_and_unsafe_flag_together_are_refused() -> None:
    with pytest.raises(ValueError, match="not both"):
        RegistrationVerifier(
            policy=policy_for("garbage-station", accept=[KESENNUMA]),
            trust=TRUST,
            bodies=bodies(),
            status_checker=_RecordingChecker(),
            unsafe_skip_status_check=True,
        )


# --------------------------------------------------------------------------- messages


def _rejections() -> dict[str, Rejected]:
    held = hold(basic_registration())
    cases = {
        "wrong-audience": _verifier().verify(_show(held, audience="urn:x"), now=NOW),
        "scope": _verifier(accept=[SENDAI]).verify(_show(held), now=NOW),
        "tier": _verifier("public-facility").verify(_show(held, "public-facility"), now=NOW),
        "garbage": _verifier().verify("not an sd-jwt", now=NOW),
    }
    out: dict[str, Rejected] = {}
    for name, result in cases.items():
        assert isinstance(result, Rejected), name
        out[name] = result
    return out


@pytest.mark.parametrize("case", ["wrong-audience", "scope", "tier", "garbage"])
def test_rejected_carries_japanese_and_english_text_for_its_code(case: str) -> None:
    rejected = _rejections()[case]
    assert rejected.message_ja.strip()
    assert rejected.message_en.strip()
    message = message_for(rejected.code)
    assert (rejected.message_ja, rejected.message_en) == (message.ja, message.en)


def test_rejected_text_never_echoes_the_input() -> None:
    result = _verifier().verify("山田花子~KSN-2027-000123~", now=NOW)
    assert isinstance(result, Rejected)
    for text in (result.message_ja, result.message_en, result.detail):
        assert "山田" not in text
        assert "KSN-2027" not in text


# --------------------------------------------------------------------------- never raises

_HELD = hold(basic_registration())
_VALID = _show(_HELD, "shop")
_SHOP_VERIFIER = _verifier("shop")
_B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def test_the_presentation_mutated_below_verifies_unmodified() -> None:
    assert isinstance(_SHOP_VERIFIER.verify(_VALID, now=NOW), Verified)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_arbitrary_text_is_rejected_not_raised(text: str) -> None:
    assert isinstance(_SHOP_VERIFIER.verify(text, now=NOW), Rejected)


def _char_edits(text: str) -> st.SearchStrategy[str]:
    index = st.integers(min_value=0, max_value=len(text) - 1)
    char = st.one_of(st.sampled_from(_B64URL + "~.="), st.characters())
    return st.one_of(
        st.builds(lambda i, c: text[:i] + c + text[i + 1 :], index, char),
        st.builds(lambda i, c: text[:i] + c + text[i:], index, char),
        st.builds(lambda i: text[:i] + text[i + 1 :], index),
    )


def _component_edits(text: str) -> st.SearchStrategy[str]:
    parts = text.split("~")
    index = st.integers(min_value=0, max_value=len(parts) - 1)

    def drop(i: int) -> str:
        return "~".join(parts[:i] + parts[i + 1 :])

    def duplicate(i: int) -> str:
        return "~".join(parts[: i + 1] + parts[i:])

    def swap(i: int, j: int) -> str:
        swapped = list(parts)
        swapped[i], swapped[j] = swapped[j], swapped[i]
        return "~".join(swapped)

    return st.one_of(
        st.builds(drop, index), st.builds(duplicate, index), st.builds(swap, index, index)
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(_char_edits(_VALID), _component_edits(_VALID)))
def test_any_mutation_of_a_valid_presentation_is_rejected(mutated: str) -> None:
    if mutated == _VALID:
        return  # a swap of a component with itself
    result = _SHOP_VERIFIER.verify(mutated, now=NOW)
    assert isinstance(result, Rejected)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.sampled_from(["alg", "typ", "kid", "iss", "_sd", "..."]), children)
    ),
    max_leaves=6,
)
_SEGMENTS = st.one_of(
    st.text(alphabet=_B64URL, max_size=48),
    st.text(alphabet=_B64URL + "=+/ ", max_size=12),
    st.sampled_from([part for piece in _VALID.split("~") for part in piece.split(".")]),
    _JSON.map(lambda value: b64url_encode(json.dumps(value).encode("utf-8"))),
)
_JUNK = st.lists(st.lists(_SEGMENTS, max_size=4).map(".".join), max_size=6).map("~".join)


@settings(max_examples=300, deadline=None)
@given(_JUNK)
def test_base64url_junk_joined_by_tildes_and_dots_is_rejected(junk: str) -> None:
    assert isinstance(_SHOP_VERIFIER.verify(junk, now=NOW), Rejected)


def test_empty_presentation_is_malformed_sd_jwt() -> None:
    assert _code(_SHOP_VERIFIER.verify("", now=NOW)) is ErrorCode.MALFORMED_SD_JWT


def test_issuer_jwt_alone_without_tilde_is_rejected() -> None:
    jwt_only = split_compact(_VALID).issuer_jwt
    assert _code(_SHOP_VERIFIER.verify(jwt_only, now=NOW)) is ErrorCode.MALFORMED_SD_JWT
