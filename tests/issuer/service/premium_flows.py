"""What the app and staff do for premium registration, step by step, for the tests."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from furusato_vc.core.encoding import b64url_encode
from furusato_vc.issuer.service import schema as t
from furusato_vc.runtime import SystemRandom
from furusato_vc.wallet.premium import RegistrationApi
from furusato_vc.wallet.storage import MemoryStorage
from furusato_vc.wallet.wallet import Wallet
from tests.core.identity import jpki_fixtures as pki
from tests.issuer.service.flows import account, register, trust_from_service
from tests.issuer.service.test_wallet_client import ServiceTransport

if TYPE_CHECKING:
    from tests.issuer.service.conftest import Service

PROFILE = {
    "family_name": "山田",
    "given_name": "花子",
    "family_name_kana": "ヤマダ",
    "given_name_kana": "ハナコ",
    "birthdate": "1990-04-15",
    "stay_from": "2027-01-10",
    "stay_until": "2027-12-31",
}


@dataclass
class Person:
    """One app user: an account, a wallet and the registration API client."""

    service: Service
    account: str
    wallet: Wallet
    api: RegistrationApi
    cards: dict[str, str]  # body code → card id (= registration id)

    def register(self, code: str, *, plain: bool = False, **profile: Any) -> str:
        """Register with ``code`` (with :data:`PROFILE`, or no personal data if ``plain``)
        and accept the offered card into the wallet."""
        registered = register(
            self.service,
            code,
            who=self.account,
            relationship_types=["visits"],
            profile=profile if plain else {**PROFILE, **profile},
        )
        assert registered.status_code == 201, registered.text
        body = registered.json()
        card = self.wallet.accept_offer(
            body["credential_offer_uri"],
            tx_code=body["tx_code"],
            transport=ServiceTransport(self.service),
            trust=trust_from_service(self.service, code),
            copies=2,
            allow_insecure_localhost=True,
        )
        self.cards[code] = card.card_id
        return card.card_id

    def prove(
        self,
        *,
        address: str = pki.ADDRESS,
        serial: int = pki.LEAF_SERIAL,
        birthdate: str = pki.BIRTHDATE,
        nonce: str | None = None,
        signed: str | None = None,
    ) -> Any:
        """Proof with a certificate of the test PKI: the card signs ``signed`` (by default
        the nonce), sent with ``nonce`` (by default a fresh one of this account)."""
        nonce = nonce or self.api.proofing_nonce()
        certificate = pki.leaf(
            san=pki.basic_four(address=address, birthdate=birthdate), serial=serial
        )
        return self.service.client.post(
            "/identity/jpki",
            json={
                "account": self.account,
                "nonce": nonce,
                "certificate": _b64(pki.der(certificate)),
                "signature": _b64(pki.sign((signed or nonce).encode("ascii"))),
            },
        )

    def check_in(self, code: str, activity_qr: str, **extra: Any) -> Any:
        record = self.wallet.check_in(
            activity_qr, self.cards[code], trust=trust_from_service(self.service, code)
        )
        return self.service.client.post(
            f"/bodies/{code}/attendances",
            json={
                "record": {"activity": record.activity, "presentation": record.presentation},
                **extra,
            },
        )

    def apply(self, code: str, **extra: Any) -> Any:
        return self.service.client.post(
            f"/registrations/{self.cards[code]}/premium-applications",
            json={"account": self.account, **extra},
            headers={"Idempotency-Key": secrets.token_hex(8)},
        )

    def status(self, code: str) -> Any:
        response = self.service.client.get(
            f"/registrations/{self.cards[code]}/premium",
            headers={"Furusato-Account": self.account},
        )
        assert response.status_code == 200, response.text
        return response.json()


def _b64(data: bytes) -> str:
    return b64url_encode(data)


def person(service: Service) -> Person:
    who = account()
    wallet = Wallet.open(storage=MemoryStorage(), clock=service.clock, random=SystemRandom())
    api = RegistrationApi(
        base_url=service.settings.base_url, account=who, transport=ServiceTransport(service)
    )
    return Person(service=service, account=who, wallet=wallet, api=api, cards={})


def create_activity(
    service: Service,
    code: str,
    staff: dict[str, str],
    *,
    starts_in: timedelta = timedelta(hours=-1),
    lasts: timedelta = timedelta(hours=3),
    **extra: Any,
) -> Any:
    now = service.clock.now()
    response = service.client.post(
        f"/staff/bodies/{code}/activities",
        json={
            "title_ja": "海岸清掃",
            "title_en": "Beach clean-up",
            "place": "小泉海岸",
            "starts_at": (now + starts_in).isoformat(),
            "ends_at": (now + starts_in + lasts).isoformat(),
            **extra,
        },
        headers={**staff, "Idempotency-Key": secrets.token_hex(8)},
    )
    assert response.status_code == 201, response.text
    return response.json()


def attend_three(service: Service, who: Person, code: str, staff: dict[str, str]) -> None:
    """Three designated activities on three days, each checked in."""
    for day in range(3):
        activity = create_activity(service, code, staff, title_ja=f"活動{day + 1}")
        response = who.check_in(code, activity["check_in_qr"])
        assert response.status_code == 201, response.text
        service.clock.advance(timedelta(days=1))


def decide(
    service: Service,
    code: str,
    staff: dict[str, str],
    application_id: str,
    decision: str,
    **body: Any,
) -> Any:
    return service.client.post(
        f"/staff/bodies/{code}/premium-applications/{application_id}/{decision}",
        json=body,
        headers={**staff, "Idempotency-Key": secrets.token_hex(8)},
    )


def database_text(service: Service) -> str:
    """Every value of every table, as text (what a database dump would show)."""
    state: Any = service.client.app.state  # type: ignore[attr-defined]

    async def run() -> str:
        parts: list[str] = []
        async with state.furusato.transaction() as conn:
            for table in t.metadata.sorted_tables:
                for row in (await conn.execute(select(table))).all():
                    for value in row:
                        if isinstance(value, bytes | memoryview):
                            raw = bytes(value)
                            parts.extend((raw.hex(), raw.decode("utf-8", "replace")))
                        else:
                            parts.append(str(value))
        return "\n".join(parts)

    text: str = service.client.portal.call(run)  # type: ignore[union-attr]
    return text
