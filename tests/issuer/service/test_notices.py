"""Notices: staff publish, edit and withdraw (reviewer or admin, own body only, audited);
the public feed is a signed JWS of the body's current notices, cacheable with an ETag."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

import pytest

from furusato_vc.core.errors import ErrorCode
from furusato_vc.core.notices import NoticeCategory, verify_notice_feed
from tests.issuer.service.conftest import KESENNUMA, MINAMIMINOWA, Service
from tests.issuer.service.flows import assert_problem, trust_from_service

BASE = f"/staff/bodies/{KESENNUMA}/notices"


def notice_json(service: Service, **changes: Any) -> dict[str, Any]:
    now = service.clock.now()
    return {
        "category": "volunteer",
        "title_ja": "ここが困っている: 牡蠣棚の片付け",
        "title_en": "Help wanted: clearing oyster rafts",
        "text_ja": "週末に人手が必要です。",
        "tier": "any",
        "interests": ["漁業"],
        "valid_from": (now - timedelta(hours=1)).isoformat(),
        "valid_until": (now + timedelta(days=7)).isoformat(),
        "link": "https://www.kesennuma.example/volunteer",
        **changes,
    }


def _send(service: Service, method: str, path: str, headers: dict[str, str], **kw: Any) -> Any:
    return service.client.request(
        method, path, headers={**headers, "Idempotency-Key": secrets.token_hex(8)}, **kw
    )


def publish(service: Service, headers: dict[str, str], **changes: Any) -> Any:
    return _send(service, "POST", BASE, headers, json=notice_json(service, **changes))


def feed(service: Service, code: str = KESENNUMA) -> Any:
    response = service.client.get(f"/bodies/{code}/notices")
    assert response.status_code == 200, response.text
    return verify_notice_feed(
        response.text, trust=trust_from_service(service, code), now=service.clock.now()
    )


def test_published_notice_is_in_the_signed_feed(service: Service) -> None:
    reviewer = service.staff(KESENNUMA, "reviewer")
    created = publish(service, reviewer)
    assert created.status_code == 201, created.text
    body = created.json()
    verified = feed(service)
    assert verified.header.sequence == body["document_sequence"]
    assert verified.header.issuer == service.issuer(KESENNUMA)
    [notice] = verified.notices
    assert notice.notice_id == body["notice_id"]
    assert notice.category is NoticeCategory.VOLUNTEER
    assert notice.title.en == "Help wanted: clearing oyster rafts"
    assert notice.interests == ("漁業",)
    assert verified.header.expires_at - verified.header.issued_at == 24 * 3600


def test_feed_is_cacheable_with_an_etag(service: Service) -> None:
    publish(service, service.staff(KESENNUMA, "admin"))
    first = service.client.get(f"/bodies/{KESENNUMA}/notices")
    assert first.headers["content-type"].startswith("application/jwt")
    assert first.headers["cache-control"].startswith("public, max-age=")
    again = service.client.get(
        f"/bodies/{KESENNUMA}/notices", headers={"If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304
    assert again.content == b""


def test_empty_feed_is_signed_too(service: Service) -> None:
    verified = feed(service, MINAMIMINOWA)
    assert verified.notices == ()
    assert verified.header.sequence == 1


def test_feed_is_resigned_after_half_its_life(service: Service) -> None:
    publish(service, service.staff(KESENNUMA, "reviewer"))
    before = feed(service)
    service.clock.advance(timedelta(hours=11))
    assert feed(service).header.sequence == before.header.sequence
    service.clock.advance(timedelta(hours=2))
    after = feed(service)
    assert after.header.sequence == before.header.sequence + 1
    assert after.notices == before.notices


def test_withdrawn_notice_disappears_from_the_feed(service: Service) -> None:
    reviewer = service.staff(KESENNUMA, "reviewer")
    kept = publish(service, reviewer).json()["notice_id"]
    gone = publish(service, reviewer, category="event").json()["notice_id"]
    assert {n.notice_id for n in feed(service).notices} == {kept, gone}
    response = _send(service, "POST", f"{BASE}/{gone}/withdraw", reviewer)
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "withdrawn"
    assert [n.notice_id for n in feed(service).notices] == [kept]
    listed = service.client.get(BASE, headers=reviewer).json()["items"]
    assert {item["notice_id"]: item["state"] for item in listed} == {
        kept: "active",
        gone: "withdrawn",
    }
    again = _send(service, "POST", f"{BASE}/{gone}/withdraw", reviewer)
    assert_problem(again, ErrorCode.RESOURCE_NOT_FOUND, 404)


def test_ended_notice_leaves_the_feed(service: Service) -> None:
    now = service.clock.now()
    publish(
        service,
        service.staff(KESENNUMA, "reviewer"),
        valid_until=(now + timedelta(hours=2)).isoformat(),
    )
    assert len(feed(service).notices) == 1
    service.clock.advance(timedelta(hours=13))
    assert feed(service).notices == ()


def test_edit_changes_the_feed_and_is_audited(service: Service) -> None:
    reviewer = service.staff(KESENNUMA, "reviewer")
    notice_id = publish(service, reviewer).json()["notice_id"]
    edited = _send(
        service,
        "PUT",
        f"{BASE}/{notice_id}",
        reviewer,
        json=notice_json(service, title_ja="更新: 牡蠣棚の片付け", tier="premium"),
    )
    assert edited.status_code == 200, edited.text
    [notice] = feed(service).notices
    assert notice.title.ja == "更新: 牡蠣棚の片付け"
    assert notice.audience.value == "premium"
    audit = service.client.get(
        f"/staff/bodies/{KESENNUMA}/audit", headers=service.staff(KESENNUMA, "admin")
    ).json()
    assert audit["chain_intact"]
    actions = [(e["action"], e["target"]) for e in audit["entries"]]
    assert ("notice.publish", notice_id) in actions
    assert ("notice.edit", notice_id) in actions


@pytest.mark.parametrize(
    "link",
    [
        "https://ads.example/banner",
        "https://kesennuma.example.ads.example/",
        "http://www.kesennuma.example/",
        "https://www.kesennuma.example:8443/",
        "javascript:alert(1)",
    ],
)
def test_link_must_be_https_on_the_bodys_own_domains(service: Service, link: str) -> None:
    response = publish(service, service.staff(KESENNUMA, "reviewer"), link=link)
    assert_problem(response, ErrorCode.MALFORMED_REQUEST, 400)


def test_body_without_registered_domains_cannot_link(service: Service) -> None:
    response = _send(
        service,
        "POST",
        f"/staff/bodies/{MINAMIMINOWA}/notices",
        service.staff(MINAMIMINOWA, "reviewer"),
        json=notice_json(service, link="https://www.kesennuma.example/"),
    )
    assert_problem(response, ErrorCode.MALFORMED_REQUEST, 400)


@pytest.mark.parametrize(
    "change",
    [
        {"image": "https://ads.example/a.png"},
        {"category": "advert"},
        {"tier": "gold"},
        {"title_ja": ""},
        {"title_ja": "bell\x07"},
        {"interests": ["a", "a"]},
        {"valid_from": "2027-01-15T00:00:00"},  # no offset
    ],
)
def test_malformed_notice_is_refused(service: Service, change: dict[str, Any]) -> None:
    response = publish(service, service.staff(KESENNUMA, "reviewer"), **change)
    assert_problem(response, ErrorCode.MALFORMED_REQUEST, 400)


def test_window_must_be_in_order(service: Service) -> None:
    now = service.clock.now()
    response = publish(
        service,
        service.staff(KESENNUMA, "reviewer"),
        valid_from=now.isoformat(),
        valid_until=(now - timedelta(days=1)).isoformat(),
    )
    assert_problem(response, ErrorCode.MALFORMED_REQUEST, 400)


def test_viewer_can_list_but_not_publish(service: Service) -> None:
    viewer = service.staff(KESENNUMA, "viewer")
    assert_problem(publish(service, viewer), ErrorCode.STAFF_FORBIDDEN, 403)
    assert service.client.get(BASE, headers=viewer).status_code == 200


def test_without_token_nothing_is_allowed(service: Service) -> None:
    assert_problem(publish(service, {}), ErrorCode.STAFF_UNAUTHENTICATED, 401)
    assert_problem(service.client.get(BASE), ErrorCode.STAFF_UNAUTHENTICATED, 401)


def test_staff_of_another_body_is_forbidden(service: Service) -> None:
    other = service.staff(MINAMIMINOWA, "admin")
    assert_problem(publish(service, other), ErrorCode.STAFF_FORBIDDEN, 403)
    assert_problem(service.client.get(BASE, headers=other), ErrorCode.STAFF_FORBIDDEN, 403)


def test_notice_of_another_body_is_not_found(service: Service) -> None:
    mine = publish(service, service.staff(KESENNUMA, "reviewer")).json()["notice_id"]
    other = service.staff(MINAMIMINOWA, "admin")
    response = _send(
        service, "POST", f"/staff/bodies/{MINAMIMINOWA}/notices/{mine}/withdraw", other
    )
    assert_problem(response, ErrorCode.RESOURCE_NOT_FOUND, 404)
    assert len(feed(service).notices) == 1
    assert feed(service, MINAMIMINOWA).notices == ()


def test_publish_is_idempotent(service: Service) -> None:
    reviewer = {**service.staff(KESENNUMA, "reviewer"), "Idempotency-Key": "notice-1"}
    payload = notice_json(service)
    first = service.client.post(BASE, headers=reviewer, json=payload)
    second = service.client.post(BASE, headers=reviewer, json=payload)
    assert first.status_code == second.status_code == 201
    assert second.headers["idempotent-replayed"] == "true"
    assert first.json()["notice_id"] == second.json()["notice_id"]
    assert len(feed(service).notices) == 1


def test_unknown_body_has_no_feed(service: Service) -> None:
    response = service.client.get("/bodies/131016/notices")
    assert_problem(response, ErrorCode.RESOURCE_NOT_FOUND, 404)
