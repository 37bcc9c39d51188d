"""Premium registration on the real service (SQLite and PostgreSQL) with the real wallet:
proofing with a (test) My Number Card certificate, designated activities and check-in,
evidence review, the application with its checklist, approval, renewal and the end of
premium. Issue 8's acceptance test is the first one."""

from __future__ import annotations

import io
import secrets
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from PIL import Image
from sqlalchemy import update

from furusato_vc.core.activity import attendance_nonce, decode_activity_qr
from furusato_vc.core.encoding import dumps_compact
from furusato_vc.core.errors import ErrorCode, RequestError, VerificationError
from furusato_vc.core.jose import sign_compact_jws
from furusato_vc.core.jose.jwt import to_numeric_date
from furusato_vc.core.policy import VerificationPolicyBuilder
from furusato_vc.core.profiles import builtin_profile
from furusato_vc.core.registration.claims import Tier
from furusato_vc.issuer.service import schema as t
from furusato_vc.issuer.service.app import expire_premium_once
from furusato_vc.qr.read import read_qr
from furusato_vc.verifier import RegistrationVerifier, Verified
from furusato_vc.wallet.holder import present_credential
from tests.core.identity import jpki_fixtures as pki
from tests.issuer.service.conftest import (
    CHIYODA,
    KESENNUMA,
    MINAMIMINOWA,
    NAHA,
    OIDC_CLIENT_ID,
    OIDC_ISSUER,
    OIDC_SIGNER,
    SAPPORO,
)
from tests.issuer.service.flows import assert_problem, trust_from_service
from tests.issuer.service.premium_flows import (
    attend_three,
    create_activity,
    database_text,
    decide,
    person,
)
from tests.issuer.service.test_wallet_e2e import BODIES, ServiceStatus

if TYPE_CHECKING:
    from tests.issuer.service.conftest import Service
    from tests.issuer.service.premium_flows import Person


def _premium(service: Service, who: Person, code: str = KESENNUMA) -> dict[str, Any]:
    """Registration, proofing, three check-ins, application, approval: the whole path."""
    reviewer = service.staff(code, "reviewer")
    who.register(code)
    assert who.prove().status_code == 200
    attend_three(service, who, code, reviewer)
    applied = who.apply(code)
    assert applied.status_code == 201, applied.text
    approved = decide(service, code, reviewer, applied.json()["application_id"], "approve")
    assert approved.status_code == 200, approved.text
    result: dict[str, Any] = approved.json()
    return result


# ---------------------------------------------------------------------------- acceptance


def test_basic_to_premium_end_to_end_verified_at_the_nursery(premium_service: Service) -> None:
    service = premium_service
    hanako = person(service)
    reviewer = service.staff(KESENNUMA, "reviewer")

    # 1. basic registration: the card is basic, and the nursery (premium only) refuses it
    card_id = hanako.register(KESENNUMA)
    assert hanako.wallet.card(card_id).tier is Tier.BASIC

    # 2. identity proofing with the card's signing certificate (address: 南箕輪村)
    proofed = hanako.api.prove_with_jpki(
        nonce=(nonce := hanako.api.proofing_nonce()),
        certificate=_certificate(),
        signature=_sign(nonce),
    )
    assert (proofed.method, proofed.address_municipality_code) == ("jpki_signing", MINAMIMINOWA)

    # 3. three designated activities, checked in with the wallet, submitted by the app
    status = hanako.api.premium_status(card_id)
    assert not status.eligible
    for day in range(3):
        activity = create_activity(service, KESENNUMA, reviewer, title_ja=f"活動{day}")
        record = hanako.wallet.check_in(
            activity["check_in_qr"], card_id, trust=trust_from_service(service, KESENNUMA)
        )
        receipt = hanako.api.submit_attendance(KESENNUMA, record)
        assert (receipt.registration_id, receipt.activity_id) == (card_id, activity["activity_id"])
        service.clock.advance(timedelta(days=2))

    # 4. application: every rule passes, it waits for a reviewer
    status = hanako.api.premium_status(card_id)
    assert status.eligible
    assert all(item.passed for item in status.checklist)
    application = hanako.api.apply_premium(card_id)
    assert (application.state, application.kind) == ("pending", "new")
    queue = service.client.get(
        f"/staff/bodies/{KESENNUMA}/premium-applications", headers=reviewer
    ).json()["items"]
    assert [item["application_id"] for item in queue] == [application.application_id]

    # 5. approval: premium for a year
    approved = decide(service, KESENNUMA, reviewer, application.application_id, "approve")
    assert approved.status_code == 200, approved.text
    until = date.fromisoformat(approved.json()["premium_until"])
    today = service.clock.now().date()
    assert today + timedelta(days=360) <= until < today + timedelta(days=366)

    # 6. the premium card, both formats, through a new offer
    offer_uri, tx_code = hanako.api.new_offer(card_id)
    card = hanako.wallet.accept_offer(
        offer_uri,
        tx_code=tx_code,
        transport=hanako.api.transport,
        trust=trust_from_service(service, KESENNUMA),
        copies=2,
        allow_insecure_localhost=True,
    )
    assert card.tier is Tier.PREMIUM
    copies = hanako.wallet.card(card.card_id).copies
    assert len({copy.format for copy in copies}) == 2
    assert len(copies) == 4  # the basic copies were replaced, not kept beside them

    # 7. the QR at the nursery: names, birthdate and stay disclosed; premium verified
    trust = trust_from_service(service, KESENNUMA)
    plan = hanako.wallet.plan(card.card_id, builtin_profile("nursery"))
    qr = hanako.wallet.present_qr(plan)
    verifier = RegistrationVerifier(
        policy=VerificationPolicyBuilder.from_profile(builtin_profile("nursery"))
        .accept_bodies([KESENNUMA])
        .build(),
        trust=trust,
        bodies=BODIES,
        status_checker=ServiceStatus(service, trust),
    )
    result = verifier.verify(qr, now=service.clock.now())
    assert isinstance(result, Verified), result
    assert result.registration.tier is Tier.PREMIUM
    assert (result.registration.family_name, result.registration.given_name) == ("山田", "花子")
    assert result.expires_at.date() <= until + timedelta(days=1)  # never past the premium year


