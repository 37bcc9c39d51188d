"""End to end: the real issuer service (SQLite and PostgreSQL) issues a card to the embedded
``Wallet``; the national trust list is built from the service's own metadata and signed by the
anchor; a verifier syncs it into a bundle; ``furusato-vc verify`` checks the wallet's QR and
SD-JWT VC presentation — and refuses the card once staff revoke it and the verifier re-syncs."""

from __future__ import annotations

import json
import secrets
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from furusato_vc.cli import main
from furusato_vc.core.errors import ErrorCode
from furusato_vc.core.jose.jwt import to_numeric_date
from furusato_vc.core.messages import MESSAGES
from furusato_vc.core.profiles import builtin_profile
from furusato_vc.core.trustlist import sign_trust_list_cwt, trust_list_from_json
from furusato_vc.publication import TRUST_LIST_CWT, DirectorySource, status_list_path
from furusato_vc.runtime import SystemRandom
from furusato_vc.verifier.bundle_store import BundleDirectory
from furusato_vc.wallet.storage import MemoryStorage
from furusato_vc.wallet.wallet import Wallet
from tests.core.trustlist.builders import ANCHOR, ANCHOR_JWK, OPERATOR
from tests.issuer.service.conftest import KESENNUMA
from tests.issuer.service.flows import register, trust_from_service
from tests.issuer.service.test_wallet_client import ServiceTransport

if TYPE_CHECKING:
    from pathlib import Path

    import pytest

    from tests.issuer.service.conftest import Service


def _sync_bundle(service: Service, root: Path, *, sequence: int) -> Path:
    """The anchor operator imports the body's trust-list entry and signs the list; the body's
    status list is published beside it; the verifier syncs the publication."""
    now = to_numeric_date(service.clock.now())
    entry = service.client.get(f"/bodies/{KESENNUMA}/trust-list-entry").json()
    trust_list = trust_list_from_json(
        {
            "iss": OPERATOR,
            "seq": sequence,
            "iat": now,
            "next_update": now + 86_400,
            "exp": now + 30 * 86_400,
            "bodies": [entry],
        }
    )
    publication = root / f"publication-{sequence}"
    publication.mkdir(parents=True)
    (publication / TRUST_LIST_CWT).write_bytes(sign_trust_list_cwt(trust_list, signer=ANCHOR))
    for location in entry["status_lists"]:
        path = location["uri"].removeprefix(service.settings.base_url)
        token = service.client.get(path)
        assert token.status_code == 200, token.text
        target = publication / status_list_path(KESENNUMA, location["id"], "jwt")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(token.text, encoding="ascii")
    bundle = BundleDirectory(root / "bundle")
    if sequence == 1:
        bundle.pin_anchors([ANCHOR_JWK])
    result = bundle.sync(DirectorySource(publication), now=service.clock.now())
    assert result.bundle.problems == ()
    return bundle.root


def _cli(
    capsys: pytest.CaptureFixture[str], service: Service, bundle: Path, *argv: str
) -> tuple[int, dict[str, Any]]:
    code = main(
        [
            "verify",
            "--bundle",
            str(bundle),
            "--now",
            service.clock.now().isoformat(),
            *argv,
        ]
    )
    value: dict[str, Any] = json.loads(capsys.readouterr().out)
    return code, value


def _card(service: Service, wallet: Wallet) -> str:
    registered = register(service, KESENNUMA, relationship_types=["visits"])
    assert registered.status_code == 201, registered.text
    body = registered.json()
    card = wallet.accept_offer(
        body["credential_offer_uri"],
        tx_code=body["tx_code"],
        transport=ServiceTransport(service),
        trust=trust_from_service(service, KESENNUMA),
        copies=3,
        allow_insecure_localhost=True,
    )
    return card.card_id


def test_wallet_qr_from_the_service_is_verified_by_the_cli_until_revoked(
    service: Service, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wallet = Wallet.open(storage=MemoryStorage(), clock=service.clock, random=SystemRandom())
    card_id = _card(service, wallet)
    bundle = _sync_bundle(service, tmp_path, sequence=1)
    plan = wallet.plan(card_id, builtin_profile("garbage-station"))

    code, result = _cli(
        capsys, service, bundle, "--policy", "garbage-station", "--text", wallet.present_qr(plan)
    )
    assert code == 0, result
    assert result["result"] == "verified"
    assert result["body"] == {
        "code": KESENNUMA,
        "name_ja": "宮城県気仙沼市",
        "name_en": "Kesennuma City, Miyagi Prefecture",
    }
    assert (result["tier"], result["format"], result["disclosed"]) == ("basic", "qr", [])

    nonce = secrets.token_urlsafe(16)
    presentation = wallet.present_sd_jwt(plan, nonce=nonce)
    code, result = _cli(
        capsys,
        service,
        bundle,
        "--policy",
        "garbage-station",
        "--accept",
        KESENNUMA,
        "--nonce",
        nonce,
        "--text",
        presentation,
    )
    assert (code, result["result"], result["format"]) == (0, "verified", "sd-jwt-vc"), result

    admin = service.staff(KESENNUMA, "admin")
    revoked = service.client.post(
        f"/staff/bodies/{KESENNUMA}/registrations/{card_id}/revoke",
        headers={**admin, "Idempotency-Key": secrets.token_hex(8)},
    )
    assert revoked.status_code == 200, revoked.text
    service.clock.advance(timedelta(minutes=1))
    bundle = _sync_bundle(service, tmp_path, sequence=2)
    code, result = _cli(
        capsys, service, bundle, "--policy", "garbage-station", "--text", wallet.present_qr(plan)
    )
    assert (code, result["result"], result["code"]) == (1, "rejected", "credential_revoked")
    assert result["message_ja"] == MESSAGES[ErrorCode.CREDENTIAL_REVOKED].ja
