"""End-to-end demo: a national trust anchor lists two municipalities and their keys; they
issue a basic and a premium registration card (both formats) into random status-list slots
and revoke a third card; an offline verifier syncs the signed trust list and status lists into
a bundle; the cards are shown to three verifier profiles as an SD-JWT VC presentation (online,
challenge nonce) and as a QR code (offline, one-way) and verified against that bundle.

Run it with ``make demo``. Artifacts in ``demo-out/``: ``anchor/`` (the trust-anchor
operator's workspace), ``publication/`` (what the national platform serves), ``bundle/`` (the
verifier's synced bundle, with the pinned anchor key), ``sd-jwt/``, ``qr/`` (one QR per
built-in verifier policy) and ``verify/`` (the command line's verdicts). The cards are issued
in one process; then ``demo_service.py`` starts the real issuer service (SQLite, in the
background) and goes through it over HTTP: OpenID4VCI offer, token, nonce and batch
credentials, a staff revocation and the republished status list; the issuer metadata it
fetched is saved to ``demo-out/openid-credential-issuer.json``. Then the cards are shown to
the five built-in checkpoints, and the demo ends by verifying every ``demo-out/qr/*.txt`` with
the command line, as a checkpoint would::

    furusato-vc verify --bundle demo-out/bundle --policy shop - < demo-out/qr/shop.txt
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from demo_service import run_service_demo

from furusato_vc.anchor import TrustWorkspace
from furusato_vc.core.encoding import b64url_decode, b64url_encode, parse_json_object
from furusato_vc.core.jose import SoftwareSigner, generate_es256_private_key
from furusato_vc.core.jose.jwt import to_numeric_date
from furusato_vc.core.policy import VerificationPolicyBuilder
from furusato_vc.core.profiles import Profile, builtin_profile
from furusato_vc.core.registration.bodies import BodyRegistry, load_bodies
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
from furusato_vc.core.statuslist import StatusType
from furusato_vc.core.trustlist import StatusListLocation, TrustedKey
from furusato_vc.core.trustlist.edit import add_entry, entry_for_body
from furusato_vc.issuer import IssuingBody, issue_registration_credentials
from furusato_vc.issuer.status import InMemoryStatusLists
from furusato_vc.publication import DirectorySource, status_list_path
from furusato_vc.qr.render import qr_version, render_png
from furusato_vc.runtime import SystemClock, SystemRandom
from furusato_vc.verifier import RegistrationVerifier, Rejected, Verified
from furusato_vc.verifier.bundle_store import BundleDirectory
from furusato_vc.wallet import HeldCredential, accept_credential, present_credential, present_qr

if TYPE_CHECKING:
    from furusato_vc.core.bundle import TrustBundle

OPERATOR = "https://trust.furusato-vc.example"
ANCHOR_KID = "jp-trust-anchor-demo"

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
    Showing(profile="school", credential="premium", body=MINAMIMINOWA),
    Showing(profile="public-facility", credential="premium", body=MINAMIMINOWA),
)


def _body(code: str, random: SystemRandom) -> IssuingBody:
    kid = f"{code}-{b64url_encode(random.token_bytes(6))}"
    return IssuingBody(
        code=code,
        issuer_id=ISSUER_BASE + code,
        signer=SoftwareSigner(generate_es256_private_key(), kid=kid),
        status_list_uri=f"{ISSUER_BASE}{code}/status/1",
        status_list_id=1,
    )


def _registrations(today: date, random: SystemRandom) -> dict[str, RegistrationClaims]:
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


def _verifier(
    profile: Profile, body: str, bundle: TrustBundle, bodies: BodyRegistry, nonce: str | None
) -> RegistrationVerifier:
    builder = VerificationPolicyBuilder.from_profile(profile).accept_bodies([body])
    if nonce is not None:  # online: challenge mode; the QR kiosk is one-way (replay cache)
        builder = builder.nonce(nonce)
    return RegistrationVerifier.from_bundle(bundle, policy=builder.build(), bodies=bodies)


def _report(result: Verified | Rejected, label: str) -> int:
    if isinstance(result, Verified):
        reg = result.registration
        shown = sorted(reg.disclosed_claims) or ["(なし / nothing)"]
        last_day = (result.expires_at - timedelta(seconds=1)).astimezone(JST)
        print(
            f"  ✔ {label} 確認できました / verified: {result.body.display_name_ja}, "
            f"{reg.tier.label_ja}/{reg.tier.label_en}, 有効期限 valid through {last_day:%Y-%m-%d}"
        )
        print(f"    開示 disclosed: {', '.join(shown)}")
        return 0
    print(f"  ✘ {label} {result.code}: {result.message_ja} / {result.message_en}")
    return 1


def _expect_rejected(result: Verified | Rejected, what: str) -> int:
    if isinstance(result, Rejected):
        print(f"    {what}: {result.code} — {result.message_ja}")
        return 0
    print(f"    ✘ {what}: accepted")
    return 1


def _write_json(path: Path, value: object) -> None:
    path.write_text(json.dumps(value, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


class Nation:
    """The demo's national trust anchor and its two municipalities (keys, status lists)."""

    def __init__(self, out: Path, *, now: datetime, random: SystemRandom) -> None:
        self.out = out
        self.random = random
        self.issuers = {code: _body(code, random) for code in (KESENNUMA, MINAMIMINOWA)}
        self.lists = {
            code: InMemoryStatusLists(uri_template=ISSUER_BASE + code + "/status/{list_id}")
            for code in self.issuers
        }
        self.workspace = TrustWorkspace.create(out / "anchor", operator=OPERATOR, kid=ANCHOR_KID)
        trust_list = self.workspace.load()
        # keys cover credentials signed from the start of yesterday (iat is rounded down)
        keys_from = to_numeric_date(now) - to_numeric_date(now) % 86_400 - 86_400
        for code, body in self.issuers.items():
            trust_list = add_entry(
                trust_list,
                entry_for_body(
                    load_bodies().get(code),
                    issuer=body.issuer_id,
                    issuer_url=body.issuer_id,
                    keys=(TrustedKey(jwk=body.signer.public_jwk, not_before=keys_from),),
                    status_lists=(
                        StatusListLocation(list_id=body.status_list_id, uri=body.status_list_uri),
                    ),
                ),
            )
        self.workspace.save(trust_list)
        self.bundle_dir = BundleDirectory(out / "bundle")
        self.bundle_dir.pin_anchors(self.workspace.anchors())

    def publish_and_sync(self, now: datetime) -> TrustBundle:
        """Each body signs its status list; the anchor signs the trust list and aggregates the
        lists; the verifier syncs the publication into its bundle and loads it from disk."""
        publication = self.out / "publication"
        for code, lists in self.lists.items():
            published = lists.publish(
                1, signer=self.issuers[code].signer, issuer=self.issuers[code].issuer_id, now=now
            )
            for form, data in (("cwt", published.cwt), ("jwt", published.jwt.encode())):
                path = publication / status_list_path(code, 1, form)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
        self.workspace.sign(out=publication, now=now, next_update_in=86_400, valid_for=30 * 86_400)
        self.workspace.aggregate(status_dir=publication, out=publication, now=now)
        result = self.bundle_dir.sync(DirectorySource(publication), now=now)
        return self.bundle_dir.load() if result.bundle.problems == () else result.bundle