def _certificate() -> bytes:
    return pki.der(pki.leaf())


def _sign(nonce: str) -> bytes:
    return pki.sign(nonce.encode("ascii"))


# ---------------------------------------------------------------------------- the rules


def test_application_without_proofing_fails_with_the_checklist(premium_service: Service) -> None:
    service = premium_service
    who = person(service)
    who.register(KESENNUMA)
    body = assert_problem(who.apply(KESENNUMA), ErrorCode.PREMIUM_NOT_ELIGIBLE, 422)
    failed = {item["rule"] for item in body["checklist"] if not item["passed"]}
    # without proofing the address and age are unknown too: those rules fail closed
    assert failed == {
        "identity_verified",
        "designated_activities",
        "not_address_municipality",
        "minors",
    }
    assert all(item["message_ja"] and item["message_en"] for item in body["checklist"])


def test_application_with_two_activities_fails(premium_service: Service) -> None:
    service = premium_service
    who = person(service)
    reviewer = service.staff(KESENNUMA, "reviewer")
    who.register(KESENNUMA)
    who.prove()
    for _ in range(2):
        activity = create_activity(service, KESENNUMA, reviewer)
        assert who.check_in(KESENNUMA, activity["check_in_qr"]).status_code == 201
    body = assert_problem(who.apply(KESENNUMA), ErrorCode.PREMIUM_NOT_ELIGIBLE, 422)
    [activities] = [i for i in body["checklist"] if i["rule"] == "designated_activities"]
    assert (activities["passed"], activities["count"], activities["limit"]) == (False, 2, 3)


def test_application_at_the_address_municipality_fails(premium_service: Service) -> None:
    service = premium_service
    who = person(service)
    reviewer = service.staff(MINAMIMINOWA, "reviewer")
    who.register(MINAMIMINOWA)
    assert who.prove().status_code == 200  # the certificate's address is in 南箕輪村
    attend_three(service, who, MINAMIMINOWA, reviewer)
    body = assert_problem(who.apply(MINAMIMINOWA), ErrorCode.PREMIUM_NOT_ELIGIBLE, 422)
    failed = [item["rule"] for item in body["checklist"] if not item["passed"]]
    assert failed == ["not_address_municipality"]


