"""Full QR verification throughput vs. two raw ES256 verifications, in one run.

A QR verification is: Base45 + raw-inflate decode, strict CBOR, the issuer signature, the
holder's key-binding signature, the disclosure digests, a status lookup, the verifier's
policy (body, tier, required disclosures, dates) and the replay cache. Two ES256
verifications are the floor, so the ratio ``ours / (raw ES256 ÷ 2)`` says how close to that
floor we are (the issue's target is 0.70).

``unchecked Python floor`` is a measuring stick, not a verifier: the same QR codes taken
through Base45, inflate, ``cbor2.loads``, the issuer signature, the holder key's point
decompression, the key-binding signature, the disclosure digests and a status-bit lookup,
with no strictness, policy, time window, replay cache or result objects. It is what any
CPython verifier of this format must spend, so its ratio bounds what a full verifier can
reach on this machine.

Every verification uses a distinct QR code (a fresh key-binding token), as at a real kiosk:
the replay cache would reject a repeat.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import zlib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, cast

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from furusato_vc.core.base45 import b45decode
from furusato_vc.core.compact.credential import blinded_claim_hash
from furusato_vc.core.compact.profile import (
    CNF_COSE_KEY,
    FURUSATO_CLAIM,
    REDACTED_CLAIM_KEYS,
    CwtClaim,
    FvKey,
)
from furusato_vc.core.cose import CoseHeader, p256_key_from_cose_key, sig_structure1
from furusato_vc.core.errors import ErrorCode, VerificationError
from furusato_vc.core.jose import SoftwareSigner, generate_es256_private_key
from furusato_vc.core.jose.jwk import verify_es256
from furusato_vc.core.policy import VerificationPolicyBuilder
from furusato_vc.core.profiles import builtin_profile
from furusato_vc.core.qrtext import QR_PREFIX
from furusato_vc.core.registration.bodies import load_bodies
from furusato_vc.core.registration.claims import (
    IdentityAssurance,
    IdentityMethod,
    PersonName,
    RegistrationClaims,
    StayPeriod,
    Tier,
)
from furusato_vc.core.trust import StaticTrust, TrustedIssuer
from furusato_vc.issuer import IssuingBody, issue_registration_credentials
from furusato_vc.runtime import SystemRandom
from furusato_vc.verifier import RegistrationVerifier, Verified
from furusato_vc.wallet import accept_credential, present_qr

if TYPE_CHECKING:
    from collections.abc import Callable

    from furusato_vc.core.statuslist.reference import StatusReference

BODY = "203858"  # 長野県南箕輪村
NOW = datetime(2027, 1, 15, 3, 0, tzinfo=UTC)


class BitmapStatus:
    """A decoded 1-bit status list in memory: what a verifier holds after syncing (M3)."""

    def __init__(self, size: int, revoked: set[int]) -> None:
        self._bits = bytearray(size // 8)
        for index in revoked:
            self._bits[index // 8] |= 1 << (index % 8)

    def check(self, reference: StatusReference, *, issuer: str, now: int, max_age: int) -> None:
        del issuer, now, max_age
        if self._bits[reference.idx // 8] >> (reference.idx % 8) & 1:
            raise VerificationError(ErrorCode.STATUS_NOT_CHECKED, "revoked")


def build(
    profile_id: str, pool: int
) -> tuple[
    Callable[[], RegistrationVerifier], list[tuple[str, datetime]], ec.EllipticCurvePublicKey
]:
    random = SystemRandom()
    signer = SoftwareSigner(generate_es256_private_key(), kid=f"{BODY}-bench")
    body = IssuingBody(
        code=BODY,
        issuer_id=f"https://issuer.furusato-vc.example/bodies/{BODY}",
        signer=signer,
        status_list_uri=f"https://issuer.furusato-vc.example/bodies/{BODY}/status/1",
    )
    trust = StaticTrust.of(
        [
            TrustedIssuer(
                body_code=BODY,
                issuer_id=body.issuer_id,
                keys=(signer.public_jwk,),
                status_lists={1: body.status_list_uri},
            )
        ]
    )
    holder = SoftwareSigner(generate_es256_private_key())
    today = date(2027, 1, 15)
    registration = RegistrationClaims(
        issuing_body=BODY,
        tier=Tier.PREMIUM,
        registration_id="MMW-bench-0001",
        valid_from=today,
        valid_until=today + timedelta(days=364),
        name=PersonName(family="山田", given="花子", family_kana="ヤマダ", given_kana="ハナコ"),
        birthdate=date(1988, 4, 2),
        stay=StayPeriod(start=today, end=today + timedelta(days=180)),
        member_number="MMW-000042",
        identity_assurance=IdentityAssurance(
            method=IdentityMethod.MY_NUMBER_CARD, verified_on=today
        ),
    )
    issued = issue_registration_credentials(
        registration,
        body=body,
        holder_key=holder.public_jwk,
        status_index=123_456,
        now=NOW,
        random=random,
        bodies=load_bodies(),
    )
    held = accept_credential(
        issued.sd_jwt_vc.serialize(),
        holder_key=holder.public_jwk,
        trust=trust,
        now=NOW,
        compact=issued.compact.encode(),
    )
    profile = builtin_profile(profile_id)
    builder = (
        VerificationPolicyBuilder()
        .profile(profile.id)
        .audience(profile.default_audience)
        .accept_bodies([BODY])
        .require_disclosures(profile.requested)
    )
    if profile.required_tier is not None:
        builder = builder.require_tier(profile.required_tier)
    policy = builder.build()
    status = BitmapStatus(1 << 20, revoked={7, 99, 4242})
    bodies = load_bodies()

    def verifier() -> RegistrationVerifier:
        return RegistrationVerifier(
            policy=policy, trust=trust, bodies=bodies, status_checker=status
        )

    # Distinct key-binding tokens: one per second of a long queue at the kiosk.
    codes = []
    for i in range(pool):
        shown = NOW + timedelta(seconds=i)
        codes.append(
            (
                present_qr(
                    held,
                    disclose=profile.requested,
                    holder=holder,
                    audience=profile.default_audience,
                    now=shown,
                ),
                shown,
            )
        )
    issuer_key = cast("ec.EllipticCurvePublicKey", signer.public_jwk.key)
    return verifier, codes, issuer_key


def best_rate(
    operation: Callable[[int], object], seconds: float, rounds: int, *, batch: int = 1
) -> float:
    """Operations per second, the best of ``rounds`` rounds of ``seconds / rounds`` each;
    ``operation(i)`` performs ``batch`` operations, ``i`` counting calls from 0 in a round."""
    best = 0.0
    for _ in range(rounds):
        calls, start = 0, time.perf_counter()
        deadline = start + seconds / rounds
        while True:
            operation(calls)
            calls += 1
            now = time.perf_counter()
            if now >= deadline:
                break
        best = max(best, calls * batch / (now - start))
    return best


def qr_rate(profile_id: str, seconds: float, rounds: int, pool: int) -> tuple[float, int]:
    make_verifier, codes, _ = build(profile_id, pool)
    check = make_verifier().verify(codes[0][0], now=codes[0][1])
    assert isinstance(check, Verified), check
    verifier = [make_verifier()]

    def verify_one(i: int) -> None:
        text, shown = codes[i % pool]
        if i % pool == 0:
            verifier[0] = make_verifier()  # a fresh replay cache for each lap
        verifier[0].verify(text, now=shown)

    best = best_rate(verify_one, seconds, rounds)
    return best, len(codes[0][0])


def unchecked_verify(
    text: str, issuer_key: ec.EllipticCurvePublicKey, status_bits: bytearray
) -> object:
    """The unavoidable work for one QR code and nothing else (see the module docstring)."""
    data = zlib.decompressobj(-15).decompress(b45decode(text[len(QR_PREFIX) :]), 4096)
    kbt = cbor2.loads(data).value
    issuer = cbor2.loads(kbt[0])[CoseHeader.KCWT].value
    claims = cbor2.loads(issuer[2])
    issuer_ok = verify_es256(issuer_key, issuer[3], sig_structure1(issuer[0], issuer[2]))
    holder = p256_key_from_cose_key(claims[CwtClaim.CNF][CNF_COSE_KEY])
    holder_ok = verify_es256(holder, kbt[3], sig_structure1(kbt[0], kbt[2]))
    furusato = claims[FURUSATO_CLAIM]
    digests = furusato.get(REDACTED_CLAIM_KEYS, [])
    disclosed = [
        cbor2.loads(item)
        for item in issuer[1].get(CoseHeader.SD_CLAIMS, ())
        if blinded_claim_hash(item) in digests
    ]
    index = furusato[FvKey.STATUS_INDEX]
    revoked = status_bits[index >> 3] >> (index & 7) & 1
    return issuer_ok, holder_ok, revoked, cbor2.loads(kbt[2]), disclosed


def floor_rate(profile_id: str, seconds: float, rounds: int, pool: int) -> float:
    _, codes, issuer_key = build(profile_id, pool)
    bits = bytearray(1 << 17)
    texts = [text for text, _ in codes]
    unchecked_verify(texts[0], issuer_key, bits)
    return best_rate(lambda i: unchecked_verify(texts[i % pool], issuer_key, bits), seconds, rounds)


def raw_rate(seconds: float, rounds: int) -> float:
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key()
    message = b"x" * 400
    signature = key.sign(message, ec.ECDSA(hashes.SHA256()))
    algorithm = ec.ECDSA(hashes.SHA256())

    def twenty(_i: int) -> None:
        for _ in range(20):
            public.verify(signature, message, algorithm)

    return best_rate(twenty, seconds, rounds, batch=20)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--pool", type=int, default=400)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    raw = raw_rate(args.seconds, args.rounds)
    results: dict[str, object] = {"raw_es256_verify_per_s": raw}
    print(f"{'operation':<44}{'ops/s':>10}{'QR chars':>10}{'vs floor':>10}")
    print(f"{'raw ES256 verify':<44}{raw:>10.0f}")
    for profile_id in ("garbage-station", "shop", "nursery"):
        rate, chars = qr_rate(profile_id, args.seconds, args.rounds, args.pool)
        ratio = rate / (raw / 2)
        unchecked = floor_rate(profile_id, args.seconds, args.rounds, args.pool)
        unchecked_ratio = unchecked / (raw / 2)
        results[profile_id] = {
            "qr_verify_per_s": rate,
            "qr_chars": chars,
            "ratio_to_floor": ratio,
            "unchecked_python_floor_per_s": unchecked,
            "unchecked_ratio_to_floor": unchecked_ratio,
        }
        print(f"{'full QR verify: ' + profile_id:<44}{rate:>10.0f}{chars:>10}{ratio:>9.2f}x")
        label = "  unchecked Python floor (context)"
        print(f"{label:<44}{unchecked:>10.0f}{'':>10}{unchecked_ratio:>9.2f}x")
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
