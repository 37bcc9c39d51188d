"""The built-in verifier profiles (:mod:`furusato_vc.core.profiles`).

Data minimisation (RFC 9901 §10): each checkpoint asks for exactly what it needs — a garbage
station nothing, a shop the member number, a nursery or school the names, kana, birthdate and
stay period of a premium card (docs/decisions.md, "Profiles").
"""

from __future__ import annotations

import json

import pytest

from furusato_vc.core.profiles import BUILTIN_PROFILES, Profile, builtin_profile
from furusato_vc.core.registration.claims import BASIC_VCT, Claim, Tier
from furusato_vc.core.registration.metadata import registration_type_metadata

NAMES_KANA_BIRTHDATE_STAY = (
    ("family_name",),
    ("given_name",),
    ("family_name#ja-Kana-JP",),
    ("given_name#ja-Kana-JP",),
    ("birthdate",),
    ("stay",),
)


def _always_disclosable_paths() -> set[tuple[object, ...]]:
    """Claim paths with ``sd: always`` in the basic Type Metadata (premium inherits them)."""
    document = json.loads(registration_type_metadata()[BASIC_VCT])
    return {tuple(claim["path"]) for claim in document["claims"] if claim.get("sd") == "always"}


def test_the_five_builtin_profiles_exist() -> None:
    assert set(BUILTIN_PROFILES) == {
        "garbage-station",
        "shop",
        "nursery",
        "school",
        "public-facility",
    }


def test_garbage_station_requests_nothing_of_any_tier() -> None:
    profile = builtin_profile("garbage-station")
    assert profile.requested == ()
    assert profile.required_tier is None


def test_shop_requests_only_member_number_of_any_tier() -> None:
    profile = builtin_profile("shop")
    assert profile.requested == (("member_number",),)
    assert profile.required_tier is None


@pytest.mark.parametrize("profile_id", ["nursery", "school"])
def test_childcare_profiles_request_names_kana_birthdate_stay(profile_id: str) -> None:
    assert builtin_profile(profile_id).requested == NAMES_KANA_BIRTHDATE_STAY


@pytest.mark.parametrize("profile_id", ["nursery", "school"])
def test_childcare_profiles_require_premium(profile_id: str) -> None:
    assert builtin_profile(profile_id).required_tier is Tier.PREMIUM


def test_public_facility_requests_nothing_but_requires_premium() -> None:
    profile = builtin_profile("public-facility")
    assert profile.requested == ()
    assert profile.required_tier is Tier.PREMIUM


@pytest.mark.parametrize("profile_id", sorted(BUILTIN_PROFILES))
def test_required_equals_requested(profile_id: str) -> None:
    profile = builtin_profile(profile_id)
    assert profile.required == profile.requested


@pytest.mark.parametrize("profile_id", sorted(BUILTIN_PROFILES))
def test_no_profile_asks_for_the_registration_id(profile_id: str) -> None:
    # The registration number would link every visit of one person; no checkpoint needs it.
    assert (Claim.REGISTRATION_ID,) not in builtin_profile(profile_id).requested


@pytest.mark.parametrize("profile_id", sorted(BUILTIN_PROFILES))
def test_requested_paths_are_selectively_disclosable_claims(profile_id: str) -> None:
    disclosable = _always_disclosable_paths()
    assert set(builtin_profile(profile_id).requested) <= disclosable


@pytest.mark.parametrize("profile_id", sorted(BUILTIN_PROFILES))
def test_default_audience_is_prefix_plus_id(profile_id: str) -> None:
    assert builtin_profile(profile_id).default_audience == profile_id


def test_default_audiences_are_distinct() -> None:
    audiences = [p.default_audience for p in BUILTIN_PROFILES.values()]
    assert len(set(audiences)) == len(audiences)


@pytest.mark.parametrize("profile_id", sorted(BUILTIN_PROFILES))
def test_every_profile_has_japanese_and_english_names(profile_id: str) -> None:
    profile = builtin_profile(profile_id)
    assert profile.name_ja.strip()
    assert profile.name_en.strip()


@pytest.mark.parametrize("profile_id", sorted(BUILTIN_PROFILES))
def test_benefit_text_is_given_in_both_languages_or_neither(profile_id: str) -> None:
    profile = builtin_profile(profile_id)
    assert (profile.benefit_ja is None) == (profile.benefit_en is None)


def test_registry_is_keyed_by_profile_id() -> None:
    assert all(key == profile.id for key, profile in BUILTIN_PROFILES.items())


def test_unknown_profile_is_key_error() -> None:
    with pytest.raises(KeyError):
        builtin_profile("casino")


def test_builtin_registry_cannot_be_modified() -> None:
    rogue = Profile(id="rogue", name_ja="不正", name_en="Rogue", requested=(("birthdate",),))
    with pytest.raises(TypeError):
        BUILTIN_PROFILES["rogue"] = rogue  # type: ignore[index]