def run(out: Path) -> int:
    clock, random = SystemClock(), SystemRandom()
    now = clock.now()
    bodies = load_bodies()
    for folder in ("anchor", "publication", "bundle"):
        shutil.rmtree(out / folder, ignore_errors=True)  # a fresh anchor key every run
    for folder in ("sd-jwt", "qr"):
        (out / folder).mkdir(parents=True, exist_ok=True)
    nation = Nation(out, now=now, random=random)
    bundle = nation.publish_and_sync(now)
    issuers = nation.issuers
    holder = SoftwareSigner(generate_es256_private_key())
    _write_json(
        out / "issuer-jwks.json",
        {"keys": [b.signer.public_jwk.to_json() for b in issuers.values()]},
    )

    print("ふるさと住民登録 デモ / furusato registration demo")
    print("=" * 64)
    print(
        f"信頼リスト trust list: 第{bundle.trust_list.sequence}版 / sequence "
        f"{bundle.trust_list.sequence}, {len(bundle.trust_list.entries)} bodies, "
        f"anchor {ANCHOR_KID} pinned in {out / 'bundle' / 'anchors.json'}"
    )
    held: dict[str, HeldCredential] = {}
    registrations = _registrations(now.astimezone(JST).date(), random)
    registrations["revoked"] = registrations["basic"]
    slots = {}
    for label, registration in registrations.items():
        slot = nation.lists[registration.issuing_body].allocate(random=random)
        slots[label] = slot
        issued = issue_registration_credentials(
            registration,
            body=issuers[registration.issuing_body],
            holder_key=holder.public_jwk,
            status_slot=slot,
            now=now,
            random=random,
            bodies=bodies,
        )
        sd_jwt = issued.sd_jwt_vc.serialize()
        if label != "revoked":
            (out / "sd-jwt" / f"{label}.sd-jwt").write_text(sd_jwt + "\n", encoding="ascii")
            (out / "qr" / f"{label}.cbor").write_bytes(issued.compact.encode())
        held[label] = accept_credential(
            sd_jwt,
            holder_key=holder.public_jwk,
            trust=bundle.trust,
            now=now,
            compact=issued.compact.encode(),
        )
        info = bodies.get(registration.issuing_body)
        print(
            f"発行 issued: {registration.tier.label_ja}/{registration.tier.label_en} — "
            f"{info.display_name_ja} ({info.display_name_en}); SD-JWT VC {len(sd_jwt)} chars, "
            f"QR credential {len(issued.compact.encode())} bytes, status index {slot.idx}"
        )

    # The 気仙沼市 office revokes the third card (e.g. it was reissued after a phone change);
    # the next sync brings the new status list to the verifier.
    nation.lists[KESENNUMA].set_status(slots["revoked"], StatusType.INVALID)
    bundle = nation.publish_and_sync(clock.now())
    print(f"失効 revoked: status index {slots['revoked'].idx}; bundle synced to {out / 'bundle'}")

    # The real issuer service over HTTP (a few seconds); the checkpoints below come after it so
    # that the QR codes they write are fresh when the command line verifies them at the end.
    failures = run_service_demo(out)
    for showing in SHOWINGS:
        failures += _show(
            showing,
            card=held[showing.credential],
            holder=holder,
            bundle=bundle,
            bodies=bodies,
            out=out,
            clock=clock,
            random=random,
        )
    print("-" * 64)
    print("[失効した登録証 / a revoked card]")
    shop = _verifier(builtin_profile("shop"), KESENNUMA, bundle, bodies, nonce=None)
    revoked_qr = present_qr(
        held["revoked"],
        disclose=builtin_profile("shop").requested,
        holder=holder,
        audience="shop",
        now=clock.now(),
    )
    failures += _expect_rejected(shop.verify(revoked_qr, now=clock.now()), "失効 revoked")
    failures += verify_with_cli(out)
    print("-" * 64)
    print(f"artifacts written to {out}/")
    return 1 if failures else 0


