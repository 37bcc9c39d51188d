"""The wallet's OpenID4VCI 1.0 client (:mod:`furusato_vc.wallet.client`) against the real
issuer service, on SQLite and PostgreSQL: offer → metadata → token → nonce → batch
credentials in both formats, each verified on receipt and bound to its own new key."""

from __future__ import annotations

import asyncio
import json
import secrets
import socket
import threading
import time
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
import uvicorn

from furusato_vc.core.compact.credential import accept_compact
from furusato_vc.core.encoding import b64url_decode, dumps_compact
from furusato_vc.core.errors import ErrorCode, StorageError, VerificationError
from furusato_vc.core.jose.jwk import parse_public_jwk
from furusato_vc.core.jose.jwt import to_numeric_date
from furusato_vc.core.oid4vci.offer import OfferReference, offer_to_uri
from furusato_vc.core.trust import StaticTrust, TrustedIssuer
from furusato_vc.issuer.service import create_app
from furusato_vc.issuer.service.admin import host_body
from furusato_vc.issuer.service.migrate import upgrade
from furusato_vc.runtime import SystemRandom
from furusato_vc.wallet.client import HttpResponse, obtain_credentials, parse_offer
from furusato_vc.wallet.holder import accept_credential
from furusato_vc.wallet.http import UrllibTransport
from tests.helpers import FIXED_NOW
from tests.issuer.service.conftest import (
    KESENNUMA,
    MINAMIMINOWA,
    Service,
    SteppingClock,
    make_settings,
)
from tests.issuer.service.flows import new_holder, register, trust_from_service
from tests.wallet.client_fakes import MemoryKeyStore, Sent, answer

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping
    from pathlib import Path

    from furusato_vc.core.oid4vci.offer import CredentialOffer
    from furusato_vc.wallet.client import ObtainedCredentials

SD_JWT = "registration_basic_sd_jwt"
COMPACT = "registration_basic_compact"


class ServiceTransport:
    """The client's Transport over the service's TestClient. ``before`` may answer a request
    itself (return an answer) and ``after`` may change or lose the service's answer."""

    def __init__(self, service: Service) -> None:
        self.client = service.client
        self.sent: list[Sent] = []
        self.answers: list[HttpResponse] = []
        self.before: Callable[[Sent], HttpResponse | None] = lambda _sent: None
        self.after: Callable[[Sent, HttpResponse], HttpResponse] = lambda _sent, got: got

    def request(
        self, method: str, url: str, *, headers: Mapping[str, str], body: bytes | None
    ) -> HttpResponse:
        sent = Sent(method=method, url=url, headers=dict(headers), body=body)
        self.sent.append(sent)
        early = self.before(sent)
        if early is not None:
            return early
        response = self.client.request(method, url, headers=dict(headers), content=body)
        got = HttpResponse(
            status=response.status_code, headers=dict(response.headers), body=response.content
        )
        self.answers.append(got)
        return self.after(sent, got)

    def count(self, path: str) -> int:
        return sum(1 for s in self.sent if s.url.endswith(path))


def _offer(service: Service, code: str = KESENNUMA) -> tuple[dict[str, Any], CredentialOffer]:
    registered = register(service, code, relationship_types=["visits"])
    assert registered.status_code == 201, registered.text
    body: dict[str, Any] = registered.json()
    offer = parse_offer(
        body["credential_offer_uri"],
        transport=ServiceTransport(service),
        allow_insecure_localhost=True,
    )
    return body, offer


def _obtain(
    service: Service,
    offer: CredentialOffer,
    tx_code: str,
    *,
    keys: MemoryKeyStore | None = None,
    transport: ServiceTransport | None = None,
    trust: StaticTrust | None = None,
    copies: Mapping[str, int] | None = None,
) -> ObtainedCredentials:
    return obtain_credentials(
        offer,
        tx_code=tx_code,
        transport=transport or ServiceTransport(service),
        keys=keys or MemoryKeyStore(),
        trust=trust or trust_from_service(service, KESENNUMA),
        now=service.clock.now(),
        copies=copies,
        allow_insecure_localhost=True,
    )


def test_offer_link_brings_both_formats_in_batch_copies_of_one_registration(
    service: Service,
) -> None:
    body, offer = _offer(service)
    keys = MemoryKeyStore()
    obtained = _obtain(service, offer, body["tx_code"], keys=keys)
    assert obtained.issuer == service.issuer(KESENNUMA)
    assert obtained.body_code == KESENNUMA
    assert obtained.metadata.batch_size == service.settings.batch_size
    assert [(c.configuration_id, c.format) for c in obtained.copies] == [
        (SD_JWT, "dc+sd-jwt")
    ] * 3 + [(COMPACT, "furusato+sd-cwt")] * 3
    assert sorted(c.key_id for c in obtained.copies) == sorted(keys.key_ids())
    assert len(set(keys.key_ids())) == 6


