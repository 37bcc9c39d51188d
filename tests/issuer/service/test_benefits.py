"""Benefits end to end (SQLite and PostgreSQL): staff register participating shops and
facilities → the body's signed list → the anchor imports it into the verifier bundle → the
verify CLI and the kiosk show the benefit for a card of that body whose tier satisfies it,
and a valid card without the benefit when it does not."""

from __future__ import annotations

import json
import secrets
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest

from furusato_vc.anchor import TrustWorkspace
from furusato_vc.cli import main
from furusato_vc.core.benefits import BenefitKind, verify_benefit_list
from furusato_vc.core.errors import ErrorCode
from furusato_vc.core.jose.jwt import to_numeric_date
from furusato_vc.core.profiles import builtin_profile
from furusato_vc.core.registration.claims import Tier
from furusato_vc.core.trustlist import trust_list_from_json
from furusato_vc.publication import BENEFITS_FILE, DirectorySource, status_list_path
from furusato_vc.runtime import SystemRandom
from furusato_vc.verifier.benefits import parse_benefit_ref
from furusato_vc.verifier.bundle_store import BundleDirectory
from furusato_vc.verifier.kiosk.server import verdict_json
from furusato_vc.verifier.kiosk.service import Accepted, KioskService, KioskSettings
from furusato_vc.wallet.storage import MemoryStorage
from furusato_vc.wallet.wallet import Wallet
from tests.core.trustlist.builders import OPERATOR
from tests.helpers import SeededRandom, fixed_p256_key
from tests.issuer.service.conftest import KESENNUMA, MINAMIMINOWA
from tests.issuer.service.flows import assert_problem, register, trust_from_service
from tests.issuer.service.test_wallet_client import ServiceTransport

if TYPE_CHECKING:
    from pathlib import Path

    from tests.issuer.service.conftest import Service

BASE = f"/staff/bodies/{KESENNUMA}/benefits"


def benefit_json(service: Service, **changes: Any) -> dict[str, Any]:
    now = service.clock.now()
    return {
        "kind": "shop",
        "name_ja": "喫茶うみ",
        "name_en": "Cafe Umi",
        "offer_ja": "ドリンク一杯サービス",
        "offer_en": "One free drink",
        "tier": "basic",
        "valid_from": (now - timedelta(days=1)).isoformat(),
        "valid_until": (now + timedelta(days=180)).isoformat(),
        **changes,
    }


def _send(service: Service, method: str, path: str, headers: dict[str, str], **kw: Any) -> Any:
    return service.client.request(
        method, path, headers={**headers, "Idempotency-Key": secrets.token_hex(8)}, **kw
    )


def register_benefit(service: Service, headers: dict[str, str], **changes: Any) -> Any:
    return _send(service, "POST", BASE, headers, json=benefit_json(service, **changes))


def published(service: Service, code: str = KESENNUMA) -> Any:
    response = service.client.get(f"/bodies/{code}/benefits")
    assert response.status_code == 200, response.text
    return verify_benefit_list(
        response.text, trust=trust_from_service(service, code), now=service.clock.now()
    )


# ---------------------------------------------------------------------------- the service


def test_registered_benefit_is_published_signed(service: Service) -> None:
    created = register_benefit(service, service.staff(KESENNUMA, "reviewer"))
    assert created.status_code == 201, created.text
    verified = published(service)
    [benefit] = verified.benefits
    assert benefit.benefit_id == created.json()["benefit_id"]
    assert (benefit.kind, benefit.tier) == (BenefitKind.SHOP, Tier.BASIC)
    assert (benefit.offer.ja, benefit.offer.en) == ("ドリンク一杯サービス", "One free drink")
    assert verified.header.sequence == created.json()["document_sequence"]
    again = service.client.get(
        f"/bodies/{KESENNUMA}/benefits",
        headers={
            "If-None-Match": service.client.get(f"/bodies/{KESENNUMA}/benefits").headers["etag"]
        },
    )
    assert again.status_code == 304


def test_withdrawn_and_edited_benefits(service: Service) -> None:
    reviewer = service.staff(KESENNUMA, "reviewer")
    first = register_benefit(service, reviewer).json()["benefit_id"]
    second = register_benefit(
        service, reviewer, kind="facility", name_ja="市民プール", offer_ja="住民料金での入館"
    ).json()["benefit_id"]
    edited = _send(
        service, "PUT", f"{BASE}/{second}", reviewer,
        json=benefit_json(service, kind="facility", name_ja="市民プール",
                          offer_ja="住民料金での入館", tier="premium"),
    )  # fmt: skip
    assert edited.status_code == 200, edited.text
    withdrawn = _send(service, "POST", f"{BASE}/{first}/withdraw", reviewer)
    assert withdrawn.status_code == 200, withdrawn.text
    [benefit] = published(service).benefits
    assert (benefit.benefit_id, benefit.tier, benefit.offer.ja) == (
        second,
        Tier.PREMIUM,
        "住民料金での入館",
    )


