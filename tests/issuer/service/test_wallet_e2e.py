"""The embedded ``Wallet`` end to end against the real issuer service (SQLite and
PostgreSQL): offer → credentials (both formats, batch copies) → the QR for a verifier profile →
verification by the verifier library, with status from the service's own status lists."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest

from furusato_vc.core.activity import ActivityName, serialize_attendance_record
from furusato_vc.core.challenge import encode_challenge_qr, parse_challenge_qr
from furusato_vc.core.errors import ErrorCode, StorageError, VerificationError
from furusato_vc.core.jose.jwt import to_numeric_date
from furusato_vc.core.policy import VerificationPolicyBuilder
from furusato_vc.core.profiles import builtin_profile
from furusato_vc.core.registration.bodies import load_bodies
from furusato_vc.core.registration.claims import Tier
from furusato_vc.core.statuslist import StatusType
from furusato_vc.core.statuslist.token import verify_status_list_jwt
from furusato_vc.issuer.activity import create_activity_qr, verify_attendance
from furusato_vc.issuer.credentials import IssuingBody
from furusato_vc.runtime import SystemRandom
from furusato_vc.verifier import RegistrationVerifier, Rejected, Verified
from furusato_vc.wallet.keys import SoftwareKeyStore
from furusato_vc.wallet.storage import EncryptedFileStorage, MemoryStorage, ScryptParams
from furusato_vc.wallet.wallet import Wallet
from tests.issuer.service.conftest import KESENNUMA, MINAMIMINOWA
from tests.issuer.service.flows import register, trust_from_service
from tests.issuer.service.test_wallet_client import ServiceTransport

if TYPE_CHECKING:
    from pathlib import Path

    from furusato_vc.core.statuslist import StatusReference
    from furusato_vc.core.trust import StaticTrust
    from tests.issuer.service.conftest import Service

BODIES = load_bodies()
FAST_KDF = ScryptParams(n=2**10)


class ServiceStatus:
    """The verifier's status data: the service's status list tokens, verified, fetched
    when asked (a kiosk would read them from its synced bundle instead)."""

    def __init__(self, service: Service, trust: StaticTrust) -> None:
        self.service = service
        self.trust = trust

    def check(self, reference: StatusReference, *, issuer: str, now: int, max_age: int) -> None:
        path = reference.uri.removeprefix(self.service.settings.base_url)
        token = self.service.client.get(path).text
        verified = verify_status_list_jwt(
            token,
            keys=self.trust.issuer_keys(issuer=issuer, kid=None),
            expected_uri=reference.uri,
            now=now,
        )
        value = verified.status_list.get(reference.idx)
        if value == StatusType.INVALID:
            raise VerificationError(ErrorCode.CREDENTIAL_REVOKED, "revoked")
        if value == StatusType.SUSPENDED:
            raise VerificationError(ErrorCode.CREDENTIAL_SUSPENDED, "suspended")


def _wallet(service: Service, storage: Any = None) -> Wallet:
    return Wallet.open(
        storage=storage if storage is not None else MemoryStorage(),
        clock=service.clock,
        random=SystemRandom(),
    )


def _accept(service: Service, wallet: Wallet, code: str = KESENNUMA, copies: int = 3) -> str:
    registered = register(service, code, relationship_types=["visits"])
    assert registered.status_code == 201, registered.text
    body = registered.json()
    card = wallet.accept_offer(
        body["credential_offer_uri"],
        tx_code=body["tx_code"],
        transport=ServiceTransport(service),
        trust=trust_from_service(service, code),
        copies=copies,
        allow_insecure_localhost=True,
    )
    return card.card_id


def _verifier(service: Service, profile: str, code: str, trust: StaticTrust) -> Any:
    policy = VerificationPolicyBuilder.from_profile(builtin_profile(profile)).accept_bodies([code])
    return RegistrationVerifier(
        policy=policy.build(),
        trust=trust,
        bodies=BODIES,
        status_checker=ServiceStatus(service, trust),
    )


def test_offer_then_credentials_then_qr_then_verification(service: Service) -> None:
    wallet = _wallet(service)
    card_id = _accept(service, wallet)
    [card] = wallet.cards()
    assert (card.card_id, card.body_code, card.tier) == (card_id, KESENNUMA, Tier.BASIC)
    assert (card.body_name_ja, card.body_name_en) == (
        "宮城県気仙沼市",
        "Kesennuma City, Miyagi Prefecture",
    )
    assert (card.unused_qr_copies, card.unused_sd_jwt_copies) == (3, 3)
    plan = wallet.plan(card_id, builtin_profile("garbage-station"))
    assert plan.disclosed == ()
    assert [item.label_ja for item in plan.always_shown] == ["登録先", "種別", "有効期限"]
    qr = wallet.present_qr(plan)
    assert qr.startswith("FJ1:")
    trust = trust_from_service(service, KESENNUMA)
    result = _verifier(service, "garbage-station", KESENNUMA, trust).verify(
        qr, now=service.clock.now()
    )
    assert isinstance(result, Verified), result
    assert result.registration.issuing_body == KESENNUMA
    assert wallet.cards()[0].unused_qr_copies == 2


def test_each_presentation_uses_an_unused_copy_until_none_is_left(service: Service) -> None:
    wallet = _wallet(service)
    card_id = _accept(service, wallet, copies=2)
    plan = wallet.plan(card_id, builtin_profile("garbage-station"))
    first, second = wallet.present_qr(plan), wallet.present_qr(plan)
    trust = trust_from_service(service, KESENNUMA)
    verifier = _verifier(service, "garbage-station", KESENNUMA, trust)
    for qr in (first, second):
        result = verifier.verify(qr, now=service.clock.now())
        assert isinstance(result, Verified), result
    used = [c for c in wallet.card(card_id).copies if c.used_at is not None]
    assert len(used) == 2
    assert used[0].key_id != used[1].key_id  # two verifiers see two different holder keys
    assert used[0].credential != used[1].credential
    with pytest.raises(StorageError) as caught:
        wallet.present_qr(plan)
    assert caught.value.code is ErrorCode.WALLET_COPIES_EXHAUSTED


def test_sd_jwt_presentation_for_online_use(service: Service) -> None:
    wallet = _wallet(service)
    card_id = _accept(service, wallet)
    plan = wallet.plan(card_id, builtin_profile("shop"))
    assert [item.path for item in plan.disclosed] == [("member_number",)]
    assert plan.disclosed[0].label_ja != plan.disclosed[0].label_en
    nonce = secrets.token_urlsafe(16)
    presentation = wallet.present_sd_jwt(plan, nonce=nonce)
    trust = trust_from_service(service, KESENNUMA)
    policy = (
        VerificationPolicyBuilder.from_profile(builtin_profile("shop"))
        .accept_bodies([KESENNUMA])
        .nonce(nonce)
        .build()
    )
    verifier = RegistrationVerifier(
        policy=policy, trust=trust, bodies=BODIES, status_checker=ServiceStatus(service, trust)
    )
    result = verifier.verify(presentation, now=service.clock.now())
    # the registration has no member number: the shop's required claim is missing
    assert isinstance(result, Rejected)
    assert result.code is ErrorCode.REQUIRED_DISCLOSURE_MISSING
    assert wallet.cards()[0].unused_sd_jwt_copies == 2


def test_revocation_reaches_the_wallet_through_the_status_list(service: Service) -> None:
    wallet = _wallet(service)
    card_id = _accept(service, wallet)
    assert wallet.cards()[0].status == "unknown"  # nothing fetched yet
    transport = ServiceTransport(service)
    assert wallet.refresh_status(transport=transport) == 1
    assert wallet.cards()[0].status == "valid"
    admin = service.staff(KESENNUMA, "admin")
    revoked = service.client.post(
        f"/staff/bodies/{KESENNUMA}/registrations/{card_id}/revoke",
        headers={**admin, "Idempotency-Key": secrets.token_hex(8)},
    )
    assert revoked.status_code == 200, revoked.text
    wallet.refresh_status(transport=transport)
    assert wallet.cards()[0].status == "revoked"
    # the verifier refuses the card too
    plan = wallet.plan(card_id, builtin_profile("garbage-station"))
    trust = trust_from_service(service, KESENNUMA)
    result = _verifier(service, "garbage-station", KESENNUMA, trust).verify(
        wallet.present_qr(plan), now=service.clock.now()
    )
    assert isinstance(result, Rejected)
    assert result.code is ErrorCode.CREDENTIAL_REVOKED


def test_cached_status_goes_unknown_when_too_old(service: Service) -> None:
    wallet = _wallet(service)
    _accept(service, wallet)
    wallet.refresh_status(transport=ServiceTransport(service))
    service.clock.advance(timedelta(hours=49))
    assert wallet.cards()[0].status == "unknown"


def test_cards_from_several_bodies(service: Service) -> None:
    wallet = _wallet(service)
    _accept(service, wallet, KESENNUMA)
    service.clock.advance(timedelta(seconds=1))
    _accept(service, wallet, MINAMIMINOWA)
    names = [card.body_name_ja for card in wallet.cards()]
    assert names == ["長野県南箕輪村", "宮城県気仙沼市"]  # newest first


def test_the_encrypted_store_keeps_everything(service: Service, tmp_path: Path) -> None:
    path = tmp_path / "wallet.json"
    wallet = _wallet(
        service, EncryptedFileStorage(path, "correct horse", random=SystemRandom(), kdf=FAST_KDF)
    )
    card_id = _accept(service, wallet)
    plan = wallet.plan(card_id, builtin_profile("garbage-station"))
    wallet.present_qr(plan)
    assert b"registration" not in path.read_bytes()  # encrypted at rest
    reopened = _wallet(
        service, EncryptedFileStorage(path, "correct horse", random=SystemRandom(), kdf=FAST_KDF)
    )
    [card] = reopened.cards()
    assert (card.card_id, card.unused_qr_copies) == (card_id, 2)  # the used copy stays used
    again = reopened.present_qr(reopened.plan(card_id, builtin_profile("garbage-station")))
    assert again.startswith("FJ1:")
    with pytest.raises(StorageError) as caught:
        _wallet(
            service, EncryptedFileStorage(path, "wrong horse", random=SystemRandom(), kdf=FAST_KDF)
        )
    assert caught.value.code is ErrorCode.WALLET_PASSPHRASE_INVALID


def test_delete_forgets_the_card_and_destroys_its_keys(service: Service) -> None:
    keys = SoftwareKeyStore()
    wallet = Wallet(storage=MemoryStorage(), keys=keys, clock=service.clock, random=SystemRandom())
    card_id = _accept(service, wallet)
    assert len(keys.key_ids()) == 6
    wallet.delete(card_id)
    assert wallet.cards() == ()
    assert keys.key_ids() == ()
    with pytest.raises(StorageError) as caught:
        wallet.delete(card_id)
    assert caught.value.code is ErrorCode.WALLET_CARD_NOT_FOUND


def test_reminder_before_expiry(service: Service) -> None:
    wallet = _wallet(service)
    card_id = _accept(service, wallet)
    assert wallet.reminders() == ()
    card = wallet.card(card_id)
    left = card.expires_at - to_numeric_date(service.clock.now())
    service.clock.advance(timedelta(seconds=left) - timedelta(days=10))
    [reminder] = wallet.reminders()
    assert (reminder.card_id, reminder.kind) == (card_id, "expiry")
    assert reminder.days_left in (9, 10)
    assert "気仙沼市" in reminder.message_ja
    assert "Kesennuma City" in reminder.message_en


def test_activity_check_in_is_accepted_by_the_issuer(service: Service) -> None:
    wallet = _wallet(service)
    card_id = _accept(service, wallet)
    state: Any = service.client.app.state  # type: ignore[attr-defined]
    hosted = state.furusato.bodies[KESENNUMA]
    now = service.clock.now()
    activity = create_activity_qr(
        IssuingBody(
            code=KESENNUMA,
            issuer_id=hosted.issuer_id,
            signer=hosted.signer,
            status_list_uri=f"{hosted.issuer_id}/status/1",
        ),
        activity_id="beach-cleanup-2027-05",
        name=ActivityName(ja="海岸清掃", en="Beach clean-up"),
        not_before=now - timedelta(hours=1),
        expires_at=now + timedelta(hours=2),
        designated=True,
        now=now,
    )
    trust = trust_from_service(service, KESENNUMA)
    record = wallet.check_in(activity, card_id, trust=trust)
    attended = verify_attendance(
        serialize_attendance_record(record),
        trust=trust,
        body_code=KESENNUMA,
        now=now,
        status_checker=ServiceStatus(service, trust),
    )
    assert (attended.registration_id, attended.activity_id) == (card_id, "beach-cleanup-2027-05")
    assert attended.designated


def test_unknown_card(service: Service) -> None:
    wallet = _wallet(service)
    with pytest.raises(StorageError) as caught:
        wallet.plan("no-such-card", builtin_profile("shop"))
    assert caught.value.code is ErrorCode.WALLET_CARD_NOT_FOUND


def test_challenge_mode_binds_the_qr_to_the_kiosk_nonce(service: Service) -> None:
    wallet = _wallet(service)
    card_id = _accept(service, wallet)
    challenge = encode_challenge_qr("MFRGGZDFMZTWQ2LK")  # what the kiosk shows first
    plan = wallet.plan(card_id, builtin_profile("garbage-station"))
    qr = wallet.present_qr(plan, nonce=parse_challenge_qr(challenge))
    trust = trust_from_service(service, KESENNUMA)
    for nonce, expected in (
        ("MFRGGZDFMZTWQ2LK", None),
        ("ZZZZZZZZZZZZZZZZ", ErrorCode.KB_NONCE_MISMATCH),
    ):
        policy = (
            VerificationPolicyBuilder.from_profile(builtin_profile("garbage-station"))
            .accept_bodies([KESENNUMA])
            .nonce(nonce)
            .build()
        )
        verifier = RegistrationVerifier(
            policy=policy, trust=trust, bodies=BODIES, status_checker=ServiceStatus(service, trust)
        )
        result = verifier.verify(qr, now=service.clock.now())
        if expected is None:
            assert isinstance(result, Verified), result
        else:
            assert isinstance(result, Rejected)
            assert result.code is expected


def test_rotating_qr_uses_one_copy_and_renews_every_30_seconds(service: Service) -> None:
    wallet = _wallet(service)
    card_id = _accept(service, wallet)
    rotating = wallet.rotating_qr(wallet.plan(card_id, builtin_profile("garbage-station")))
    assert wallet.cards()[0].unused_qr_copies == 2  # taken once, for the whole showing
    first = rotating.text(now=service.clock.now())
    service.clock.advance(timedelta(seconds=29))
    assert rotating.text(now=service.clock.now()) == first
    service.clock.advance(timedelta(seconds=1))
    renewed = rotating.text(now=service.clock.now())
    assert renewed != first
    trust = trust_from_service(service, KESENNUMA)
    result = _verifier(service, "garbage-station", KESENNUMA, trust).verify(
        renewed, now=service.clock.now()
    )
    assert isinstance(result, Verified), result
    assert wallet.cards()[0].unused_qr_copies == 2
