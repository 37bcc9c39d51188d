"""The verification policy and its set-once builder (:mod:`furusato_vc.core.policy`).

Builder semantics (cryptography's ``PolicyBuilder``): every setter returns a new builder, each
option may be set once, ``build()`` refuses an incomplete policy, and bad settings are
``ValueError``. :class:`BodyScope` accepts named bodies, a prefecture with its municipalities,
or — only when asked — any body.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from furusato_vc.core.errors import ErrorCode, FormatError
from furusato_vc.core.policy import (
    DEFAULT_CLOCK_SKEW,
    DEFAULT_HOLDER_BINDING_WINDOW,
    DEFAULT_MAX_STATUS_STALENESS,
    BodyScope,
    VerificationPolicyBuilder,
)
from furusato_vc.core.profiles import builtin_profile
from furusato_vc.core.registration.claims import Tier
from tests.registration_fixtures import CHIYODA, KESENNUMA, MINAMIMINOWA, MIYAGI, SENDAI

if TYPE_CHECKING:
    from collections.abc import Callable

AUDIENCE = "urn:furusato-vc:verifier:shop"
TOKYO = "130001"


def _complete() -> VerificationPolicyBuilder:
    return VerificationPolicyBuilder().profile("shop").audience(AUDIENCE).accept_bodies([KESENNUMA])


# --------------------------------------------------------------------------- build


def test_build_carries_every_setting() -> None:
    policy = (
        VerificationPolicyBuilder()
        .profile("nursery")
        .audience(AUDIENCE)
        .nonce("n-1")
        .accept_bodies([KESENNUMA, SENDAI])
        .require_tier(Tier.PREMIUM)
        .require_disclosures([("family_name",), ("stay",)])
        .holder_binding_window(timedelta(seconds=30))
        .max_status_staleness(timedelta(hours=12))
        .clock_skew(timedelta(seconds=5))
        .build()
    )
    assert policy.profile_id == "nursery"
    assert policy.audience == AUDIENCE
    assert policy.nonce == "n-1"
    assert policy.body_scope == BodyScope(bodies=frozenset({KESENNUMA, SENDAI}))
    assert policy.required_tier is Tier.PREMIUM
    assert policy.required_disclosures == (("family_name",), ("stay",))
    assert policy.holder_binding_window == timedelta(seconds=30)
    assert policy.max_status_staleness == timedelta(hours=12)
    assert policy.clock_skew == timedelta(seconds=5)


def test_defaults_are_60s_window_48h_staleness_60s_skew() -> None:
    policy = _complete().build()
    assert policy.holder_binding_window == DEFAULT_HOLDER_BINDING_WINDOW == timedelta(seconds=60)
    assert policy.max_status_staleness == DEFAULT_MAX_STATUS_STALENESS == timedelta(hours=48)
    assert policy.clock_skew == DEFAULT_CLOCK_SKEW == timedelta(seconds=60)


def test_defaults_require_no_nonce_no_tier_no_disclosures() -> None:
    policy = _complete().build()
    assert policy.nonce is None
    assert policy.required_tier is None
    assert policy.required_disclosures == ()


def test_zero_clock_skew_is_kept_not_replaced_by_default() -> None:
    assert _complete().clock_skew(timedelta(0)).build().clock_skew == timedelta(0)


def test_built_policy_is_immutable() -> None:
    policy = _complete().build()
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.audience = "urn:other"  # type: ignore[misc]


@pytest.mark.parametrize(
    "builder",
    [
        VerificationPolicyBuilder().audience(AUDIENCE).accept_bodies([KESENNUMA]),
        VerificationPolicyBuilder().profile("shop").accept_bodies([KESENNUMA]),
        VerificationPolicyBuilder().profile("shop").audience(AUDIENCE),
        VerificationPolicyBuilder(),
    ],
    ids=["no-profile", "no-audience", "no-bodies", "nothing"],
)
def test_build_refuses_incomplete_policy(builder: VerificationPolicyBuilder) -> None:
    with pytest.raises(ValueError, match="must be set"):
        builder.build()


# --------------------------------------------------------------------------- immutability


def test_setter_returns_new_builder_and_leaves_original_unchanged() -> None:
    base = VerificationPolicyBuilder().profile("shop").audience(AUDIENCE)
    extended = base.accept_bodies([KESENNUMA])
    assert extended is not base
    with pytest.raises(ValueError, match="must be set"):
        base.build()
    assert extended.build().body_scope.bodies == {KESENNUMA}


def test_one_base_builder_can_fork_into_two_policies() -> None:
    base = VerificationPolicyBuilder().profile("shop").audience(AUDIENCE)
    first = base.accept_bodies([KESENNUMA]).build()
    second = base.accept_prefecture(MIYAGI).build()
    assert first.body_scope == BodyScope(bodies=frozenset({KESENNUMA}))
    assert second.body_scope == BodyScope(prefectures=frozenset({MIYAGI}))


def test_builder_itself_is_frozen() -> None:
    builder = VerificationPolicyBuilder()
    with pytest.raises(dataclasses.FrozenInstanceError):
        builder._profile = "shop"  # type: ignore[misc]


# --------------------------------------------------------------------------- set once

_SETTERS: dict[str, Callable[[VerificationPolicyBuilder], VerificationPolicyBuilder]] = {
    "profile": lambda b: b.profile("garbage-station"),
    "audience": lambda b: b.audience("urn:other"),
    "nonce": lambda b: b.nonce("n-2"),
    "accept_bodies": lambda b: b.accept_bodies([SENDAI]),
    "accept_prefecture": lambda b: b.accept_prefecture(MIYAGI),
    "accept_any_body": lambda b: b.accept_any_body(),
    "require_tier": lambda b: b.require_tier(Tier.BASIC),
    "require_disclosures": lambda b: b.require_disclosures([("member_number",)]),
    "holder_binding_window": lambda b: b.holder_binding_window(timedelta(seconds=10)),
    "max_status_staleness": lambda b: b.max_status_staleness(timedelta(hours=1)),
    "clock_skew": lambda b: b.clock_skew(timedelta(seconds=1)),
}


@pytest.mark.parametrize("name", sorted(_SETTERS))
def test_second_call_of_same_option_is_value_error(name: str) -> None:
    once = _SETTERS[name](VerificationPolicyBuilder())
    with pytest.raises(ValueError, match="only be set once"):
        _SETTERS[name](once)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("accept_bodies", "accept_prefecture"),
        ("accept_prefecture", "accept_any_body"),
        ("accept_any_body", "accept_bodies"),
    ],
)
def test_body_scope_is_one_option_whichever_setter(first: str, second: str) -> None:
    once = _SETTERS[first](VerificationPolicyBuilder())
    with pytest.raises(ValueError, match="only be set once"):
        _SETTERS[second](once)


# --------------------------------------------------------------------------- invalid input


@pytest.mark.parametrize(
    "call",
    [
        lambda: VerificationPolicyBuilder().profile(""),
        lambda: VerificationPolicyBuilder().audience(""),
        lambda: VerificationPolicyBuilder().nonce(""),
        lambda: VerificationPolicyBuilder().accept_bodies([]),
        lambda: VerificationPolicyBuilder().holder_binding_window(timedelta(0)),
        lambda: VerificationPolicyBuilder().holder_binding_window(timedelta(seconds=-1)),
        lambda: VerificationPolicyBuilder().max_status_staleness(timedelta(0)),
        lambda: VerificationPolicyBuilder().clock_skew(timedelta(seconds=-1)),
    ],
    ids=[
        "empty-profile",
        "empty-audience",
        "empty-nonce",
        "no-bodies",
        "zero-window",
        "negative-window",
        "zero-staleness",
        "negative-skew",
    ],
)
def test_invalid_setting_is_value_error(call: Callable[[], object]) -> None:
    with pytest.raises(ValueError):
        call()


@pytest.mark.parametrize("code", [KESENNUMA, SENDAI, CHIYODA])
def test_accept_prefecture_refuses_a_municipality_code(code: str) -> None:
    with pytest.raises(ValueError, match="not a prefecture"):
        VerificationPolicyBuilder().accept_prefecture(code)


@pytest.mark.parametrize("code", ["04205", "042057", "０４２０５６", " 042056", "04205x"])
def test_accept_bodies_refuses_malformed_code_as_invalid_body_code(code: str) -> None:
    with pytest.raises(FormatError) as info:
        VerificationPolicyBuilder().accept_bodies([KESENNUMA, code])
    assert info.value.code is ErrorCode.INVALID_BODY_CODE


def test_accept_prefecture_refuses_malformed_code_as_invalid_body_code() -> None:
    with pytest.raises(FormatError) as info:
        VerificationPolicyBuilder().accept_prefecture("040001")
    assert info.value.code is ErrorCode.INVALID_BODY_CODE


def test_accept_bodies_deduplicates_codes() -> None:
    policy = (
        VerificationPolicyBuilder()
        .profile("shop")
        .audience(AUDIENCE)
        .accept_bodies(iter([KESENNUMA, KESENNUMA, SENDAI]))
        .build()
    )
    assert policy.body_scope.bodies == {KESENNUMA, SENDAI}


def test_require_disclosures_consumes_an_iterator_once() -> None:
    paths = iter([("member_number",), ("family_name",)])
    policy = _complete().require_disclosures(paths).build()
    assert policy.required_disclosures == (("member_number",), ("family_name",))


# --------------------------------------------------------------------------- BodyScope


def test_empty_scope_accepts_nothing() -> None:
    scope = BodyScope()
    assert not any(scope.accepts(code) for code in (KESENNUMA, MIYAGI, CHIYODA, TOKYO))


def test_bodies_scope_accepts_exactly_the_named_bodies() -> None:
    scope = BodyScope(bodies=frozenset({KESENNUMA}))
    assert scope.accepts(KESENNUMA)
    assert not scope.accepts(SENDAI)


def test_bodies_scope_naming_a_prefecture_does_not_accept_its_municipalities() -> None:
    scope = BodyScope(bodies=frozenset({MIYAGI}))
    assert scope.accepts(MIYAGI)
    assert not scope.accepts(KESENNUMA)


def test_prefecture_scope_accepts_the_prefecture_itself() -> None:
    assert BodyScope(prefectures=frozenset({MIYAGI})).accepts(MIYAGI)


@pytest.mark.parametrize("code", [KESENNUMA, SENDAI])
def test_prefecture_scope_accepts_its_municipalities(code: str) -> None:
    assert BodyScope(prefectures=frozenset({MIYAGI})).accepts(code)


@pytest.mark.parametrize("code", [MINAMIMINOWA, CHIYODA, TOKYO])
def test_prefecture_scope_rejects_bodies_of_other_prefectures(code: str) -> None:
    assert not BodyScope(prefectures=frozenset({MIYAGI})).accepts(code)


def test_tokyo_scope_accepts_a_special_ward() -> None:
    assert BodyScope(prefectures=frozenset({TOKYO})).accepts(CHIYODA)


@pytest.mark.parametrize("code", [KESENNUMA, MIYAGI, CHIYODA, MINAMIMINOWA])
def test_any_body_scope_accepts_every_body(code: str) -> None:
    assert BodyScope(any_body=True).accepts(code)


def test_accept_prefecture_builds_a_prefecture_scope() -> None:
    policy = (
        VerificationPolicyBuilder()
        .profile("shop")
        .audience(AUDIENCE)
        .accept_prefecture(MIYAGI)
        .build()
    )
    assert policy.body_scope == BodyScope(prefectures=frozenset({MIYAGI}))


def test_accept_any_body_builds_an_any_scope() -> None:
    policy = (
        VerificationPolicyBuilder().profile("shop").audience(AUDIENCE).accept_any_body().build()
    )
    assert policy.body_scope == BodyScope(any_body=True)


def test_from_profile_takes_what_the_profile_fixes() -> None:
    garbage = VerificationPolicyBuilder.from_profile(builtin_profile("garbage-station"))
    policy = garbage.accept_any_body().build()
    assert (policy.profile_id, policy.audience) == ("garbage-station", "garbage-station")
    assert policy.max_status_staleness == timedelta(days=7)
    nursery = VerificationPolicyBuilder.from_profile(builtin_profile("nursery"))
    strict = nursery.accept_any_body().build()
    assert strict.required_tier is Tier.PREMIUM
    assert strict.max_status_staleness == timedelta(hours=48)
    assert len(strict.required_disclosures) == 6