def test_a_fourth_premium_registration_is_refused(premium_service_wide: Service) -> None:
    """At most 3 premium registrations per person across the platform: the person key from
    proofing is what is counted, so the fourth body refuses (and its checklist says 4 of 3)."""
    service = premium_service_wide
    who = person(service)
    who.register(KESENNUMA)
    assert who.prove().status_code == 200
    for code in (KESENNUMA, CHIYODA, SAPPORO):
        if code not in who.cards:
            who.register(code)
        reviewer = service.staff(code, "reviewer")
        attend_three(service, who, code, reviewer)
        applied = who.apply(code)
        assert applied.status_code == 201, applied.text
        approved = decide(service, code, reviewer, applied.json()["application_id"], "approve")
        assert approved.status_code == 200, approved.text
    who.register(NAHA)
    attend_three(service, who, NAHA, service.staff(NAHA, "reviewer"))
    body = assert_problem(who.apply(NAHA), ErrorCode.PREMIUM_NOT_ELIGIBLE, 422)
    [limit] = [item for item in body["checklist"] if item["rule"] == "premium_limit"]
    assert (limit["passed"], limit["count"], limit["limit"]) == (False, 4, 3)
    assert [item["rule"] for item in body["checklist"] if not item["passed"]] == ["premium_limit"]


def test_premium_twice_at_one_body_through_a_second_account_is_refused(
    premium_service: Service,
) -> None:
    """The same person (the same certificate, so the same person key) with a second app
    account: registering again is possible, premium again at the same body is not."""
    service = premium_service
    first = person(service)
    _premium(service, first)
    second = person(service)  # a new phone, a new account
    second.register(KESENNUMA)
    assert second.prove().status_code == 200
    attend_three(service, second, KESENNUMA, service.staff(KESENNUMA, "reviewer"))
    assert_problem(second.apply(KESENNUMA), ErrorCode.REGISTRATION_EXISTS, 409)


def test_a_pending_application_cannot_be_made_twice(premium_service: Service) -> None:
    service = premium_service
    who = person(service)
    reviewer = service.staff(KESENNUMA, "reviewer")
    who.register(KESENNUMA)
    who.prove()
    attend_three(service, who, KESENNUMA, reviewer)
    assert who.apply(KESENNUMA).status_code == 201
    assert_problem(who.apply(KESENNUMA), ErrorCode.PREMIUM_APPLICATION_EXISTS, 409)


def test_rejection_needs_a_reason_and_the_holder_sees_it(premium_service: Service) -> None:
    service = premium_service
    who = person(service)
    reviewer = service.staff(KESENNUMA, "reviewer")
    who.register(KESENNUMA)
    who.prove()
    attend_three(service, who, KESENNUMA, reviewer)
    application = who.apply(KESENNUMA).json()["application_id"]
    no_reason = decide(service, KESENNUMA, reviewer, application, "reject")
    assert_problem(no_reason, ErrorCode.MALFORMED_REQUEST, 400)
    rejected = decide(service, KESENNUMA, reviewer, application, "reject", reason="書類不備")
    assert rejected.status_code == 200, rejected.text
    again = decide(service, KESENNUMA, reviewer, application, "approve")
    assert_problem(again, ErrorCode.REVIEW_ALREADY_DECIDED, 409)
    status = who.status(KESENNUMA)
    assert (status["tier"], status["application"]["state"]) == ("basic", "rejected")
    assert status["application"]["reason"] == "書類不備"


def test_viewer_cannot_decide_and_other_bodies_cannot_see(premium_service: Service) -> None:
    service = premium_service
    who = person(service)
    reviewer = service.staff(KESENNUMA, "reviewer")
    who.register(KESENNUMA)
    who.prove()
    attend_three(service, who, KESENNUMA, reviewer)
    application = who.apply(KESENNUMA).json()["application_id"]
    viewer = service.staff(KESENNUMA, "viewer")
    assert_problem(
        decide(service, KESENNUMA, viewer, application, "approve"), ErrorCode.STAFF_FORBIDDEN, 403
    )
    other = service.staff(MINAMIMINOWA, "reviewer")
    assert_problem(
        decide(service, MINAMIMINOWA, other, application, "approve"),
        ErrorCode.RESOURCE_NOT_FOUND,
        404,
    )


def test_auto_approval_when_the_body_opts_in(premium_service: Service) -> None:
    service = premium_service
    admin = service.staff(KESENNUMA, "admin")
    opted = service.client.post(
        f"/staff/bodies/{KESENNUMA}/premium-settings",
        json={"auto_approve": True},
        headers={**admin, "Idempotency-Key": secrets.token_hex(8)},
    )
    assert opted.status_code == 200, opted.text
    who = person(service)
    who.register(KESENNUMA)
    who.prove()
    attend_three(service, who, KESENNUMA, admin)
    applied = who.apply(KESENNUMA)
    assert applied.status_code == 201, applied.text
    assert applied.json()["state"] == "approved"
    assert who.status(KESENNUMA)["premium_state"] == "active"


