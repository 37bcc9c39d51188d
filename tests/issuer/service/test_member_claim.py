"""Claiming an imported member's registration with an app account (docs/member-import.md):
the member's wallet redeems the offer from the body's mail, then the app proves it holds
that card and the registration becomes the account's (SQLite and PostgreSQL)."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

import pytest

from furusato_vc.core.errors import ErrorCode, FurusatoError
from furusato_vc.core.registration.claims import Tier
from tests.issuer.service.conftest import KESENNUMA, MIYAGI
from tests.issuer.service.flows import assert_problem, trust_from_service
from tests.issuer.service.premium_flows import person
from tests.issuer.service.test_member_import import members_csv, post_import
from tests.issuer.service.test_wallet_client import ServiceTransport

if TYPE_CHECKING:
    from tests.issuer.service.conftest import Service
    from tests.issuer.service.premium_flows import Person


def _imported_cards(service: Service, who: Person, count: int = 1) -> list[str]:
    """Import three members and accept the first ``count`` offers into ``who``'s wallet."""
    admin = service.staff(KESENNUMA, "admin")
    imported = post_import(service, KESENNUMA, members_csv(3).encode(), admin)
    assert imported.status_code == 200, imported.text
    cards = []
    for entry in imported.json()["outbox"][:count]:
        card = who.wallet.accept_offer(
            entry["credential_offer_uri"],
            tx_code=entry["tx_code"],
            transport=ServiceTransport(service),
            trust=trust_from_service(service, KESENNUMA),
            copies=1,
            allow_insecure_localhost=True,
        )
        assert card.card_id == entry["registration_id"]
        cards.append(card.card_id)
    return cards


def _imported_card(service: Service, who: Person) -> str:
    return _imported_cards(service, who)[0]


def _claim(service: Service, who: Person, card_id: str, **change: Any) -> Any:
    nonce = who.api.proofing_nonce()
    presentation = who.wallet.prove_possession(
        change.pop("card", card_id), audience=service.issuer(KESENNUMA), nonce=nonce
    )
    return service.client.post(
        f"/registrations/{card_id}/claim",
        json={"account": who.account, "nonce": nonce, "presentation": presentation, **change},
        headers={"Idempotency-Key": secrets.token_hex(8)},
    )


def test_a_new_app_account_claims_its_imported_registration(service: Service) -> None:
    member = person(service)
    card_id = _imported_card(service, member)
    # before the claim the account does not own it
    with pytest.raises(FurusatoError) as before:
        member.api.premium_status(card_id)
    assert before.value.code is ErrorCode.RESOURCE_NOT_FOUND
    nonce = member.api.proofing_nonce()
    member.api.claim_registration(
        card_id,
        nonce=nonce,
        presentation=member.wallet.prove_possession(
            card_id, audience=service.issuer(KESENNUMA), nonce=nonce
        ),
    )
    status = member.api.premium_status(card_id)  # now the account's registration
    assert status.tier == Tier.BASIC.value
    offer_uri, _tx = member.api.new_offer(card_id)  # and it can ask for new copies
    assert offer_uri.startswith("openid-credential-offer://")
    assert _claim(service, member, card_id).status_code == 200  # again: the same answer


def test_an_account_with_registrations_takes_the_imported_one_over(service: Service) -> None:
    member = person(service)
    member.register(MIYAGI)  # the app already registered with the prefecture
    card_id = _imported_card(service, member)
    assert _claim(service, member, card_id).status_code == 200
    listed = service.client.get(
        f"/registrations/{card_id}/premium", headers={"Furusato-Account": member.account}
    )
    assert listed.status_code == 200, listed.text


def test_an_account_already_registered_with_the_body_cannot_claim(service: Service) -> None:
    member = person(service)
    member.register(KESENNUMA)
    card_id = _imported_card(service, member)
    assert_problem(_claim(service, member, card_id), ErrorCode.REGISTRATION_EXISTS, 409)


def test_a_card_of_another_registration_cannot_claim(service: Service) -> None:
    member = person(service)
    first, second = _imported_cards(service, member, 2)
    assert_problem(_claim(service, member, second, card=first), ErrorCode.CREDENTIAL_MISMATCH, 400)


def test_an_app_registration_of_another_account_cannot_be_claimed(service: Service) -> None:
    owner, other = person(service), person(service)
    card_id = owner.register(KESENNUMA)
    other.cards[KESENNUMA] = card_id
    other.wallet = owner.wallet  # even holding the card does not make it claimable
    assert_problem(_claim(service, other, card_id), ErrorCode.RESOURCE_NOT_FOUND, 404)


def test_a_nonce_of_another_account_is_refused(service: Service) -> None:
    member, other = person(service), person(service)
    card_id = _imported_card(service, member)
    nonce = other.api.proofing_nonce()
    presentation = member.wallet.prove_possession(
        card_id, audience=service.issuer(KESENNUMA), nonce=nonce
    )
    response = service.client.post(
        f"/registrations/{card_id}/claim",
        json={"account": member.account, "nonce": nonce, "presentation": presentation},
        headers={"Idempotency-Key": secrets.token_hex(8)},
    )
    assert_problem(response, ErrorCode.IDENTITY_NONCE_INVALID, 400)
