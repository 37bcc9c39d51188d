"""End-to-end demo: issue a basic and a premium registration card, present them to three
verifier profiles, verify the presentations, and write the artifacts to ``--out``.

Run it with ``make demo`` (artifacts in ``demo-out/``). Everything happens in one process;
later milestones move the issuer behind HTTP and the QR through a camera.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from furusato_vc.core.encoding import b64url_decode, b64url_encode, parse_json_object
from furusato_vc.core.jose import SoftwareSigner, generate_es256_private_key
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
from furusato_vc.issuer import IssuingBody, issue_registration_credential
from furusato_vc.runtime import SystemClock, SystemRandom
from furusato_vc.verifier import RegistrationVerifier, Rejected, Verified
from furusato_vc.wallet import accept_credential, present_credential

ISSUER_BASE = "https://issuer.furusato-vc.example/bodies/"
KESENNUMA = "042056"  # 宮城県気仙沼市 — basic card (fan-club member)
MINAMIMINOWA = "203858"  # 長野県南箕輪村 — premium card (dual resident)


@dataclass(frozen=True, slots=True, kw_only=True)
class Showing:
    profile: str
    credential: str  # "basic" | "premium"
    body: str


SHOWINGS = (
    Showing(profile="garbage-station", credential="premium", body=MINAMIMINOWA),
    Showing(profile="shop", credential="basic", body=KESENNUMA),
    Showing(profile="nursery", credential="premium", body=MINAMIMINOWA),
)


def _body(code: str, random: SystemRandom) -> IssuingBody:
    kid = f"{code}-{b64url_encode(random.token_bytes(6))}"
    return IssuingBody(
        code=code,
        issuer_id=ISSUER_BASE + code,
        signer=SoftwareSigner(generate_es256_private_key(), kid=kid),
        status_list_uri=f"{ISSUER_BASE}{code}/status/1",
    )


def run(out: Path) -> int:
    clock, random = SystemClock(), SystemRandom()
    now = clock.now()
    today = now.astimezone(JST).date()
    bodies = load_bodies()
    issuers = {code: _body(code, random) for code in (KESENNUMA, MINAMIMINOWA)}
    trust = StaticTrust.of(
        TrustedIssuer(body_code=b.code, issuer_id=b.issuer_id, keys=(b.signer.public_jwk,))
        for b in issuers.values()
    )
    holder = SoftwareSigner(generate_es256_private_key())

    name = PersonName(family="山田", given="花子", family_kana="ヤマダ", given_kana="ハナコ")
    registrations = {
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

    (out / "sd-jwt").mkdir(parents=True, exist_ok=True)
    jwks = {"keys": [b.signer.public_jwk.to_json() for b in issuers.values()]}
    (out / "issuer-jwks.json").write_text(json.dumps(jwks, indent=2) + "\n", encoding="utf-8")

    print("ふるさと住民登録 デモ / furusato registration demo")
    print("=" * 60)
    held = {}
    for label, registration in registrations.items():
        body = issuers[registration.issuing_body]
        issued = issue_registration_credential(
            registration,
            body=body,
            holder_key=holder.public_jwk,
            status_index=int.from_bytes(random.token_bytes(3), "big"),
            now=now,
            random=random,
            bodies=bodies,
        ).serialize()
        (out / "sd-jwt" / f"{label}.sd-jwt").write_text(issued + "\n", encoding="ascii")
        held[label] = accept_credential(issued, holder_key=holder.public_jwk, trust=trust, now=now)
        info = bodies.get(registration.issuing_body)
        print(
            f"発行 issued: {registration.tier.label_ja}/{registration.tier.label_en} — "
            f"{info.display_name_ja} ({info.display_name_en}); {len(issued)} chars, "
            f"{len(held[label].verified.sd_jwt.disclosed)} disclosures"
        )

    print("-" * 60)
    failures = 0
    presented: dict[str, str] = {}
    verifiers: dict[str, RegistrationVerifier] = {}
    for showing in SHOWINGS:
        profile = builtin_profile(showing.profile)
        nonce = b64url_encode(random.token_bytes(16))
        builder = (
            VerificationPolicyBuilder()
            .profile(profile.id)
            .audience(profile.default_audience)
            .nonce(nonce)
            .accept_bodies([showing.body])
            .require_disclosures(profile.requested)
        )
        if profile.required_tier is not None:
            builder = builder.require_tier(profile.required_tier)
        verifier = RegistrationVerifier(
            policy=builder.build(),
            trust=trust,
            bodies=bodies,
            status_checker=None,
            # Status lists arrive with the trust-and-status milestone (M3).
            unsafe_skip_status_check=True,
        )
        presentation = present_credential(
            held[showing.credential],
            disclose=profile.requested,
            holder=holder,
            audience=profile.default_audience,
            nonce=nonce,
            now=clock.now(),
        )
        stem = out / "sd-jwt" / f"presentation-{profile.id}"
        stem.with_suffix(".sd-jwt").write_text(presentation + "\n", encoding="ascii")
        kb = {"aud": profile.default_audience, "nonce": nonce, "iat": _kb_iat(presentation)}
        stem.with_suffix(".json").write_text(json.dumps(kb, indent=2) + "\n", encoding="utf-8")

        result = verifier.verify(presentation, now=clock.now())
        print(f"[{profile.name_ja} / {profile.name_en}] {len(presentation)} chars")
        if isinstance(result, Verified):
            reg = result.registration
            shown = sorted(reg.disclosed_claims) or ["(なし / nothing)"]
            print(
                f"  ✔ 確認できました / verified: {result.body.display_name_ja}, "
                f"{reg.tier.label_ja}/{reg.tier.label_en}, 有効期限 valid through "
                f"{(result.expires_at - timedelta(seconds=1)).astimezone(JST):%Y-%m-%d}"
            )
            print(f"    開示 disclosed: {', '.join(shown)}")
        else:
            failures += 1
            print(f"  ✘ {result.code}: {result.message_ja} / {result.message_en}")

        # A presentation someone altered after the holder signed it must never pass.
        extra = held[showing.credential].verified.sd_jwt.disclosed[0].disclosure.encoded
        check = verifier.verify(_with_extra_disclosure(presentation, extra), now=clock.now())
        if isinstance(check, Rejected):
            print(f"    改ざん検出 tamper detected: {check.code} — {check.message_ja}")
        else:
            failures += 1
            print("    ✘ tampered presentation was accepted")
        presented[profile.id] = presentation
        verifiers[profile.id] = verifier

    # A code shown to the shop cannot be replayed at the nursery (different aud and nonce).
    replay = verifiers["nursery"].verify(presented["shop"], now=clock.now())
    outcome = "✘ accepted" if isinstance(replay, Verified) else f"rejected: {replay.code}"
    print(f"[再利用 replay shop → nursery] {outcome}")
    failures += isinstance(replay, Verified)

    print("-" * 60)
    print(f"artifacts written to {out}/")
    return 1 if failures else 0


def _with_extra_disclosure(presentation: str, disclosure: str) -> str:
    """Insert a Disclosure the holder did not sign over (it breaks sd_hash)."""
    issuer_jwt, rest = presentation.split("~", 1)
    return f"{issuer_jwt}~{disclosure}~{rest}"


def _kb_iat(presentation: str) -> int:
    payload = parse_json_object(b64url_decode(presentation.rsplit("~", 1)[1].split(".")[1]))
    iat = payload["iat"]
    assert isinstance(iat, int)
    return iat


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("demo-out"))
    args = parser.parse_args(argv)
    return run(args.out)


if __name__ == "__main__":
    sys.exit(main())