def test_minor_needs_guardian_consent_and_is_never_auto_approved(
    premium_service: Service,
) -> None:
    service = premium_service
    admin = service.staff(KESENNUMA, "admin")
    service.client.post(
        f"/staff/bodies/{KESENNUMA}/premium-settings",
        json={"auto_approve": True},
        headers={**admin, "Idempotency-Key": secrets.token_hex(8)},
    )
    child = person(service)
    child.register(KESENNUMA, birthdate="2016-05-01")
    assert child.prove(birthdate="20160501").status_code == 200
    attend_three(service, child, KESENNUMA, admin)
    body = assert_problem(child.apply(KESENNUMA), ErrorCode.PREMIUM_NOT_ELIGIBLE, 422)
    assert [i["rule"] for i in body["checklist"] if not i["passed"]] == ["minors"]
    applied = child.apply(KESENNUMA, guardian_consent=True)
    assert applied.status_code == 201, applied.text
    assert applied.json()["state"] == "pending"  # staff confirm the consent


# ---------------------------------------------------------------------------- check-in


def test_a_replayed_check_in_is_refused(premium_service: Service) -> None:
    service = premium_service
    who = person(service)
    reviewer = service.staff(KESENNUMA, "reviewer")
    card_id = who.register(KESENNUMA)
    activity = create_activity(service, KESENNUMA, reviewer)
    record = who.wallet.check_in(
        activity["check_in_qr"], card_id, trust=trust_from_service(service, KESENNUMA)
    )
    body = {"record": {"activity": record.activity, "presentation": record.presentation}}
    first = service.client.post(f"/bodies/{KESENNUMA}/attendances", json=body)
    assert first.status_code == 201, first.text
    replay = service.client.post(f"/bodies/{KESENNUMA}/attendances", json=body)
    assert_problem(replay, ErrorCode.ATTENDANCE_ALREADY_RECORDED, 409)
    # a fresh record for the same activity is the same person again
    assert_problem(
        who.check_in(KESENNUMA, activity["check_in_qr"]),
        ErrorCode.ATTENDANCE_ALREADY_RECORDED,
        409,
    )
    count = service.client.get(
        f"/staff/bodies/{KESENNUMA}/activities/{activity['activity_id']}", headers=reviewer
    ).json()["attendance_count"]
    assert count == 1


def test_a_check_in_outside_the_window_is_refused(premium_service: Service) -> None:
    """A wallet refuses a closed activity itself; a record made anyway (a tampered app,
    a wrong clock) is refused by the service: the activity was not open at the KB iat."""
    service = premium_service
    who = person(service)
    reviewer = service.staff(KESENNUMA, "reviewer")
    card_id = who.register(KESENNUMA)
    activity = create_activity(
        service, KESENNUMA, reviewer, starts_in=timedelta(hours=5), lasts=timedelta(hours=2)
    )
    with pytest.raises(Exception) as refused:  # the wallet checks first
        who.wallet.check_in(
            activity["check_in_qr"], card_id, trust=trust_from_service(service, KESENNUMA)
        )
    assert getattr(refused.value, "code", None) is ErrorCode.ACTIVITY_NOT_CURRENT
    record = _record_at(service, who, card_id, activity["check_in_qr"])
    response = service.client.post(f"/bodies/{KESENNUMA}/attendances", json=record)
    assert_problem(response, ErrorCode.ACTIVITY_NOT_CURRENT, 400)


def _record_at(service: Service, who: Person, card_id: str, activity_qr: str) -> dict[str, Any]:
    """An attendance record made without the wallet's own window check."""
    jws = decode_activity_qr(activity_qr)
    wallet: Any = who.wallet
    card = wallet.card(card_id)
    copy = next(c for c in card.copies if c.format == "dc+sd-jwt")
    held = wallet._held(card, copy, service.clock.now())
    presentation = present_credential(
        held,
        disclose=(("registration_id",),),
        holder=wallet._keys.signer(copy.key_id),
        audience=service.issuer(KESENNUMA),
        nonce=attendance_nonce(jws),
        now=service.clock.now(),
    )
    return {"record": {"activity": jws, "presentation": presentation}}


