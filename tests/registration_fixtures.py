"""Builders shared by the issuer, wallet and verifier tests: bodies, trust, holder, registrations.

Everything is deterministic: issuer and holder keys come from :func:`tests.helpers.fixed_signer`,
salts from :class:`tests.helpers.SeededRandom`, and the clock is :data:`tests.helpers.FIXED_NOW`
(2027-01-15 09:00 JST). Registrations are built from two templates (:func:`basic_registration`,
:func:`premium_registration`) and varied with keyword overrides, so each test states only what
it changes.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

from furusato_vc.core.encoding import b64url_decode, parse_json_object
from furusato_vc.core.jose.jwt import to_numeric_date
from furusato_vc.core.policy import VerificationPolicyBuilder
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
from furusato_vc.core.trust import StaticTrust, TrustedIssuer
from furusato_vc.issuer import IssuancePolicy, IssuingBody, issue_registration_credential
from furusato_vc.verifier import RegistrationVerifier
from furusato_vc.wallet import accept_credential, present_credential
from tests.helpers import FIXED_NOW, SeededRandom, fixed_signer

if TYPE_CHECKING:
    from collections.abc import Iterable

    from furusato_vc.core.encoding import JSONObject
    from furusato_vc.core.jose import SoftwareSigner
    from furusato_vc.core.policy import VerificationPolicy
    from furusato_vc.core.registration.bodies import BodyRegistry
    from furusato_vc.core.sdjwt import ClaimPath, IssuedSdJwt
    from furusato_vc.core.statuslist.reference import StatusChecker
    from furusato_vc.wallet import HeldCredential

__all__ = [
    "CHIYODA",
    "ISSUER_BASE",
    "KESENNUMA",
    "MINAMIMINOWA",
    "MIYAGI",
    "NONCE",
    "NOW",
    "SENDAI",
    "STATUS_INDEX",
    "TODAY",
    "at",
    "basic_registration",
    "bodies",
    "hold",
    "holder",
    "issue",
    "issuer_header",
    "issuer_payload",
    "issuing_body",
    "jst_midnight",
    "policy_for",
    "premium_registration",
    "present",
    "strip_kb",
    "trust_for",
    "trusted_issuer",
    "verifier_for",
]

ISSUER_BASE = "https://issuer.furusato-vc.example/bodies/"
KESENNUMA = "042056"  # 宮城県気仙沼市 (city)
SENDAI = "041009"  # 宮城県仙台市 (designated city)
MIYAGI = "040002"  # 宮城県 (prefecture)
MINAMIMINOWA = "203858"  # 長野県南箕輪村 (village)
CHIYODA = "131016"  # 東京都千代田区 (special ward)

NOW = FIXED_NOW  # 2027-01-15 00:00 UTC = 09:00 JST
TODAY = date(2027, 1, 15)  # the JST date at NOW
NONCE = "nonce-registration-0001"
STATUS_INDEX = 4242

_NAME = PersonName(family="山田", given="花子", family_kana="ヤマダ", given_kana="ハナコ")


# --------------------------------------------------------------------------- clock


def at(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    """A UTC instant."""
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def jst_midnight(day: date) -> int:
    """NumericDate of 00:00 JST on ``day``."""
    return to_numeric_date(datetime.combine(day, time(0, 0), JST))


# --------------------------------------------------------------------------- bodies and keys


def bodies() -> BodyRegistry:
    return load_bodies()


def issuing_body(
    code: str,
    *,
    key_label: str | None = None,
    kid: str | None = None,
    issuer_id: str | None = None,
) -> IssuingBody:
    """An issuer for ``code`` with a fixed key; ``key_label``/``issuer_id`` override the
    defaults to build impostors (another body's key or ``iss`` for this code)."""
    return IssuingBody(
        code=code,
        issuer_id=issuer_id or ISSUER_BASE + code,
        signer=fixed_signer(key_label or f"issuer-{code}", kid=kid or f"{code}-2027"),
        status_list_uri=f"{ISSUER_BASE}{code}/status/1",
    )


def trusted_issuer(body: IssuingBody) -> TrustedIssuer:
    return TrustedIssuer(
        body_code=body.code, issuer_id=body.issuer_id, keys=(body.signer.public_jwk,)
    )


def trust_for(*codes: str) -> StaticTrust:
    """A trust set holding the default issuer (:func:`issuing_body`) of each code."""
    return StaticTrust.of(trusted_issuer(issuing_body(code)) for code in codes)


def holder(label: str = "registration-holder") -> SoftwareSigner:
    return fixed_signer(label)


# --------------------------------------------------------------------------- registrations


def basic_registration(**changes: object) -> RegistrationClaims:
    """A basic card of 気仙沼市, open-ended, with a member number (what a shop asks for)."""
    template = RegistrationClaims(
        issuing_body=KESENNUMA,
        tier=Tier.BASIC,
        registration_id="KSN-basic-0001",
        valid_from=TODAY,
        relationship_types=(RelationshipType.PURCHASE_OR_DONATION, RelationshipType.VISITS),
        name=_NAME,
        birthdate=date(1988, 4, 2),
        home_prefecture="13",
        member_number="KSN-2027-000123",
    )
    return dataclasses.replace(template, **changes)  # type: ignore[arg-type]


def premium_registration(**changes: object) -> RegistrationClaims:
    """A premium card of 南箕輪村 for a dual resident, valid 2027-01-15..2028-01-14 (JST)."""
    template = RegistrationClaims(
        issuing_body=MINAMIMINOWA,
        tier=Tier.PREMIUM,
        registration_id="MMW-premium-0001",
        valid_from=TODAY,
        valid_until=TODAY + timedelta(days=364),
        relationship_types=(RelationshipType.DUAL_RESIDENCE,),
        name=_NAME,
        birthdate=date(1988, 4, 2),
        home_prefecture="13",
        stay=StayPeriod(start=TODAY, end=TODAY + timedelta(days=180)),
        member_number="MMW-000042",
        identity_assurance=IdentityAssurance(
            method=IdentityMethod.MY_NUMBER_CARD, verified_on=TODAY
        ),
    )
    return dataclasses.replace(template, **changes)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- issue, hold, present


def issue(
    registration: RegistrationClaims,
    *,
    body: IssuingBody | None = None,
    now: datetime = NOW,
    seed: str = "registration",
    policy: IssuancePolicy | None = None,
    holder_signer: SoftwareSigner | None = None,
    status_index: int = STATUS_INDEX,
) -> IssuedSdJwt:
    """Issue ``registration`` with its own body's default issuer unless ``body`` is given."""
    return issue_registration_credential(
        registration,
        body=body or issuing_body(registration.issuing_body),
        holder_key=(holder_signer or holder()).public_jwk,
        status_index=status_index,
        now=now,
        random=SeededRandom(seed),
        bodies=load_bodies(),
        policy=policy or IssuancePolicy(),
    )


def hold(
    registration: RegistrationClaims,
    *,
    body: IssuingBody | None = None,
    trust: StaticTrust | None = None,
    now: datetime = NOW,
) -> HeldCredential:
    """Issue and accept into the wallet of :func:`holder`."""
    issued = issue(registration, body=body, now=now)
    chosen = body or issuing_body(registration.issuing_body)
    return accept_credential(
        issued.serialize(),
        holder_key=holder().public_jwk,
        trust=trust or StaticTrust.of([trusted_issuer(chosen)]),
        now=now,
    )


def present(
    held: HeldCredential,
    disclose: Iterable[ClaimPath] = (),
    *,
    audience: str,
    nonce: str = NONCE,
    now: datetime = NOW,
    holder_signer: SoftwareSigner | None = None,
) -> str:
    return present_credential(
        held,
        disclose=disclose,
        holder=holder_signer or holder(),
        audience=audience,
        nonce=nonce,
        now=now,
    )


def strip_kb(presentation: str) -> str:
    """The SD-JWT without its KB-JWT (``<JWT>~<D1>~...~``)."""
    return presentation.rsplit("~", 1)[0] + "~"


# --------------------------------------------------------------------------- verifier side


def policy_for(
    profile_id: str,
    *,
    accept: Iterable[str] = (),
    prefecture: str | None = None,
    nonce: str | None = NONCE,
    audience: str | None = None,
) -> VerificationPolicy:
    """The policy a verifier of a built-in profile builds (as ``examples/demo.py`` does)."""
    profile = builtin_profile(profile_id)
    builder = (
        VerificationPolicyBuilder()
        .profile(profile.id)
        .audience(audience or profile.default_audience)
        .require_disclosures(profile.requested)
    )
    if profile.max_status_staleness is not None:
        builder = builder.max_status_staleness(profile.max_status_staleness)
    if nonce is not None:
        builder = builder.nonce(nonce)
    builder = (
        builder.accept_prefecture(prefecture)
        if prefecture is not None
        else builder.accept_bodies(accept)
    )
    if profile.required_tier is not None:
        builder = builder.require_tier(profile.required_tier)
    return builder.build()


def verifier_for(
    policy: VerificationPolicy,
    *,
    trust: StaticTrust,
    status_checker: StatusChecker | None = None,
    unsafe_skip_status_check: bool = True,
) -> RegistrationVerifier:
    return RegistrationVerifier(
        policy=policy,
        trust=trust,
        bodies=load_bodies(),
        status_checker=status_checker,
        unsafe_skip_status_check=unsafe_skip_status_check and status_checker is None,
    )


# --------------------------------------------------------------------------- decoding


def _issuer_jwt_segments(serialized: str) -> list[str]:
    return serialized.split("~", 1)[0].split(".")


def issuer_header(serialized: str) -> JSONObject:
    """The protected header of the Issuer-signed JWT (read without checking anything)."""
    return parse_json_object(b64url_decode(_issuer_jwt_segments(serialized)[0]))


def issuer_payload(serialized: str) -> JSONObject:
    """The payload of the Issuer-signed JWT as signed (digests, no Disclosures applied)."""
    return parse_json_object(b64url_decode(_issuer_jwt_segments(serialized)[1]))