def test_benefit_staff_roles_and_tenants(service: Service) -> None:
    assert_problem(
        register_benefit(service, service.staff(KESENNUMA, "viewer")),
        ErrorCode.STAFF_FORBIDDEN,
        403,
    )
    assert_problem(
        register_benefit(service, service.staff(MINAMIMINOWA, "admin")),
        ErrorCode.STAFF_FORBIDDEN,
        403,
    )
    assert_problem(register_benefit(service, {}), ErrorCode.STAFF_UNAUTHENTICATED, 401)
    mine = register_benefit(service, service.staff(KESENNUMA, "admin")).json()["benefit_id"]
    other = _send(
        service,
        "POST",
        f"/staff/bodies/{MINAMIMINOWA}/benefits/{mine}/withdraw",
        service.staff(MINAMIMINOWA, "admin"),
    )
    assert_problem(other, ErrorCode.RESOURCE_NOT_FOUND, 404)
    listed = service.client.get(BASE, headers=service.staff(KESENNUMA, "viewer"))
    assert [item["benefit_id"] for item in listed.json()["items"]] == [mine]


@pytest.mark.parametrize(
    "change", [{"kind": "advert"}, {"tier": "any"}, {"offer_ja": ""}, {"logo": "https://x/y.png"}]
)
def test_malformed_benefit_is_refused(service: Service, change: dict[str, Any]) -> None:
    response = register_benefit(service, service.staff(KESENNUMA, "reviewer"), **change)
    assert_problem(response, ErrorCode.MALFORMED_REQUEST, 400)


# ---------------------------------------------------------------------------- into the bundle


def _publish_bundle(service: Service, root: Path) -> BundleDirectory:
    """The anchor operator's round: import the body's trust-list entry, sign the list,
    aggregate its status lists, import its signed benefits; a shop's verifier syncs."""
    now = service.clock.now()
    now_s = to_numeric_date(now)
    workspace = TrustWorkspace.create(
        root / "ws", operator=OPERATOR, kid="jp-anchor-2027",
        key=fixed_p256_key("national-trust-anchor"),
    )  # fmt: skip
    entry = service.client.get(f"/bodies/{KESENNUMA}/trust-list-entry").json()
    workspace.save(
        trust_list_from_json(
            {"iss": OPERATOR, "seq": 0, "iat": now_s - 60, "next_update": now_s + 86_400,
             "exp": now_s + 30 * 86_400, "bodies": [entry]}
        )
    )  # fmt: skip
    publication = root / "publication"
    workspace.sign(out=publication, now=now, next_update_in=86_400, valid_for=30 * 86_400)
    status = root / "status"
    for location in entry["status_lists"]:
        token = service.client.get(location["uri"].removeprefix(service.settings.base_url))
        target = status / status_list_path(KESENNUMA, location["id"], "jwt")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(token.text, encoding="ascii")
    workspace.aggregate(status_dir=status, out=publication, now=now)
    imported = root / "benefits"
    imported.mkdir()
    for code in (KESENNUMA, MINAMIMINOWA):  # 南箕輪 is not on this trust list: ignored
        (imported / f"{code}.jwt").write_text(
            service.client.get(f"/bodies/{code}/benefits").text, encoding="ascii"
        )
    report = workspace.benefits(
        benefits_dir=imported, out=publication, now=now, valid_for=7 * 86_400
    )
    assert list(report.included) == [KESENNUMA]
    assert report.refused == {}
    bundle = BundleDirectory(root / "bundle")
    bundle.pin_anchors(workspace.anchors())
    result = bundle.sync(DirectorySource(publication), now=now)
    assert result.benefits is not None
    assert result.benefits_problem is None
    return bundle


def _shop_qr(service: Service) -> str:
    wallet = Wallet.open(storage=MemoryStorage(), clock=service.clock, random=SystemRandom())
    registered = register(
        service, KESENNUMA, relationship_types=["visits"], profile={"member_number": "K-0042"}
    ).json()
    card = wallet.accept_offer(
        registered["credential_offer_uri"],
        tx_code=registered["tx_code"],
        transport=ServiceTransport(service),
        trust=trust_from_service(service, KESENNUMA),
        copies=3,
        allow_insecure_localhost=True,
    )
    return wallet.present_qr(wallet.plan(card.card_id, builtin_profile("shop")))