def test_a_check_in_from_a_key_not_issued_to_the_registration_is_refused(
    premium_service: Service,
) -> None:
    service = premium_service
    who = person(service)
    reviewer = service.staff(KESENNUMA, "reviewer")
    who.register(KESENNUMA)
    activity = create_activity(service, KESENNUMA, reviewer)
    _forget_holder_keys(service)  # as for cards issued before holder keys were recorded
    assert_problem(
        who.check_in(KESENNUMA, activity["check_in_qr"]), ErrorCode.ATTENDANCE_KEY_NOT_BOUND, 403
    )


def _forget_holder_keys(service: Service) -> None:
    state: Any = service.client.app.state  # type: ignore[attr-defined]

    async def run() -> None:
        async with state.furusato.transaction() as conn:
            await conn.execute(update(t.status_entries).values(holder_jkt=None))

    service.client.portal.call(run)  # type: ignore[union-attr]


def test_a_card_of_another_body_cannot_check_in(premium_service: Service) -> None:
    service = premium_service
    who = person(service)
    reviewer = service.staff(KESENNUMA, "reviewer")
    who.register(MINAMIMINOWA)
    activity = create_activity(service, KESENNUMA, reviewer)
    with pytest.raises(Exception) as refused:
        who.wallet.check_in(
            activity["check_in_qr"],
            who.cards[MINAMIMINOWA],
            trust=trust_from_service(service, KESENNUMA, MINAMIMINOWA),
        )
    assert getattr(refused.value, "code", None) is ErrorCode.CREDENTIAL_MISMATCH


def test_capacity_is_enforced(premium_service: Service) -> None:
    service = premium_service
    reviewer = service.staff(KESENNUMA, "reviewer")
    activity = create_activity(service, KESENNUMA, reviewer, capacity=1)
    first, second = person(service), person(service)
    first.register(KESENNUMA)
    second.register(KESENNUMA)
    assert first.check_in(KESENNUMA, activity["check_in_qr"]).status_code == 201
    assert_problem(
        second.check_in(KESENNUMA, activity["check_in_qr"]), ErrorCode.ACTIVITY_FULL, 409
    )


GEOFENCE = {"lat": 38.9081, "lon": 141.5699, "radius_m": 300}  # 気仙沼市役所のあたり


def test_location_mode_checks_the_fix_and_keeps_nothing(premium_service: Service) -> None:
    service = premium_service
    reviewer = service.staff(KESENNUMA, "reviewer")
    activity = create_activity(
        service, KESENNUMA, reviewer, check_in_mode="qr_location", geofence=GEOFENCE
    )
    who = person(service)
    who.register(KESENNUMA)
    assert_problem(
        who.check_in(KESENNUMA, activity["check_in_qr"]),
        ErrorCode.ATTENDANCE_LOCATION_REQUIRED,
        400,
    )
    far = {"lat": 35.6812, "lon": 139.7671, "accuracy_m": 20}  # 東京駅
    assert_problem(
        who.check_in(KESENNUMA, activity["check_in_qr"], location=far),
        ErrorCode.ATTENDANCE_OUTSIDE_GEOFENCE,
        403,
    )
    near = {"lat": 38.90851, "lon": 141.57013, "accuracy_m": 30}
    accepted = who.check_in(KESENNUMA, activity["check_in_qr"], location=near)
    assert accepted.status_code == 201, accepted.text
    dump = database_text(service)
    assert "38.9085" not in dump
    assert "141.5701" not in dump


def test_a_geofenced_mode_needs_a_geofence(premium_service: Service) -> None:
    service = premium_service
    reviewer = service.staff(KESENNUMA, "reviewer")
    now = service.clock.now()
    response = service.client.post(
        f"/staff/bodies/{KESENNUMA}/activities",
        json={
            "title_ja": "草刈り",
            "title_en": "Mowing",
            "place": "唐桑",
            "starts_at": now.isoformat(),
            "ends_at": (now + timedelta(hours=2)).isoformat(),
            "check_in_mode": "location",
        },
        headers={**reviewer, "Idempotency-Key": secrets.token_hex(8)},
    )
    assert_problem(response, ErrorCode.MALFORMED_REQUEST, 400)


def test_public_activity_list_shows_codes_only_for_location_mode(premium_service: Service) -> None:
    service = premium_service
    reviewer = service.staff(KESENNUMA, "reviewer")
    create_activity(service, KESENNUMA, reviewer)
    create_activity(service, KESENNUMA, reviewer, check_in_mode="location", geofence=GEOFENCE)
    items = service.client.get(f"/bodies/{KESENNUMA}/activities").json()["items"]
    assert sorted("check_in_qr" in item for item in items) == [False, True]


