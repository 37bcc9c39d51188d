"""Embedding the wallet in an app: receive a registration card over OpenID4VCI, keep it in an
encrypted store, list it, and show it as a QR code to a garbage station.

Run it with ``.venv/bin/python examples/wallet_embedding.py``: it starts a local issuer service
(SQLite, in the background) to have someone to receive the card from. The app's part is
``embed()``; the rest is scaffolding.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from demo_service import KESENNUMA, register_person, running_service

from furusato_vc.core.profiles import builtin_profile
from furusato_vc.core.trust import StaticTrust
from furusato_vc.runtime import SystemClock, SystemRandom
from furusato_vc.wallet import EncryptedFileStorage, Wallet
from furusato_vc.wallet.http import UrllibTransport


def embed(store: Path, offer: str, tx_code: str, trust: StaticTrust, passphrase: str) -> str:
    """What an app does: open the wallet, accept the offer, list the cards, build a QR."""
    wallet = Wallet.open(
        storage=EncryptedFileStorage(store, passphrase, random=SystemRandom()),
        clock=SystemClock(),
        random=SystemRandom(),
    )
    card = wallet.accept_offer(
        offer,
        tx_code=tx_code,
        transport=UrllibTransport(),
        trust=trust,
        allow_insecure_localhost=True,  # the local test issuer speaks plain http
    )
    for summary in wallet.cards():
        print(f"{summary.body_name_ja} / {summary.tier.label_ja}: {summary.unused_qr_copies} QR")
    plan = wallet.plan(card.card_id, builtin_profile("garbage-station"))
    for item in plan.always_shown + plan.disclosed:  # shown to the person before the QR
        print(f"  {item.label_ja} / {item.label_en}: {item.value}")
    return wallet.present_qr(plan)


def _trust_of(service_base: str) -> StaticTrust:
    """The issuer's keys from its own metadata. A real app uses the national trust list."""
    import json  # noqa: PLC0415
    import urllib.request  # noqa: PLC0415

    from furusato_vc.core.jose.jwk import parse_public_jwk  # noqa: PLC0415
    from furusato_vc.core.trust import TrustedIssuer  # noqa: PLC0415

    url = f"{service_base}/.well-known/jwt-vc-issuer/bodies/{KESENNUMA}"
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 (http://127.0.0.1)
        document = json.load(response)
    keys = tuple(parse_public_jwk(key) for key in document["jwks"]["keys"])
    return StaticTrust.of(
        [TrustedIssuer(body_code=KESENNUMA, issuer_id=document["issuer"], keys=keys)]
    )


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp, running_service(Path(tmp) / "issuer") as service:
        registered = register_person(service.http)
        qr = embed(
            Path(tmp) / "wallet.json",
            registered["credential_offer_uri"],
            registered["tx_code"],
            _trust_of(service.base),
            passphrase="an app would ask the person",  # noqa: S106
        )
        print(f"QR: {qr[:40]}… ({len(qr)} characters)")
        return 0 if qr.startswith("FJ1:") else 1


if __name__ == "__main__":
    sys.exit(main())