def _verify(
    capsys: pytest.CaptureFixture[str], service: Service, bundle: Path, qr: str, *benefits: str
) -> dict[str, Any]:
    argv = ["verify", "--bundle", str(bundle), "--now", service.clock.now().isoformat()]
    for ref in benefits:
        argv += ["--benefit", ref]
    code = main([*argv, "--policy", "shop", "--text", qr])
    value: dict[str, Any] = json.loads(capsys.readouterr().out)
    assert code == 0, value
    return value


def test_benefit_round_trip_to_the_verify_cli(
    service: Service, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reviewer = service.staff(KESENNUMA, "reviewer")
    drink = register_benefit(service, reviewer).json()["benefit_id"]
    premium = register_benefit(
        service, reviewer, name_ja="酒蔵見学", offer_ja="試飲無料", offer_en="Free tasting",
        tier="premium",
    ).json()["benefit_id"]  # fmt: skip
    qr_basic = _shop_qr(service)
    bundle = _publish_bundle(service, tmp_path).root

    result = _verify(capsys, service, bundle, qr_basic, f"{KESENNUMA}/{drink}")
    assert (result["result"], result["tier"]) == ("verified", "basic")
    place = result["place_benefit"]
    assert place["applicable"] is True
    assert (place["offer_ja"], place["offer_en"]) == ("ドリンク一杯サービス", "One free drink")
    assert place["message_ja"] == "特典: ドリンク一杯サービス"
    assert place["message_en"] == "Benefit: One free drink"

    # a basic card at a premium-only benefit: the card is valid, the benefit does not apply
    result = _verify(capsys, service, bundle, _shop_qr(service), f"{KESENNUMA}/{premium}")
    assert result["result"] == "verified"
    place = result["place_benefit"]
    assert (place["applicable"], place["reason"], place["required_tier"]) == (
        False,
        "tier",
        "premium",
    )
    assert place["message_ja"].startswith("特典対象外")
    assert place["message_en"].startswith("Benefit not applicable")

    # a benefit of another body is not shown for this card
    result = _verify(capsys, service, bundle, _shop_qr(service), f"{MINAMIMINOWA}/{drink}")
    assert (result["result"], result["place_benefit"]) == ("verified", None)


def test_benefit_round_trip_to_the_kiosk(service: Service, tmp_path: Path) -> None:
    reviewer = service.staff(KESENNUMA, "reviewer")
    drink = register_benefit(service, reviewer).json()["benefit_id"]
    premium = register_benefit(service, reviewer, tier="premium").json()["benefit_id"]
    qrs = [_shop_qr(service), _shop_qr(service)]
    directory = _publish_bundle(service, tmp_path)

    def kiosk(ref: str) -> KioskService:
        return KioskService(
            settings=KioskSettings(
                profile=builtin_profile("shop"), benefits=(parse_benefit_ref(ref),)
            ),
            directory=directory,
            clock=service.clock,
            random=SeededRandom("kiosk"),
        )

    verdict = kiosk(f"{KESENNUMA}/{drink}").scan_text(qrs[0])
    assert isinstance(verdict, Accepted)
    page = verdict_json(verdict)
    assert page["benefit"] == {
        "ja": "特典: ドリンク一杯サービス",
        "en": "Benefit: One free drink",
        "applicable": True,
    }
    verdict = kiosk(f"{KESENNUMA}/{premium}").scan_text(qrs[1])
    assert isinstance(verdict, Accepted)
    page = verdict_json(verdict)
    assert page["result"] == "verified"
    assert isinstance(page["benefit"], dict)
    assert page["benefit"]["applicable"] is False


def test_tampered_benefits_file_is_not_taken_by_a_sync(service: Service, tmp_path: Path) -> None:
    register_benefit(service, service.staff(KESENNUMA, "reviewer"))
    directory = _publish_bundle(service, tmp_path)
    publication = tmp_path / "publication"
    head, payload, signature = (publication / BENEFITS_FILE).read_text().split(".")
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    (publication / BENEFITS_FILE).write_text(f"{head}.{payload}.{flipped}")
    service.clock.advance(timedelta(minutes=1))
    result = directory.sync(DirectorySource(publication), now=service.clock.now())
    assert result.benefits_problem is ErrorCode.SIGNATURE_INVALID
    assert result.benefits is not None  # the held, verified benefits stay in force
    assert directory.load_benefits() == result.benefits