def test_the_poster_carries_the_signed_check_in_code(premium_service: Service) -> None:
    service = premium_service
    reviewer = service.staff(KESENNUMA, "reviewer")
    activity = create_activity(service, KESENNUMA, reviewer, capacity=30)
    base = f"/staff/bodies/{KESENNUMA}/activities/{activity['activity_id']}/poster"
    viewer = service.staff(KESENNUMA, "viewer")
    png = service.client.get(base + ".png", headers=viewer)
    assert png.status_code == 200, png.text
    assert png.headers["content-type"] == "image/png"
    scanned = read_qr(Image.open(io.BytesIO(png.content)))
    assert scanned.text == activity["check_in_qr"]
    pdf = service.client.get(base + ".pdf", headers=viewer)
    assert pdf.status_code == 200, pdf.text
    assert pdf.content.startswith(b"%PDF-")
    assert_problem(
        service.client.get(base + ".svg", headers=viewer), ErrorCode.RESOURCE_NOT_FOUND, 404
    )
    other = service.staff(MINAMIMINOWA, "viewer")
    assert_problem(service.client.get(base + ".png", headers=other), ErrorCode.STAFF_FORBIDDEN, 403)


# ---------------------------------------------------------------------------- evidence


def _pdf() -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
        b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
        b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
    )


def _upload(service: Service, who: Person, activity_id: str, data: bytes, kind: str) -> Any:
    return service.client.post(
        f"/registrations/{who.cards[KESENNUMA]}/evidence",
        params={"activity_id": activity_id, "attended_on": "2027-01-12", "note": "副業契約"},
        content=data,
        headers={
            "Content-Type": kind,
            "Furusato-Account": who.account,
            "Idempotency-Key": secrets.token_hex(8),
        },
    )


def test_evidence_review_counts_as_attendance(premium_service: Service) -> None:
    service = premium_service
    reviewer = service.staff(KESENNUMA, "reviewer")
    activity = create_activity(service, KESENNUMA, reviewer, title_ja="副業（書類審査）")
    who = person(service)
    who.register(KESENNUMA)
    uploaded = _upload(service, who, activity["activity_id"], _pdf(), "application/pdf")
    assert uploaded.status_code == 201, uploaded.text
    evidence_id = uploaded.json()["evidence_id"]
    queue = service.client.get(f"/staff/bodies/{KESENNUMA}/evidence", headers=reviewer).json()
    assert [item["evidence_id"] for item in queue["items"]] == [evidence_id]
    content = service.client.get(
        f"/staff/bodies/{KESENNUMA}/evidence/{evidence_id}/content", headers=reviewer
    )
    assert content.content == _pdf()
    assert content.headers["x-content-type-options"] == "nosniff"
    accepted = service.client.post(
        f"/staff/bodies/{KESENNUMA}/evidence/{evidence_id}/accept",
        json={},
        headers={**reviewer, "Idempotency-Key": secrets.token_hex(8)},
    )
    assert accepted.status_code == 200, accepted.text
    twice = service.client.post(
        f"/staff/bodies/{KESENNUMA}/evidence/{evidence_id}/reject",
        json={"reason": "no"},
        headers={**reviewer, "Idempotency-Key": secrets.token_hex(8)},
    )
    assert_problem(twice, ErrorCode.REVIEW_ALREADY_DECIDED, 409)
    gone = service.client.get(
        f"/staff/bodies/{KESENNUMA}/evidence/{evidence_id}/content", headers=reviewer
    )
    assert_problem(gone, ErrorCode.RESOURCE_NOT_FOUND, 404)  # deleted once decided
    attended = who.status(KESENNUMA)["attendances"]
    assert [(a["activity_id"], a["source"]) for a in attended] == [
        (activity["activity_id"], "evidence")
    ]


def test_evidence_of_a_type_not_allowed_or_too_large_is_refused(premium_service: Service) -> None:
    service = premium_service
    reviewer = service.staff(KESENNUMA, "reviewer")
    activity = create_activity(service, KESENNUMA, reviewer)
    who = person(service)
    who.register(KESENNUMA)
    html = _upload(service, who, activity["activity_id"], b"<html></html>", "text/html")
    assert_problem(html, ErrorCode.EVIDENCE_TYPE_NOT_ALLOWED, 415)
    lying = _upload(service, who, activity["activity_id"], b"<html></html>", "application/pdf")
    assert_problem(lying, ErrorCode.EVIDENCE_TYPE_NOT_ALLOWED, 415)
    big = _pdf() + b"0" * service.settings.premium.max_evidence_bytes
    assert_problem(
        _upload(service, who, activity["activity_id"], big, "application/pdf"),
        ErrorCode.REQUEST_TOO_LARGE,
        413,
    )