def verify_with_cli(out: Path) -> int:
    """Every ``qr/<policy>.txt`` through ``furusato-vc verify`` (a separate process, the system
    clock, the synced bundle, the built-in policy of that name, any body on the trust list);
    each verdict is printed and saved as ``verify/<policy>.json``."""
    print("-" * 64)
    print("[コマンドラインでの確認 / furusato-vc verify, for every demo-out/qr/*.txt]")
    folder = out / "verify"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    failures = 0
    for path in sorted((out / "qr").glob("*.txt")):
        policy = path.stem
        with path.open("rb") as text:
            done = subprocess.run(
                [sys.executable, "-m", "furusato_vc.cli", "verify", "--bundle",
                 str(out / "bundle"), "--policy", policy, "-"],
                stdin=text,
                capture_output=True,
                check=False,
            )  # fmt: skip
        (folder / f"{policy}.json").write_bytes(done.stdout)
        verdict = json.loads(done.stdout)
        if done.returncode == 0 and verdict["result"] == "verified":
            shown = [f"{item['label_ja']}={_shown(item['value'])}" for item in verdict["disclosed"]]
            benefit = verdict["benefit"]
            print(
                f"  ✔ {policy}: {verdict['message_ja']} / {verdict['message_en']} — "
                f"{verdict['body']['name_ja']}, {verdict['tier_ja']}/{verdict['tier_en']}"
                + (f"; 開示 {', '.join(shown)}" if shown else "")
                + (f"; 特典 {benefit['ja']} / {benefit['en']}" if benefit else "")
            )
            continue
        failures += 1
        print(f"  ✘ {policy}: exit {done.returncode} {verdict.get('code')}: "
              f"{verdict.get('message_ja')} / {verdict.get('message_en')}")  # fmt: skip
    return failures


