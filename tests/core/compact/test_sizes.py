"""QR text sizes of realistic presentations (the budgets in docs/compact-credential.md).

The registrations are the demo's (``examples/demo.py``): a basic card of 宮城県気仙沼市 with a
member number, and a premium card of 長野県南箕輪村 for a dual resident (names, kana,
birthdate, stay; no member number). Both are issued in both formats with
:func:`issue_registration_credentials`, accepted by the wallet, and shown as QR text with
:func:`present_qr` to the demo's three verifier profiles, with the profile id as ``aud``
(``Profile.default_audience``). Every seed gets fresh issuer and holder keys, salts and a
3-byte status index, as the demo draws them.

Budgets: QR version 15 at error correction M holds 600 alphanumeric characters, version 18
holds 816 (ISO/IEC 18004 Table 7); the garbage station and the shop must fit v15, the nursery
v18. Measured lengths appear in the assertion messages only.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

import pytest

from furusato_vc.core.encoding import b64url_encode
from furusato_vc.core.jose import SoftwareSigner
from furusato_vc.core.profiles import builtin_profile
from furusato_vc.core.registration.bodies import load_bodies
from furusato_vc.core.registration.claims import (
    JST,
    IdentityAssurance,
    IdentityMethod,
    PersonName,
    RegistrationClaims,
    RelationshipType,
    StayPeriod,
    Tier,
)
from furusato_vc.core.trust import StaticTrust
from furusato_vc.issuer import IssuingBody, issue_registration_credentials
from furusato_vc.verifier import Verified
from furusato_vc.wallet import accept_credential, present_qr
from tests.core.compact.builders import NOW, qr_verifier, trusted
from tests.helpers import SeededRandom, fixed_p256_key
from tests.registration_fixtures import ISSUER_BASE, KESENNUMA, MINAMIMINOWA

if TYPE_CHECKING:
    from furusato_vc.wallet import HeldCredential

SEEDS = range(30)
# profile -> (which demo card is shown, the body it is shown to, max characters, max version)
SHOWINGS = {
    "garbage-station": ("premium", MINAMIMINOWA, 600, 15),
    "shop": ("basic", KESENNUMA, 600, 15),
    "nursery": ("premium", MINAMIMINOWA, 816, 18),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class _Shown:
    seed: int
    profile: str
    text: str
    trust: StaticTrust


def _registrations(random: SeededRandom) -> dict[str, RegistrationClaims]:
    """The demo's two registrations (``examples/demo.py``), issued on the JST date of NOW."""
    today = NOW.astimezone(JST).date()
    name = PersonName(family="山田", given="花子", family_kana="ヤマダ", given_kana="ハナコ")
    return {
        "basic": RegistrationClaims(
            issuing_body=KESENNUMA,
            tier=Tier.BASIC,
            registration_id="R" + b64url_encode(random.token_bytes(12)),
            valid_from=today,
            relationship_types=(RelationshipType.PURCHASE_OR_DONATION, RelationshipType.VISITS),
            name=name,
            birthdate=date(1988, 4, 2),
            home_prefecture="13",
            member_number="KSN-2027-000123",
        ),
        "premium": RegistrationClaims(
            issuing_body=MINAMIMINOWA,
            tier=Tier.PREMIUM,
            registration_id="R" + b64url_encode(random.token_bytes(12)),
            valid_from=today,
            valid_until=today + timedelta(days=364),
            relationship_types=(RelationshipType.DUAL_RESIDENCE,),
            name=name,
            birthdate=date(1988, 4, 2),
            home_prefecture="13",
            stay=StayPeriod(start=today, end=today + timedelta(days=180)),
            identity_assurance=IdentityAssurance(
                method=IdentityMethod.MY_NUMBER_CARD, verified_on=today
            ),
        ),
    }


def _show_all(seed: int) -> list[_Shown]:
    random = SeededRandom(f"sizes-{seed}")
    bodies = load_bodies()
    issuers = {
        code: IssuingBody(
            code=code,
            issuer_id=ISSUER_BASE + code,
            signer=SoftwareSigner(
                fixed_p256_key(f"sizes-issuer-{code}-{seed}"),
                kid=f"{code}-{b64url_encode(random.token_bytes(6))}",
            ),
            status_list_uri=f"{ISSUER_BASE}{code}/status/1",
            status_list_id=1,
        )
        for code in (KESENNUMA, MINAMIMINOWA)
    }
    trust = StaticTrust.of(trusted(body) for body in issuers.values())
    holder = SoftwareSigner(fixed_p256_key(f"sizes-holder-{seed}"))
    held: dict[str, HeldCredential] = {}
    for label, registration in _registrations(random).items():
        issued = issue_registration_credentials(
            registration,
            body=issuers[registration.issuing_body],
            holder_key=holder.public_jwk,
            status_index=int.from_bytes(random.token_bytes(3), "big"),
            now=NOW,
            random=random,
            bodies=bodies,
        )
        held[label] = accept_credential(
            issued.sd_jwt_vc.serialize(),
            holder_key=holder.public_jwk,
            trust=trust,
            now=NOW,
            compact=issued.compact.encode(),
        )
    shown = []
    for profile_id, (card, _body, _chars, _version) in SHOWINGS.items():
        profile = builtin_profile(profile_id)
        text = present_qr(
            held[card],
            disclose=profile.requested,
            holder=holder,
            audience=profile.default_audience,
            now=NOW,
        )
        shown.append(_Shown(seed=seed, profile=profile_id, text=text, trust=trust))
    return shown


@functools.cache
def _measured() -> tuple[_Shown, ...]:
    return tuple(item for seed in SEEDS for item in _show_all(seed))


def _lengths(profile_id: str) -> list[int]:
    return [len(s.text) for s in _measured() if s.profile == profile_id]


@pytest.mark.parametrize("profile_id", SHOWINGS)
def test_qr_text_fits_the_character_budget(profile_id: str) -> None:
    budget = SHOWINGS[profile_id][2]
    lengths = _lengths(profile_id)
    assert max(lengths) <= budget, (
        f"{profile_id}: {min(lengths)}-{max(lengths)} chars over {len(SEEDS)} seeds, "
        f"budget {budget}"
    )


@pytest.mark.parametrize("profile_id", SHOWINGS)
def test_qr_version_fits_the_budget_at_error_correction_m(profile_id: str) -> None:
    render = pytest.importorskip("furusato_vc.qr.render")
    budget = SHOWINGS[profile_id][3]
    texts = [s.text for s in _measured() if s.profile == profile_id]
    versions = [render.qr_version(text, error="M") for text in texts]
    lengths = [len(text) for text in texts]
    assert max(versions) <= budget, (
        f"{profile_id}: versions {min(versions)}-{max(versions)} (M) for "
        f"{min(lengths)}-{max(lengths)} chars, budget v{budget}"
    )


def test_every_measured_qr_text_verifies_at_its_profile() -> None:
    rejected = []
    for shown in _measured():
        body = SHOWINGS[shown.profile][1]
        verifier = qr_verifier(shown.profile, accept=[body], trust=shown.trust)
        result = verifier.verify(shown.text, now=NOW)
        if not isinstance(result, Verified):
            rejected.append((shown.seed, shown.profile, result.code))
    assert not rejected


def test_sizes_are_measured_over_thirty_seeds_with_distinct_keys() -> None:
    texts = [s.text for s in _measured()]
    assert len(texts) == len(SEEDS) * len(SHOWINGS)
    assert len(set(texts)) == len(texts)