def test_every_copy_verifies_against_the_published_keys_and_its_own_key(
    service: Service,
) -> None:
    body, offer = _offer(service)
    keys = MemoryKeyStore()
    obtained = _obtain(service, offer, body["tx_code"], keys=keys)
    trust, now = trust_from_service(service, KESENNUMA), service.clock.now()
    statuses = set()
    for copy in obtained.copies:
        key = keys.signer(copy.key_id).public_jwk
        if copy.format == "dc+sd-jwt":
            held = accept_credential(copy.credential, holder_key=key, trust=trust, now=now)
            assert held.registration.registration_id == body["registration_id"]
            assert held.verified.status is not None
            statuses.add((held.verified.status.uri, held.verified.status.idx))
            with pytest.raises(VerificationError) as caught:  # and no other key
                accept_credential(
                    copy.credential, holder_key=new_holder().public_jwk, trust=trust, now=now
                )
            assert caught.value.code is ErrorCode.HOLDER_KEY_MISMATCH
        else:
            compact = accept_compact(
                b64url_decode(copy.credential), holder_key=key, keys=trust, now=now
            )
            assert compact.body_code == KESENNUMA
    assert len(statuses) == 3


def test_copies_are_capped_by_the_services_batch_size(service: Service) -> None:
    state = service.client.app.state.furusato  # type: ignore[attr-defined]
    state.settings = replace(state.settings, batch_size=2)
    body, offer = _offer(service)
    obtained = _obtain(service, offer, body["tx_code"], copies={SD_JWT: 5, COMPACT: 1})
    assert [c.configuration_id for c in obtained.copies] == [SD_JWT, SD_JWT, COMPACT]


def test_wrong_tx_code_is_tx_code_invalid_and_creates_no_keys(service: Service) -> None:
    body, offer = _offer(service)
    wrong = "000000" if body["tx_code"] != "000000" else "111111"
    keys = MemoryKeyStore()
    with pytest.raises(VerificationError) as caught:
        _obtain(service, offer, wrong, keys=keys)
    assert caught.value.code is ErrorCode.TX_CODE_INVALID
    assert keys.created == []


def test_expired_offer_is_pre_authorized_code_invalid(service: Service) -> None:
    body, offer = _offer(service)
    service.clock.advance(service.settings.offer_lifetime + timedelta(seconds=1))
    keys = MemoryKeyStore()
    with pytest.raises(VerificationError) as caught:
        _obtain(service, offer, body["tx_code"], keys=keys)
    assert caught.value.code is ErrorCode.PRE_AUTHORIZED_CODE_INVALID
    assert keys.created == []


def test_reused_pre_authorized_code_is_refused(service: Service) -> None:
    body, offer = _offer(service)
    keys = MemoryKeyStore()
    first = _obtain(service, offer, body["tx_code"], keys=keys)
    with pytest.raises(VerificationError) as caught:
        _obtain(service, offer, body["tx_code"], keys=keys)
    assert caught.value.code is ErrorCode.PRE_AUTHORIZED_CODE_INVALID
    assert sorted(keys.key_ids()) == sorted(c.key_id for c in first.copies)


def test_issuer_missing_from_trust_is_refused_before_the_offer_is_spent(
    service: Service,
) -> None:
    body, offer = _offer(service)
    transport, keys = ServiceTransport(service), MemoryKeyStore()
    with pytest.raises(VerificationError) as caught:
        _obtain(
            service,
            offer,
            body["tx_code"],
            keys=keys,
            transport=transport,
            trust=trust_from_service(service, MINAMIMINOWA),
        )
    assert caught.value.code is ErrorCode.ISSUER_NOT_TRUSTED
    assert transport.sent == []
    assert keys.created == []
    assert _obtain(service, offer, body["tx_code"]).copies  # once the trust list knows it


def test_credential_of_an_issuer_not_trusted_for_its_body_is_refused_and_keys_deleted(
    service: Service,
) -> None:
    body, offer = _offer(service)
    genuine = trust_from_service(service, KESENNUMA).issuers[service.issuer(KESENNUMA)]
    # the wallet's trust list says this issuer issues for another body
    confused = StaticTrust.of([replace(genuine, body_code=MINAMIMINOWA)])
    keys = MemoryKeyStore()
    with pytest.raises(VerificationError) as caught:
        _obtain(service, offer, body["tx_code"], keys=keys, trust=confused)
    assert caught.value.code is ErrorCode.ISSUER_NOT_TRUSTED
    assert len(keys.created) == 3
    assert keys.key_ids() == ()


def test_credential_signed_by_a_key_the_wallet_does_not_trust_is_refused_and_keys_deleted(
    service: Service,
) -> None:
    body, offer = _offer(service)
    impostor = TrustedIssuer(
        body_code=KESENNUMA,
        issuer_id=service.issuer(KESENNUMA),
        keys=(new_holder().public_jwk,),
    )
    keys = MemoryKeyStore()
    with pytest.raises(VerificationError) as caught:
        _obtain(service, offer, body["tx_code"], keys=keys, trust=StaticTrust.of([impostor]))
    assert caught.value.code is ErrorCode.ISSUER_KEY_UNKNOWN
    assert len(keys.created) == 3
    assert keys.key_ids() == ()