def _show(
    showing: Showing,
    *,
    card: HeldCredential,
    holder: SoftwareSigner,
    bundle: TrustBundle,
    bodies: BodyRegistry,
    out: Path,
    clock: SystemClock,
    random: SystemRandom,
) -> int:
    profile = builtin_profile(showing.profile)
    print("-" * 64)
    print(f"[{profile.name_ja} / {profile.name_en}]")
    failures = 0

    # Online: SD-JWT VC presentation bound to the verifier's challenge nonce.
    nonce = b64url_encode(random.token_bytes(16))
    online = _verifier(profile, showing.body, bundle, bodies, nonce)
    presentation = present_credential(
        card,
        disclose=profile.requested,
        holder=holder,
        audience=profile.default_audience,
        nonce=nonce,
        now=clock.now(),
    )
    stem = out / "sd-jwt" / f"presentation-{profile.id}"
    stem.with_suffix(".sd-jwt").write_text(presentation + "\n", encoding="ascii")
    _write_json(
        stem.with_suffix(".json"),
        {"aud": profile.default_audience, "nonce": nonce, "iat": _kb_iat(presentation)},
    )
    failures += _report(
        online.verify(presentation, now=clock.now()), f"SD-JWT VC ({len(presentation)} chars)"
    )
    extra = card.verified.sd_jwt.disclosed[0].disclosure.encoded
    tampered = online.verify(_with_extra_disclosure(presentation, extra), now=clock.now())
    failures += _expect_rejected(tampered, "改ざん検出 tamper detected")

    # Offline: the QR code a garbage station or shop scans (one-way, replay cache).
    kiosk = _verifier(profile, showing.body, bundle, bodies, nonce=None)
    shown_at = clock.now()
    text = present_qr(
        card,
        disclose=profile.requested,
        holder=holder,
        audience=profile.default_audience,
        now=shown_at,
    )
    (out / "qr" / f"{profile.id}.txt").write_text(text + "\n", encoding="ascii")
    (out / "qr" / f"{profile.id}.png").write_bytes(render_png(text, error="M", scale=6))
    _write_json(
        out / "qr" / f"{profile.id}.json",
        {"aud": profile.default_audience, "iat": int(shown_at.timestamp())},
    )
    label = f"QR v{qr_version(text, error='M')}-M ({len(text)} chars)"
    failures += _report(kiosk.verify(text, now=clock.now()), label)
    failures += _expect_rejected(kiosk.verify(text, now=clock.now()), "再提示 replayed QR")
    later = clock.now() + timedelta(minutes=2)
    failures += _expect_rejected(kiosk.verify(text, now=later), "2分後の写真 photo 2 minutes later")
    return failures


def _shown(value: object) -> str:
    """A disclosed value for the console: a period as ``from〜until``."""
    if isinstance(value, dict) and set(value) == {"from", "until"}:
        return f"{value['from']}〜{value['until']}"
    return str(value)


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