def test_evidence_needs_the_owner_account(premium_service: Service) -> None:
    service = premium_service
    reviewer = service.staff(KESENNUMA, "reviewer")
    activity = create_activity(service, KESENNUMA, reviewer)
    who, other = person(service), person(service)
    who.register(KESENNUMA)
    other.cards[KESENNUMA] = who.cards[KESENNUMA]
    assert_problem(
        _upload(service, other, activity["activity_id"], _pdf(), "application/pdf"),
        ErrorCode.RESOURCE_NOT_FOUND,
        404,
    )


# ---------------------------------------------------------------------------- proofing


def test_a_proofing_nonce_of_another_account_is_refused(premium_service: Service) -> None:
    service = premium_service
    who, other = person(service), person(service)
    who.register(KESENNUMA)
    response = who.prove(nonce=other.api.proofing_nonce())
    assert_problem(response, ErrorCode.IDENTITY_NONCE_INVALID, 400)


def test_an_expired_proofing_nonce_is_refused(premium_service: Service) -> None:
    service = premium_service
    who = person(service)
    who.register(KESENNUMA)
    nonce = who.api.proofing_nonce()
    service.clock.advance(timedelta(minutes=11))
    assert_problem(who.prove(nonce=nonce), ErrorCode.IDENTITY_NONCE_INVALID, 400)


def test_a_signature_over_something_else_is_refused(premium_service: Service) -> None:
    service = premium_service
    who = person(service)
    who.register(KESENNUMA)
    response = who.prove(signed="another nonce of sixteen+ chars")
    assert_problem(response, ErrorCode.IDENTITY_SIGNATURE_INVALID, 400)


def _id_token(service: Service, nonce: str, **changes: Any) -> str:
    iat = to_numeric_date(service.clock.now()) - 10
    claims: dict[str, Any] = {
        "iss": OIDC_ISSUER,
        "sub": "pairwise-0001",
        "aud": OIDC_CLIENT_ID,
        "iat": iat,
        "exp": iat + 300,
        "nonce": nonce,
        "birthdate": "1990-06-01",
        "address": {"municipality_code": MINAMIMINOWA},
        **changes,
    }
    return sign_compact_jws(
        header={"typ": "JWT"}, payload=dumps_compact(claims).encode(), signer=OIDC_SIGNER
    )


def test_proofing_with_a_verified_identity_provider(premium_service: Service) -> None:
    service = premium_service
    who = person(service)
    who.register(KESENNUMA)
    nonce = who.api.proofing_nonce()
    proofed = who.api.prove_with_oidc(nonce=nonce, id_token=_id_token(service, nonce))
    assert (proofed.method, proofed.address_municipality_code) == ("oidc", MINAMIMINOWA)
    [identity] = [i for i in who.status(KESENNUMA)["checklist"] if i["rule"] == "identity_verified"]
    assert identity["passed"]


def test_an_id_token_for_another_login_is_refused(premium_service: Service) -> None:
    service = premium_service
    who = person(service)
    who.register(KESENNUMA)
    nonce = who.api.proofing_nonce()
    with pytest.raises(VerificationError) as refused:
        who.api.prove_with_oidc(nonce=nonce, id_token=_id_token(service, "another-login-nonce"))
    assert refused.value.code is ErrorCode.ID_TOKEN_NONCE_MISMATCH


def test_evidence_through_the_wallet_client(premium_service: Service) -> None:
    service = premium_service
    reviewer = service.staff(KESENNUMA, "reviewer")
    activity = create_activity(service, KESENNUMA, reviewer)
    who = person(service)
    card_id = who.register(KESENNUMA)
    receipt = who.api.upload_evidence(
        card_id,
        activity_id=activity["activity_id"],
        attended_on=service.clock.now().date(),
        data=_pdf(),
        media_type="application/pdf",
        note="副業の契約書（写し）",
    )
    assert receipt.state == "pending"
    with pytest.raises(RequestError) as refused:
        who.api.upload_evidence(
            card_id,
            activity_id=activity["activity_id"],
            attended_on=service.clock.now().date(),
            data=b"MZ\x90\x00 not a document",
            media_type="application/pdf",
        )
    assert refused.value.code is ErrorCode.EVIDENCE_TYPE_NOT_ALLOWED