def test_lost_credential_answer_is_replayed_by_its_idempotency_key(service: Service) -> None:
    body, offer = _offer(service)
    transport = ServiceTransport(service)
    lost: list[HttpResponse] = []

    def lose_first_credential_answer(sent: Sent, got: HttpResponse) -> HttpResponse:
        if sent.url.endswith("/credential") and not lost:
            lost.append(got)
            raise StorageError(ErrorCode.ISSUER_UNAVAILABLE, "connection reset")
        return got

    transport.after = lose_first_credential_answer
    obtained = _obtain(service, offer, body["tx_code"], transport=transport, copies={SD_JWT: 2})
    replayed = transport.answers[-1]
    assert replayed.headers["idempotent-replayed"] == "true"
    assert replayed.body == lost[0].body
    assert len(obtained.copies) == 2


def test_stale_nonce_is_refused_by_the_service_and_a_fresh_one_fetched(service: Service) -> None:
    body, offer = _offer(service)
    transport = ServiceTransport(service)

    def stale_first_nonce(sent: Sent) -> HttpResponse | None:
        if sent.url.endswith("/nonce") and transport.count("/nonce") == 1:
            return answer({"c_nonce": "a-nonce-the-service-never-made"})
        return None

    transport.before = stale_first_nonce
    obtained = _obtain(service, offer, body["tx_code"], transport=transport, copies={SD_JWT: 1})
    assert len(obtained.copies) == 1
    refused = [a for a in transport.answers if a.status == 400]
    assert [a.headers["content-type"] for a in refused] == ["application/problem+json"]
    assert b'"code":"proof_nonce_invalid"' in refused[0].body
    assert transport.count("/nonce") == 2


def test_offer_by_reference_is_fetched_and_redeemed(service: Service) -> None:
    registered = register(service, KESENNUMA, relationship_types=["visits"]).json()
    location = "http://localhost/offers/7f3a"
    transport = ServiceTransport(service)
    transport.before = lambda sent: (
        answer(registered["credential_offer"]) if sent.url == location else None
    )
    offer = parse_offer(
        offer_to_uri(OfferReference(uri=location)),
        transport=transport,
        allow_insecure_localhost=True,
    )
    assert dumps_compact(offer.to_json()) == dumps_compact(registered["credential_offer"])
    obtained = _obtain(service, offer, registered["tx_code"], copies={COMPACT: 1})
    assert len(obtained.copies) == 1


# --------------------------------------------------------------------------- over real HTTP


@pytest.fixture
def live_issuer(tmp_path: Path) -> Iterator[str]:
    """The service under uvicorn on a free loopback port (SQLite), in a thread."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    base_url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    database = f"sqlite:///{tmp_path / 'issuer.db'}"
    upgrade(database)
    settings = replace(make_settings(database), base_url=base_url)
    asyncio.run(
        host_body(
            settings,
            code=KESENNUMA,
            kid=None,
            now=to_numeric_date(FIXED_NOW),
            random=SystemRandom(),
        )
    )
    app = create_app(settings, clock=SteppingClock(FIXED_NOW))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    try:
        while not server.started:
            assert thread.is_alive(), "the server did not start"
            time.sleep(0.01)
        yield base_url
    finally:
        server.should_exit = True
        thread.join()
        listener.close()


def test_urllib_transport_obtains_credentials_from_the_service_over_http(
    live_issuer: str,
) -> None:
    transport = UrllibTransport(timeout=30)
    registered = transport.request(
        "POST",
        f"{live_issuer}/registrations",
        headers={"content-type": "application/json", "idempotency-key": secrets.token_hex(8)},
        body=json.dumps({"account": secrets.token_urlsafe(24), "body_code": KESENNUMA}).encode(),
    )
    assert registered.status == 201, registered.body
    body = json.loads(registered.body)
    published = json.loads(
        transport.request(
            "GET",
            f"{live_issuer}/.well-known/jwt-vc-issuer/bodies/{KESENNUMA}",
            headers={},
            body=None,
        ).body
    )
    trust = StaticTrust.of(
        [
            TrustedIssuer(
                body_code=KESENNUMA,
                issuer_id=published["issuer"],
                keys=tuple(parse_public_jwk(key) for key in published["jwks"]["keys"]),
            )
        ]
    )
    offer = parse_offer(
        body["credential_offer_uri"], transport=transport, allow_insecure_localhost=True
    )
    keys = MemoryKeyStore()
    obtained = obtain_credentials(
        offer,
        tx_code=body["tx_code"],
        transport=transport,
        keys=keys,
        trust=trust,
        now=FIXED_NOW,
        copies={SD_JWT: 2, COMPACT: 2},
        allow_insecure_localhost=True,
    )
    assert obtained.issuer == f"{live_issuer}/bodies/{KESENNUMA}"
    assert [c.configuration_id for c in obtained.copies] == [SD_JWT, SD_JWT, COMPACT, COMPACT]
    assert sorted(c.key_id for c in obtained.copies) == sorted(keys.key_ids())
