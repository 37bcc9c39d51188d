"""The wallet reads notices only from the bodies it holds a card of, verifies each feed
against the body's keys and filters it by the card's tier and the holder's interests (SQLite
and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from furusato_vc.core.errors import ErrorCode
from furusato_vc.core.registration.claims import Tier
from furusato_vc.runtime import SystemRandom
from furusato_vc.wallet.client import HttpResponse
from furusato_vc.wallet.storage import MemoryStorage
from furusato_vc.wallet.wallet import Wallet
from tests.issuer.service.conftest import KESENNUMA, MINAMIMINOWA
from tests.issuer.service.flows import register, trust_from_service
from tests.issuer.service.test_notices import _send, publish
from tests.issuer.service.test_wallet_client import ServiceTransport

if TYPE_CHECKING:
    from tests.issuer.service.conftest import Service
    from tests.wallet.client_fakes import Sent


def _wallet_with_card(service: Service, storage: MemoryStorage | None = None) -> Wallet:
    wallet = Wallet.open(
        storage=storage or MemoryStorage(), clock=service.clock, random=SystemRandom()
    )
    registered = register(service, KESENNUMA, relationship_types=["visits"]).json()
    wallet.accept_offer(
        registered["credential_offer_uri"],
        tx_code=registered["tx_code"],
        transport=ServiceTransport(service),
        trust=trust_from_service(service, KESENNUMA),
        copies=1,
        allow_insecure_localhost=True,
    )
    return wallet


def _titles(wallet: Wallet, service: Service) -> set[str]:
    result = wallet.notices(transport=ServiceTransport(service))
    assert result.failures == ()
    return {item.notice.title.ja for item in result.notices}


def test_wallet_fetches_only_the_feeds_of_its_bodies(service: Service) -> None:
    publish(service, service.staff(KESENNUMA, "reviewer"), title_ja="気仙沼のお知らせ")
    publish(
        service, service.staff(MINAMIMINOWA, "reviewer"), title_ja="南箕輪のお知らせ", link=None
    )
    wallet = _wallet_with_card(service)
    transport = ServiceTransport(service)
    result = wallet.notices(transport=transport)
    assert [item.notice.title.ja for item in result.notices] == ["気仙沼のお知らせ"]
    assert [item.body_code for item in result.notices] == [KESENNUMA]
    assert [s.url for s in transport.sent] == [f"{service.issuer(KESENNUMA)}/notices"]


def test_wallet_filters_by_tier_and_interests(service: Service) -> None:
    reviewer = service.staff(KESENNUMA, "reviewer")
    publish(service, reviewer, title_ja="全員へ", interests=[])
    publish(service, reviewer, title_ja="漁業の方へ", interests=["漁業"])
    publish(service, reviewer, title_ja="音楽の方へ", interests=["音楽"])
    publish(service, reviewer, title_ja="プレミアム限定", tier="premium", interests=[])
    publish(service, reviewer, title_ja="ベーシックの方へ", tier="basic", interests=[])
    wallet = _wallet_with_card(service)
    assert wallet.cards()[0].tier is Tier.BASIC
    assert _titles(wallet, service) == {"全員へ", "漁業の方へ", "音楽の方へ", "ベーシックの方へ"}
    wallet.set_interests(["音楽"])
    assert _titles(wallet, service) == {"全員へ", "音楽の方へ", "ベーシックの方へ"}
    wallet.set_interests([])
    assert _titles(wallet, service) == {"全員へ", "ベーシックの方へ"}


def test_interests_are_kept_in_the_wallet(service: Service) -> None:
    storage = MemoryStorage()
    wallet = _wallet_with_card(service, storage)
    wallet.set_interests(["漁業", "食"])
    reopened = Wallet.open(storage=storage, clock=service.clock, random=SystemRandom())
    assert reopened.interests == ("漁業", "食")


def test_withdrawn_notice_disappears_from_the_wallet(service: Service) -> None:
    reviewer = service.staff(KESENNUMA, "reviewer")
    notice_id = publish(service, reviewer, title_ja="取り下げ予定").json()["notice_id"]
    wallet = _wallet_with_card(service)
    assert _titles(wallet, service) == {"取り下げ予定"}
    _send(service, "POST", f"/staff/bodies/{KESENNUMA}/notices/{notice_id}/withdraw", reviewer)
    assert _titles(wallet, service) == set()


def test_tampered_feed_is_reported_not_shown(service: Service) -> None:
    publish(service, service.staff(KESENNUMA, "reviewer"))
    wallet = _wallet_with_card(service)
    transport = ServiceTransport(service)

    def tamper(_sent: Sent, got: HttpResponse) -> HttpResponse:
        head, payload, signature = got.body.decode().split(".")
        flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
        return HttpResponse(
            status=200, headers=got.headers, body=f"{head}.{payload}.{flipped}".encode()
        )

    transport.after = tamper
    result = wallet.notices(transport=transport)
    assert result.notices == ()
    [failure] = result.failures
    assert (failure.body_code, failure.code) == (KESENNUMA, ErrorCode.SIGNATURE_INVALID)


def test_expired_feed_is_reported(service: Service) -> None:
    publish(service, service.staff(KESENNUMA, "reviewer"))
    wallet = _wallet_with_card(service)
    stale = service.client.get(f"/bodies/{KESENNUMA}/notices").content
    service.clock.advance(timedelta(hours=25))
    transport = ServiceTransport(service)
    transport.before = lambda _sent: HttpResponse(status=200, headers={}, body=stale)
    [failure] = wallet.notices(transport=transport).failures
    assert failure.code is ErrorCode.TOKEN_EXPIRED


def test_offline_wallet_reports_the_body(service: Service) -> None:
    wallet = _wallet_with_card(service)
    transport = ServiceTransport(service)
    transport.before = lambda _sent: HttpResponse(status=503, headers={}, body=b"")
    [failure] = wallet.notices(transport=transport).failures
    assert failure.code is ErrorCode.ISSUER_UNAVAILABLE


def test_an_older_feed_is_refused_after_a_newer_one_even_after_reopening(
    service: Service,
) -> None:
    """A withdrawn notice must not come back from a stale cache or a replayed feed: the
    wallet remembers the newest signed sequence it showed, across restarts."""
    reviewer = service.staff(KESENNUMA, "reviewer")
    notice_id = publish(service, reviewer, title_ja="取り下げ予定").json()["notice_id"]
    storage = MemoryStorage()
    wallet = _wallet_with_card(service, storage)
    old_feed = service.client.get(f"/bodies/{KESENNUMA}/notices").content
    assert _titles(wallet, service) == {"取り下げ予定"}
    _send(service, "POST", f"/staff/bodies/{KESENNUMA}/notices/{notice_id}/withdraw", reviewer)
    assert _titles(wallet, service) == set()
    reopened = Wallet.open(storage=storage, clock=service.clock, random=SystemRandom())
    replay = ServiceTransport(service)
    replay.before = lambda _sent: HttpResponse(status=200, headers={}, body=old_feed)
    result = reopened.notices(transport=replay)
    assert result.notices == ()
    [failure] = result.failures
    assert (failure.body_code, failure.code) == (KESENNUMA, ErrorCode.NOTICE_FEED_ROLLBACK)
    assert _titles(reopened, service) == set()  # the current feed is still accepted