def test_proofing_with_ocsp_asks_about_the_certificate_and_its_ca(
    premium_service_ocsp: Service,
) -> None:
    service = premium_service_ocsp
    assert service.ocsp is not None
    who = person(service)
    who.register(KESENNUMA)
    proofed = who.prove()
    assert proofed.status_code == 200, proofed.text
    assert service.ocsp.asked == [pki.LEAF_SERIAL, pki.intermediate().cert.serial_number]


def test_a_certificate_the_responder_says_is_revoked_is_refused(
    premium_service_ocsp: Service,
) -> None:
    """A move or a new name revokes the JPKI signing certificate: proofing with it fails."""
    service = premium_service_ocsp
    assert service.ocsp is not None
    service.ocsp.revoked.add(pki.LEAF_SERIAL)
    who = person(service)
    who.register(KESENNUMA)
    assert_problem(who.prove(), ErrorCode.IDENTITY_CERTIFICATE_REVOKED, 400)


def test_proofing_fails_closed_when_the_responder_is_down(premium_service_ocsp: Service) -> None:
    service = premium_service_ocsp
    assert service.ocsp is not None
    service.ocsp.down = True
    who = person(service)
    who.register(KESENNUMA)
    assert_problem(who.prove(), ErrorCode.IDENTITY_REVOCATION_UNKNOWN, 400)


def test_proofing_is_off_without_a_backend(service: Service) -> None:
    who = person(service)
    who.register(KESENNUMA)
    response = who.prove()
    assert_problem(response, ErrorCode.RESOURCE_NOT_FOUND, 404)


# ---------------------------------------------------------------------------- end of premium


def test_moving_into_the_municipality_revokes_premium_and_tells_why(
    premium_service: Service,
) -> None:
    service = premium_service
    who = person(service)
    _premium(service, who)
    new_certificate = who.prove(address="宮城県気仙沼市八日町１丁目１番１号", serial=77)
    assert new_certificate.status_code == 200, new_certificate.text
    assert new_certificate.json()["premium_revoked"] == [who.cards[KESENNUMA]]
    status = who.status(KESENNUMA)
    assert (status["tier"], status["premium_state"]) == ("basic", "revoked")
    assert status["reason"]["code"] == "moved_into_municipality"
    assert "取り消" in status["reason"]["message_ja"]
    audit = service.client.get(
        f"/staff/bodies/{KESENNUMA}/audit", headers=service.staff(KESENNUMA, "admin")
    ).json()
    assert audit["chain_intact"]
    assert "premium-revoke" in [e["action"] for e in audit["entries"]]


def test_premium_lapses_without_renewal(premium_service: Service) -> None:
    service = premium_service
    who = person(service)
    approved = _premium(service, who)
    until = date.fromisoformat(approved["premium_until"])
    service.clock.advance(timedelta(days=(until - service.clock.now().date()).days + 2))
    state: Any = service.client.app.state  # type: ignore[attr-defined]
    ended = service.client.portal.call(expire_premium_once, state.furusato)  # type: ignore[union-attr]
    assert ended[KESENNUMA] == 1
    status = who.status(KESENNUMA)
    assert (status["premium_state"], status["reason"]["code"]) == ("suspended", "renewal_failed")


def test_renewal_opens_late_in_the_year_and_extends_it(premium_service: Service) -> None:
    service = premium_service
    who = person(service)
    reviewer = service.staff(KESENNUMA, "reviewer")
    approved = _premium(service, who)
    until = date.fromisoformat(approved["premium_until"])
    early = who.apply(KESENNUMA)
    assert_problem(early, ErrorCode.STATUS_CHANGE_NOT_ALLOWED, 409)
    service.clock.advance(timedelta(days=(until - service.clock.now().date()).days - 30))
    assert who.prove().status_code == 200  # proofing older than 90 days: prove again
    attend_three(service, who, KESENNUMA, reviewer)
    applied = who.apply(KESENNUMA)
    assert applied.status_code == 201, applied.text
    assert applied.json()["kind"] == "renewal"
    renewed = decide(service, KESENNUMA, reviewer, applied.json()["application_id"], "approve")
    assert renewed.status_code == 200, renewed.text
    assert date.fromisoformat(renewed.json()["premium_until"]) > until
